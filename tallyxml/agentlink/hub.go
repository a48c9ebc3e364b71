package agentlink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// Path is where the hub listens for agents, on the façade's own port.
const Path = "/agent/link"

// Headers of the agent's dial.
const (
	HeaderName    = "Tallyfacade-Agent-Name"
	HeaderVersion = "Tallyfacade-Agent-Version"
)

// Limits of one relayed exchange. Gateway requests are small (an order is a
// few kilobytes); answers can be large (every ledger of a big company), and
// each is held in memory once on each side.
const (
	MaxRequest         = 8 << 20
	DefaultMaxResponse = 64 << 20
	// DefaultHeartbeat is how often each end pings; a pong missing for one
	// more interval drops the link.
	DefaultHeartbeat = 5 * time.Second
	// writeTimeout bounds sending one frame. The library closes the link
	// when a write's context ends, so a frame's write never runs on the
	// caller's context: a caller's deadline must not cut every request's
	// link; a write stuck this long means the link is dead anyway.
	writeTimeout = 15 * time.Second
)

// HubConfig configures a Hub. Tokens is required.
type HubConfig struct {
	Tokens Tokens
	// Logger receives the links' state changes and refusals. Default: discard.
	Logger *slog.Logger
	// Heartbeat is the ping interval. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxResponse bounds one answer from an agent. Default DefaultMaxResponse.
	MaxResponse int64
	// Observe, when set, is called once per relayed request, for metrics.
	// It must not block.
	Observe func(Observation)
}

// Observation is one request relayed to an agent.
type Observation struct {
	Agent   string
	Outcome string // "ok", or the kind's label ("unreachable", "reset", "read_only", …)
	// Duration is from sending the frame to its answer: the link's round
	// trip plus Tally's own time.
	Duration time.Duration
}

// AgentStatus is what the hub knows of one agent.
type AgentStatus struct {
	Name      string
	Connected bool
	// Since is when the agent connected or, when it is not connected, when
	// it disconnected; zero if it has not connected since the start.
	Since         time.Time
	LastHeartbeat time.Time
	Version       string
	// RTT is the last heartbeat's round trip.
	RTT    time.Duration
	Remote string
}

// Hub accepts agents' links (it is the http.Handler at Path) and relays
// gateway requests over them (Transport). Share one per process.
type Hub struct {
	cfg HubConfig
	log *slog.Logger

	mu     sync.Mutex
	links  map[string]*link
	gone   map[string]AgentStatus // the last state of agents not connected
	closed bool
}

// NewHub returns a Hub for the agents cfg.Tokens names.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	return &Hub{cfg: cfg, log: cfg.Logger.With("component", "agentlink"),
		links: map[string]*link{}, gone: map[string]AgentStatus{}}
}

// Configured reports whether name has a token, so TALLY_URL=agent://NAME
// can be checked at start-up.
func (h *Hub) Configured(name string) bool { return h.cfg.Tokens.Has(name) }

// Agents returns every agent that has a token, connected or not, by name.
func (h *Hub) Agents() []AgentStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AgentStatus, 0, len(h.cfg.Tokens.hashes))
	for _, name := range h.cfg.Tokens.Names() {
		if l, ok := h.links[name]; ok {
			out = append(out, l.status())
			continue
		}
		st, ok := h.gone[name]
		if !ok {
			st = AgentStatus{Name: name}
		}
		out = append(out, st)
	}
	return out
}

// Close drops every link and refuses new ones; in-flight requests fail as
// a broken link.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	links := make([]*link, 0, len(h.links))
	for _, l := range h.links {
		if l.ready.Load() { // one still accepting sees closed in ServeHTTP
			links = append(links, l)
		}
	}
	h.mu.Unlock()
	for _, l := range links {
		l.conn.Close(websocket.StatusGoingAway, "server shutting down")
	}
}

// ServeHTTP accepts an agent's link and holds it until it breaks.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(HeaderName)
	token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !bearer || !h.cfg.Tokens.check(name, token) {
		// One answer for an unknown name and a wrong token; the log names
		// the claimed agent, never the token.
		h.log.Warn("agent refused: unknown name or wrong token", "agent", truncate(name, 64), "remote", r.RemoteAddr)
		http.Error(w, "unknown agent or wrong token", http.StatusUnauthorized)
		return
	}
	l := &link{name: name, version: truncate(r.Header.Get(HeaderVersion), 64), remote: r.RemoteAddr,
		since: time.Now(), done: make(chan struct{}), pending: map[uint64]chan reply{}}
	if err := h.claim(l); err != nil {
		h.log.Warn("agent refused", "agent", name, "remote", r.RemoteAddr, "reason", err)
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	// The server's read and write deadlines stay on a hijacked connection;
	// the link lives for as long as its heartbeats come back.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OnPingReceived: func(context.Context, []byte) bool { l.beat(); return true },
	})
	if err != nil {
		h.release(l, err)
		return
	}
	conn.SetReadLimit(h.cfg.MaxResponse + maxHeader + 4)
	l.conn = conn
	h.mu.Lock()
	l.ready.Store(true)
	closed := h.closed
	h.mu.Unlock()
	if closed {
		conn.Close(websocket.StatusGoingAway, "server shutting down")
	}
	h.log.Info("agent connected", "agent", name, "version", l.version, "remote", l.remote)
	err = l.serve(h.cfg.Heartbeat)
	h.release(l, err)
}

