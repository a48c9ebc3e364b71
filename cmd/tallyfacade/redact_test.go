package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestRedactSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tally unreachable (http://user:pw@host:9000)", "tally unreachable (http://user:xxxxx@host:9000)"},
		{"https://tok3n@tunnel.example.com/x", "https://xxxxx@tunnel.example.com/x"},
		{"postgres://app:s3cr%40t@db:5432/t?sslmode=disable", "postgres://app:xxxxx@db:5432/t?sslmode=disable"},
		{"Post \"https://hooks.example.com/in?token=abc123&x=1\": EOF", "Post \"https://hooks.example.com/in?token=xxxxx&x=1\": EOF"},
		{"https://h/x?a=1&access_token=zz#f", "https://h/x?a=1&access_token=xxxxx#f"},
		{"host=db user=app password=hunter2 dbname=t", "host=db user=app password=xxxxx dbname=t"},
		{"password='two words' host=db", "password=xxxxx host=db"},
		// Nothing secret: left exactly as it is.
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"party A & B <Traders> owes ₹48,500.00", "party A & B <Traders> owes ₹48,500.00"},
		{"mail rajesh@example.com", "mail rajesh@example.com"},
		{"/orders?state=posted&limit=5", "/orders?state=posted&limit=5"},
	}
	for _, tt := range tests {
		if got := redactSecrets(tt.in); got != tt.want {
			t.Errorf("redactSecrets(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestLogsNeverCarryTallyPassword drives the real path of issue 8 item 10:
// a password in TALLY_URL used to reach the error line that the API logs for
// a 503, through the GatewayError's message. Both log formats are checked,
// with the secret in the message, an attribute, an error and a group.
func TestLogsNeverCarryTallyPassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused from now on: Tally is "off"
	const secret = "s3cretPW"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"-tally-url", "http://tally:" + secret + "@" + addr, "-company", "ABC Traders", "-api-keys", "k"}
			if format == "json" {
				args = append(args, "-log-json")
			}
			cfg, err := parseConfig("serve", args, func(string) string { return "" }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			cfg.DataDir = t.TempDir()
			var logs bytes.Buffer
			sw := &syncWriter{w: &logs}
			logger := newLogger(cfg, sw)
			st, err := build(t.Context(), cfg, logger)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(st.db.close)
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/parties/Rajesh%20Enterprises/balance", nil)
			req.Header.Set("X-API-Key", "k")
			rec := httptest.NewRecorder()
			st.api.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("balance with Tally off: HTTP %d %s; want 503", rec.Code, rec.Body)
			}
			u := "http://tally:" + secret + "@" + addr
			logger.Info("tallyfacade started", "tally_url", u)
			logger.Error("direct "+u, "error", errors.New("dial "+u))
			logger.WithGroup("g").With("url", u).Warn("grouped")
			sw.mu.Lock()
			out := logs.String()
			sw.mu.Unlock()
			if strings.Contains(out, secret) {
				t.Fatalf("the password reached the log:\n%s", out)
			}
			if !strings.Contains(out, "tally:xxxxx@"+addr) {
				t.Fatalf("the log lost the redacted address:\n%s", out)
			}
			if !strings.Contains(out, "tally_unreachable") && !strings.Contains(out, "unreachable") {
				t.Errorf("no error line for the 503:\n%s", out)
			}
		})
	}
}

// syncWriter lets the background queue and the test's request log into one
// buffer without a race.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
