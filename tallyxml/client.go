package tallyxml

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Product is the Tally product behind a gateway, as its liveness answer names it.
type Product int

// Products a gateway can announce.
const (
	ProductUnknown Product = iota
	ProductTallyPrime
	ProductTallyERP9
)

// String returns the product's name.
func (p Product) String() string {
	switch p {
	case ProductTallyPrime:
		return "TallyPrime"
	case ProductTallyERP9:
		return "Tally.ERP 9"
	}
	return "unknown"
}

// ClientConfig configures a Client. Only URL is required.
type ClientConfig struct {
	// URL is the gateway address, e.g. http://127.0.0.1:9000. Another
	// scheme (agent://shop1) is accepted only with a Transport that serves
	// it: the agent link of package agentlink.
	URL string
	// Charset of requests. The default, UTF16, is what Tally needs for ₹ and
	// non-Latin names: a UTF-8 request gets non-Latin characters back as "?"
	// (tally-protocol.md §9.1.3).
	Charset Charset
	// Timeout bounds one request when the caller's context has no earlier
	// deadline. Default 30s.
	Timeout time.Duration
	// QueueWait bounds how long a request waits for the one in flight before
	// it gives up with ErrBusy. Default 10s.
	QueueWait time.Duration
	// Transport overrides the HTTP transport (tests, tunnels with custom
	// TLS, the agent link). A transport may fail with a *GatewayError to name
	// the kind itself (an agent that is not connected is ErrUnreachable);
	// the Client still decides whether a write's outcome is ambiguous.
	Transport http.RoundTripper
	// Observe, when set, is called once per request with its timings, for
	// metrics. It must not block.
	Observe func(Observation)
}

// Observation describes one gateway request, for metrics.
type Observation struct {
	Kind      string        // Request.Kind(), or "status"
	Outcome   string        // "ok", or the error kind ("timeout", "refused", "tally_error", …)
	QueueWait time.Duration // time spent waiting for the request in flight
	Duration  time.Duration // time from sending to the end of the answer
}

// Client talks to one Tally gateway.
//
// The real gateway processes one request at a time: a long report blocks
// everything behind it, even the liveness GET (tally-protocol.md §9.1.4). So a
// Client keeps at most one request in flight, makes the others wait at most
// QueueWait, and reports that wait running out as ErrBusy, distinct from an
// unreachable gateway. Share one Client per Tally instance.
//
// A Client never retries by itself: a write that timed out may still be applied
// by Tally, which keeps working after the client gives up (observed 523 s after
// a client timeout, §9.1.4), so only the caller, who knows the REMOTEID and can
// read back, may decide to resend.
type Client struct {
	url       string
	charset   Charset
	timeout   time.Duration
	queueWait time.Duration
	http      *http.Client // reads: kept-alive connections
	writeHTTP *http.Client // writes: a fresh connection each
	slot      chan struct{}
	observe   func(Observation)
	// answers holds the buffers that take a read's answer off the wire
	// (exchange), reused so that memory stays flat under load.
	answers sync.Pool
	readers sync.Pool // *bufio.Reader over an answer
}

// maxBufferedAnswer bounds a read's answer that is taken off the wire whole
// before it is decoded, so that the gateway is free for the next request
// while this one decodes. A longer answer (a big report), or one of unknown
// length, is decoded as it streams in, holding the gateway, in constant
// memory.
const maxBufferedAnswer = 256 << 10

// NewClient returns a Client for the gateway at cfg.URL.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	web := err == nil && (u.Scheme == "http" || u.Scheme == "https")
	if err != nil || (!web && cfg.Transport == nil) || u.Host == "" {
		return nil, fmt.Errorf("tallyxml: gateway URL %q: want http://host:port", cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = 10 * time.Second
	}
	readRT, writeRT := cfg.Transport, cfg.Transport
	if cfg.Transport == nil {
		transport := func(keepAlive bool) *http.Transport {
			return &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				DisableKeepAlives:     !keepAlive,
				MaxIdleConnsPerHost:   1, // one request in flight per Tally
				IdleConnTimeout:       30 * time.Second,
				ResponseHeaderTimeout: 0, // the context bounds the whole exchange
				TLSHandshakeTimeout:   10 * time.Second,
			}
		}
		// Writes take a fresh connection each. With keep-alive, a
		// connection that the gateway closed while idle fails the next POST
		// with a reset that is indistinguishable from Tally dying
		// mid-request, which would make a clean write look ambiguous.
		// Reads keep their connection alive: a read is safe to send again,
		// and the transport does so on a fresh connection when a reused one
		// turns out dead (exchange marks reads idempotent).
		readRT, writeRT = transport(true), transport(false)
	}
	return &Client{
		url:       strings.TrimRight(cfg.URL, "/"),
		charset:   cfg.Charset,
		timeout:   cfg.Timeout,
		queueWait: cfg.QueueWait,
		http:      &http.Client{Transport: readRT},
		writeHTTP: &http.Client{Transport: writeRT},
		slot:      make(chan struct{}, 1),
		observe:   cfg.Observe,
	}, nil
}