// claim registers l unless its name is taken by a live link.
func (h *Hub) claim(l *link) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("the server is shutting down")
	}
	if old, ok := h.links[l.name]; ok {
		return fmt.Errorf("agent %q is already connected (since %s, from %s); a second agent of the same name is refused while the first is alive",
			l.name, old.since.UTC().Format(time.RFC3339), old.remote)
	}
	h.links[l.name] = l
	return nil
}

// release forgets l and fails what was waiting on it.
func (h *Hub) release(l *link, cause error) {
	l.closeOnce.Do(func() { close(l.done) })
	if l.conn != nil {
		l.conn.CloseNow()
	}
	h.mu.Lock()
	if h.links[l.name] == l {
		delete(h.links, l.name)
	}
	st := l.status()
	st.Connected, st.Since = false, time.Now()
	h.gone[l.name] = st
	h.mu.Unlock()
	if l.ready.Load() {
		h.log.Warn("agent disconnected", "agent", l.name, "connected_for", time.Since(l.since).Round(time.Second).String(), "cause", cause)
	}
}

func (h *Hub) link(name string) *link {
	h.mu.Lock()
	defer h.mu.Unlock()
	if l, ok := h.links[name]; ok && l.ready.Load() {
		return l
	}
	return nil
}

// Transport returns the http.RoundTripper that relays requests to the agent
// called name, for tallyxml.ClientConfig.Transport with URL agent://NAME. It
// fails with a *tallyxml.GatewayError of kind ErrUnreachable while the agent
// is not connected.
func (h *Hub) Transport(name string) http.RoundTripper { return &transport{hub: h, name: name} }

type transport struct {
	hub  *Hub
	name string
}

