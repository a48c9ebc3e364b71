package tallyxml_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// gwToday pins the simulator's calendar, so the demo company's bills and
// balances are the same on every run.
var gwToday = tallyxml.NewDate(2026, time.June, 23)

const gwCompany = tallysim.DemoCompanyName

// gwStartSim runs a simulator with the demo company on a loopback port.
func gwStartSim(t *testing.T) *tallysim.Server {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: gwToday})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// gwNew returns a Gateway over a Client for url; cfg.URL is filled in.
func gwNew(t *testing.T, url string, cfg tallyxml.ClientConfig) *tallyxml.Gateway {
	t.Helper()
	cfg.URL = url
	c, err := tallyxml.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tallyxml.NewGateway(c)
}

func gwDemo(t *testing.T, sim *tallysim.Server) *tallysim.Company {
	t.Helper()
	c, ok := sim.Company(gwCompany)
	if !ok {
		t.Fatalf("no company %q in the simulator", gwCompany)
	}
	return c
}

// gwClosing is the simulator's own lifetime balance of a ledger, as a Balance.
func gwClosing(t *testing.T, c *tallysim.Company, ledger string, asOf tallyxml.Date) service.Balance {
	t.Helper()
	a, err := c.ClosingBalance(ledger, asOf)
	if err != nil {
		t.Fatal(err)
	}
	return service.NewBalance(service.Paise(a.Paise()))
}

// gwWantError checks that err is a *service.Error of kind and code.
func gwWantError(t *testing.T, err error, kind service.Kind, code string) *service.Error {
	t.Helper()
	se, ok := service.AsError(err)
	if !ok {
		t.Fatalf("err = %v (%T); want *service.Error %s/%s", err, err, kind, code)
	}
	if se.Kind != kind || se.Code != code {
		t.Fatalf("err = %s/%s %q (cause %v); want %s/%s", se.Kind, se.Code, se.Message, se.Err, kind, code)
	}
	return se
}

// gwRequests counts the non-liveness requests the simulator handled since a
// mark. The simulator logs a request after writing its answer, so a client
// can return before the log has it; a liveness GET, which the simulator
// serves only after the previous request is fully done, syncs the log first.
func gwRequests(t *testing.T, sim *tallysim.Server) func() int {
	t.Helper()
	count := func() int {
		resp, err := http.Get(sim.URL())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n := 0
		for _, r := range sim.Requests() {
			if r.Kind != "status" {
				n++
			}
		}
		return n
	}
	before := count()
	return func() int { return count() - before }
}

// gwWaitRequests waits until the simulator has logged n requests, i.e. has
// finished one the client gave up on.
func gwWaitRequests(t *testing.T, sim *tallysim.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for len(sim.Requests()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("simulator logged %d requests; want %d", len(sim.Requests()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var gwDemoDebtors = []string{
	"Rajesh Enterprises", "Priya Textiles", "Sharma & Sons", "गणेश ट्रेडर्स", "A & B <Traders>",
	`Kumar "KK" Stores`, "D'Souza & Co.", "Mehta Hardware", "Iyer Electronics", "Patel Brothers",
	"Gupta General Stores", "Nair Agencies",
}

func TestGatewayStatusAndCompanies(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	second := tallysim.NewCompany("Coastal Test Traders", tallyxml.NewDate(2026, time.April, 1))
	second.SetProfile("Karnataka", "India", "")
	sim.AddCompany(second)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})

	st, err := gw.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(service.TallyStatus{Product: "TallyPrime", URL: sim.URL()}, st); diff != "" {
		t.Errorf("Status (-want +got):\n%s", diff)
	}

	got, err := gw.Companies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	demo := gwDemo(t, sim)
	fy := tallyxml.NewDate(2026, time.April, 1).Time() // the simulator's STARTINGFROM: this financial year
	want := []service.Company{
		{Name: gwCompany, GUID: demo.GUID(), State: "Maharashtra", Country: "India", BooksFrom: demo.BooksFrom().Time(), StartFrom: fy,
			Address: []string{"Shop 4, Crawford Market", "Lokmanya Tilak Marg, Mumbai"}, Pincode: "400001", GSTIN: "27AABCA1234F1Z5",
			Phone: "022 2262 1234", Email: "accounts@abctraders.in"},
		{Name: "Coastal Test Traders", GUID: second.GUID(), State: "Karnataka", Country: "India", BooksFrom: fy, StartFrom: fy},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Companies (-want +got):\n%s", diff)
	}
}

func TestGatewayStatusHidesCredentials(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	url := strings.Replace(sim.URL(), "http://", "http://user:secret@", 1)
	st, err := gwNew(t, url, tallyxml.ClientConfig{}).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.URL != sim.URL() {
		t.Errorf("Status URL = %q; want %q without user information", st.URL, sim.URL())
	}
}

func TestGatewayParties(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})

	parties, err := gw.Parties(t.Context(), gwCompany, "Sundry Debtors")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]service.Party{}
	for _, p := range parties {
		names = append(names, p.Name)
		byName[p.Name] = p
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(gwDemoDebtors)), slices.Sorted(slices.Values(names))); diff != "" {
		t.Fatalf("Parties names (-want +got):\n%s", diff)
	}
	for _, p := range parties {
		if want := gwClosing(t, demo, p.Name, tallyxml.Date{}); p.Closing != want || !p.ClosingKnown {
			t.Errorf("%s: Closing = %v (known %v); want %v", p.Name, p.Closing, p.ClosingKnown, want)
		}
		if p.Group != "Sundry Debtors" || !p.BillWise {
			t.Errorf("%s: Group %q BillWise %v; want Sundry Debtors, bill-wise", p.Name, p.Group, p.BillWise)
		}
	}
	wantRajesh := service.Party{
		Name: "Rajesh Enterprises", Group: "Sundry Debtors",
		Mobile: service.Mobile{Raw: "9820012345", E164: "+919820012345", Valid: true},
		Email:  "accounts@rajeshenterprises.in", State: "Maharashtra", Country: "India", Pincode: "400002",
		Address: []string{"12, Kalbadevi Road", "Mumbai"}, GSTIN: "27AAPFR1234C1Z5", GSTRegistrationType: "Regular",
		BillWise: true, CreditPeriod: "30 Days",
		Closing: gwClosing(t, demo, "Rajesh Enterprises", tallyxml.Date{}), ClosingKnown: true,
	}
	if diff := cmp.Diff(wantRajesh, byName["Rajesh Enterprises"]); diff != "" {
		t.Errorf("Rajesh Enterprises (-want +got):\n%s", diff)
	}
	for name, wantMobile := range map[string]service.Mobile{
		"A & B <Traders>":   {Raw: "91-9820056789", E164: "+919820056789", Valid: true},
		"गणेश ट्रेडर्स":     {Raw: "+91 98200 45678", E164: "+919820045678", Valid: true},
		`Kumar "KK" Stores`: service.NormalizeMobile(""),
		"D'Souza & Co.":     service.NormalizeMobile("12345"),
	} {
		if diff := cmp.Diff(wantMobile, byName[name].Mobile); diff != "" {
			t.Errorf("%s mobile (-want +got):\n%s", name, diff)
		}
	}
	if got := byName["Kumar \"KK\" Stores"].GSTRegistrationType; got != "Unregistered/Consumer" {
		t.Errorf("Kumar GST registration type = %q", got)
	}
}