// URL returns the gateway address.
func (c *Client) URL() string { return c.url }

// Status asks the gateway whether it is running and which product it is.
// Any GET answers `<RESPONSE>TallyPrime Server is Running</RESPONSE>` (or
// "Tally.ERP 9 Server is Running"); it queues behind a request in flight like
// everything else.
func (c *Client) Status(ctx context.Context) (Product, error) {
	var product Product
	err := c.exchange(ctx, "status", false, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/", nil)
	}, func(body *bufio.Reader) error {
		b, err := io.ReadAll(io.LimitReader(body, 4096))
		if err != nil {
			return err
		}
		s := string(b)
		switch {
		case strings.Contains(s, "TallyPrime Server is Running"):
			product = ProductTallyPrime
		case strings.Contains(s, "Tally.ERP 9 Server is Running"), strings.Contains(s, "Tally ERP 9 Server is Running"):
			product = ProductTallyERP9
		default:
			return &GatewayError{Kind: ErrGarbage, URL: c.url, Err: fmt.Errorf("liveness answer %q is not Tally's", truncate(s, 80))}
		}
		return nil
	})
	return product, err
}

// Do sends req and, when Tally's answer is not one of its error shapes, hands
// the decoded (UTF-8, sanitised) body to decode while the request still holds
// the gateway; decode must consume what it needs before returning. Tally's
// failure answers come back as the typed errors of outcome.go; transport
// failures as *GatewayError. For an object export (TYPE Object), Tally's bare
// "Could not find …" ERRORMSG comes back as an *ObjectNotFoundError, which
// matches ErrNoObject.
func (c *Client) Do(ctx context.Context, req *Request, decode func(io.Reader) error) error {
	body, err := c.encode(req)
	if err != nil {
		return err
	}
	object := strings.EqualFold(req.Type, TypeObject)
	return c.send(ctx, req, body, func(br *bufio.Reader) error {
		if err := CheckResponse(br); err != nil {
			if object {
				return objectExportErr(err)
			}
			return err
		}
		if decode == nil {
			_, err := io.Copy(io.Discard, br)
			return err
		}
		return decode(br)
	})
}

// Exchange is the text of one import exchange, for the audit log: the request
// as UTF-8 XML (the same document that went out, re-encoded for people to
// read) and Tally's answer as decoded, each cut to a bound.
type Exchange struct {
	Request   []byte
	Response  []byte
	Truncated bool
}

// ImportAudited is Import that also returns the exchange's text, each body cut
// to limit bytes.
func (c *Client) ImportAudited(ctx context.Context, req *Request, want Counter, limit int) (ImportResult, Exchange, error) {
	var ex Exchange
	if b, err := req.Encode(UTF8); err == nil {
		ex.Request, ex.Truncated = cut(b, limit)
	}
	resp := &boundedBuffer{limit: limit}
	res, err := c.importWith(ctx, req, want, func(r io.Reader) io.Reader { return io.TeeReader(r, resp) })
	ex.Response = resp.buf.Bytes()
	ex.Truncated = ex.Truncated || resp.dropped
	return res, ex, err
}

func cut(b []byte, limit int) ([]byte, bool) {
	if len(b) > limit {
		return b[:limit], true
	}
	return b, false
}

