package agentlink

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/coder/websocket"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// AgentConfig configures an Agent. Server, Name and Token are required.
type AgentConfig struct {
	// Server is the façade's base URL, https://… (http:// only to a
	// loopback address, for tests and a façade on the same PC).
	Server string
	Name   string
	Token  string
	// TallyURL is the local gateway. Default http://127.0.0.1:9000.
	TallyURL string
	// ReadOnly refuses every request that is not an export.
	ReadOnly bool
	// RootCAs verifies the façade's certificate; nil means the system's.
	RootCAs *x509.CertPool
	// Logger receives the link's state, plainly. Default: discard.
	Logger *slog.Logger
	// Version is sent to the hub, for GET /tally/status (cmd passes the
	// binary's build).
	Version string
	// Heartbeat is the ping interval. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// MaxResponse bounds one answer from Tally. Default DefaultMaxResponse.
	MaxResponse int64
	// BackoffMin and BackoffMax bound the wait between reconnections: it
	// starts at BackoffMin, doubles after each failure and is jittered
	// ±50 % without ever exceeding BackoffMax. Defaults 1 s and 30 s.
	BackoffMin, BackoffMax time.Duration
}

// ErrUnauthorized is the hub refusing the agent's name or token. Retrying
// cannot help, so Run returns it.
var ErrUnauthorized = errors.New("agentlink: the server refused this agent's name or token")

// Agent is the Tally PC's end of the link.
type Agent struct {
	cfg   AgentConfig
	log   *slog.Logger
	dial  string
	tally string
	web   *http.Client // to the façade
	gw    *http.Client // to Tally
}

// NewAgent checks cfg and returns an Agent; Run connects it.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if cfg.TallyURL == "" {
		cfg.TallyURL = "http://127.0.0.1:9000"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Version == "" {
		cfg.Version = "unknown"
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = time.Second
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = max(30*time.Second, cfg.BackoffMin)
	}
	if !ValidName(cfg.Name) {
		return nil, fmt.Errorf("agent name %q: use 1-64 letters, digits, '.', '-' or '_'", truncate(cfg.Name, 64))
	}
	if len(cfg.Token) < minTokenLen {
		return nil, fmt.Errorf("agent token: missing or shorter than %d characters", minTokenLen)
	}
	dial, err := linkURL(cfg.Server)
	if err != nil {
		return nil, err
	}
	tu, err := url.Parse(cfg.TallyURL)
	if err != nil || (tu.Scheme != "http" && tu.Scheme != "https") || tu.Host == "" {
		return nil, fmt.Errorf("tally URL %q: want http://host:port", cfg.TallyURL)
	}
	return &Agent{cfg: cfg, log: cfg.Logger.With("component", "agent", "agent", cfg.Name), dial: dial,
		tally: strings.TrimRight(cfg.TallyURL, "/") + "/",
		web: &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:     &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
		}},
		gw: &http.Client{Transport: &http.Transport{
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			// A fresh connection per request, as tallyxml.Client does: a
			// connection Tally closed while idle would fail the next
			// POST like Tally dying mid-request.
			DisableKeepAlives: true,
		}}}, nil
}

// linkURL is the hub's address under the façade's base URL. Plain HTTP would
// carry the token and the books in clear, so it is accepted only to loopback.
func linkURL(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("server %q: want https://host[:port]", server)
	}
	switch u.Scheme {
	case "https", "wss":
		u.Scheme = "https"
	case "http", "ws":
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("server %q: use https:// (plain http is accepted only to this machine)", server)
		}
		u.Scheme = "http"
	default:
		return "", fmt.Errorf("server %q: want https://host[:port]", server)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	u.Path = strings.TrimRight(u.Path, "/") + Path
	return u.String(), nil
}