func TestGatewayPartiesIncludesSubGroups(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	if err := demo.AddGroup(tallysim.Group{Name: "Pune Debtors", Parent: "Sundry Debtors"}); err != nil {
		t.Fatal(err)
	}
	if err := demo.AddLedger(tallysim.Ledger{Name: "Deccan Motors", Parent: "Pune Debtors", Mobile: "9890012345"}); err != nil {
		t.Fatal(err)
	}
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	for _, tc := range []struct {
		group string
		want  int
	}{{"Sundry Debtors", 13}, {"Pune Debtors", 1}, {"No Such Group", 0}} {
		parties, err := gw.Parties(t.Context(), gwCompany, tc.group)
		if err != nil {
			t.Fatalf("%s: %v", tc.group, err)
		}
		if len(parties) != tc.want {
			t.Errorf("%s: %d parties; want %d", tc.group, len(parties), tc.want)
		}
		if tc.want > 0 && !slices.ContainsFunc(parties, func(p service.Party) bool {
			return p.Name == "Deccan Motors" && p.Group == "Pune Debtors"
		}) {
			t.Errorf("%s: Deccan Motors (under Pune Debtors) missing from %d parties", tc.group, len(parties))
		}
	}
	// Documented: a collection read of a company that is not loaded is an
	// empty list on real Tally (§9.5), not an error.
	parties, err := gw.Parties(t.Context(), "No Such Company", "Sundry Debtors")
	if err != nil || len(parties) != 0 {
		t.Errorf("Parties of an unknown company = %d parties, %v; want none and no error", len(parties), err)
	}
}

func TestGatewayGroupsAndLedgerNames(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	if err := demo.AddGroup(tallysim.Group{Name: "Pune Debtors", Parent: "Sundry Debtors"}); err != nil {
		t.Fatal(err)
	}
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	count := gwRequests(t, sim)
	groups, err := gw.Groups(t.Context(), gwCompany)
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, g := range groups {
		parent[g.Name] = g.Parent
	}
	for name, want := range map[string]string{"Pune Debtors": "Sundry Debtors", "Sundry Debtors": "Current Assets",
		"Bank Accounts": "Current Assets", "Current Assets": ""} {
		if got, ok := parent[name]; !ok || got != want {
			t.Errorf("group %s: parent %q (listed %v); want %q", name, got, ok, want)
		}
	}
	if len(groups) != 29 {
		t.Errorf("%d groups; want Tally's 28 and Pune Debtors", len(groups))
	}
	names, err := gw.LedgerNames(t.Context(), gwCompany)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(demo.Ledgers()) || !slices.Contains(names, service.Master{Name: "HDFC Bank", Parent: "Bank Accounts"}) {
		t.Errorf("ledger names %v; want every ledger with its group", names)
	}
	if n := count(); n != 2 {
		t.Errorf("%d requests; want one each", n)
	}
	if groups, err := gw.Groups(t.Context(), "No Such Company"); err != nil || len(groups) != 0 {
		t.Errorf("Groups of an unknown company = %v, %v; want none (§9.5)", groups, err)
	}
}

