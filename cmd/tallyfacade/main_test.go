package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// startRun runs run() in the background and returns the first line it
// prints (which carries the address it listens on) and a stop function.
func startRun(t *testing.T, args []string, env map[string]string) (firstLine string, stop func() error) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			cancel()
			t.Fatalf("run exited before printing: %v", <-done)
		}
		firstLine = l
	case err := <-done:
		cancel()
		t.Fatalf("run exited early: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("run printed nothing within 10s")
	}
	return firstLine, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("run did not stop after cancel")
			return nil
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
	line, stop := startRun(t, []string{"demo", "-addr", "127.0.0.1:0"}, nil)
	if !strings.HasPrefix(line, "Swagger UI: http://127.0.0.1:") || !strings.HasSuffix(line, "/swagger/index.html") {
		t.Fatalf("first line %q; want the Swagger UI address", line)
	}
	base := strings.TrimSuffix(strings.TrimPrefix(line, "Swagger UI: "), "/swagger/index.html")
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

// TestServeEndToEnd runs serve against a simulator with an API key and checks
// authentication, a read, readiness and graceful shutdown.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	env := map[string]string{"TALLY_URL": sim.URL(), "TALLY_COMPANY": "ABC Traders", "TALLYFACADE_API_KEYS": "k1, k2",
		"TALLYFACADE_DATA_DIR": t.TempDir()}
	line, stop := startRun(t, []string{"serve", "-addr", "127.0.0.1:0"}, env)
	base := strings.Fields(strings.TrimPrefix(line, "tallyfacade listening on "))[0]
	if code, _ := get(t, base+"/parties", ""); code != http.StatusUnauthorized {
		t.Errorf("no key: HTTP %d; want 401", code)
	}
	if code, body := get(t, base+"/parties?search=sharma", "k2"); code != http.StatusOK || !strings.Contains(string(body), "Sharma & Sons") {
		t.Errorf("parties: HTTP %d %s", code, body)
	}
	if code, _ := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz: HTTP %d", code)
	}
	sim.SetFault(tallysim.Refuse)
	if code, _ := get(t, base+"/readyz", ""); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with Tally down: HTTP %d; want 503", code)
	}
	sim.SetFault(tallysim.NoFault)
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after cancel", err)
	}
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
	line, stop := startRun(t, []string{"serve", "-addr", "127.0.0.1:0"}, env)
	base := strings.Fields(strings.TrimPrefix(line, "tallyfacade listening on "))[0]
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
