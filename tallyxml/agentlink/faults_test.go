package agentlink_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
)

// TestReadOnly: a read-only agent relays reads and refuses a write before
// Tally sees it, as a typed error the client knows was never sent.
func TestReadOnly(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	hub, url := startHub(t, nil)
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: sim.URL(), ReadOnly: true})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))
	c := linkClient(t, hub, "shop1", 0)
	if _, err := readLedger(t.Context(), c, "Rajesh Enterprises"); err != nil {
		t.Fatalf("read: %v", err)
	}
	_, err := c.Import(t.Context(), newLedger("Read Only Traders"), tallyxml.CounterCreated)
	ge, ok := errors.AsType[*tallyxml.GatewayError](err)
	if !ok || ge.Kind != tallyxml.ErrReadOnly || ge.Ambiguous || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("import: %v; want ErrReadOnly, not ambiguous", err)
	}
	if err := c.Do(t.Context(), tallyxml.ExecuteAction("Sync", demo), nil); !errors.Is(err, tallyxml.ErrReadOnly) {
		t.Fatalf("execute: %v; want ErrReadOnly", err)
	}
	for _, r := range sim.Requests() {
		if !strings.HasPrefix(r.Kind, "export:") {
			t.Errorf("tally saw %s", r.Kind)
		}
	}
}

// TestLinkLostMidWrite: the agent dies while Tally runs a write; the client
// gets a reset marked ambiguous (read back before resending), never a
// failure that would invite a blind resend.
func TestLinkLostMidWrite(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		once.Do(func() { close(arrived) })
		<-release
	}))
	t.Cleanup(func() { close(release); fake.Close() })
	hub, url := startHub(t, nil)
	stop := runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: fake.URL})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))
	c := linkClient(t, hub, "shop1", 0)

	errc := make(chan error, 1)
	go func() {
		_, err := c.Import(t.Context(), newLedger("Mid Write"), tallyxml.CounterCreated)
		errc <- err
	}()
	<-arrived
	stop()
	err := <-errc
	ge, ok := errors.AsType[*tallyxml.GatewayError](err)
	if !ok || ge.Kind != tallyxml.ErrReset || !ge.Ambiguous {
		t.Fatalf("import: %v; want an ambiguous reset", err)
	}
	waitFor(t, "the hub notices", func() bool { return !agentState(hub, "shop1").Connected })
	if _, err := c.Status(t.Context()); !errors.Is(err, tallyxml.ErrUnreachable) {
		t.Fatalf("after the agent stopped: %v; want unreachable", err)
	}
}

// TestDeadlineCarried: the client's deadline reaches the agent, which gives
// up on Tally too; the client reports a timeout (ambiguous for a write).
func TestDeadlineCarried(t *testing.T) {
	t.Parallel()
	gaveUp := make(chan struct{})
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a hang-up only once the body is read
		<-r.Context().Done()        // the agent's request ended
		close(gaveUp)
	}))
	t.Cleanup(fake.Close)
	hub, url := startHub(t, nil)
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: fake.URL})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))
	c := linkClient(t, hub, "shop1", 300*time.Millisecond)
	_, err := c.Import(t.Context(), newLedger("Slow"), tallyxml.CounterCreated)
	ge, ok := errors.AsType[*tallyxml.GatewayError](err)
	if !ok || ge.Kind != tallyxml.ErrTimeout || !ge.Ambiguous {
		t.Fatalf("import: %v; want an ambiguous timeout", err)
	}
	<-gaveUp // hangs (and the test times out) if the deadline was not carried
}

// TestTallyDownAtTheAgent: Tally refusing the agent's connection reaches
// the client as refused, so a write is known not to have been applied.
func TestTallyDownAtTheAgent(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	hub, url := startHub(t, nil)
	runAgent(t, agentlink.AgentConfig{Server: url, Name: "shop1", Token: token1, TallyURL: closed})
	waitFor(t, "shop1 connects", connected(hub, "shop1"))
	_, err = linkClient(t, hub, "shop1", 0).Import(t.Context(), newLedger("Nobody"), tallyxml.CounterCreated)
	ge, ok := errors.AsType[*tallyxml.GatewayError](err)
	if !ok || ge.Kind != tallyxml.ErrRefused || ge.Ambiguous {
		t.Fatalf("import: %v; want refused, not ambiguous", err)
	}
}

// TestHeartbeatDropsDeadLink: a link that goes silent (a NAT box dropping
// the flow, a laptop lid closed) is dropped by the heartbeats, and the agent
// reconnects by itself.
func TestHeartbeatDropsDeadLink(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	const beat = 200 * time.Millisecond
	hub, hubURL := startHubBeat(t, nil, beat)
	u, _ := url.Parse(hubURL)
	px := startProxy(t, u.Host)
	runAgent(t, agentlink.AgentConfig{Server: "http://" + px.addr(), Name: "shop1", Token: token1, TallyURL: sim.URL(), Heartbeat: beat})
	// A heartbeat has crossed both ways, so the agent has the handshake's
	// answer too: freezing earlier could strand it inside its dial.
	waitFor(t, "shop1 connects", func() bool { return !agentState(hub, "shop1").LastHeartbeat.IsZero() })
	first := agentState(hub, "shop1").Since
	px.freeze() // every byte in flight now, both ways, stops; nothing closes
	waitFor(t, "the hub drops the silent link", func() bool { return agentState(hub, "shop1").Since != first })
	waitFor(t, "the agent reconnects", connected(hub, "shop1"))
	if _, err := readLedger(t.Context(), linkClient(t, hub, "shop1", 0), "Rajesh Enterprises"); err != nil {
		t.Fatalf("read after reconnecting: %v", err)
	}
}

// proxy forwards TCP to target; freeze silences the connections open at
// that moment without closing them.
type proxy struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen []*atomic.Bool
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	var conns sync.WaitGroup
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			frozen := new(atomic.Bool)
			p.mu.Lock()
			p.frozen = append(p.frozen, frozen)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				defer conns.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if frozen.Load() {
						<-stop
						dst.Close()
						return
					}
					if n > 0 {
						dst.Write(buf[:n])
					}
					if err != nil {
						dst.Close()
						return
					}
				}
			}
			conns.Add(2)
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.frozen {
		f.Store(true)
	}
}
