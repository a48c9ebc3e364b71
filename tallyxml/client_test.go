package tallyxml_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

var simToday = tallyxml.NewDate(2026, time.June, 23)

// startSim runs the simulator on a loopback port for one test.
func startSim(t *testing.T, cfg tallysim.Config) *tallysim.Server {
	t.Helper()
	if cfg.Today.IsZero() {
		cfg.Today = simToday
	}
	sim := tallysim.New(cfg)
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func newClient(t *testing.T, cfg tallyxml.ClientConfig) *tallyxml.Client {
	t.Helper()
	c, err := tallyxml.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func listLedgers(ctx context.Context, c *tallyxml.Client, vars tallyxml.Vars) ([]tallyxml.Ledger, error) {
	var out []tallyxml.Ledger
	err := c.Do(ctx, tallyxml.ExportCollection("List of Ledgers", vars), func(r io.Reader) error {
		for l, err := range tallyxml.Ledgers(r) {
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

func TestClientStatusDetectsProduct(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		product tallysim.Product
		want    tallyxml.Product
	}{
		{tallysim.TallyPrime, tallyxml.ProductTallyPrime},
		{tallysim.TallyERP9, tallyxml.ProductTallyERP9},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, tallysim.Config{Product: tc.product})
			got, err := newClient(t, tallyxml.ClientConfig{URL: sim.URL()}).Status(t.Context())
			if err != nil || got != tc.want {
				t.Fatalf("Status = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestClientCharsets shows why UTF-16 is the default: the gateway mirrors the
// request charset and answers a UTF-8 request with "?" for non-Latin text.
func TestClientCharsets(t *testing.T) {
	t.Parallel()
	sim := startSim(t, tallysim.Config{})
	for _, tc := range []struct {
		cs   tallyxml.Charset
		want string
	}{
		{tallyxml.UTF16, "गणेश ट्रेडर्स"},
		{tallyxml.UTF8, "???? ????????"},
	} {
		ledgers, err := listLedgers(t.Context(), newClient(t, tallyxml.ClientConfig{URL: sim.URL(), Charset: tc.cs}), tallyxml.Vars{})
		if err != nil {
			t.Fatalf("%v: %v", tc.cs, err)
		}
		names := make([]string, len(ledgers))
		for i, l := range ledgers {
			names[i] = l.Name
		}
		if !slices.Contains(names, tc.want) || !slices.Contains(names, "A & B <Traders>") {
			t.Errorf("%v: ledgers %q lack %q or the escaped party", tc.cs, names, tc.want)
		}
	}
}

// TestClientRoundTripsAwkwardNames writes ledgers whose names need escaping and
// reads each back by name through an Object export.
func TestClientRoundTripsAwkwardNames(t *testing.T) {
	t.Parallel()
	sim := startSim(t, tallysim.Config{})
	c := newClient(t, tallyxml.ClientConfig{URL: sim.URL()})
	vars := tallyxml.Vars{Company: tallysim.DemoCompanyName}
	for _, name := range []string{"X & Y <Agencies> \"Q\" 'A'", "राजेश एंटरप्राइज़ेज", "₹ Rupee Traders / Pune"} {
		res, err := c.Import(t.Context(), tallyxml.ImportMasters(vars, tallyxml.LedgerMaster{
			Name: name, Parent: "Sundry Debtors", Mobile: "9820012345", IsBillWiseOn: tallyxml.Yes,
		}), tallyxml.CounterCreated)
		if err != nil {
			t.Fatalf("create %q: %v (result %+v)", name, err, res)
		}
		var got tallyxml.Ledger
		err = c.Do(t.Context(), tallyxml.ExportObject("Ledger", name, []string{"Name", "Parent", "LedgerMobile"}, vars), func(r io.Reader) error {
			var err error
			got, err = tallyxml.LedgerObject(r)
			return err
		})
		if err != nil {
			t.Fatalf("read back %q: %v", name, err)
		}
		if got.Name != name || got.Parent != "Sundry Debtors" || got.Mobile != "9820012345" {
			t.Errorf("read back %q: got name %q parent %q mobile %q", name, got.Name, got.Parent, got.Mobile)
		}
	}
}

// TestClientObjectNotFound: Do reads a "Could not find" ERRORMSG as "no such
// object" only when it answers an object export (§9.3 (B)); the same body
// answering a report stays Tally's error.
func TestClientObjectNotFound(t *testing.T) {
	t.Parallel()
	const body = "<ERRORMSG>Could not find Ledger:Nobody!</ERRORMSG>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) }))
	t.Cleanup(srv.Close)
	c := newClient(t, tallyxml.ClientConfig{URL: srv.URL})
	vars := tallyxml.Vars{Company: tallysim.DemoCompanyName}
	decoded := false
	err := c.Do(t.Context(), tallyxml.ExportObject("Ledger", "Nobody", []string{"Name"}, vars), func(io.Reader) error {
		decoded = true
		return nil
	})
	nf, ok := errors.AsType[*tallyxml.ObjectNotFoundError](err)
	if !ok || !errors.Is(err, tallyxml.ErrNoObject) || nf.Text != "Could not find Ledger:Nobody!" || decoded {
		t.Errorf("object export: err = %#v (decoded %v), want an *ObjectNotFoundError matching ErrNoObject", err, decoded)
	}
	err = c.Do(t.Context(), tallyxml.ExportReport("Trial Balance", vars), nil)
	if em, ok := errors.AsType[*tallyxml.ErrorMessage](err); !ok || em.Text != "Could not find Ledger:Nobody!" || errors.Is(err, tallyxml.ErrNoObject) {
		t.Errorf("report: err = %#v, want Tally's *ErrorMessage", err)
	}
}

func TestClientTallyOutcomes(t *testing.T) {
	t.Parallel()
	sim := startSim(t, tallysim.Config{})
	c := newClient(t, tallyxml.ClientConfig{URL: sim.URL()})

	t.Run("company not loaded", func(t *testing.T) {
		err := c.Do(t.Context(), tallyxml.ExportReport("Bills Receivable", tallyxml.Vars{Company: "No Such Traders"}), nil)
		var cnl *tallyxml.CompanyNotLoadedError
		if !errors.As(err, &cnl) || cnl.Company != "No Such Traders" {
			t.Fatalf("err = %v; want CompanyNotLoadedError for No Such Traders", err)
		}
		if tallyxml.Hint(err) == "" {
			t.Error("no hint for a company that is not loaded")
		}
	})
	t.Run("unknown report", func(t *testing.T) {
		err := c.Do(t.Context(), tallyxml.ExportReport("No Such Report", tallyxml.Vars{}), nil)
		if !errors.Is(err, tallyxml.ErrUnknownRequest) {
			t.Fatalf("err = %v; want ErrUnknownRequest", err)
		}
	})
	t.Run("voucher with an unknown ledger is rejected with Tally's text", func(t *testing.T) {
		v := tallyxml.VoucherImport{
			VoucherType: "Sales", Date: simToday, RemoteID: "test-unknown-ledger",
			Entries: []tallyxml.LedgerEntry{
				tallyxml.Debit("Rajesh Enterprises", 118000).AsParty(),
				tallyxml.Credit("No Such Sales", 118000),
			},
		}
		res, err := c.Import(t.Context(), tallyxml.ImportVouchers(tallyxml.Vars{}, v), tallyxml.CounterCreated)
		var ie *tallyxml.ImportError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "Ledger 'No Such Sales' does not exist!") {
			t.Fatalf("err = %v; want an ImportError carrying the LINEERROR", err)
		}
		if res.Created != 0 || len(res.LineErrors) != 1 {
			t.Errorf("result %+v: want no voucher and one LINEERROR", res)
		}
	})
	t.Run("a sale posts and shows in Bills Receivable", func(t *testing.T) {
		v := tallyxml.VoucherImport{
			VoucherType: "Sales", Date: simToday, RemoteID: "test-sale-1", Narration: "Order ₹1,180",
			PartyLedger: "A & B <Traders>",
			Entries: []tallyxml.LedgerEntry{
				tallyxml.Debit("A & B <Traders>", 118000).AsParty().WithBill("T-1", tallyxml.BillNewRef, tallyxml.CreditDays(30)),
				tallyxml.Credit("Sales", 100000),
				tallyxml.Credit("IGST", 18000),
			},
		}
		for i, want := range []tallyxml.Counter{tallyxml.CounterCreated, tallyxml.CounterAltered} {
			res, err := c.Import(t.Context(), tallyxml.ImportVouchers(tallyxml.Vars{}, v), want)
			if err != nil {
				t.Fatalf("send %d: %v (%+v)", i+1, err, res)
			}
		}
		var found []tallyxml.Bill
		err := c.Do(t.Context(), tallyxml.ExportReport("Bills Receivable", tallyxml.Vars{}), func(r io.Reader) error {
			for b, err := range tallyxml.Bills(r) {
				if err != nil {
					return err
				}
				if b.Ref == "T-1" {
					found = append(found, b)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Sent twice with one REMOTEID: one voucher, one bill.
		if len(found) != 1 || found[0].Party != "A & B <Traders>" || found[0].Closing.Paise() != -118000 {
			t.Fatalf("bills T-1 = %+v; want one debit bill of 1,180.00 for A & B <Traders>", found)
		}
	})
}

// TestClientFaults drives the simulator through every fault mode and checks
// that each surfaces as its own error kind, that a write whose fate is unknown
// is flagged ambiguous, and that nothing is retried.
func TestClientFaults(t *testing.T) {
	t.Parallel()
	write := func() *tallyxml.Request {
		return tallyxml.ImportVouchers(tallyxml.Vars{}, tallyxml.VoucherImport{
			VoucherType: "Receipt", Date: simToday, RemoteID: "fault-receipt",
			Entries: []tallyxml.LedgerEntry{
				tallyxml.Debit("Cash", 50000),
				tallyxml.Credit("Rajesh Enterprises", 50000).AsParty(),
			},
		})
	}
	read := func() *tallyxml.Request { return tallyxml.ExportReport("Bills Receivable", tallyxml.Vars{}) }
	for _, tc := range []struct {
		fault         tallysim.Fault
		want          error
		ambiguous     bool // for the write
		reachesTally  bool
		clientTimeout time.Duration
	}{
		{tallysim.Refuse, tallyxml.ErrRefused, false, false, 2 * time.Second},
		{tallysim.Hang, tallyxml.ErrTimeout, true, true, 300 * time.Millisecond},
		{tallysim.Slow, tallyxml.ErrTimeout, true, true, 300 * time.Millisecond},
		{tallysim.Reset, tallyxml.ErrReset, true, true, 2 * time.Second},
		{tallysim.Garbage, tallyxml.ErrGarbage, true, true, 2 * time.Second},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, tallysim.Config{SlowDelay: 2 * time.Second})
			var obs []tallyxml.Observation
			var mu sync.Mutex
			c := newClient(t, tallyxml.ClientConfig{URL: sim.URL(), Timeout: tc.clientTimeout,
				Observe: func(o tallyxml.Observation) { mu.Lock(); obs = append(obs, o); mu.Unlock() }})
			sim.SetFault(tc.fault)

			for _, op := range []struct {
				name  string
				req   *tallyxml.Request
				write bool
			}{{"read", read(), false}, {"write", write(), true}} {
				before := len(sim.Requests())
				err := c.Do(t.Context(), op.req, nil)
				if !errors.Is(err, tc.want) {
					t.Fatalf("%s: err = %v; want %v", op.name, err, tc.want)
				}
				var ge *tallyxml.GatewayError
				if !errors.As(err, &ge) || ge.Hint() == "" {
					t.Fatalf("%s: err %v is not a GatewayError with a hint", op.name, err)
				}
				wantAmbiguous := op.write && tc.ambiguous
				if ge.Ambiguous != wantAmbiguous {
					t.Errorf("%s: Ambiguous = %v; want %v", op.name, ge.Ambiguous, wantAmbiguous)
				}
				if tc.fault == tallysim.Hang {
					// Release the "dialog" so the serial gateway frees up.
					sim.SetFault(tallysim.NoFault)
					waitIdle(t, sim, before+1)
					sim.SetFault(tc.fault)
				}
				if tc.fault == tallysim.Slow {
					waitIdle(t, sim, before+1)
				}
				got := len(sim.Requests()) - before
				want := 0
				if tc.reachesTally {
					want = 1 // exactly one: the client never retries
				}
				if got != want {
					t.Errorf("%s: the gateway saw %d requests; want %d", op.name, got, want)
				}
			}
			mu.Lock()
			if len(obs) != 2 || obs[0].Outcome != tc.want.(*tallyxml.GatewayErrorKind).Label() {
				t.Errorf("observations %+v; want two with outcome %q", obs, tc.want.(*tallyxml.GatewayErrorKind).Label())
			}
			mu.Unlock()

			// Once the fault clears, the same client works again.
			sim.SetFault(tallysim.NoFault)
			if _, err := c.Status(t.Context()); err != nil {
				t.Fatalf("after clearing %v: %v", tc.fault, err)
			}
		})
	}
}

// waitIdle waits until the simulator has logged n requests, i.e. finished the
// one the client gave up on.
func waitIdle(t *testing.T, sim *tallysim.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(sim.Requests()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("simulator logged %d requests; want %d", len(sim.Requests()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClientSingleFlight checks that one Client never has two requests in
// flight to the same gateway, however many goroutines call it. It counts at
// the client's transport, from sending a request to closing its answer.
func TestClientSingleFlight(t *testing.T) {
	t.Parallel()
	sim := startSim(t, tallysim.Config{Latency: 20 * time.Millisecond})
	ct := &countingTransport{next: http.DefaultTransport}
	c := newClient(t, tallyxml.ClientConfig{URL: sim.URL(), QueueWait: 10 * time.Second, Transport: ct})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := listLedgers(t.Context(), c, tallyxml.Vars{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := ct.peak.Load(); p != 1 {
		t.Fatalf("peak requests in flight = %d; want 1", p)
	}
	waitIdle(t, sim, 8) // the simulator logs a request after answering it
}

type countingTransport struct {
	next           http.RoundTripper
	inFlight, peak atomic.Int32
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := ct.inFlight.Add(1)
	for p := ct.peak.Load(); n > p && !ct.peak.CompareAndSwap(p, n); p = ct.peak.Load() {
	}
	resp, err := ct.next.RoundTrip(r)
	if err != nil {
		ct.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, done: func() { ct.inFlight.Add(-1) }}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// TestClientBusy checks that a request that cannot get the gateway within
// QueueWait fails fast as busy, never reaching Tally, and is not ambiguous.
func TestClientBusy(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: simToday, Latency: 300 * time.Millisecond})
	arrived := make(chan struct{}, 4)
	var posts atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		arrived <- struct{}{}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c := newClient(t, tallyxml.ClientConfig{URL: ts.URL, QueueWait: 50 * time.Millisecond})

	first := make(chan error, 1)
	go func() {
		first <- c.Do(context.Background(), tallyxml.ExportReport("Bills Receivable", tallyxml.Vars{}), nil)
	}()
	<-arrived // the first request holds the gateway for 300ms

	err := c.Do(t.Context(), tallyxml.ImportVouchers(tallyxml.Vars{}, tallyxml.VoucherImport{
		VoucherType: "Receipt", Date: simToday, RemoteID: "busy",
		Entries: []tallyxml.LedgerEntry{tallyxml.Debit("Cash", 100), tallyxml.Credit("Rajesh Enterprises", 100)},
	}), nil)
	var ge *tallyxml.GatewayError
	if !errors.Is(err, tallyxml.ErrBusy) || !errors.As(err, &ge) || ge.Ambiguous {
		t.Fatalf("err = %v; want a non-ambiguous ErrBusy", err)
	}
	select {
	case <-first:
		t.Errorf("busy only after the first request ended; want it after QueueWait")
	default:
	}
	if err := <-first; err != nil {
		t.Fatalf("first request: %v", err)
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the gateway saw %d requests; want only the first", n)
	}
}

func TestClientTransportOddities(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"proxy error status", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}, tallyxml.ErrHTTPStatus},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {}, tallyxml.ErrEmptyBody},
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "Welcome to nginx!")
		}, tallyxml.ErrGarbage},
		{"truncated XML", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<ENVELOPE>\r\n <BILLFIXED>\r\n  <BILLDATE>1-Apr-26</BILLDATE>")
		}, tallyxml.ErrGarbage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(tc.handler)
			t.Cleanup(ts.Close)
			c := newClient(t, tallyxml.ClientConfig{URL: ts.URL})
			err := c.Do(t.Context(), tallyxml.ExportReport("Bills Receivable", tallyxml.Vars{}), func(r io.Reader) error {
				for _, err := range tallyxml.Bills(r) {
					if err != nil {
						return err
					}
				}
				return nil
			})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestNewClientRejectsBadURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:9000", "ftp://x:9000", "http://"} {
		if _, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: u}); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
}

// TestClientImportStatusZero covers the rejected-import shape with no
// counters: a STATUS 0 envelope with LINEERRORs only (LienRho #6).
func TestClientImportStatusZero(t *testing.T) {
	t.Parallel()
	const text = "Voucher totals do not match! Dr: 1,180.00 Dr Cr: 1,179.99 Cr Diff: 0.01 Dr"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>0</STATUS></HEADER><BODY><DATA><LINEERROR>"+
			text+"</LINEERROR></DATA></BODY></ENVELOPE>")
	}))
	t.Cleanup(ts.Close)
	c := newClient(t, tallyxml.ClientConfig{URL: ts.URL})
	res, err := c.Import(t.Context(), tallyxml.ImportVouchers(tallyxml.Vars{}, tallyxml.VoucherImport{
		VoucherType: "Sales", Date: simToday, RemoteID: "x",
		Entries: []tallyxml.LedgerEntry{tallyxml.Debit("Rajesh Enterprises", 118000), tallyxml.Credit("Sales", 118000)},
	}), tallyxml.CounterCreated)
	var ie *tallyxml.ImportError
	if !errors.As(err, &ie) || len(res.LineErrors) != 1 || res.LineErrors[0] != text {
		t.Fatalf("Import = %+v, %v; want an ImportError with the LINEERROR verbatim", res, err)
	}
}

// TestClientImportAudited checks that the exchange's text is kept for the
// audit log, readable (UTF-8) and bounded.
func TestClientImportAudited(t *testing.T) {
	t.Parallel()
	sim := startSim(t, tallysim.Config{})
	c := newClient(t, tallyxml.ClientConfig{URL: sim.URL()})
	req := tallyxml.ImportMasters(tallyxml.Vars{Company: tallysim.DemoCompanyName},
		tallyxml.LedgerMaster{Name: "Audit & Sons", Parent: "Sundry Debtors"})
	res, ex, err := c.ImportAudited(t.Context(), req, tallyxml.CounterCreated, 1<<20)
	if err != nil || res.Created != 1 {
		t.Fatalf("import = %+v, %v", res, err)
	}
	if !strings.Contains(string(ex.Request), `<LEDGER NAME="Audit &amp; Sons"`) || !strings.Contains(string(ex.Response), "<CREATED>1</CREATED>") || ex.Truncated {
		t.Fatalf("exchange = %q / %q (truncated %v)", ex.Request, ex.Response, ex.Truncated)
	}
	_, ex, err = c.ImportAudited(t.Context(), req, tallyxml.CounterCreatedOrAltered, 40)
	if err != nil || len(ex.Request) != 40 || len(ex.Response) > 40 || !ex.Truncated {
		t.Fatalf("bounded exchange: %d/%d bytes, truncated %v, err %v", len(ex.Request), len(ex.Response), ex.Truncated, err)
	}
}

// TestClientWriteOutcomesAreNeverDefiniteFailuresWhenUnknown covers the ways
// a write can end without a judgeable answer: each must be ambiguous, so the
// caller reads back instead of resending blind.
func TestClientWriteOutcomesAreNeverDefiniteFailuresWhenUnknown(t *testing.T) {
	t.Parallel()
	write := tallyxml.ImportVouchers(tallyxml.Vars{}, tallyxml.VoucherImport{
		VoucherType: "Receipt", Date: simToday, RemoteID: "unknown-fate",
		Entries: []tallyxml.LedgerEntry{tallyxml.Debit("Cash", 100), tallyxml.Credit("Rajesh Enterprises", 100)},
	})
	for _, tc := range []struct {
		name string
		body string
	}{
		{"empty answer", ""},
		{"no counters", "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA></DATA></BODY></ENVELOPE>"},
		{"unreadable counter", "<RESPONSE><CREATED>one</CREATED></RESPONSE>"},
		{"cut off", "<RESPONSE><CREATED>1</CREATED><ALTE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tc.body) }))
			t.Cleanup(ts.Close)
			_, err := newClient(t, tallyxml.ClientConfig{URL: ts.URL}).Import(t.Context(), write, tallyxml.CounterCreated)
			var ge *tallyxml.GatewayError
			if !errors.As(err, &ge) || !ge.Ambiguous {
				t.Fatalf("err = %v; want an ambiguous GatewayError", err)
			}
		})
	}
	t.Run("an empty counter is zero, not a failure", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<RESPONSE><CREATED>1</CREATED><LASTVCHID></LASTVCHID><ERRORS>0</ERRORS><EXCEPTIONS>0</EXCEPTIONS></RESPONSE>")
		}))
		t.Cleanup(ts.Close)
		res, err := newClient(t, tallyxml.ClientConfig{URL: ts.URL}).Import(t.Context(), write, tallyxml.CounterCreated)
		if err != nil || res.Created != 1 {
			t.Fatalf("Import = %+v, %v; want CREATED 1", res, err)
		}
	})
	t.Run("a caller who hangs up does not cut a write short", func(t *testing.T) {
		t.Parallel()
		sim := startSim(t, tallysim.Config{Latency: 300 * time.Millisecond})
		c := newClient(t, tallyxml.ClientConfig{URL: sim.URL()})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		res, err := c.Import(ctx, write, tallyxml.CounterCreated)
		if err != nil || res.Created != 1 {
			t.Fatalf("Import with a caller deadline shorter than Tally = %+v, %v; want Tally's answer", res, err)
		}
	})
}