// boundedBuffer keeps the first limit bytes written to it.
type boundedBuffer struct {
	buf     bytes.Buffer
	limit   int
	dropped bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.limit - b.buf.Len()
	if room < len(p) {
		b.dropped = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// Import sends an import request and returns Tally's counters. The error is
// nil only when the result meets the success rule for want (see
// ImportResult.Err); otherwise it is a transport *GatewayError, a refusal of
// the whole request (ErrUnknownRequest, *CompanyNotLoadedError), or an
// *ImportError. The result is returned whenever Tally answered, so callers can
// record every counter.
func (c *Client) Import(ctx context.Context, req *Request, want Counter) (ImportResult, error) {
	return c.importWith(ctx, req, want, nil)
}

func (c *Client) importWith(ctx context.Context, req *Request, want Counter, wrap func(io.Reader) io.Reader) (ImportResult, error) {
	body, err := c.encode(req)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = c.send(ctx, req, body, func(br *bufio.Reader) error {
		var r io.Reader = br
		if wrap != nil {
			r = wrap(br)
		}
		var err error
		res, err = DecodeImportResult(r)
		return err
	})
	if _, ok := errors.AsType[*StatusError](err); ok && !isCompanyNotLoaded(err) &&
		(res.Errors > 0 || res.Exceptions > 0 || len(res.LineErrors) > 0) {
		// A rejected import can come back as a STATUS 0 envelope carrying
		// LINEERRORs but no counters (LienRho #6, tally-erp-skill's
		// `Voucher totals do not match!` shape): that is Tally refusing the
		// objects, reported like any other rejected import.
		return res, &ImportError{Result: res, Want: want}
	}
	if err != nil && !isTallyAnswer(err) {
		if _, ok := errors.AsType[*GatewayError](err); !ok {
			// Tally answered something we could not judge (a counter we
			// cannot read, no counters at all): the write may have
			// been applied.
			err = &GatewayError{Kind: ErrGarbage, URL: c.url, Write: true, Ambiguous: true, Err: err}
		}
	}
	if err != nil {
		return res, err
	}
	return res, res.Err(want)
}

// isTallyAnswer reports whether err is one of Tally's own failure answers,
// which say plainly that nothing was done.
func isTallyAnswer(err error) bool {
	if errors.Is(err, ErrUnknownRequest) || errors.Is(err, context.Canceled) {
		return true
	}
	_, status := errors.AsType[*StatusError](err)
	_, exc := errors.AsType[*ExceptionError](err)
	_, msg := errors.AsType[*ErrorMessage](err)
	return status || exc || msg
}

func isCompanyNotLoaded(err error) bool {
	_, ok := errors.AsType[*CompanyNotLoadedError](err)
	return ok
}

// encode renders req for the wire. Its errors mean nothing was sent.
func (c *Client) encode(req *Request) ([]byte, error) {
	body, err := req.Encode(c.charset)
	if err != nil {
		return nil, fmt.Errorf("tallyxml: encode %s: %w", req.Kind(), err)
	}
	return body, nil
}

// send runs the exchange of an encoded request.
func (c *Client) send(ctx context.Context, req *Request, body []byte, handle func(*bufio.Reader) error) error {
	return c.exchange(ctx, req.Kind(), req.IsWrite(), func(ctx context.Context) (*http.Request, error) {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		hr.Header.Set("Content-Type", c.charset.ContentType())
		return hr, nil
	}, handle)
}

// exchange runs one HTTP exchange under the single-flight slot.
func (c *Client) exchange(ctx context.Context, kind string, write bool,
	build func(context.Context) (*http.Request, error), handle func(*bufio.Reader) error) (err error) {
	obs := Observation{Kind: kind}
	defer func() {
		obs.Outcome = outcomeLabel(err)
		if c.observe != nil {
			c.observe(obs)
		}
	}()

	queued := time.Now()
	if err := c.acquire(ctx); err != nil {
		obs.QueueWait = time.Since(queued)
		return err
	}
	release := sync.OnceFunc(func() { <-c.slot })
	defer release()
	obs.QueueWait = time.Since(queued)

	if write {
		// Tally cannot be told to stop: once a write is sent it runs to
		// the end. So a caller who gives up (an HTTP client that hung up)
		// must not cut the exchange short and lose Tally's answer; the
		// write is bounded by the client's own timeout instead.
		ctx = context.WithoutCancel(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	defer func() { obs.Duration = time.Since(start) }()

	hr, err := build(ctx)
	if err != nil {
		return fmt.Errorf("tallyxml: build request: %w", err)
	}
	hc := c.writeHTTP
	if !write {
		// A read changes nothing in Tally, so the transport may send it
		// again when the kept-alive connection it picked was closed by the
		// gateway meanwhile: a nil Idempotency-Key marks the request as
		// safe to replay without sending the header (net/http.Transport).
		hc = c.http
		hr.Header["Idempotency-Key"] = nil
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return c.transportError(ctx, write, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Tally answers 200 even for its own errors, so anything else came
		// from something in between: a tunnel, a proxy, another service.
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		// A 5xx from a tunnel or proxy (502, 504) can come after it handed
		// the request to Tally, so a write is then of unknown fate; a 4xx
		// (the tunnel's own auth) means it was never forwarded.
		return &GatewayError{Kind: ErrHTTPStatus, URL: c.url, Write: write, Ambiguous: write && resp.StatusCode >= 500,
			Err: fmt.Errorf("HTTP %d: %q", resp.StatusCode, truncate(string(snippet), 120))}
	}
	var answer io.Reader = resp.Body
	if !write && resp.ContentLength >= 0 && resp.ContentLength <= maxBufferedAnswer {
		// Tally's work is done once its answer is off the wire: the
		// gateway is free for the next request while this one decodes.
		buf := c.answerBuffer()
		defer c.answers.Put(buf)
		if _, err := io.CopyN(buf, resp.Body, resp.ContentLength); err != nil {
			return c.transportError(ctx, write, err)
		}
		_ = resp.Body.Close() // read to the end: the connection is kept for the next read
		release()
		answer = bytes.NewReader(buf.Bytes())
	}
	br := c.bufReader(NewReader(answer))
	defer c.readers.Put(br)
	if err := checkXMLish(br); err != nil {
		if errors.Is(err, ErrEmptyBody) {
			if write {
				// "Empty means no company" is known for report exports;
				// an empty answer to a write may be a cut-off one.
				return &GatewayError{Kind: ErrGarbage, URL: c.url, Write: true, Ambiguous: true, Err: err}
			}
			return err
		}
		if isTransport(err) {
			return c.transportError(ctx, write, err)
		}
		// Something answered after receiving the request; for a write we
		// cannot tell whether Tally applied it.
		return &GatewayError{Kind: ErrGarbage, URL: c.url, Write: write, Ambiguous: write, Err: err}
	}
	if err := handle(br); err != nil {
		if isTransport(err) {
			return c.transportError(ctx, write, err)
		}
		if isSyntax(err) {
			return &GatewayError{Kind: ErrGarbage, URL: c.url, Write: write, Ambiguous: write, Err: err}
		}
		return err
	}
	return nil
}

// answerBuffer returns an empty buffer from the pool.
func (c *Client) answerBuffer() *bytes.Buffer {
	if b, ok := c.answers.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

// bufReader returns a pooled reader over r.
func (c *Client) bufReader(r io.Reader) *bufio.Reader {
	if br, ok := c.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, 64<<10)
}

// acquire waits for the single in-flight slot, at most QueueWait.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slot <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(c.queueWait)
	defer t.Stop()
	select {
	case c.slot <- struct{}{}:
		return nil
	case <-t.C:
		return &GatewayError{Kind: ErrBusy, URL: c.url,
			Err: fmt.Errorf("another request was still in flight after %s", c.queueWait)}
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &GatewayError{Kind: ErrBusy, URL: c.url,
				Err: fmt.Errorf("deadline reached while another request was in flight: %w", ctx.Err())}
		}
		return ctx.Err()
	}
}

// checkXMLish peeks at the first non-space byte: Tally always answers XML, so
// anything else is not Tally (or Tally broke mid-answer). An empty body is
// its own outcome: custom reports answer empty when no company is open.
func checkXMLish(br *bufio.Reader) error {
	for {
		b, err := br.Peek(1)
		if err == io.EOF {
			return ErrEmptyBody
		}
		if err != nil {
			return err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			if _, err := br.ReadByte(); err != nil {
				return err
			}
			continue
		case '<':
			return nil
		}
		peek, _ := br.Peek(32)
		return fmt.Errorf("answer starts with %q, not XML", peek)
	}
}

// transportError classifies a failed exchange.
func (c *Client) transportError(ctx context.Context, write bool, err error) error {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err // the caller gave up; not the gateway's fault
	}
	ge := &GatewayError{URL: c.url, Write: write, Err: err, Kind: TransportErrorKind(err)}
	if te, ok := errors.AsType[*GatewayError](err); ok {
		// The transport named the kind (the agent link); the URL and the
		// ambiguity are still this Client's to judge.
		ge.Kind, ge.Err = te.Kind, te.Err
	}
	// Refused and unreachable mean the request never reached Tally, and a
	// read-only agent refuses a write before sending it. Anything after the
	// connection was made may have been applied by Tally.
	ge.Ambiguous = write && ge.Kind != ErrRefused && ge.Kind != ErrUnreachable && ge.Kind != ErrReadOnly
	return ge
}

// TransportErrorKind classifies the error of an HTTP exchange with a gateway
// (dial, write, read) as one of the transport kinds. The agent link uses it
// on the Tally PC, so an error there reaches the façade as the same kind a
// direct client would have seen.
func TransportErrorKind(err error) *GatewayErrorKind {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.As(err, &dnsErr), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &opErr) && opErr.Op == "dial" && isTimeout(err):
		// A dial that timed out never delivered the request.
		return ErrUnreachable
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.EPIPE):
		return ErrReset
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return ErrUnreachable
	}
	return ErrReset
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTransport(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}