// RoundTrip relays one request and waits for its answer, the link's end or
// the request's context, whichever comes first.
func (t *transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	start := time.Now()
	defer func() {
		if t.hub.cfg.Observe != nil {
			t.hub.cfg.Observe(Observation{Agent: t.name, Outcome: outcome(resp, err), Duration: time.Since(start)})
		}
	}()
	var body []byte
	if req.Body != nil {
		body, err = io.ReadAll(io.LimitReader(req.Body, MaxRequest+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(body) > MaxRequest {
		// Refused here, before anything is sent: the 4xx of something in
		// between, which the client knows was never forwarded.
		return response(req, http.StatusRequestEntityTooLarge, "text/plain; charset=utf-8",
			fmt.Appendf(nil, "request of more than %d bytes: the agent link refuses it", MaxRequest)), nil
	}
	l := t.hub.link(t.name)
	if l == nil {
		return nil, &tallyxml.GatewayError{Kind: tallyxml.ErrUnreachable, Err: fmt.Errorf("agent %q is not connected", t.name)}
	}
	h := header{Type: frameRequest, ID: l.nextID.Add(1), Method: req.Method, ContentType: req.Header.Get("Content-Type")}
	if dl, ok := req.Context().Deadline(); ok {
		h.TimeoutMS = max(1, time.Until(dl).Milliseconds())
	}
	frame, err := encodeFrame(h, body)
	if err != nil {
		return nil, err
	}
	answer, ok := l.await(h.ID)
	if !ok {
		return nil, &tallyxml.GatewayError{Kind: tallyxml.ErrUnreachable, Err: fmt.Errorf("agent %q disconnected", t.name)}
	}
	defer l.forget(h.ID)
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	err = l.conn.Write(wctx, websocket.MessageBinary, frame)
	cancel()
	if err != nil {
		// Part of the frame may have reached the agent, which may have
		// relayed it: for a write, an unknown outcome.
		return nil, fmt.Errorf("agent %q: sending the request: %w (%w)", t.name, io.ErrUnexpectedEOF, err)
	}
	var rep reply
	select {
	case rep = <-answer:
	case <-l.done:
		return nil, fmt.Errorf("agent %q: the link broke before Tally's answer came back: %w", t.name, io.ErrUnexpectedEOF)
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	if rep.h.Type == frameError {
		return nil, &tallyxml.GatewayError{Kind: kindOf(rep.h.Code), Err: fmt.Errorf("agent %q: %s", t.name, truncate(rep.h.Message, 300))}
	}
	return response(req, rep.h.Status, rep.h.ContentType, rep.body), nil
}

// response is an answer as the client reads it from any transport.
func response(req *http.Request, status int, contentType string, body []byte) *http.Response {
	resp := &http.Response{Status: strconv.Itoa(status) + " " + http.StatusText(status), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req}
	if contentType != "" {
		resp.Header.Set("Content-Type", contentType)
	}
	return resp
}

// outcome is a low-cardinality label of a relayed request.
func outcome(resp *http.Response, err error) string {
	switch {
	case err == nil && resp.StatusCode == http.StatusOK:
		return "ok"
	case err == nil:
		return "http_status"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "link_lost"
	}
	if ge, ok := errors.AsType[*tallyxml.GatewayError](err); ok {
		return ge.Kind.Label()
	}
	return "error"
}

// kinds are the error codes an agent may send, by label.
var kinds = map[string]*tallyxml.GatewayErrorKind{}

func init() {
	for _, k := range []*tallyxml.GatewayErrorKind{tallyxml.ErrRefused, tallyxml.ErrUnreachable, tallyxml.ErrTimeout,
		tallyxml.ErrReset, tallyxml.ErrGarbage, tallyxml.ErrReadOnly} {
		kinds[k.Label()] = k
	}
}

// kindOf maps an agent's error code to its kind. An unknown code is a reset:
// the client then treats a write as possibly applied, the safe side.
func kindOf(code string) *tallyxml.GatewayErrorKind {
	if k, ok := kinds[code]; ok {
		return k
	}
	return tallyxml.ErrReset
}

// link is one agent's connection.
type link struct {
	name, version, remote string
	since                 time.Time
	conn                  *websocket.Conn
	ready                 atomic.Bool // accepted: requests may use it
	done                  chan struct{}
	closeOnce             sync.Once
	nextID                atomic.Uint64
	lastBeat              atomic.Int64 // unix nanoseconds
	rtt                   atomic.Int64 // nanoseconds

	mu      sync.Mutex
	pending map[uint64]chan reply
}

type reply struct {
	h    header
	body []byte
}

func (l *link) beat() { l.lastBeat.Store(time.Now().UnixNano()) }

func (l *link) status() AgentStatus {
	st := AgentStatus{Name: l.name, Connected: l.ready.Load(), Since: l.since, Version: l.version,
		RTT: time.Duration(l.rtt.Load()), Remote: l.remote}
	if b := l.lastBeat.Load(); b != 0 {
		st.LastHeartbeat = time.Unix(0, b)
	}
	return st
}

// await registers a request id; false when the link is already gone.
func (l *link) await(id uint64) (chan reply, bool) {
	ch := make(chan reply, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return nil, false
	default:
	}
	l.pending[id] = ch
	return ch, true
}

func (l *link) forget(id uint64) {
	l.mu.Lock()
	delete(l.pending, id)
	l.mu.Unlock()
}

// serve reads answers and sends heartbeats until the link breaks.
func (l *link) serve(interval time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	beats := make(chan error, 1)
	go func() { beats <- heartbeat(ctx, l.conn, interval, l.rtt.Store, l.beat) }()
	reads := make(chan error, 1)
	go func() { reads <- l.readAnswers(ctx) }()
	var err error
	select {
	case err = <-beats:
	case err = <-reads:
	}
	l.closeOnce.Do(func() { close(l.done) })
	l.conn.CloseNow()
	cancel()
	return err
}

func (l *link) readAnswers(ctx context.Context) error {
	for {
		h, body, err := readFrame(ctx, l.conn)
		if err != nil {
			return err
		}
		if h.Type == frameRequest {
			return fmt.Errorf("%w: the agent sent a request", errFrame)
		}
		l.mu.Lock()
		ch := l.pending[h.ID]
		delete(l.pending, h.ID)
		l.mu.Unlock()
		if ch != nil { // else the caller gave up; the answer is dropped
			ch <- reply{h: h, body: body}
		}
	}
}

// heartbeat pings every interval, pinging once at once so the round trip is
// known from the start, and returns when a pong does not come back within an
// interval or ctx ends. It is shared by both ends of the link.
func heartbeat(ctx context.Context, conn *websocket.Conn, interval time.Duration, rtt func(int64), beat func()) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, interval)
		start := time.Now()
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("heartbeat: no pong within %s: %w", interval, err)
		}
		rtt(int64(time.Since(start)))
		beat()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
