package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

const (
	agentToken = "shop1-e2e-token-0123456789"
	apiKey     = "e2e-key"
)

// startAgent runs `tallyfacade agent` in the background; stop cancels it (as
// a kill would: the link drops at once) and returns Run's error.
func startAgent(t *testing.T, base, tallyURL, token string, extra ...string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	args := append([]string{"agent", "-server", base, "-name", "shop1", "-tally-url", tallyURL}, extra...)
	go func() {
		done <- run(ctx, args, func(k string) string {
			if k == "TALLYFACADE_AGENT_TOKEN" {
				return token
			}
			return ""
		}, io.Discard, io.Discard)
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

type agentView struct {
	Name      string  `json:"name"`
	Connected bool    `json:"connected"`
	Version   string  `json:"version"`
	RTT       float64 `json:"rtt_ms"`
}

// agentsOf reads the agents /readyz reports, whether it is ready or not.
func agentsOf(t *testing.T, base string) (int, map[string]agentView) {
	t.Helper()
	code, body := get(t, base+"/readyz", "")
	var out struct {
		Agents []agentView `json:"agents"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("readyz: %s", body)
	}
	m := map[string]agentView{}
	for _, a := range out.Agents {
		m[a.Name] = a
	}
	return code, m
}

// poll retries until cond holds; the bound only keeps a broken test from
// hanging on a loaded machine.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(startupBound); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
	}
}

func postOrder(t *testing.T, base, ref, party string) (int, map[string]any) {
	t.Helper()
	body := `{"order_ref": "` + ref + `", "party": {"name": "` + party + `", "state": "Maharashtra"},
		"lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("POST /orders: HTTP %d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func vouchersWithRef(sim *tallysim.Server, ref string) int {
	demo, _ := sim.Company(tallysim.DemoCompanyName)
	n := 0
	for _, v := range demo.Vouchers() {
		for _, e := range v.Entries {
			for _, b := range e.Bills {
				if b.Name == ref && !v.Cancelled {
					n++
				}
			}
		}
	}
	return n
}

// writeGate stands in front of the simulator as a Tally whose write is held
// until the test releases it, and which, like real Tally, finishes a write
// its client gave up on (tally-protocol.md §9.1.4).
type writeGate struct {
	sim     *tallysim.Server
	armed   chan struct{} // closed by the test to hold the next import
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *writeGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	select {
	case <-g.armed:
		if v, err := tallyxml.RequestVerb(bytes.NewReader(body)); err == nil && v == tallyxml.VerbImport {
			held := false
			g.once.Do(func() { held = true })
			if held {
				close(g.arrived)
				<-g.release
			}
		}
	default:
	}
	req, _ := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, g.sim.URL()+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	io.Copy(w, resp.Body)
}

// TestAgentEndToEnd: the simulator ← `tallyfacade agent` → `tallyfacade
// serve` with TALLY_URL=agent://shop1, all on loopback, the agent dialling
// out. Reads, an order, a wrong token, the agent killed in the middle of a
// write (one voucher after read-back), the agent restarted under a running
// façade, a read-only agent refusing an order, and 200 concurrent reads.
func TestAgentEndToEnd(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	gate := &writeGate{sim: sim, armed: make(chan struct{}), arrived: make(chan struct{}), release: make(chan struct{})}
	tally := httptest.NewServer(gate)
	t.Cleanup(tally.Close)

	env := map[string]string{"TALLY_URL": "agent://shop1", "TALLY_COMPANY": tallysim.DemoCompanyName,
		"TALLYFACADE_API_KEYS": apiKey, "TALLYFACADE_DATA_DIR": t.TempDir(),
		// The test fires concurrent reads with one key: it measures the
		// agent link, not the per-key rate limit.
		"TALLYFACADE_RATE_LIMIT":   "0",
		"TALLYFACADE_AGENT_TOKENS": "shop1:" + agentToken + ",shop2:shop2-e2e-token-0123456789",
		// 200 reads queue behind one another for the serial gateway; under
		// the race detector on a shared 2-core machine that takes a while.
		"TALLY_QUEUE_WAIT": "2m", "TALLYFACADE_REQUEST_TIMEOUT": "3m"}
	r, stopServe := startRun(t, []string{"serve", "-addr", "127.0.0.1:0"}, env)
	base := r.base

	// No agent yet: not ready, Tally unreachable, both agents listed.
	code, agents := agentsOf(t, base)
	if code != http.StatusServiceUnavailable || len(agents) != 2 || agents["shop1"].Connected {
		t.Fatalf("readyz before the agent: HTTP %d %+v", code, agents)
	}
	if code, body := get(t, base+"/parties/Rajesh%20Enterprises/balance", apiKey); code != http.StatusServiceUnavailable ||
		!strings.Contains(string(body), "tally_unreachable") {
		t.Fatalf("balance before the agent: HTTP %d %s", code, body)
	}

	// A wrong token: the agent stops by itself, saying why.
	err := run(t.Context(), []string{"agent", "-server", base, "-name", "shop1", "-tally-url", tally.URL},
		func(k string) string {
			return map[string]string{"TALLYFACADE_AGENT_TOKEN": "wrong-token-0123456789"}[k]
		}, io.Discard, io.Discard)
	if !errors.Is(err, agentlink.ErrUnauthorized) {
		t.Fatalf("agent with a wrong token: %v; want ErrUnauthorized", err)
	}

	stopAgent := startAgent(t, base, tally.URL, agentToken)
	poll(t, "the agent connects", func() bool { code, a := agentsOf(t, base); return code == http.StatusOK && a["shop1"].Connected })
	code, body := get(t, base+"/tally/status", apiKey)
	if code != http.StatusOK || !strings.Contains(string(body), `"name":"shop1","connected":true`) {
		t.Fatalf("tally/status: HTTP %d %s", code, body)
	}
	if code, body := get(t, base+"/parties/Rajesh%20Enterprises/balance", apiKey); code != http.StatusOK || !strings.Contains(string(body), `"side":"Dr"`) {
		t.Fatalf("balance: HTTP %d %s", code, body)
	}
	if code, body := get(t, base+"/receivables", apiKey); code != http.StatusOK || !strings.Contains(string(body), "Rajesh Enterprises") {
		t.Fatalf("receivables: HTTP %d %s", code, body)
	}
	if code, out := postOrder(t, base, "AG-1", "Rajesh Enterprises"); code != http.StatusCreated || out["bill_ref"] != "AG-1" {
		t.Fatalf("order: HTTP %d %v", code, out)
	}
	if n := vouchersWithRef(sim, "AG-1"); n != 1 {
		t.Fatalf("%d vouchers for AG-1; want 1", n)
	}

	// The agent dies while Tally runs a write, and Tally applies it anyway.
	close(gate.armed)
	type result struct {
		code int
		out  map[string]any
	}
	posted := make(chan result, 1)
	go func() { c, o := postOrder(t, base, "AG-2", "Rajesh Enterprises"); posted <- result{c, o} }()
	<-gate.arrived
	stopAgent()
	close(gate.release)
	res := <-posted
	id, _ := res.out["id"].(string)
	if res.code != http.StatusAccepted || id == "" {
		t.Fatalf("order with the agent killed mid-write: HTTP %d %v; want 202, to be read back", res.code, res.out)
	}
	// The façade keeps running; a new agent process picks up, the queue
	// reads back and finds the voucher instead of posting it again.
	stopAgent = startAgent(t, base, tally.URL, agentToken)
	poll(t, "the order is posted after read-back", func() bool {
		_, b := get(t, base+"/orders/"+id, apiKey)
		return strings.Contains(string(b), `"state":"posted"`)
	})
	if n := vouchersWithRef(sim, "AG-2"); n != 1 {
		t.Fatalf("%d vouchers for AG-2; want exactly 1", n)
	}

	// 200 concurrent reads through the link.
	var wg sync.WaitGroup
	failures := make(chan string, 200)
	start := time.Now()
	for range 200 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/parties/Rajesh%20Enterprises/balance", nil)
			req.Header.Set("X-API-Key", apiKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				failures <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures <- string(b)
			}
		})
	}
	wg.Wait()
	t.Logf("200 concurrent balance reads through the agent link: %v", time.Since(start).Round(time.Millisecond))
	close(failures)
	for f := range failures {
		t.Errorf("concurrent read failed: %s", f)
	}

	_, metrics := get(t, base+"/metrics", "")
	for _, want := range []string{`tally_agent_connected{agent="shop1"} 1`, `tally_agent_connected{agent="shop2"} 0`,
		`tally_agent_relay_duration_seconds_count{agent="shop1",outcome="ok"}`, `tally_agent_relay_duration_seconds_count{agent="shop1",outcome="link_lost"} 1`,
		`tally_agent_rtt_seconds{agent="shop1"}`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	t.Run("read-only agent refuses an order", func(t *testing.T) {
		// Replace the agent by a read-only one of the same name.
		stopAgent()
		poll(t, "shop1 disconnects", func() bool { _, a := agentsOf(t, base); return !a["shop1"].Connected })
		startAgent(t, base, tally.URL, agentToken, "-read-only")
		poll(t, "the read-only agent connects", func() bool { _, a := agentsOf(t, base); return a["shop1"].Connected })
		if code, body := get(t, base+"/parties/Rajesh%20Enterprises/balance", apiKey); code != http.StatusOK {
			t.Fatalf("read through the read-only agent: HTTP %d %s", code, body)
		}
		code, out := postOrder(t, base, "AG-RO", "Rajesh Enterprises")
		// A stored order that cannot post is answered as rejected (422),
		// with the cause's code and message.
		if code != http.StatusUnprocessableEntity || out["code"] != "agent_read_only" || !strings.Contains(out["detail"].(string), "read-only") {
			t.Fatalf("order through a read-only agent: HTTP %d %v; want 422 agent_read_only", code, out)
		}
		if n := vouchersWithRef(sim, "AG-RO"); n != 0 {
			t.Fatalf("%d vouchers for AG-RO; want none", n)
		}
	})
	if err := stopServe(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

// TestAgentSettings: the server refuses to start with agent tokens it cannot
// use, and the agent without what it needs; no error quotes a token.
func TestAgentSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"agent URL without a token", []string{"serve", "-addr", "127.0.0.1:0"}, map[string]string{"TALLY_URL": "agent://shop1", "TALLYFACADE_API_KEYS": "k"}, "no token"},
		{"another agent's token", []string{"serve", "-addr", "127.0.0.1:0"}, map[string]string{"TALLY_URL": "agent://shop1", "TALLYFACADE_API_KEYS": "k",
			"TALLYFACADE_AGENT_TOKENS": "shop2:secret-secret-secret"}, "no token"},
		{"malformed tokens", []string{"serve", "-addr", "127.0.0.1:0"}, map[string]string{"TALLYFACADE_API_KEYS": "k", "TALLYFACADE_AGENT_TOKENS": "shop1=secret-secret-secret"}, "name:token"},
		{"short token", []string{"serve", "-addr", "127.0.0.1:0"}, map[string]string{"TALLYFACADE_API_KEYS": "k", "TALLYFACADE_AGENT_TOKENS": "shop1:tiny-secret"}, "shorter"},
		{"check through an agent", []string{"check"}, map[string]string{"TALLY_URL": "agent://shop1"}, "GET /tally/status"},
		{"agent without a server", []string{"agent", "-name", "shop1"}, map[string]string{"TALLYFACADE_AGENT_TOKEN": "secret-secret-secret"}, "server"},
		{"agent over plain http", []string{"agent", "-name", "shop1", "-server", "http://facade.example"}, map[string]string{"TALLYFACADE_AGENT_TOKEN": "secret-secret-secret"}, "https"},
		{"agent without a token", []string{"agent", "-name", "shop1", "-server", "https://facade.example"}, map[string]string{}, "token"},
		{"agent with a bad name", []string{"agent", "-name", "shop 1", "-server", "https://facade.example"}, map[string]string{"TALLYFACADE_AGENT_TOKEN": "secret-secret-secret"}, "name"},
		{"agent with a missing CA file", []string{"agent", "-name", "shop1", "-server", "https://facade.example", "-ca-file", "/nonexistent.pem"},
			map[string]string{"TALLYFACADE_AGENT_TOKEN": "secret-secret-secret"}, "-ca-file"},
	} {
		tc.env["TALLYFACADE_DATA_DIR"] = t.TempDir()
		err := run(t.Context(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v; want an error about %q", tc.name, err, tc.want)
		}
	}
}