func TestGatewayParty(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})

	count := gwRequests(t, sim)
	p, err := gw.Party(t.Context(), gwCompany, "Rajesh Enterprises")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("Party sent %d requests; want exactly 1", n)
	}
	want := gwClosing(t, demo, "Rajesh Enterprises", tallyxml.Date{})
	if p.Closing != want || !p.ClosingKnown {
		t.Errorf("Closing = %v (known %v); want %v", p.Closing, p.ClosingKnown, want)
	}
	if p.Closing.Side != service.Debit || p.Closing.Amount < 48_500_00 || p.Closing.Signed != -p.Closing.Amount {
		t.Errorf("Closing = %+v; want a debit of at least ₹48,500", p.Closing)
	}
	if p.Name != "Rajesh Enterprises" || p.Mobile.E164 != "+919820012345" || p.GSTIN != "27AAPFR1234C1Z5" {
		t.Errorf("Party = %+v", p)
	}

	// Awkward names need no TDL literal in an object export; case is folded.
	for _, tc := range []struct{ ask, want string }{
		{`Kumar "KK" Stores`, `Kumar "KK" Stores`},
		{"A & B <Traders>", "A & B <Traders>"},
		{"गणेश ट्रेडर्स", "गणेश ट्रेडर्स"},
		{"d'souza & co.", "D'Souza & Co."},
	} {
		p, err := gw.Party(t.Context(), gwCompany, tc.ask)
		if err != nil {
			t.Fatalf("Party(%q): %v", tc.ask, err)
		}
		if p.Name != tc.want || p.Closing != gwClosing(t, demo, tc.want, tallyxml.Date{}) {
			t.Errorf("Party(%q) = %q %v", tc.ask, p.Name, p.Closing)
		}
	}

	count = gwRequests(t, sim)
	_, err = gw.Party(t.Context(), gwCompany, "No Such Party")
	se := gwWantError(t, err, service.NotFound, "party_not_found")
	if !strings.Contains(se.Message, "No Such Party") {
		t.Errorf("Message %q does not name the party", se.Message)
	}
	if n := count(); n != 1 {
		t.Errorf("Party of a missing name sent %d requests; want exactly 1", n)
	}
}

func TestGatewayLedgers(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})

	for _, tc := range []struct {
		name     string
		ask      []string
		want     map[string]string // asked name → Tally's name
		requests int
	}{
		{
			name: "no quotes, one request",
			ask:  []string{"Rajesh Enterprises", "rajesh enterprises ", "A & B <Traders>", "गणेश ट्रेडर्स", "No Such Party", "Sales", "  "},
			want: map[string]string{
				"Rajesh Enterprises": "Rajesh Enterprises", "rajesh enterprises ": "Rajesh Enterprises",
				"A & B <Traders>": "A & B <Traders>", "गणेश ट्रेडर्स": "गणेश ट्रेडर्स", "Sales": "Sales",
			},
			requests: 1,
		},
		{
			name: "quoted names by object export",
			ask:  []string{"Priya Textiles", `Kumar "KK" Stores`, `kumar "kk" stores`, `Missing "Q" Traders`, `Kumar "KK" Stores`},
			want: map[string]string{
				"Priya Textiles": "Priya Textiles", `Kumar "KK" Stores`: `Kumar "KK" Stores`, `kumar "kk" stores`: `Kumar "KK" Stores`,
			},
			requests: 1 + 2, // the collection, then one object export per distinct name key
		},
		{
			name:     "only missing and unsendable names",
			ask:      []string{"Nobody", "bad\x00name"},
			want:     map[string]string{},
			requests: 1,
		},
		{name: "nothing asked", ask: nil, want: map[string]string{}, requests: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			count := gwRequests(t, sim)
			got, err := gw.Ledgers(t.Context(), gwCompany, tc.ask)
			if err != nil {
				t.Fatal(err)
			}
			gotNames := map[string]string{}
			for asked, p := range got {
				gotNames[asked] = p.Name
				if want := gwClosing(t, demo, p.Name, tallyxml.Date{}); p.Closing != want {
					t.Errorf("%q: Closing %v; want %v", asked, p.Closing, want)
				}
			}
			if diff := cmp.Diff(tc.want, gotNames); diff != "" {
				t.Errorf("Ledgers (-want +got):\n%s", diff)
			}
			if n := count(); n != tc.requests {
				t.Errorf("Ledgers sent %d requests; want %d", n, tc.requests)
			}
		})
	}
}

func TestGatewayReceivables(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	for _, asOf := range []tallyxml.Date{gwToday, gwToday.AddDays(-30)} {
		got, err := gw.Receivables(t.Context(), gwCompany, asOf.Time())
		if err != nil {
			t.Fatalf("%s: %v", asOf, err)
		}
		var want []service.Bill
		for _, b := range demo.OutstandingBills(asOf) {
			if !b.Closing.IsDebit() {
				continue // Bills Receivable lists debit bills only
			}
			want = append(want, service.Bill{Party: b.Ledger, Ref: b.Ref, Date: b.Date.Time(), Due: b.Due.Time(),
				Pending: service.NewBalance(service.Paise(b.Closing.Paise()))})
		}
		if len(want) == 0 {
			t.Fatalf("%s: the demo company has no receivables; the test proves nothing", asOf)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Receivables as of %s (-want +got):\n%s", asOf, diff)
		}
	}
	got, err := gw.Receivables(t.Context(), gwCompany, gwToday.Time())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(got, func(b service.Bill) bool { return b.Ref == "ABC/S/101" })
	if i < 0 || got[i].Party != "Rajesh Enterprises" || got[i].Pending != service.NewBalance(-48_500_00) {
		t.Errorf("bill ABC/S/101 = %+v; want Rajesh Enterprises owing 48,500.00 Dr", got)
	}
}

