package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// startupBound is how long a test waits for run to serve: generous, so a
// loaded 2-core CI machine cannot fail a test by being slow; a run that exits
// early fails at once instead.
const startupBound = 2 * time.Minute

// running is run() in the background: what it printed and its base URL.
type running struct {
	first string      // the first line printed (it carries the address)
	base  string      // http://host:port
	lines chan string // the lines after the first
}

// startRun runs run() in the background and waits until it serves: its first
// line printed and /healthz answering. stop cancels it and returns its error.
func startRun(t *testing.T, args []string, env map[string]string) (r *running, stop func() error) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	r = &running{lines: make(chan string, 64)}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for n := 0; sc.Scan(); n++ {
			if n == 0 {
				first <- sc.Text()
				continue
			}
			select {
			case r.lines <- sc.Text():
			default: // nobody reads that far
			}
		}
		close(first)
		io.Copy(io.Discard, pr)
	}()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(startupBound):
			t.Fatal("run did not stop after cancel")
			return nil
		}
	}
	deadline := time.After(startupBound)
	select {
	case l, ok := <-first:
		if !ok {
			cancel()
			t.Fatalf("run exited before printing: %v", <-done)
		}
		r.first = l
	case err := <-done:
		cancel()
		t.Fatalf("run exited early: %v", err)
	case <-deadline:
		cancel()
		t.Fatalf("run printed nothing within %v", startupBound)
	}
	r.base = regexp.MustCompile(`http://[^/ ]+`).FindString(r.first)
	for {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, r.base+"/healthz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r, stop
			}
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("run exited before serving: %v", err)
		case <-deadline:
			cancel()
			t.Fatalf("/healthz did not answer within %v", startupBound)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func get(t *testing.T, url, key string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestDemoEndToEnd runs the demo command on port 0: its first line is the
// Swagger UI address, and the balance the card promises answers without a key.
func TestDemoEndToEnd(t *testing.T) {
	t.Parallel()
	r, stop := startRun(t, []string{"demo", "-addr", "127.0.0.1:0"}, nil)
	if !strings.HasPrefix(r.first, "Swagger UI: http://127.0.0.1:") || !strings.HasSuffix(r.first, "/swagger/index.html") {
		t.Fatalf("first line %q; want the Swagger UI address", r.first)
	}
	base := r.base
	if l := <-r.lines; !strings.Contains(l, "no API key needed") {
		t.Errorf("second line %q; want it to say no API key is needed", l)
	}
	if code, _ := get(t, base+"/swagger/index.html", ""); code != http.StatusOK {
		t.Errorf("Swagger UI: HTTP %d", code)
	}
	code, body := get(t, base+"/parties/Rajesh%20Enterprises/balance", "")
	var bal map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &bal) != nil || bal["side"] != "Dr" {
		t.Fatalf("balance: HTTP %d %s", code, body)
	}
	if code, body := get(t, base+"/readyz", ""); code != http.StatusOK {
		t.Errorf("readyz: HTTP %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("demo returned %v after cancel", err)
	}
}

// TestDemoWithKeys: demo -api-keys asks for the key, and says so.
func TestDemoWithKeys(t *testing.T) {
	t.Parallel()
	r, stop := startRun(t, []string{"demo", "-addr", "127.0.0.1:0", "-api-keys", "demo-key"}, nil)
	if l := <-r.lines; strings.Contains(l, "no API key needed") || !strings.Contains(l, "API key is needed") || strings.Contains(l, "demo-key") {
		t.Errorf("second line %q; want it to say a key is needed, without printing the key", l)
	}
	if code, _ := get(t, r.base+"/parties/Rajesh%20Enterprises/balance", ""); code != http.StatusUnauthorized {
		t.Errorf("no key: HTTP %d; want 401", code)
	}
	if code, body := get(t, r.base+"/parties/Rajesh%20Enterprises/balance", "demo-key"); code != http.StatusOK {
		t.Errorf("with the key: HTTP %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("demo returned %v after cancel", err)
	}
}

// TestServeEndToEnd runs serve against a simulator with an API key and checks
// authentication, a read, readiness (with Tally down too, once the mirror
// holds the company) and graceful shutdown.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	env := map[string]string{"TALLY_URL": sim.URL(), "TALLY_COMPANY": "ABC Traders", "TALLYFACADE_API_KEYS": "k1, k2",
		"TALLYFACADE_DATA_DIR": t.TempDir(), "TALLY_FRESHNESS": "200ms"}
	r, stop := startRun(t, []string{"serve", "-addr", "127.0.0.1:0"}, env)
	base := r.base
	if code, _ := get(t, base+"/parties", ""); code != http.StatusUnauthorized {
		t.Errorf("no key: HTTP %d; want 401", code)
	}
	if code, body := get(t, base+"/parties?search=sharma", "k2"); code != http.StatusOK || !strings.Contains(string(body), "Sharma & Sons") {
		t.Errorf("parties: HTTP %d %s", code, body)
	}
	if code, _ := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz: HTTP %d", code)
	}
	// Once the mirror holds the company, Tally off is reported, not
	// fatal: reads answer from the mirror, stale.
	ready := func(want string) readyBody {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, body := get(t, base+"/readyz", "")
			var rb readyBody
			if err := json.Unmarshal(body, &rb); err != nil {
				t.Fatalf("readyz: HTTP %d %s", code, body)
			}
			rb.code = code
			if rb.Mirror.Loaded && (want == "reachable") == rb.Tally.Reachable {
				return rb
			}
			if time.Now().After(deadline) {
				t.Fatalf("readyz never showed the mirror loaded and Tally %s: HTTP %d %s", want, code, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if rb := ready("reachable"); rb.code != http.StatusOK || rb.Mirror.AgeSeconds == nil {
		t.Errorf("readyz: %+v", rb)
	}
	sim.SetFault(tallysim.Refuse)
	if rb := ready("unreachable"); rb.code != http.StatusOK || rb.Tally.Error == "" {
		t.Errorf("readyz with Tally down and the mirror loaded: %+v; want 200 saying Tally is unreachable", rb)
	}
	if code, body := get(t, base+"/parties/Rajesh%20Enterprises/balance", "k1"); code != http.StatusOK || !strings.Contains(string(body), `"stale":true`) {
		t.Errorf("balance with Tally down: HTTP %d %s; want 200 stale", code, body)
	}
	sim.SetFault(tallysim.NoFault)
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after cancel", err)
	}
}

// readyBody is the part of /readyz's body the tests read.
type readyBody struct {
	code  int
	Tally struct {
		Reachable bool   `json:"reachable"`
		Error     string `json:"error"`
	} `json:"tally"`
	Mirror struct {
		Loaded     bool     `json:"loaded"`
		AgeSeconds *float64 `json:"age_seconds"`
	} `json:"mirror"`
}

func TestServeRefusesToStartWithoutKeys(t *testing.T) {
	t.Parallel()
	err := run(t.Context(), []string{"serve", "-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-insecure-no-auth") {
		t.Fatalf("err = %v; want a refusal that names -insecure-no-auth", err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	for _, tc := range []struct {
		company string
		ok      bool
		want    string
	}{
		{"ABC Traders", true, "is loaded: ready"},
		{"abc traders", true, "is loaded: ready"},
		{"XYZ Ltd", false, "NOT loaded"},
		{"", false, "TALLY_COMPANY is not set"},
	} {
		var out strings.Builder
		env := map[string]string{"TALLY_URL": sim.URL(), "TALLY_COMPANY": tc.company}
		err := run(t.Context(), []string{"check"}, func(k string) string { return env[k] }, &out, io.Discard)
		if (err == nil) != tc.ok || !strings.Contains(out.String(), tc.want) || !strings.Contains(out.String(), "TallyPrime") {
			t.Errorf("check %q: err %v, output:\n%s", tc.company, err, out.String())
		}
	}
	sim.SetFault(tallysim.Refuse)
	var out strings.Builder
	env := map[string]string{"TALLY_URL": sim.URL(), "TALLY_COMPANY": "ABC Traders"}
	if err := run(t.Context(), []string{"check"}, func(k string) string { return env[k] }, &out, io.Discard); err == nil ||
		!strings.Contains(out.String(), "Data Synchronization") {
		t.Errorf("check with Tally down: err %v, output:\n%s", err, out.String())
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	if err := run(t.Context(), nil, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("no command: want an error")
	}
	if err := run(t.Context(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("unknown command: want an error")
	}
	if err := run(t.Context(), []string{"serve", "-gst-rate", "17"}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("bad GST rate: want an error")
	}
}

// TestServeWithPostgres runs serve on PostgreSQL (the production store): an
// order goes through the River queue to the simulator, and migrate is
// idempotent.
func TestServeWithPostgres(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewURL(t)
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	env := map[string]string{"TALLY_URL": sim.URL(), "TALLY_COMPANY": "ABC Traders", "TALLYFACADE_API_KEYS": "k1", "DATABASE_URL": dbURL}
	var out strings.Builder
	if err := run(t.Context(), []string{"migrate"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil || !strings.Contains(out.String(), "PostgreSQL") {
		t.Fatalf("migrate: %v %q", err, out.String())
	}
	r, stop := startRun(t, []string{"serve", "-addr", "127.0.0.1:0"}, env)
	base := r.base
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/orders", strings.NewReader(
		`{"order_ref":"PG-1","party":{"name":"Priya Textiles"},"lines":[{"item":"Saree","quantity":"1","rate":"1000"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "k1")
	req.Header.Set("Idempotency-Key", "pg-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"bill_ref":"PG-1"`) {
		t.Fatalf("POST /orders on PostgreSQL: %d %s", resp.StatusCode, body)
	}
	// The queue's events reach the metrics through the wiring (observedStore).
	_, metrics := get(t, base+"/metrics", "")
	for _, want := range []string{`queue_attempts_total{kind="sales"} 1`, `queue_outcomes_total{kind="sales",outcome="posted"} 1`,
		`queue_records{kind="sales",state="posted"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if code, body := get(t, base+"/readyz", ""); code != http.StatusOK {
		t.Errorf("readyz: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

func TestPartyGroupsSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		env  string
		want []string
	}{
		{nil, "", []string{"Sundry Debtors", "Sundry Creditors"}},
		{nil, " Sundry Debtors , Export Debtors ", []string{"Sundry Debtors", "Export Debtors"}},
		{[]string{"-party-groups", "Sundry Debtors"}, "Sundry Creditors", []string{"Sundry Debtors"}},
	} {
		getenv := func(k string) string {
			if k == "TALLY_PARTY_GROUPS" {
				return tc.env
			}
			return ""
		}
		cfg, err := parseConfig("serve", tc.args, getenv, io.Discard)
		if err != nil || strings.Join(cfg.PartyGroups, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%v %q: %q, %v; want %q", tc.args, tc.env, cfg.PartyGroups, err, tc.want)
		}
	}
	if _, err := parseConfig("serve", []string{"-party-groups", " , "}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("no party group accepted")
	}
}
