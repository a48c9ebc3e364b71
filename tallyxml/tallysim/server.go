package tallysim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// Product selects which Tally the simulator claims to be.
type Product int

const (
	// TallyPrime answers liveness with "TallyPrime Server is Running".
	TallyPrime Product = iota
	// TallyERP9 answers liveness with "Tally.ERP 9 Server is Running" (§9.1.1).
	TallyERP9
)

// String returns the product's liveness name.
func (p Product) String() string {
	if p == TallyERP9 {
		return "Tally.ERP 9"
	}
	return "TallyPrime"
}

// Fault is an injected transport failure.
type Fault int

const (
	// NoFault answers normally.
	NoFault Fault = iota
	// Refuse closes the listener (dials fail) until the fault is cleared.
	Refuse
	// Hang never answers until the fault is cleared or the server closes, and
	// because the gateway is serial every later request waits behind it, as
	// with a modal dialog in Tally (§9.1.4).
	Hang
	// Slow adds Config.SlowDelay (default 2 s) to every request.
	Slow
	// Reset writes part of a response and then resets the TCP connection.
	Reset
	// Garbage answers HTTP 200 with bytes that are not XML.
	Garbage
	// LostWrite applies every import as Tally would and then resets the
	// connection instead of answering it; reads answer normally. The
	// client cannot know its write landed: Tally goes on with work its
	// client gave up on (tally-protocol.md §9.1.4), and a request that
	// breaks Tally's answer gives none (§9.1.2).
	LostWrite
)

var faultNames = []string{"none", "refuse", "hang", "slow", "reset", "garbage", "lost-write"}

// String returns the fault's flag name.
func (f Fault) String() string {
	if int(f) >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// ParseFault parses a -fault flag value ("", "none", "refuse", "hang", "slow",
// "reset", "garbage", "lost-write").
func ParseFault(s string) (Fault, error) {
	if s == "" {
		return NoFault, nil
	}
	for i, n := range faultNames {
		if strings.EqualFold(s, n) {
			return Fault(i), nil
		}
	}
	return NoFault, fmt.Errorf("tallysim: unknown fault %q (want refuse|hang|slow|reset|garbage|lost-write)", s)
}

// Config configures a Server.
type Config struct {
	// Today is the simulator's "today": Tally's period date, used for overdue
	// days and as the default SVTODATE. Zero means the real date in Asia/Kolkata.
	Today tallyxml.Date
	// Latency is added to every request (inside the serial section).
	Latency time.Duration
	// ImportCost and VoucherCost model what an import costs real Tally,
	// inside the serial section and on top of Latency: ImportCost once per
	// import request, VoucherCost per voucher it carries. On real
	// TallyPrime one voucher per request ran at about 0.53 s a request and
	// 100 vouchers in one request took 2.08 s (tally-protocol.md §12), i.e.
	// roughly ImportCost 0.5s and VoucherCost 16ms.
	ImportCost, VoucherCost time.Duration
	// SlowDelay is the extra delay of the Slow fault; zero means 2 s.
	SlowDelay time.Duration
	// Product selects the liveness text.
	Product Product
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
}

// RequestRecord is one handled request, for assertions.
type RequestRecord struct {
	Time     time.Time
	Kind     string // "status", "export:collection:List of Ledgers", "export:data:Bills Receivable", "export:object:Ledger", "import:vouchers", "import:masters", "execute:Sync", "unknown", "fault:hang", …
	Company  string // the resolved company (or the unknown name asked for)
	Charset  string // "utf-8" or "utf-16"
	Outcome  string // "ok", "unknown request", "error: <first LINEERROR>", "created=1 altered=0 …", "fault"
	Duration time.Duration
}

// Server is the simulated TallyPrime gateway. All request processing is serial.
type Server struct {
	cfg Config
	log *slog.Logger

	work sync.Mutex // held for the whole of each request: the gateway is serial (§9.1.4)

	mu          sync.Mutex // guards the fields below
	companies   []*Company
	fault       Fault
	latency     time.Duration
	importCost  time.Duration
	voucherCost time.Duration
	hangRelease chan struct{}
	records     []RequestRecord
	addr        string
	ln          net.Listener
	srv         *http.Server
	conns       map[net.Conn]struct{}
	closed      chan struct{}
	isClosed    bool
}

// New returns a server over the given companies; with none it loads
// DemoCompany(cfg.Today). The first company is the active one (what requests
// without SVCURRENTCOMPANY use).
func New(cfg Config, companies ...*Company) *Server {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: lg, latency: cfg.Latency, importCost: cfg.ImportCost, voucherCost: cfg.VoucherCost,
		closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if len(companies) == 0 {
		companies = []*Company{DemoCompany(s.today())}
	}
	s.companies = slices.Clone(companies)
	return s
}

// ist is India Standard Time; India has no DST, so a fixed zone is exact and
// needs no tzdata.
var ist = time.FixedZone("IST", 5*3600+1800)

// TodayIST returns the current date in Asia/Kolkata.
func TodayIST() tallyxml.Date { return tallyxml.DateOf(time.Now().In(ist)) }

func (s *Server) today() tallyxml.Date {
	if !s.cfg.Today.IsZero() {
		return s.cfg.Today
	}
	return TodayIST()
}

// Company returns the loaded company with that name (case-insensitive,
// trimmed, as SVCURRENTCOMPANY is matched).
func (s *Server) Company(name string) (*Company, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findCompany(name)
	return c, c != nil
}

func (s *Server) findCompany(name string) *Company {
	name = strings.TrimSpace(name)
	for _, c := range s.companies {
		if strings.EqualFold(strings.TrimSpace(c.Name()), name) {
			return c
		}
	}
	return nil
}

// AddCompany loads another company (it does not become the active one unless
// it is the first).
func (s *Server) AddCompany(c *Company) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.companies = append(s.companies, c)
}