func TestGatewayTrialBalance(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	for _, tc := range []struct {
		ledgerWise    bool
		has, hasNot   string
		minRows       int
		rajeshDebited bool
	}{
		{false, "Current Assets", "Rajesh Enterprises", 3, false},
		{true, "Rajesh Enterprises", "Current Assets", 10, true},
	} {
		rows, err := gw.TrialBalance(t.Context(), gwCompany, gwToday.Time(), tc.ledgerWise)
		if err != nil {
			t.Fatalf("ledgerWise=%v: %v", tc.ledgerWise, err)
		}
		var dr, cr service.Paise
		names := map[string]service.TrialBalanceRow{}
		for _, r := range rows {
			// A group can hold debit and credit ledgers and fill both
			// columns (§9.3 (E)); a ledger has one side.
			if r.Debit < 0 || r.Credit < 0 || tc.ledgerWise && r.Debit != 0 && r.Credit != 0 {
				t.Errorf("ledgerWise=%v: row %+v: want non-negative amounts, on one side for a ledger", tc.ledgerWise, r)
			}
			dr += r.Debit
			cr += r.Credit
			names[r.Name] = r
		}
		if len(rows) < tc.minRows || dr == 0 || dr != cr {
			t.Errorf("ledgerWise=%v: %d rows, debits %s, credits %s; want at least %d rows with equal totals",
				tc.ledgerWise, len(rows), dr, cr, tc.minRows)
		}
		if _, ok := names[tc.has]; !ok {
			t.Errorf("ledgerWise=%v: no row %q", tc.ledgerWise, tc.has)
		}
		if _, ok := names[tc.hasNot]; ok {
			t.Errorf("ledgerWise=%v: unexpected row %q", tc.ledgerWise, tc.hasNot)
		}
		// The demo's Current Liabilities hold a supplier paid in advance
		// (Dr) beside creditors and output tax (Cr): both columns.
		if cl := names["Current Liabilities"]; !tc.ledgerWise && (cl.Debit == 0 || cl.Credit == 0) {
			t.Errorf("Current Liabilities %+v: want both columns", cl)
		}
		if tc.rajeshDebited {
			want := gwClosing(t, demo, "Rajesh Enterprises", gwToday)
			if got := names["Rajesh Enterprises"]; got.Debit != want.Amount || want.Side != service.Debit {
				t.Errorf("Rajesh Enterprises row %+v; want debit %s", got, want.Amount)
			}
		}
	}
}

