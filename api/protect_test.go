package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
)

// TestSecurityHeaders: every answer, success or problem, carries the
// security headers and is not cached; Swagger UI's page has its own policy
// and its static files are cacheable.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, tc := range []struct {
		call       call
		csp, cache string
	}{
		{call{target: "/parties/Rajesh%20Enterprises/balance"}, "default-src 'none'; frame-ancestors 'none'", "no-store"},
		{call{target: "/parties/Nobody/balance"}, "default-src 'none'; frame-ancestors 'none'", "no-store"},
		{call{target: "/parties", noKey: true}, "default-src 'none'; frame-ancestors 'none'", "no-store"},
		{call{target: "/healthz", noKey: true}, "default-src 'none'; frame-ancestors 'none'", "no-store"},
		{call{target: "/nope"}, "default-src 'none'; frame-ancestors 'none'", "no-store"},
		{call{target: "/swagger/index.html", noKey: true}, "script-src 'self'", "no-store"},
		{call{target: "/swagger/swagger-ui-bundle.js", noKey: true}, "default-src 'none'", "public, max-age=86400"},
	} {
		r := b.do(t, tc.call)
		h := r.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			!strings.Contains(h.Get("Content-Security-Policy"), tc.csp) || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Cache-Control") != tc.cache || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %d, headers %v", tc.call.target, r.status, h)
		}
	}
}

// TestHeadOnProbes: HEAD answers the probes' status without a body.
func TestHeadOnProbes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, target := range []string{"/healthz", "/readyz"} {
		if r := b.do(t, call{method: http.MethodHead, target: target, noKey: true}); r.status != http.StatusOK {
			t.Errorf("HEAD %s: %d %s", target, r.status, r.body)
		}
	}
	down := setup(t, setupOpts{ready: func(context.Context) (service.Readiness, error) {
		return service.Readiness{}, errors.New("Tally is down")
	}})
	if r := down.do(t, call{method: http.MethodHead, target: "/readyz", noKey: true}); r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("HEAD /readyz when not ready: %d %v", r.status, r.header)
	}
}

// TestCORS: off by default (no header, a preflight is not answered); with
// origins configured, those origins and only those are allowed.
func TestCORS(t *testing.T) {
	t.Parallel()
	preflight := func(origin string) call {
		return call{method: http.MethodOptions, target: "/parties/Rajesh%20Enterprises/balance", noKey: true,
			headers: map[string]string{"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}}
	}
	get := call{target: "/parties/Rajesh%20Enterprises/balance", headers: map[string]string{"Origin": "https://widget.example.com"}}

	off := setup(t, setupOpts{})
	if r := off.do(t, get); r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: GET %d, Allow-Origin %q", r.status, r.header.Get("Access-Control-Allow-Origin"))
	}
	if r := off.do(t, preflight("https://widget.example.com")); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off: preflight answered %d %v", r.status, r.header)
	}

	on := setup(t, setupOpts{cors: []string{"https://widget.example.com"}})
	if r := on.do(t, get); r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "https://widget.example.com" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("CORS on: GET %d %v", r.status, r.header)
	}
	r := on.do(t, preflight("https://widget.example.com"))
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://widget.example.com" ||
		!strings.Contains(strings.ToLower(r.header.Get("Access-Control-Allow-Headers")), "x-api-key") {
		t.Errorf("CORS on: preflight %d %v", r.status, r.header)
	}
	if r := on.do(t, preflight("https://evil.example.net")); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS on: another origin allowed: %v", r.header)
	}
}

// TestRateLimits: each key has its own bucket; wrong keys are limited per
// client address, and X-Forwarded-For does not move a client to another
// bucket. Over the limit is 429 rate_limited with Retry-After.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{rateLimit: 0.5, rateBurst: 3})
	codes := func(n int, c call) (got []int) {
		for range n {
			r := b.do(t, c)
			got = append(got, r.status)
			if r.status == http.StatusTooManyRequests {
				if r.header.Get("Retry-After") == "" || field(t, r.body, "code") != "rate_limited" ||
					r.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("429 without Retry-After or code: %v %s", r.header, r.body)
				}
			}
		}
		return got
	}
	count := func(got []int, status int) (n int) {
		for _, s := range got {
			if s == status {
				n++
			}
		}
		return n
	}
	mine := codes(5, call{target: "/companies"})
	if count(mine, http.StatusOK) != 3 || count(mine, http.StatusTooManyRequests) != 2 {
		t.Errorf("5 requests, burst 3: %v", mine)
	}
	if r := b.do(t, call{target: "/companies", noKey: true, headers: map[string]string{"X-API-Key": otherKey}}); r.status != http.StatusOK {
		t.Errorf("another key is limited by the first key's use: %d", r.status)
	}
	if r := b.do(t, call{target: "/companies"}); r.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q at 0.5 requests a second; want 2", r.header.Get("Retry-After"))
	}

	wrong := call{target: "/parties", noKey: true, remote: "198.51.100.7:5555", headers: map[string]string{"X-API-Key": "guess"}}
	spoofed := wrong
	spoofed.headers = map[string]string{"X-API-Key": "guess", "X-Forwarded-For": "203.0.113.9"}
	got := append(codes(15, wrong), codes(15, spoofed)...)
	if count(got, http.StatusUnauthorized) != 10 || count(got, http.StatusTooManyRequests) != 20 {
		t.Errorf("30 wrong keys from one address: %d answered 401, %d 429; want 10 and 20", count(got, http.StatusUnauthorized), count(got, http.StatusTooManyRequests))
	}
	other := wrong
	other.remote = "198.51.100.8:5555"
	if r := b.do(t, other); r.status != http.StatusUnauthorized {
		t.Errorf("wrong key from another address: %d; want 401", r.status)
	}
	if r := b.do(t, call{target: "/companies", noKey: true, remote: "198.51.100.7:5555", headers: map[string]string{"X-API-Key": otherKey}}); r.status != http.StatusOK {
		t.Errorf("a valid key from the guessing address: %d; want 200", r.status)
	}
}

// TestAccessLog: one line per request with method, route template, status,
// duration, request id and the key's name, never the key, the path's party
// name or a body; a successful probe only at Debug.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance", headers: map[string]string{"X-API-Key": otherKey}})
	b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "Secret Body Traders", "group": "Bank Accounts"}`})
	b.do(t, call{target: "/healthz", noKey: true})
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d access lines for 3 requests:\n%s", len(lines), b.logs.String())
	}
	for i, want := range []struct {
		level, method, route, key string
		status                    float64
	}{
		{"INFO", "GET", "/parties/:name/balance", "key2", 200},
		{"INFO", "POST", "/parties", "key1", 422},
		{"DEBUG", "GET", "/healthz", "", 200},
	} {
		l := lines[i]
		key, _ := l["key"].(string)
		if l["level"] != want.level || l["method"] != want.method || l["route"] != want.route || l["status"] != want.status ||
			key != want.key || l["request_id"] != requestID || l["duration_ms"] == nil {
			t.Errorf("line %d: %v; want %+v", i, l, want)
		}
	}
	if lines[1]["code"] != "not_a_party_group" {
		t.Errorf("a refusal's line lacks its code: %v", lines[1])
	}
	for _, secret := range []string{testKey, otherKey, "Secret Body", "Rajesh"} {
		if strings.Contains(b.logs.String(), secret) {
			t.Errorf("the log carries %q:\n%s", secret, b.logs.String())
		}
	}
}