// Companies returns the loaded companies, the active one first.
func (s *Server) Companies() []*Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.companies)
}

// SetLatency changes the delay added to every request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetImportCost changes what an import costs: perRequest once per import
// request, perVoucher for each voucher in it (Config.ImportCost).
func (s *Server) SetImportCost(perRequest, perVoucher time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.importCost, s.voucherCost = perRequest, perVoucher
}

// SetFault injects a fault for the next request or connection. NoFault (or
// any other fault) releases requests held by Hang; leaving Refuse reopens the
// listener on the same address.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.fault
	s.fault = f
	if f == Hang && s.hangRelease == nil {
		s.hangRelease = make(chan struct{})
	}
	if f != Hang && s.hangRelease != nil {
		close(s.hangRelease)
		s.hangRelease = nil
	}
	if f == Refuse && prev != Refuse {
		s.stopListeningLocked()
	}
	if f != Refuse && prev == Refuse && s.addr != "" && !s.isClosed {
		if err := s.listenLocked(s.addr); err != nil {
			s.log.Error("tallysim: reopen listener", "addr", s.addr, "err", err)
		}
	}
}

// Requests returns the log of handled requests. A request is logged before
// its answer is written, so it is there once the client has the answer.
func (s *Server) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.records)
}

// Start listens on addr ("127.0.0.1:0" picks a port) and serves in the
// background.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed {
		return errors.New("tallysim: server closed")
	}
	if err := s.listenLocked(addr); err != nil {
		return err
	}
	s.addr = s.ln.Addr().String()
	return nil
}

func (s *Server) listenLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("tallysim: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			switch st {
			case http.StateNew:
				s.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(s.conns, c)
			}
		},
	}
	s.ln, s.srv = ln, srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// stopListeningLocked closes the listener and every open connection, so that
// neither new dials nor kept-alive connections reach the "stopped" gateway.
func (s *Server) stopListeningLocked() {
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
		delete(s.conns, c)
	}
	s.srv = nil
}

// URL returns "http://HOST:PORT" after Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		return ""
	}
	return "http://" + s.addr
}

// Addr returns the listening address after Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops listening, closes connections and releases hung requests.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return nil
	}
	s.isClosed = true
	close(s.closed)
	if s.hangRelease != nil {
		close(s.hangRelease)
		s.hangRelease = nil
	}
	srv := s.srv
	s.stopListeningLocked()
	s.mu.Unlock()
	if srv != nil {
		return srv.Close()
	}
	return nil
}

// Shutdown stops accepting and waits for the request in progress (bounded by
// ctx), then closes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	if s.hangRelease != nil {
		// A stopping process releases a hung request, as Tally exiting would.
		close(s.hangRelease)
		s.hangRelease = nil
	}
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

const unknownRequest = "<RESPONSE>Unknown Request, cannot be processed</RESPONSE>\r\n"