func isSyntax(err error) bool {
	_, ok := errors.AsType[*xml.SyntaxError](err)
	return ok
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// GatewayErrorKind is a sentinel naming one way the gateway exchange failed;
// use errors.Is(err, tallyxml.ErrRefused) and so on.
type GatewayErrorKind struct{ name, label, hint string }

// Error implements error.
func (k *GatewayErrorKind) Error() string { return "tally gateway: " + k.name }

// The ways an exchange with the gateway fails in transport. Each hint is what
// a person can do about it (the seed guide's "common XML errors" table).
var (
	ErrRefused = &GatewayErrorKind{"connection refused", "refused",
		"Nothing is listening at the gateway address. Open TallyPrime, load the company, and enable the gateway in Exchange → Data Synchronization (TallyPrime acting as Server or Both, port 9000); if Tally is reached through a tunnel or connector, check that it is running."}
	ErrUnreachable = &GatewayErrorKind{"unreachable", "unreachable",
		"The gateway host could not be reached (DNS or network), or, with TALLY_URL=agent://NAME, that agent is not connected. Check TALLY_URL and the network or tunnel between this service and the Tally PC; for an agent, check that `tallyfacade agent` runs on the Tally PC (GET /tally/status lists the agents)."}
	ErrTimeout = &GatewayErrorKind{"timeout", "timeout",
		"Tally did not answer in time. It may be busy with a long report, or blocked by a dialog waiting for a click on the Tally PC."}
	ErrBusy = &GatewayErrorKind{"busy", "busy",
		"The gateway answers one request at a time and another request was still in flight. Try again shortly."}
	ErrReset = &GatewayErrorKind{"connection reset", "reset",
		"The connection broke while Tally was answering; Tally may have crashed or restarted. Check the Tally PC."}
	ErrGarbage = &GatewayErrorKind{"not a Tally answer", "garbage",
		"The answer was not Tally XML. Check that TALLY_URL points at the Tally gateway port and not another service, and that requests are sent as UTF-16 (garbled ₹ or names mean an encoding mismatch)."}
	ErrReadOnly = &GatewayErrorKind{"refused by a read-only agent", "read_only",
		"The tallyfacade agent on the Tally PC runs with -read-only: it relays exports and refuses every import, so nothing was sent to Tally. Restart the agent without -read-only to post orders, parties and receipts."}
	ErrHTTPStatus = &GatewayErrorKind{"unexpected HTTP status", "http_status",
		"Tally always answers HTTP 200, so something in between answered: a tunnel, proxy or another service. Check the tunnel or connector in front of Tally."}
)

// GatewayError is a failed exchange with the gateway.
type GatewayError struct {
	Kind *GatewayErrorKind
	URL  string
	// Write is true when the request was an import or an action.
	Write bool
	// Ambiguous is true when a write may have been applied although no
	// answer arrived: the caller must read back before resending.
	Ambiguous bool
	Err       error
}

// Error implements error.
func (e *GatewayError) Error() string {
	msg := e.Kind.Error() + " (" + e.URL + ")"
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind sentinel and the cause, so errors.Is works with both.
func (e *GatewayError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Hint tells a person what to do. Only a write is told that it may have
// been applied: a read changed nothing.
func (e *GatewayError) Hint() string {
	if e.Write && (e.Kind == ErrTimeout || e.Kind == ErrReset) {
		return e.Kind.hint + " Tally keeps working after a client gives up, so a write may still have been applied: read back before sending it again."
	}
	return e.Kind.hint
}

// Label returns a short stable name for the kind ("refused", "timeout", …).
func (k *GatewayErrorKind) Label() string { return k.label }

// outcomeLabel gives a low-cardinality label for metrics.
func outcomeLabel(err error) string {
	if err == nil {
		return "ok"
	}
	if ge, ok := errors.AsType[*GatewayError](err); ok {
		return ge.Kind.label
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	return "tally_error"
}