// TestGatewayTrialBalanceKeepsBothColumns serves the live capture's shape
// (tally-protocol.md §9.3 (E)): a group row with a debit and a credit amount
// keeps both, as the accountant sees them in Tally, and each column still
// totals 163760.00.
func TestGatewayTrialBalanceKeepsBothColumns(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join("testdata", "samples", "trial-balance-mixed-group-01.xml"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	t.Cleanup(srv.Close)
	rows, err := gwNew(t, srv.URL, tallyxml.ClientConfig{}).TrialBalance(t.Context(), gwCompany, gwToday.Time(), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []service.TrialBalanceRow{
		{Name: "Current Liabilities", Debit: 16_560_00, Credit: 1_63_760_00},
		{Name: "Purchase Accounts", Debit: 1_47_200_00},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if net := rows[0].Net(); net != service.NewBalance(1_47_200_00) {
		t.Errorf("Current Liabilities net %v, want 1,47,200.00 Cr", net)
	}
}

// gwRecorder is an http.RoundTripper that keeps the request bodies.
type gwRecorder struct {
	mu     sync.Mutex
	bodies []string
	next   http.RoundTripper
}

func (r *gwRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	r.mu.Lock()
	r.bodies = append(r.bodies, string(b))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *gwRecorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) == 0 {
		return ""
	}
	return r.bodies[len(r.bodies)-1]
}

// TestGatewayRequestShapes checks what goes on the wire: the report periods
// (SVFROMDATE is 1 April of the financial year containing asOf), the legacy
// Bills Receivable envelope and the Ledgers filter.
func TestGatewayRequestShapes(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	rec := &gwRecorder{next: &http.Transport{DisableKeepAlives: true}}
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{Charset: tallyxml.UTF8, Transport: rec})
	for _, tc := range []struct {
		asOf       tallyxml.Date
		ledgerWise bool
		want       string
	}{
		{gwToday, false, `<SVFROMDATE TYPE="Date">20260401</SVFROMDATE><SVTODATE TYPE="Date">20260623</SVTODATE><EXPLODEFLAG>No</EXPLODEFLAG>`},
		{tallyxml.NewDate(2026, time.March, 31), true, `<SVFROMDATE TYPE="Date">20250401</SVFROMDATE><SVTODATE TYPE="Date">20260331</SVTODATE><EXPLODEFLAG>Yes</EXPLODEFLAG>`},
		{tallyxml.NewDate(2026, time.April, 1), false, `<SVFROMDATE TYPE="Date">20260401</SVFROMDATE><SVTODATE TYPE="Date">20260401</SVTODATE>`},
		{tallyxml.NewDate(2027, time.January, 15), false, `<SVFROMDATE TYPE="Date">20260401</SVFROMDATE><SVTODATE TYPE="Date">20270115</SVTODATE>`},
	} {
		if _, err := gw.TrialBalance(t.Context(), gwCompany, tc.asOf.Time(), tc.ledgerWise); err != nil {
			t.Fatalf("%s: %v", tc.asOf, err)
		}
		if body := rec.last(); !strings.Contains(body, tc.want) || !strings.Contains(body, "<ID>Trial Balance</ID>") {
			t.Errorf("%s: request\n%s\nlacks %s", tc.asOf, body, tc.want)
		}
	}

	if _, err := gw.Receivables(t.Context(), gwCompany, gwToday.Time()); err != nil {
		t.Fatal(err)
	}
	body := rec.last()
	for _, want := range []string{"<TALLYREQUEST>Export Data</TALLYREQUEST>", "<REPORTNAME>Bills Receivable</REPORTNAME>",
		"<SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY>", `<SVTODATE TYPE="Date">20260623</SVTODATE>`} {
		if !strings.Contains(body, want) {
			t.Errorf("Bills Receivable request\n%s\nlacks %s", body, want)
		}
	}
	if strings.Contains(body, "SVFROMDATE") {
		t.Errorf("Bills Receivable request sends SVFROMDATE:\n%s", body)
	}

	// Ledgers: one OR filter; a name asked with a trailing space is asked
	// both ways, and the encoder escapes what XML needs.
	if _, err := gw.Ledgers(t.Context(), gwCompany, []string{"rajesh enterprises ", "A & B <Traders>"}); err != nil {
		t.Fatal(err)
	}
	// encoding/xml writes the TDL quotes as &#34;, which is the same XML.
	body = strings.ReplaceAll(rec.last(), "&#34;", `"`)
	want := `$Name = "rajesh enterprises " OR $Name = "rajesh enterprises" OR $Name = "A &amp; B &lt;Traders&gt;"`
	if !strings.Contains(body, want) || !strings.Contains(body, "<SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY>") {
		t.Errorf("Ledgers request\n%s\nlacks the filter %s", body, want)
	}
}

func TestGatewayCreateParty(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	ctx := t.Context()

	for _, tc := range []struct {
		in   service.NewParty
		want service.Party
	}{
		{
			in: service.NewParty{
				Name: "Naya & Sons <Pune>", Mobile: "98220 11111", Email: "naya@example.in",
				State: "Maharashtra", Country: "India", Pincode: "411001", Address: []string{"1, M G Road", "Pune"},
				GSTIN: "27AAAAN0000A1Z5", BillWise: true, CreditDays: 45,
				ApplicableFrom: time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC),
			},
			want: service.Party{
				Name: "Naya & Sons <Pune>", Group: "Sundry Debtors", Mobile: service.NormalizeMobile("98220 11111"),
				Email: "naya@example.in", State: "Maharashtra", Country: "India", Pincode: "411001",
				Address: []string{"1, M G Road", "Pune"}, GSTIN: "27AAAAN0000A1Z5", GSTRegistrationType: "Regular",
				BillWise: true, CreditPeriod: "45 Days", ClosingKnown: true,
			},
		},
		{
			in: service.NewParty{Name: "सुनील स्टोर्स", Group: "Sundry Creditors", Mobile: "+91 98330 12345"},
			want: service.Party{
				Name: "सुनील स्टोर्स", Group: "Sundry Creditors", Mobile: service.NormalizeMobile("+91 98330 12345"),
				GSTRegistrationType: "Unregistered/Consumer", ClosingKnown: true,
			},
		},
	} {
		out, err := gw.CreateParty(ctx, gwCompany, tc.in)
		if err != nil {
			t.Fatalf("CreateParty(%q): %v (outcome %+v)", tc.in.Name, err, out)
		}
		if out.Created != 1 || out.Altered != 0 || out.Errors != 0 {
			t.Errorf("CreateParty(%q) outcome %+v; want Created 1", tc.in.Name, out)
		}
		got, err := gw.Party(ctx, gwCompany, tc.in.Name)
		if err != nil {
			t.Fatalf("Party(%q) after create: %v", tc.in.Name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("read back %q (-want +got):\n%s", tc.in.Name, diff)
		}
	}

	// Creating an existing party: Tally alters it silently; the gateway says
	// so with a Conflict and still returns the outcome.
	out, err := gw.CreateParty(ctx, gwCompany, service.NewParty{Name: "rajesh enterprises", BillWise: true})
	se := gwWantError(t, err, service.Conflict, "party_exists")
	if out.Altered != 1 || out.Created != 0 {
		t.Errorf("outcome %+v; want Altered 1, Created 0", out)
	}
	if se.Hint == "" || !strings.Contains(se.Message, "rajesh enterprises") {
		t.Errorf("error %+v: want the name in Message and a Hint", se)
	}

	// A group that does not exist: Tally's refusal, verbatim.
	out, err = gw.CreateParty(ctx, gwCompany, service.NewParty{Name: "Orphan Traders", Group: "No Such Group"})
	se = gwWantError(t, err, service.Upstream, "tally_rejected")
	if se.Message != "Group 'No Such Group' does not exist!" || out.Errors != 1 || len(out.LineErrors) != 1 {
		t.Errorf("Message %q, outcome %+v", se.Message, out)
	}

	// A name XML cannot carry never reaches Tally.
	count := gwRequests(t, sim)
	_, err = gw.CreateParty(ctx, gwCompany, service.NewParty{Name: "Bad\x01Name"})
	gwWantError(t, err, service.Invalid, "invalid_for_tally")
	if n := count(); n != 0 {
		t.Errorf("an unsendable party sent %d requests", n)
	}
}

func gwSale(remoteID, party, salesLedger string, rupees int64) service.Voucher {
	total := service.Paise(rupees * 118) // rupees * 100 paise * 1.18
	base := service.Paise(rupees * 100)
	tax := (total - base) / 2
	return service.Voucher{
		Type: "Sales", RemoteID: remoteID, Date: time.Date(2026, time.June, 20, 0, 0, 0, 0, time.UTC),
		Number: "WA-" + remoteID, Reference: "order " + remoteID, Party: party, Narration: "WhatsApp order " + remoteID,
		Entries: []service.Entry{
			{Ledger: party, Amount: -total, IsParty: true,
				Bills: []service.BillRef{{Name: "WA/" + remoteID, Type: "New Ref", CreditDays: 15, Amount: -total}}},
			{Ledger: salesLedger, Amount: base},
			{Ledger: "CGST", Amount: tax},
			{Ledger: "SGST", Amount: tax},
		},
	}
}

func TestGatewayPostVoucher(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	ctx := t.Context()

	before := gwClosing(t, demo, "Rajesh Enterprises", tallyxml.Date{})
	v := gwSale("gw-1001", "Rajesh Enterprises", "Sales", 10000)
	first, err := gw.PostVoucher(ctx, gwCompany, v)
	if err != nil {
		t.Fatalf("first post: %v (outcome %+v)", err, first)
	}
	if first.Created != 1 || first.Altered != 0 || first.LastVoucherID == 0 {
		t.Errorf("first post outcome %+v; want Created 1 with a LastVoucherID", first)
	}
	second, err := gw.PostVoucher(ctx, gwCompany, v)
	if err != nil {
		t.Fatalf("resend: %v (outcome %+v)", err, second)
	}
	if second.Created != 0 || second.Altered != 1 {
		t.Errorf("resend outcome %+v; want Altered 1", second)
	}
	var stored []tallysim.Voucher
	for _, sv := range demo.Vouchers() {
		if sv.RemoteID == "gw-1001" {
			stored = append(stored, sv)
		}
	}
	if len(stored) != 1 {
		t.Fatalf("simulator holds %d vouchers with REMOTEID gw-1001; want 1", len(stored))
	}
	wantEntries := []tallysim.Entry{
		{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(-11_800_00),
			Bills: []tallysim.BillAllocation{{Name: "WA/gw-1001", Type: "New Ref", Amount: tallyxml.Paise(-11_800_00),
				DueDate: tallyxml.NewDate(2026, time.July, 5)}}},
		{Ledger: "Sales", Amount: tallyxml.Paise(10_000_00)},
		{Ledger: "CGST", Amount: tallyxml.Paise(900_00)},
		{Ledger: "SGST", Amount: tallyxml.Paise(900_00)},
	}
	if diff := cmp.Diff(wantEntries, stored[0].Entries, cmp.AllowUnexported(tallyxml.Amount{}, tallyxml.Date{})); diff != "" {
		t.Errorf("stored entries (-want +got):\n%s", diff)
	}
	if stored[0].Party != "Rajesh Enterprises" || stored[0].Type != "Sales" || stored[0].Date != tallyxml.NewDate(2026, time.June, 20) {
		t.Errorf("stored voucher %+v", stored[0])
	}
	after := gwClosing(t, demo, "Rajesh Enterprises", tallyxml.Date{})
	if after.Signed-before.Signed != -11_800_00 {
		t.Errorf("Rajesh moved from %v to %v; want exactly one 11,800.00 Dr sale", before, after)
	}

	// An unknown ledger: Tally's LINEERROR verbatim, with the outcome.
	out, err := gw.PostVoucher(ctx, gwCompany, gwSale("gw-1002", "Rajesh Enterprises", "Online Sales", 500))
	se := gwWantError(t, err, service.Upstream, "tally_rejected")
	if se.Message != "Ledger 'Online Sales' does not exist!" {
		t.Errorf("Message = %q; want Tally's LINEERROR verbatim", se.Message)
	}
	if out.Errors != 1 || out.Created != 0 || !slices.Equal(out.LineErrors, []string{"Ledger 'Online Sales' does not exist!"}) {
		t.Errorf("outcome %+v", out)
	}
	if se.Hint == "" {
		t.Error("no Hint for a missing ledger")
	}

	// An unbalanced voucher never reaches Tally.
	bad := gwSale("gw-1003", "Rajesh Enterprises", "Sales", 500)
	bad.Entries[1].Amount++
	count := gwRequests(t, sim)
	_, err = gw.PostVoucher(ctx, gwCompany, bad)
	gwWantError(t, err, service.Invalid, "invalid_for_tally")
	if n := count(); n != 0 {
		t.Errorf("an unbalanced voucher sent %d requests", n)
	}
}

// TestGatewayErrorTranslation drives real faults through the simulator and
// checks the codes a read (Party) and a write (PostVoucher) get.
func TestGatewayErrorTranslation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault      tallysim.Fault
		timeout    time.Duration
		read       string
		write      string
		writeKind  service.Kind
		noRequests bool
	}{
		{tallysim.Refuse, 2 * time.Second, "tally_unreachable", "tally_unreachable", service.Unavailable, true},
		{tallysim.Hang, 250 * time.Millisecond, "tally_timeout", "tally_outcome_unknown", service.Unavailable, false},
		{tallysim.Reset, 2 * time.Second, "tally_connection_reset", "tally_outcome_unknown", service.Unavailable, false},
		{tallysim.Garbage, 2 * time.Second, "tally_bad_answer", "tally_outcome_unknown", service.Unavailable, false},
	} {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			sim := gwStartSim(t)
			gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{Timeout: tc.timeout})
			sim.SetFault(tc.fault)
			for _, op := range []struct {
				name string
				code string
				call func() error
			}{
				{"read", tc.read, func() error { _, err := gw.Party(t.Context(), gwCompany, "Rajesh Enterprises"); return err }},
				{"write", tc.write, func() error {
					_, err := gw.PostVoucher(t.Context(), gwCompany, gwSale("gw-f1", "Rajesh Enterprises", "Sales", 100))
					return err
				}},
			} {
				before := len(sim.Requests())
				se := gwWantError(t, op.call(), service.Unavailable, op.code)
				if se.Hint == "" || se.Err == nil {
					t.Errorf("%s: want a Hint and the cause, got %+v", op.name, se)
				}
				if strings.Contains(se.Message, "127.0.0.1") || strings.Contains(se.Message, "tallyxml") {
					t.Errorf("%s: Message %q leaks internals", op.name, se.Message)
				}
				if op.code == "tally_outcome_unknown" && !strings.Contains(se.Hint, "before sending it again") {
					t.Errorf("%s: Hint %q does not say to read back first", op.name, se.Hint)
				}
				if tc.fault == tallysim.Hang {
					// Release the "dialog" so the serial gateway frees up.
					sim.SetFault(tallysim.NoFault)
					gwWaitRequests(t, sim, before+1)
					sim.SetFault(tc.fault)
				}
			}
			if tc.noRequests && len(sim.Requests()) != 0 {
				t.Errorf("a refused gateway logged %d requests", len(sim.Requests()))
			}
			sim.SetFault(tallysim.NoFault)
		})
	}

	t.Run("company not loaded", func(t *testing.T) {
		t.Parallel()
		sim := gwStartSim(t)
		gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
		ctx := t.Context()
		const other = "Bhrama Enterprises"
		for _, op := range []struct {
			name string
			call func() error
		}{
			{"party", func() error { _, err := gw.Party(ctx, other, "Rajesh Enterprises"); return err }},
			{"receivables", func() error { _, err := gw.Receivables(ctx, other, gwToday.Time()); return err }},
			{"trial balance", func() error { _, err := gw.TrialBalance(ctx, other, gwToday.Time(), false); return err }},
			{"create party", func() error { _, err := gw.CreateParty(ctx, other, service.NewParty{Name: "X"}); return err }},
			{"post voucher", func() error {
				_, err := gw.PostVoucher(ctx, other, gwSale("gw-c1", "Rajesh Enterprises", "Sales", 100))
				return err
			}},
		} {
			se := gwWantError(t, op.call(), service.Unavailable, "company_not_loaded")
			if !strings.Contains(se.Message, other) || !strings.Contains(se.Hint, "TALLY_COMPANY") {
				t.Errorf("%s: Message %q / Hint %q should name the company and the fix", op.name, se.Message, se.Hint)
			}
		}
	})

	t.Run("caller went away", func(t *testing.T) {
		t.Parallel()
		sim := gwStartSim(t)
		gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := gw.Party(ctx, gwCompany, "Rajesh Enterprises")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v; want context.Canceled", err)
		}
		if _, ok := service.AsError(err); ok {
			t.Errorf("err = %v; want the cancellation as is, not a *service.Error", err)
		}
	})
}