// ServeHTTP is the gateway handler. It processes one request at a time.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.work.Lock()
	defer s.work.Unlock()
	start := time.Now()

	s.mu.Lock()
	fault, delay, release := s.fault, s.latency, s.hangRelease
	s.mu.Unlock()
	if fault == Slow {
		d := s.cfg.SlowDelay
		if d == 0 {
			d = 2 * time.Second
		}
		delay += d
	}
	s.sleep(delay)
	charset := "utf-8"
	if strings.HasPrefix(charsetOf(r.Header.Get("Content-Type")), "utf-16") || charsetOf(r.Header.Get("Content-Type")) == "unicode" {
		charset = "utf-16"
	}
	switch fault {
	case Hang:
		if release != nil {
			select {
			case <-release:
			case <-s.closed:
				s.record(RequestRecord{Time: start, Kind: "fault:hang", Charset: charset, Outcome: "fault", Duration: time.Since(start)})
				return
			}
		}
	case Reset, Refuse:
		// Refuse reaches the handler only when the server is used through
		// ServeHTTP alone (no listener to close): the connection is reset.
		s.record(RequestRecord{Time: start, Kind: "fault:" + fault.String(), Charset: charset, Outcome: "fault", Duration: time.Since(start)})
		s.resetConnection(w, fault == Reset)
		return
	case Garbage:
		s.record(RequestRecord{Time: start, Kind: "fault:garbage", Charset: charset, Outcome: "fault", Duration: time.Since(start)})
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("\x00\x13garbage \xff\xfe<<ENV not xml at all >\x01"))
		return
	}

	rep := s.process(r, body)
	if strings.HasPrefix(rep.kind, "import:") {
		s.mu.Lock()
		cost := s.importCost + time.Duration(rep.vouchers)*s.voucherCost
		s.mu.Unlock()
		s.sleep(cost)
	}
	if fault == LostWrite && strings.HasPrefix(rep.kind, "import:") {
		s.record(RequestRecord{Time: start, Kind: rep.kind, Company: rep.company, Charset: charset,
			Outcome: "fault:lost-write " + rep.outcome, Duration: time.Since(start)})
		s.resetConnection(w, false)
		return
	}
	out := encodeBody(rep.body, rep.utf16)
	ct := "text/xml; charset=utf-8"
	if rep.utf16 {
		ct = "text/xml; charset=utf-16"
	}
	rec := RequestRecord{Time: start, Kind: rep.kind, Company: rep.company, Charset: charset, Outcome: rep.outcome, Duration: time.Since(start)}
	if rep.utf16 {
		rec.Charset = "utf-16"
	}
	// Logged before answering, so a client that has its answer always
	// finds its request in Requests().
	s.record(rec)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK) // HTTP 200 even for application errors (§9.1.2)
	_, _ = w.Write(out)
}

// sleep waits d, or until the server closes.
func (s *Server) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.closed:
	}
}

func (s *Server) record(rec RequestRecord) {
	s.log.Info("tallysim request", "kind", rec.Kind, "company", rec.Company, "charset", rec.Charset,
		"duration", rec.Duration, "outcome", rec.Outcome)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, rec)
}