// LoadCAFile returns the system's roots plus the PEM certificates in path,
// for a façade whose certificate a private CA signed.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// Run keeps the link up until ctx ends, reconnecting after each break. It
// returns nil when ctx ends, and ErrUnauthorized (wrapped) when the hub
// refuses the name or token.
func (a *Agent) Run(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(a.cfg.BackoffMin),
		// ±50 % jitter around an interval capped at two thirds of the
		// maximum never waits longer than the maximum.
		backoff.WithMaxInterval(a.cfg.BackoffMax*2/3),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0))
	a.log.Info("agent starting", "server", a.dial, "tally_url", a.tally, "read_only", a.cfg.ReadOnly, "version", a.cfg.Version)
	for {
		connected, err := a.session(ctx)
		if ctx.Err() != nil {
			a.log.Info("agent stopped")
			return nil
		}
		if errors.Is(err, ErrUnauthorized) {
			a.log.Error("the server refused this agent: check -name and the token against TALLYFACADE_AGENT_TOKENS on the server")
			return err
		}
		if connected {
			bo.Reset()
		}
		wait := min(bo.NextBackOff(), a.cfg.BackoffMax)
		a.log.Warn("link down; reconnecting", "in", wait.Round(10*time.Millisecond).String(), "cause", err)
		select {
		case <-ctx.Done():
			a.log.Info("agent stopped")
			return nil
		case <-time.After(wait):
		}
	}
}

// session dials, serves the link until it breaks and reports whether it was
// ever up.
func (a *Agent) session(ctx context.Context) (bool, error) {
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+a.cfg.Token)
	hdr.Set(HeaderName, a.cfg.Name)
	hdr.Set(HeaderVersion, a.cfg.Version)
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	conn, resp, err := websocket.Dial(dctx, a.dial, &websocket.DialOptions{HTTPClient: a.web, HTTPHeader: hdr})
	cancel()
	if err != nil {
		if resp != nil {
			switch resp.StatusCode {
			case http.StatusUnauthorized:
				return false, fmt.Errorf("%w (HTTP 401)", ErrUnauthorized)
			case http.StatusConflict:
				return false, fmt.Errorf("the server already has an agent named %q connected (another PC, or this one's old link not yet timed out)", a.cfg.Name)
			}
			return false, fmt.Errorf("dial %s: HTTP %d", a.dial, resp.StatusCode)
		}
		return false, fmt.Errorf("dial %s: %w", a.dial, err)
	}
	conn.SetReadLimit(MaxRequest + maxHeader + 4)
	a.log.Info("connected: relaying the server's requests to Tally", "server", a.dial, "tally_url", a.tally)

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	beats := make(chan error, 1)
	go func() { beats <- heartbeat(ctx, conn, a.cfg.Heartbeat, func(int64) {}, func() {}) }()
	reads := make(chan error, 1)
	go func() { reads <- a.serve(ctx, conn) }()
	select {
	case err = <-beats:
	case err = <-reads:
	}
	stop() // ends the other loop and cancels the requests in flight to Tally
	conn.CloseNow()
	return true, err
}

// maxInFlight bounds the requests an agent relays at once. The server's
// client keeps one in flight per Tally; Tally serves one at a time anyway.
const maxInFlight = 8

// serve reads requests and relays each in its own goroutine, so heartbeats
// and other requests are not held behind a long report.
func (a *Agent) serve(ctx context.Context, conn *websocket.Conn) error {
	slots := make(chan struct{}, maxInFlight)
	for {
		h, body, err := readFrame(ctx, conn)
		if err != nil {
			return err
		}
		if h.Type != frameRequest {
			return fmt.Errorf("%w: the server sent an answer", errFrame)
		}
		select {
		case slots <- struct{}{}:
		default:
			// Refused before it reached Tally: a 4xx, which the server's
			// client knows was never forwarded. The read loop must not
			// wait, or heartbeats would stall behind it.
			a.send(ctx, conn, header{Type: frameAnswer, ID: h.ID, Status: http.StatusTooManyRequests,
				ContentType: "text/plain; charset=utf-8"}, []byte("too many requests in flight at the agent"))
			continue
		}
		go func() {
			defer func() { <-slots }()
			ans, ansBody := a.relay(ctx, h, body)
			a.send(ctx, conn, ans, ansBody)
		}()
	}
}

