package agentlink_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

const (
	token1 = "shop1-token-0123456789"
	token2 = "shop2-token-0123456789"
)

// testBeat is the heartbeat of tests that do not test heartbeats: long
// enough that a pong slowed by the race detector on a loaded machine never
// drops a link.
const testBeat = 5 * time.Second

// startHub serves a hub for agents shop1 and shop2 on loopback.
func startHub(t *testing.T, observe func(agentlink.Observation)) (*agentlink.Hub, string) {
	return startHubBeat(t, observe, testBeat)
}

func startHubBeat(t *testing.T, observe func(agentlink.Observation), beat time.Duration) (*agentlink.Hub, string) {
	t.Helper()
	tokens, err := agentlink.ParseTokens("shop1:" + token1 + ", shop2:" + token2)
	if err != nil {
		t.Fatal(err)
	}
	hub := agentlink.NewHub(agentlink.HubConfig{Tokens: tokens, Heartbeat: beat, Observe: observe, Logger: testLogger(t)})
	mux := http.NewServeMux()
	mux.Handle(agentlink.Path, hub)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { hub.Close(); ts.Close() })
	return hub, ts.URL
}

// testLogger keeps the hub's and agents' logs and shows them if the test
// fails (t.Log itself may not be called once the test is over, and a
// link's goroutines can outlive it by a moment).
func testLogger(t *testing.T) *slog.Logger {
	var mu sync.Mutex
	var buf bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Log(buf.String())
			mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// runAgent runs an agent until the returned stop is called (or the test
// ends); stop waits for Run to return and gives its error.
func runAgent(t *testing.T, cfg agentlink.AgentConfig) (stop func() error) {
	t.Helper()
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = testBeat
	}
	cfg.BackoffMin, cfg.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	a, err := agentlink.NewAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() { cancel(); runErr = <-done })
		return runErr
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFor polls cond until it holds; the bound only keeps a broken test
// from hanging.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func agentState(hub *agentlink.Hub, name string) agentlink.AgentStatus {
	for _, a := range hub.Agents() {
		if a.Name == name {
			return a
		}
	}
	return agentlink.AgentStatus{}
}

func connected(hub *agentlink.Hub, name string) func() bool {
	return func() bool { return agentState(hub, name).Connected }
}

func linkClient(t *testing.T, hub *agentlink.Hub, name string, timeout time.Duration) *tallyxml.Client {
	t.Helper()
	c, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: "agent://" + name, Transport: hub.Transport(name), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startSim(t *testing.T) *tallysim.Server {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, time.June, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

var demo = tallyxml.Vars{Company: tallysim.DemoCompanyName}

func readLedger(ctx context.Context, c *tallyxml.Client, name string) (tallyxml.Ledger, error) {
	var l tallyxml.Ledger
	err := c.Do(ctx, tallyxml.ExportObject("Ledger", name, []string{"Name", "Parent", "ClosingBalance"}, demo), func(r io.Reader) error {
		var err error
		l, err = tallyxml.LedgerObject(r)
		return err
	})
	return l, err
}

func newLedger(name string) *tallyxml.Request {
	return tallyxml.ImportMasters(demo, tallyxml.LedgerMaster{Name: name, Parent: "Sundry Debtors"})
}

// TestLinkCarriesTheClient: through the link, the client reads, writes and
// asks for liveness exactly as it does directly, and the hub reports the
// agent with its version, heartbeat and round trip.
func TestLinkCarriesTheClient(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	var mu sync.Mutex
	var obs []agentlink.Observation
	hub, url := startHub(t, func(o agentlink.Observation) { mu.Lock(); obs = append(obs, o); mu.Unlock() })
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: sim.URL(), Version: "v-test"})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))
	c := linkClient(t, hub, "shop1", 0)

	product, err := c.Status(t.Context())
	if err != nil || product != tallyxml.ProductTallyPrime {
		t.Fatalf("status: %v, %v", product, err)
	}
	l, err := readLedger(t.Context(), c, "Rajesh Enterprises")
	if err != nil || l.Name != "Rajesh Enterprises" {
		t.Fatalf("read: %+v, %v", l, err)
	}
	if _, err := c.Import(t.Context(), newLedger("Link Traders"), tallyxml.CounterCreated); err != nil {
		t.Fatalf("import: %v", err)
	}
	if l, err := readLedger(t.Context(), c, "Link Traders"); err != nil || l.Parent != "Sundry Debtors" {
		t.Fatalf("read back: %+v, %v", l, err)
	}
	waitFor(t, "a heartbeat", func() bool { return !agentState(hub, "shop1").LastHeartbeat.IsZero() })
	st := agentState(hub, "shop1")
	if !st.Connected || st.Version != "v-test" || st.RTT <= 0 || st.Since.IsZero() {
		t.Errorf("status %+v", st)
	}
	if other := agentState(hub, "shop2"); other.Connected || other.Name != "shop2" {
		t.Errorf("shop2 %+v; want listed, not connected", other)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(obs) != 4 || obs[0].Agent != "shop1" || obs[0].Outcome != "ok" {
		t.Errorf("observations %+v; want 4, ok", obs)
	}
}