// resetConnection hijacks the connection, optionally writes the start of a
// response, and closes with SO_LINGER 0 so the peer sees a TCP reset.
func (s *Server) resetConnection(w http.ResponseWriter, partial bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, bw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if partial {
		writePartial(bw)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func writePartial(bw *bufio.ReadWriter) {
	_, _ = bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 4096\r\n\r\n<ENVELOPE>\r\n <HEADER>\r\n  <VERSION>1</VERSION>\r\n")
	_ = bw.Flush()
}

// reply is a processed request.
type reply struct {
	body     string
	utf16    bool
	kind     string
	company  string
	outcome  string
	vouchers int // the vouchers an import carried (Config.VoucherCost)
}

func (s *Server) liveness() string {
	return render(leaf("RESPONSE", s.cfg.Product.String()+" Server is Running"), indentedClose)
}

// process decodes, dispatches and answers one request.
func (s *Server) process(r *http.Request, body []byte) reply {
	ct := r.Header.Get("Content-Type")
	text, isUTF16, err := decodeRequest(ct, body)
	rep := reply{utf16: isUTF16}
	if r.Method != http.MethodPost || (err == nil && strings.TrimSpace(text) == "") {
		// Liveness: any GET (or an empty POST), mirroring the charset (§9.1.1/3).
		rep.body, rep.kind, rep.outcome = s.liveness(), "status", "ok"
		return rep
	}
	if err != nil {
		rep.utf16 = false
		rep.body, rep.kind, rep.outcome = unknownRequest, "unknown", "unknown request"
		return rep
	}
	root, err := parseXML(text)
	if err != nil || root.name != "ENVELOPE" {
		rep.body, rep.kind, rep.outcome = unknownRequest, "unknown", "unknown request"
		return rep
	}
	s.dispatch(root, &rep)
	return rep
}

// statics is BODY/DESC/STATICVARIABLES (or REQUESTDESC/STATICVARIABLES), by
// upper-case name.
type statics map[string]string

func readStatics(e *elem) statics {
	sv := statics{}
	if e == nil {
		return sv
	}
	for _, k := range e.kids {
		sv[k.name] = strings.TrimSpace(k.text)
	}
	return sv
}

func (sv statics) date(name string) tallyxml.Date {
	d, err := tallyxml.ParseDate(sv[name])
	if err != nil {
		return tallyxml.Date{}
	}
	return d
}

func (s *Server) dispatch(root *elem, rep *reply) {
	hdr := root.child("HEADER")
	body := root.child("BODY")
	treq := strings.ToUpper(strings.Join(strings.Fields(hdr.value("TALLYREQUEST")), " "))
	typ := strings.ToUpper(hdr.value("TYPE"))
	idEl := hdr.child("ID")
	id := strings.TrimSpace(idEl.textOr(""))
	version := hdr.value("VERSION")
	unknown := func() {
		rep.body, rep.kind, rep.outcome = unknownRequest, "unknown", "unknown request"
	}
	switch treq {
	case "EXPORT":
		sv := readStatics(body.path("DESC", "STATICVARIABLES"))
		switch typ {
		case "COLLECTION":
			s.exportCollection(id, body.child("DESC"), sv, rep)
		case "DATA":
			s.exportReport(id, body.child("DESC"), sv, rep)
		case "OBJECT":
			s.exportObject(hdr.value("SUBTYPE"), idEl.attr("TYPE"), id, body.child("DESC"), sv, rep)
		default:
			unknown()
		}
	case "EXPORT DATA":
		// Legacy form (§7(c)): BODY/EXPORTDATA/REQUESTDESC{REPORTNAME, STATICVARIABLES}.
		desc := body.path("EXPORTDATA", "REQUESTDESC")
		if desc == nil {
			unknown()
			return
		}
		s.exportReport(desc.value("REPORTNAME"), desc, readStatics(desc.child("STATICVARIABLES")), rep)
	case "IMPORT":
		if typ != "DATA" {
			unknown()
			return
		}
		switch strings.ToUpper(id) {
		case "ALL MASTERS", "VOUCHERS", "MASTERS":
		default:
			unknown()
			return
		}
		sv := readStatics(body.path("DESC", "STATICVARIABLES"))
		s.importObjects(id, sv, body.all("DATA"), false, rep)
	case "IMPORT DATA":
		// Mixing VERSION 1 into the legacy envelope gives Unknown Request
		// (§7(d), LIVE per MyTally).
		if version != "" {
			unknown()
			return
		}
		desc := body.path("IMPORTDATA", "REQUESTDESC")
		if desc == nil {
			unknown()
			return
		}
		switch strings.ToUpper(desc.value("REPORTNAME")) {
		case "ALL MASTERS", "VOUCHERS", "MASTERS":
		default:
			unknown()
			return
		}
		// SVCURRENTCOMPANY is honoured only inside STATICVARIABLES: one placed
		// directly in REQUESTDESC (tally-mcp-server's delete template) is
		// ignored and the write goes to the active company (§3.2, ComplyEaze).
		sv := readStatics(desc.child("STATICVARIABLES"))
		s.importObjects(desc.value("REPORTNAME"), sv, body.path("IMPORTDATA").all("REQUESTDATA"), true, rep)
	case "EXECUTE":
		if typ != "TDLACTION" {
			unknown()
			return
		}
		// The simulator runs no TDL actions; it acknowledges them the way a
		// successful action answers (STATUS 1, empty DATA). Simulator choice.
		rep.kind, rep.outcome = "execute:"+id, "ok"
		rep.body = render(el("ENVELOPE", headerStatus("1"), el("BODY", el("DATA"))), indentedClose)
	default:
		unknown()
	}
}

func headerStatus(status string) *node {
	return el("HEADER", leaf("VERSION", "1"), leaf("STATUS", status))
}

// resolveCompany picks the company for a request: SVCURRENTCOMPANY matched
// case-insensitively and trimmed, or the active company when absent (§9.5).
func (s *Server) resolveCompany(sv statics) (c *Company, asked string) {
	asked = sv["SVCURRENTCOMPANY"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(asked) == "" {
		if len(s.companies) == 0 {
			return nil, ""
		}
		return s.companies[0], ""
	}
	return s.findCompany(asked), asked
}

// couldNotSet is the LIVE failure for a write or built-in report naming a
// company that is not loaded (§9.5).
func couldNotSet(rep *reply, asked string) {
	rep.company = asked
	msg := fmt.Sprintf("Could not set 'SVCurrentCompany' to '%s'", asked)
	rep.outcome = "error: " + msg
	rep.body = lineErrorEnvelope(msg)
}

// lineErrorEnvelope is the STATUS 0 + LINEERROR failure envelope.
func lineErrorEnvelope(msg string) string {
	return render(el("ENVELOPE", headerStatus("0"), el("BODY", el("DATA", leaf("LINEERROR", msg)))), indentedClose)
}