// TestClientConnections: reads share one kept-alive connection, and a read
// whose kept connection the gateway closed meanwhile is sent again on a
// fresh one; every write takes a fresh connection of its own, so a closed
// idle connection can never make a clean write look ambiguous.
func TestClientConnections(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: simToday})
	var dials atomic.Int64
	ts := httptest.NewUnstartedServer(sim)
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dials.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	c := newClient(t, tallyxml.ClientConfig{URL: ts.URL})
	vars := tallyxml.Vars{Company: tallysim.DemoCompanyName}
	read := func() {
		t.Helper()
		if _, err := listLedgers(t.Context(), c, vars); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		read()
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("5 reads opened %d connections; want 1", n)
	}
	ts.CloseClientConnections() // the gateway drops the idle connection
	read()
	if n := dials.Load(); n != 2 {
		t.Fatalf("a read after the gateway closed its connection: %d connections in all; want 2", n)
	}
	for i := range 3 {
		_, err := c.Import(t.Context(), tallyxml.ImportMasters(vars, tallyxml.LedgerMaster{
			Name: fmt.Sprintf("Keepalive Party %d", i), Parent: "Sundry Debtors"}), tallyxml.CounterCreated)
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 5 {
		t.Fatalf("after 3 writes: %d connections in all; want 5 (one per write)", n)
	}
}

// TestGatewayErrorHintSpeaksOfWritesOnlyForWrites: a read that timed out
// changed nothing, so only a write is told it may have been applied.
func TestGatewayErrorHintSpeaksOfWritesOnlyForWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind  *tallyxml.GatewayErrorKind
		write bool
		want  bool
	}{
		{tallyxml.ErrTimeout, false, false},
		{tallyxml.ErrTimeout, true, true},
		{tallyxml.ErrReset, false, false},
		{tallyxml.ErrReset, true, true},
		{tallyxml.ErrRefused, true, false},
	} {
		e := &tallyxml.GatewayError{Kind: tc.kind, Write: tc.write}
		if got := strings.Contains(e.Hint(), "write may still have been applied"); got != tc.want || e.Hint() == "" {
			t.Errorf("%v write=%v: hint %q", tc.kind, tc.write, e.Hint())
		}
	}
}