// send writes one answer frame.
func (a *Agent) send(ctx context.Context, conn *websocket.Conn, h header, body []byte) {
	frame, err := encodeFrame(h, body)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		err = conn.Write(wctx, websocket.MessageBinary, frame)
		cancel()
	}
	if err != nil && ctx.Err() == nil {
		a.log.Warn("answer not sent", "request_id", h.ID, "error", err)
	}
}

// relay sends one request to Tally, unless it is not a gateway request or
// the agent is read-only and it is not an export, and returns the answer
// frame.
func (a *Agent) relay(ctx context.Context, h header, body []byte) (header, []byte) {
	refuse := func(status int, msg string) (header, []byte) {
		a.log.Warn("request refused", "request_id", h.ID, "reason", msg)
		return header{Type: frameAnswer, ID: h.ID, Status: status, ContentType: "text/plain; charset=utf-8"}, []byte(msg)
	}
	switch h.Method {
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(h.ContentType)
		if err != nil || (mt != "text/xml" && mt != "application/xml") {
			return refuse(http.StatusUnsupportedMediaType, fmt.Sprintf("the agent relays only XML gateway requests, not %q", truncate(h.ContentType, 60)))
		}
		if len(body) > MaxRequest {
			return refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("request of more than %d bytes", MaxRequest))
		}
		if a.cfg.ReadOnly {
			if v, err := tallyxml.RequestVerb(bytes.NewReader(body)); err != nil || v != tallyxml.VerbExport {
				why := "it is an " + v.String()
				if err != nil {
					why = "it cannot be read as an export: " + err.Error()
				}
				a.log.Warn("request refused: this agent is read-only", "request_id", h.ID, "reason", why)
				return header{Type: frameError, ID: h.ID, Code: tallyxml.ErrReadOnly.Label(),
					Message: "the agent runs read-only and relays only exports; " + why}, nil
			}
		}
	case http.MethodGet:
		if len(body) > 0 {
			return refuse(http.StatusBadRequest, "the liveness GET has no body")
		}
	default:
		return refuse(http.StatusMethodNotAllowed, fmt.Sprintf("the agent relays only POST and the liveness GET, not %q", truncate(h.Method, 16)))
	}

	timeout := 10 * time.Minute // Tally's longest reports; the server's deadline is usually far shorter
	if h.TimeoutMS > 0 {
		timeout = min(timeout, time.Duration(h.TimeoutMS)*time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(err error) (header, []byte) {
		kind := tallyxml.TransportErrorKind(err)
		a.log.Warn("tally request failed", "request_id", h.ID, "kind", kind.Label(), "error", err)
		return header{Type: frameError, ID: h.ID, Code: kind.Label(), Message: err.Error()}, nil
	}
	var rd io.Reader
	if h.Method == http.MethodPost {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, a.tally, rd)
	if err != nil {
		return fail(err)
	}
	if h.ContentType != "" {
		req.Header.Set("Content-Type", h.ContentType)
	}
	start := time.Now()
	resp, err := a.gw.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, a.cfg.MaxResponse+1))
	if err != nil {
		return fail(err)
	}
	if int64(len(out)) > a.cfg.MaxResponse {
		msg := fmt.Sprintf("Tally's answer is larger than the agent's limit of %d bytes", a.cfg.MaxResponse)
		a.log.Warn("tally answer too large", "request_id", h.ID, "limit", a.cfg.MaxResponse)
		return header{Type: frameError, ID: h.ID, Code: tallyxml.ErrGarbage.Label(), Message: msg}, nil
	}
	a.log.Debug("relayed", "request_id", h.ID, "method", h.Method, "status", resp.StatusCode, "bytes", len(out), "took", time.Since(start).String())
	return header{Type: frameAnswer, ID: h.ID, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}, out
}