// TestGatewayAnswerShapes serves Tally's other failure shapes from a canned
// server and checks their translation.
func TestGatewayAnswerShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		kind    service.Kind
		code    string
		message string
	}{
		{"exception", 200, "<EXCEPTION>Memory Access Violation</EXCEPTION>", service.Upstream, "tally_error", "Memory Access Violation"},
		{"errormsg", 200, "<ERRORMSG>Company is busy</ERRORMSG>", service.Upstream, "tally_error", "Company is busy"},
		// Only an object export reads "Could not find" as not found.
		{"could not find on a report", 200, "<ERRORMSG>Could not find Report:Trial Balance!</ERRORMSG>", service.Upstream, "tally_error",
			"Could not find Report:Trial Balance!"},
		{"status 0", 200, "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>0</STATUS></HEADER><BODY><DATA>DESC not found</DATA></BODY></ENVELOPE>",
			service.Upstream, "tally_error", "DESC not found"},
		{"unknown request", 200, "<RESPONSE>Unknown Request, cannot be processed</RESPONSE>", service.Upstream, "tally_unknown_request", ""},
		{"empty body", 200, "", service.Unavailable, "company_not_loaded", ""},
		{"proxy error", 502, "Bad Gateway", service.Unavailable, "tally_bad_answer", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			gw := gwNew(t, srv.URL, tallyxml.ClientConfig{Charset: tallyxml.UTF8})
			_, err := gw.TrialBalance(t.Context(), gwCompany, gwToday.Time(), false)
			se := gwWantError(t, err, tc.kind, tc.code)
			if tc.message != "" && se.Message != tc.message {
				t.Errorf("Message = %q; want Tally's text %q", se.Message, tc.message)
			}
			if se.Message == "" || strings.Contains(se.Message, srv.URL) {
				t.Errorf("Message %q: want a safe, non-empty message", se.Message)
			}
		})
	}

	// A missing object on real Tally is a bare "Could not find" ERRORMSG
	// (tally-protocol.md §9.3 (B), LIVE); an envelope without the ledger is
	// read as missing too. All are NotFound.
	for name, body := range map[string]string{
		"could not find (null):Ledger": "<ERRORMSG>Could not find (null):Ledger!</ERRORMSG>\r\n",
		"could not find Ledger:name":   "<ERRORMSG>Could not find Ledger:Rajesh Enterprises!</ERRORMSG>",
		"empty data":                   "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA></DATA></BODY></ENVELOPE>",
		"unnamed ledger": "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA><TALLYMESSAGE>" +
			"<LEDGER NAME=\"\" RESERVEDNAME=\"\"><PARENT TYPE=\"String\"></PARENT></LEDGER></TALLYMESSAGE></DATA></BODY></ENVELOPE>",
	} {
		t.Run("missing object/"+name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, body)
			}))
			t.Cleanup(srv.Close)
			_, err := gwNew(t, srv.URL, tallyxml.ClientConfig{}).Party(t.Context(), gwCompany, "Rajesh Enterprises")
			gwWantError(t, err, service.NotFound, "party_not_found")
		})
	}

	// EXCEPTIONS=1 without a LINEERROR (§9.4): rejected, with a summary.
	t.Run("silent exception", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "<RESPONSE><CREATED>0</CREATED><ALTERED>0</ALTERED><LASTVCHID>0</LASTVCHID>"+
				"<ERRORS>0</ERRORS><EXCEPTIONS>1</EXCEPTIONS></RESPONSE>")
		}))
		t.Cleanup(srv.Close)
		out, err := gwNew(t, srv.URL, tallyxml.ClientConfig{}).PostVoucher(t.Context(), gwCompany,
			gwSale("gw-x1", "Rajesh Enterprises", "Sales", 100))
		se := gwWantError(t, err, service.Upstream, "tally_rejected")
		if out.Exceptions != 1 || !strings.Contains(se.Message, "exceptions 1") || se.Hint == "" {
			t.Errorf("outcome %+v, error %+v", out, se)
		}
	})

	t.Run("busy", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			entered <- struct{}{}
			<-release
			_, _ = io.WriteString(w, "<ENVELOPE></ENVELOPE>")
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		gw := gwNew(t, srv.URL, tallyxml.ClientConfig{QueueWait: 50 * time.Millisecond})
		done := make(chan error, 1)
		go func() {
			_, err := gw.TrialBalance(context.Background(), gwCompany, gwToday.Time(), false)
			done <- err
		}()
		<-entered
		_, err := gw.Party(t.Context(), gwCompany, "Rajesh Enterprises")
		gwWantError(t, err, service.Unavailable, "tally_busy")
	})
}

// TestGatewayVouchers reads back a posted voucher by date, as the order queue
// does after a write of unknown fate, and checks the date filter bounds rows.
func TestGatewayVouchers(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	v := gwSale("gw-readback", "Priya Textiles", "Sales", 2500)
	v.Narration = "Order X [tallyfacade:gw-readback]"
	if _, err := gw.PostVoucher(t.Context(), gwCompany, v); err != nil {
		t.Fatal(err)
	}
	got, err := gw.Vouchers(t.Context(), gwCompany, v.Date, v.Date)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, s := range got {
		if !s.Date.Equal(v.Date) {
			t.Errorf("voucher dated %v outside the asked day %v", s.Date, v.Date)
		}
		if s.RemoteID == "gw-readback" && strings.Contains(s.Narration, "[tallyfacade:gw-readback]") && s.Party == "Priya Textiles" {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("read back %d matching vouchers among %+v; want 1", found, got)
	}
	none, err := gw.Vouchers(t.Context(), gwCompany, v.Date.AddDate(1, 0, 0), v.Date.AddDate(1, 0, 0))
	if err != nil || len(none) != 0 {
		t.Fatalf("a day with no vouchers = %+v, %v", none, err)
	}
}