// TestBytesUntouched: the agent gives Tally the request's bytes and
// Content-Type as sent, and the client Tally's bytes and Content-Type as
// written (here BOM-less UTF-16LE, as real Tally answers).
func TestBytesUntouched(t *testing.T) {
	t.Parallel()
	answer := []byte("<\x00E\x00N\x00V\x00E\x00L\x00O\x00P\x00E\x00/\x00>\x00")
	var got struct {
		method, path, ct string
		body             []byte
	}
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.ct = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		got.body, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-16")
		w.Write(answer)
	}))
	t.Cleanup(fake.Close)
	hub, url := startHub(t, nil)
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: fake.URL})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))

	sent := []byte("\xff\xfe<\x00E\x00N\x00V\x00/\x00>\x00")
	req, _ := http.NewRequest(http.MethodPost, "agent://shop1/", bytes.NewReader(sent))
	req.Header.Set("Content-Type", "text/xml; charset=utf-16")
	req.Header.Set("X-Other", "not relayed")
	resp, err := (&http.Client{Transport: hub.Transport("shop1")}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(body, answer) || resp.Header.Get("Content-Type") != "text/xml; charset=utf-16" {
		t.Errorf("answer %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if got.method != http.MethodPost || got.path != "/" || got.ct != "text/xml; charset=utf-16" || !bytes.Equal(got.body, sent) {
		t.Errorf("tally got %s %s %q %q", got.method, got.path, got.ct, got.body)
	}
}

// TestNotConnected: with no agent, a read and a write fail as unreachable,
// and the write is known not to have been sent.
func TestNotConnected(t *testing.T) {
	t.Parallel()
	hub, _ := startHub(t, nil)
	if _, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: "agent://shop1"}); err == nil {
		t.Error("agent:// without the link's transport was accepted")
	}
	c := linkClient(t, hub, "shop1", 0)
	_, err := c.Import(t.Context(), newLedger("Nobody"), tallyxml.CounterCreated)
	ge, ok := errors.AsType[*tallyxml.GatewayError](err)
	if !ok || ge.Kind != tallyxml.ErrUnreachable || ge.Ambiguous || ge.URL != "agent://shop1" {
		t.Fatalf("import: %v; want unreachable, not ambiguous", err)
	}
	if _, err := c.Status(t.Context()); !errors.Is(err, tallyxml.ErrUnreachable) {
		t.Fatalf("status: %v", err)
	}
}

// TestRefusals: a wrong token or an unknown name ends Run with
// ErrUnauthorized; a second agent of a connected name is refused until the
// first goes, then connects by itself.
func TestRefusals(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	hub, url := startHub(t, nil)
	for _, cfg := range []agentlink.AgentConfig{
		{Name: "shop1", Token: token2},
		{Name: "shop9", Token: token1},
	} {
		cfg.Server, cfg.TallyURL = url, sim.URL()
		a, err := agentlink.NewAgent(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Run returns by itself: retrying a refused token cannot help.
		if err := a.Run(t.Context()); !errors.Is(err, agentlink.ErrUnauthorized) {
			t.Errorf("%s with a wrong token: %v; want ErrUnauthorized", cfg.Name, err)
		}
	}
	if agentState(hub, "shop1").Connected {
		t.Fatal("a refused agent is connected")
	}

	first := runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: sim.URL(), Version: "first"})
	waitFor(t, "the first connects", connected(hub, "shop1"))
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: sim.URL(), Version: "second"})
	time.Sleep(300 * time.Millisecond) // the second retries meanwhile
	if v := agentState(hub, "shop1").Version; v != "first" {
		t.Fatalf("version %q: the second agent displaced the first", v)
	}
	first()
	waitFor(t, "the second takes over", func() bool {
		st := agentState(hub, "shop1")
		return st.Connected && st.Version == "second"
	})
}

// TestSeveralAgents: two agents connected at once, each Transport reaching
// its own Tally.
func TestSeveralAgents(t *testing.T) {
	t.Parallel()
	sim1, sim2 := startSim(t), startSim(t)
	hub, url := startHub(t, nil)
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: sim1.URL()})
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop2", Token: token2, TallyURL: sim2.URL()})
	waitFor(t, "both connect", func() bool { return connected(hub, "shop1")() && connected(hub, "shop2")() })
	if _, err := linkClient(t, hub, "shop2", 0).Import(t.Context(), newLedger("Shop Two Traders"), tallyxml.CounterCreated); err != nil {
		t.Fatal(err)
	}
	if _, err := readLedger(t.Context(), linkClient(t, hub, "shop2", 0), "Shop Two Traders"); err != nil {
		t.Errorf("shop2's Tally: %v", err)
	}
	if _, err := readLedger(t.Context(), linkClient(t, hub, "shop1", 0), "Shop Two Traders"); !errors.Is(err, tallyxml.ErrNoObject) {
		t.Errorf("shop1's Tally: %v; want not found", err)
	}
}
