package service_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

// fakeGateway is an in-memory Tally for service tests: it answers from maps
// and records what was posted.
type fakeGateway struct {
	mu        sync.Mutex
	companies []service.Company
	ledgers   map[string]service.Party // folded name → party
	groups    []service.Master
	bills     []service.Bill
	created   []service.NewParty
	vouchers  map[string]service.Voucher // by RemoteID
	calls     map[string]int
	// Failure injection: readErr fails the ledger read; postErr, when it
	// returns an error, fails PostVoucher after (applied true) or before
	// storing the voucher, as Tally does on a timeout after receiving.
	readErr error
	postErr func(v service.Voucher) (err error, applied bool)
	// cancelled holds the RemoteIDs of cancelled vouchers. cancelErr fails
	// CancelVoucher after (applied true) or before cancelling;
	// cancelDuplicates answers a cancel as the EDU Edit Log build did: a
	// new voucher, the target untouched (tally-protocol.md §9.4).
	cancelled        map[string]bool
	cancelErr        func() (err error, applied bool)
	cancelDuplicates bool
	// items are the company's stock items.
	items []service.StockItem
}

var _ service.Gateway = (*fakeGateway)(nil)

func newFake() *fakeGateway {
	f := &fakeGateway{
		companies: []service.Company{{Name: "ABC Traders", State: "Maharashtra"}},
		ledgers:   map[string]service.Party{},
		vouchers:  map[string]service.Voucher{},
		cancelled: map[string]bool{},
		calls:     map[string]int{},
		groups: []service.Master{
			{Name: "Current Assets"}, {Name: "Current Liabilities"}, {Name: "Sales Accounts"}, {Name: "Loans & Advances (Asset)", Parent: "Current Assets"},
			{Name: "Sundry Debtors", Parent: "Current Assets"}, {Name: "Bank Accounts", Parent: "Current Assets"},
			{Name: "Cash-in-Hand", Parent: "Current Assets"}, {Name: "Duties & Taxes", Parent: "Current Liabilities"},
			{Name: "Sundry Creditors", Parent: "Current Liabilities"},
		},
	}
	for _, p := range []service.Party{
		{Name: "Rajesh Enterprises", Group: "Sundry Debtors", State: "Maharashtra", Mobile: service.NormalizeMobile("9820012345")},
		{Name: "Sharma & Sons", Group: "Sundry Debtors", State: "Gujarat"},
		{Name: "Priya Textiles", Group: "Sundry Debtors", State: "Maharashtra"},
		{Name: "Sales", Group: "Sales Accounts"},
		{Name: "CGST", Group: "Duties & Taxes"},
		{Name: "SGST", Group: "Duties & Taxes"},
		{Name: "IGST", Group: "Duties & Taxes"},
	} {
		f.ledgers[strings.ToLower(p.Name)] = p
	}
	return f
}

func (f *fakeGateway) call(name string) {
	f.mu.Lock()
	f.calls[name]++
	f.mu.Unlock()
}

func (f *fakeGateway) Status(ctx context.Context) (service.TallyStatus, error) {
	f.call("Status")
	return service.TallyStatus{Product: "TallyPrime"}, nil
}

func (f *fakeGateway) Companies(ctx context.Context) ([]service.Company, error) {
	f.call("Companies")
	return f.companies, nil
}

func (f *fakeGateway) Parties(ctx context.Context, company, group string) ([]service.Party, error) {
	f.call("Parties")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []service.Party
	for _, p := range f.ledgers {
		if p.Group == group {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeGateway) Party(ctx context.Context, company, name string) (service.Party, error) {
	f.call("Party")
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.ledgers[strings.ToLower(name)]
	if !ok {
		return service.Party{}, service.Errorf(service.NotFound, "party_not_found", "no party %q", name)
	}
	return p, nil
}

func (f *fakeGateway) Groups(ctx context.Context, company string) ([]service.Master, error) {
	f.call("Groups")
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]service.Master(nil), f.groups...), nil
}

func (f *fakeGateway) LedgerNames(ctx context.Context, company string) ([]service.Master, error) {
	f.call("LedgerNames")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []service.Master
	for _, p := range f.ledgers {
		out = append(out, service.Master{Name: p.Name, Parent: p.Group})
	}
	return out, nil
}

func (f *fakeGateway) Ledgers(ctx context.Context, company string, names []string) (map[string]service.Party, error) {
	f.call("Ledgers")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return nil, f.readErr
	}
	out := map[string]service.Party{}
	for _, n := range names {
		if p, ok := f.ledgers[strings.ToLower(n)]; ok {
			out[n] = p
		}
	}
	return out, nil
}

func (f *fakeGateway) StockItems(ctx context.Context, company string) ([]service.StockItem, error) {
	f.call("StockItems")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return nil, f.readErr
	}
	return append([]service.StockItem(nil), f.items...), nil
}

func (f *fakeGateway) Receivables(ctx context.Context, company string, asOf time.Time) ([]service.Bill, error) {
	f.call("Receivables")
	return f.bills, nil
}

func (f *fakeGateway) TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) ([]service.TrialBalanceRow, error) {
	f.call("TrialBalance")
	return []service.TrialBalanceRow{{Name: "Capital Account", Credit: 100000}, {Name: "Current Assets", Debit: 100000}}, nil
}

func (f *fakeGateway) CreateParty(ctx context.Context, company string, p service.NewParty) (service.ImportOutcome, error) {
	f.call("CreateParty")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, p)
	f.ledgers[strings.ToLower(p.Name)] = service.Party{Name: p.Name, Group: p.Group, State: p.State, Mobile: service.NormalizeMobile(p.Mobile)}
	return service.ImportOutcome{Created: 1}, nil
}

func (f *fakeGateway) PostVoucher(ctx context.Context, company string, v service.Voucher) (service.ImportOutcome, error) {
	f.call("PostVoucher")
	f.mu.Lock()
	defer f.mu.Unlock()
	var sum service.Paise
	for _, e := range v.Entries {
		if _, ok := f.ledgers[strings.ToLower(e.Ledger)]; !ok {
			return service.ImportOutcome{Errors: 1, LineErrors: []string{"Ledger '" + e.Ledger + "' does not exist!"}},
				service.Errorf(service.Upstream, "tally_rejected", "Ledger '%s' does not exist!", e.Ledger)
		}
		sum += e.Amount
	}
	for _, il := range v.Inventory {
		if !slices.ContainsFunc(f.items, func(it service.StockItem) bool { return strings.EqualFold(it.Name, il.Item) }) {
			return service.ImportOutcome{Errors: 1}, service.Errorf(service.Upstream, "tally_rejected", "Stock Item '%s' does not exist!", il.Item)
		}
		sum += il.Amount
	}
	if sum != 0 {
		return service.ImportOutcome{Errors: 1}, service.Errorf(service.Upstream, "tally_rejected", "Voucher totals do not match!")
	}
	if f.postErr != nil {
		if err, applied := f.postErr(v); err != nil {
			if applied {
				f.vouchers[v.RemoteID] = v
			}
			return service.ImportOutcome{}, err
		}
	}
	_, seen := f.vouchers[v.RemoteID]
	f.vouchers[v.RemoteID] = v
	if seen {
		return service.ImportOutcome{Altered: 1}, nil
	}
	return service.ImportOutcome{Created: 1, LastVoucherID: len(f.vouchers)}, nil
}

func (f *fakeGateway) CancelVoucher(ctx context.Context, company string, v service.VoucherRef) (service.ImportOutcome, error) {
	f.call("CancelVoucher")
	f.mu.Lock()
	defer f.mu.Unlock()
	target, ok := f.vouchers[v.RemoteID]
	if !ok {
		return service.ImportOutcome{Errors: 1}, service.Errorf(service.Upstream, "tally_rejected", "Voucher does not exist!")
	}
	if f.cancelDuplicates {
		target.RemoteID += "-duplicate"
		f.vouchers[target.RemoteID] = target
		return service.ImportOutcome{Created: 1}, nil
	}
	if f.cancelErr != nil {
		if err, applied := f.cancelErr(); err != nil {
			f.cancelled[v.RemoteID] = f.cancelled[v.RemoteID] || applied
			return service.ImportOutcome{}, err
		}
	}
	f.cancelled[v.RemoteID] = true
	return service.ImportOutcome{Altered: 1}, nil
}

func (f *fakeGateway) Vouchers(ctx context.Context, company string, from, to time.Time) ([]service.VoucherSummary, error) {
	f.call("Vouchers")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []service.VoucherSummary
	for _, v := range f.vouchers {
		if !v.Date.Before(from) && !v.Date.After(to) {
			out = append(out, service.VoucherSummary{Type: v.Type, Date: v.Date, Party: v.Party, Narration: v.Narration, RemoteID: v.RemoteID,
				Cancelled: f.cancelled[v.RemoteID]})
		}
	}
	return out, nil
}

var today = time.Date(2026, time.June, 23, 0, 0, 0, 0, time.UTC)

func newService(f *fakeGateway) *service.Service {
	return service.New(f, service.Config{Company: "ABC Traders",
		Now: func() time.Time { return today.Add(10 * time.Hour) }})
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestExecuteOrderExistingIntraStateParty(t *testing.T) {
	t.Parallel()
	f := newFake()
	svc := newService(f)
	order := service.Order{
		Ref:   "WA-1001",
		Party: service.NewParty{Name: "rajesh enterprises"}, // Tally folds case
		Lines: []service.OrderLine{
			{Item: "Steel rod", Quantity: dec("10"), Rate: 45000},                // 4,500.00 at 18%
			{Item: "Bolts", Quantity: dec("2.5"), Rate: 1999, GSTRate: ptr("5")}, // 49.975 → 49.98 at 5%
		},
	}
	res, err := svc.ExecuteOrder(t.Context(), order)
	if err != nil {
		t.Fatal(err)
	}
	// 4,500.00 + 49.98 taxable; CGST = SGST = 405.00 + 1.25 (2.5% of 49.98 = 1.2495 → 1.25).
	wantTotal := service.Paise(454998 + 2*(40500+125))
	if res.Pricing.Total != wantTotal || res.PartyCreated || res.Party != "Rajesh Enterprises" || res.Ref != "WA-1001" {
		t.Fatalf("result %+v; want total %v for the existing party", res, wantTotal)
	}
	if !res.Due.Equal(today.AddDate(0, 0, 30)) || !res.Date.Equal(today) {
		t.Errorf("date %v due %v; want today and 30 days later", res.Date, res.Due)
	}
	v := f.vouchers[res.RemoteID]
	want := []service.Entry{
		{Ledger: "Rajesh Enterprises", Amount: -wantTotal, IsParty: true,
			Bills: []service.BillRef{{Name: "WA-1001", Type: "New Ref", CreditDays: 30, Amount: -wantTotal}}},
		{Ledger: "Sales", Amount: 454998},
		{Ledger: "CGST", Amount: 40625},
		{Ledger: "SGST", Amount: 40625},
	}
	if diff := cmp.Diff(want, v.Entries); diff != "" {
		t.Errorf("voucher entries (-want +got):\n%s", diff)
	}
	if !strings.Contains(v.Narration, res.RemoteID) || v.Type != "Sales" {
		t.Errorf("voucher %+v: want a Sales voucher whose narration carries the REMOTEID", v)
	}
	if got := f.calls["Ledgers"] + f.calls["Companies"] + f.calls["PostVoucher"] + f.calls["CreateParty"]; got != 3 {
		t.Errorf("gateway calls %v; want one read, one company lookup, one post", f.calls)
	}

	// The same order again replaces the same voucher.
	again, err := svc.ExecuteOrder(t.Context(), order)
	if err != nil {
		t.Fatal(err)
	}
	if again.RemoteID != res.RemoteID || !again.Replaced || len(f.vouchers) != 1 {
		t.Fatalf("resend: remote id %s replaced %v vouchers %d; want the same voucher replaced", again.RemoteID, again.Replaced, len(f.vouchers))
	}
	if f.calls["Companies"] != 1 {
		t.Errorf("company state looked up %d times; want once", f.calls["Companies"])
	}
}

func TestExecuteOrderCreatesMissingInterStateParty(t *testing.T) {
	t.Parallel()
	f := newFake()
	svc := newService(f)
	days := 15
	res, err := svc.ExecuteOrder(t.Context(), service.Order{
		Party:      service.NewParty{Name: "Nair Agencies", Mobile: "09847033344", State: "Karnataka"},
		Lines:      []service.OrderLine{{Item: "Paint", Quantity: dec("3"), Rate: 33333}},
		CreditDays: &days,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.PartyCreated || len(f.created) != 1 || f.created[0].Group != "Sundry Debtors" || f.created[0].State != "Karnataka" {
		t.Fatalf("created %+v; want one new Sundry Debtors party in Karnataka", f.created)
	}
	v := f.vouchers[res.RemoteID]
	// 999.99 taxable, IGST 18% = 179.9982 → 180.00.
	want := []service.Entry{
		{Ledger: "Nair Agencies", Amount: -117999, IsParty: true,
			Bills: []service.BillRef{{Name: res.Ref, Type: "New Ref", CreditDays: 15, Amount: -117999}}},
		{Ledger: "Sales", Amount: 99999},
		{Ledger: "IGST", Amount: 18000},
	}
	if diff := cmp.Diff(want, v.Entries); diff != "" {
		t.Errorf("voucher entries (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(res.Ref, "ORD-") {
		t.Errorf("ref %q; want a derived ORD- reference", res.Ref)
	}
	if !f.created[0].BillWise || f.created[0].CreditDays != 15 {
		t.Errorf("created %+v; want a bill-wise party with the order's 15 days", f.created[0])
	}
	// Without an order_ref each order is a new one, even with the same
	// content; the party is not created again.
	again, err := svc.ExecuteOrder(t.Context(), service.Order{
		Party: service.NewParty{Name: "Nair Agencies"}, CreditDays: &days,
		Lines: []service.OrderLine{{Item: "Paint", Quantity: dec("3"), Rate: 33333}},
	})
	if err != nil || again.RemoteID == res.RemoteID || again.PartyCreated || len(f.vouchers) != 2 {
		t.Fatalf("resend = %+v, %v; want a second voucher and no second create", again, err)
	}
}

func TestExecuteOrderErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		mutate   func(*fakeGateway)
		order    service.Order
		wantCode string
		wantText string
	}{
		{"missing tax ledger", func(f *fakeGateway) { delete(f.ledgers, "igst") },
			service.Order{Party: service.NewParty{Name: "Sharma & Sons"}, Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}},
			"ledger_missing", "'IGST'"},
		{"missing sales ledger", nil,
			service.Order{Party: service.NewParty{Name: "Rajesh Enterprises"}, SalesLedger: "Sales @ 28%", Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}},
			"ledger_missing", "'Sales @ 28%'"},
		{"no lines", nil, service.Order{Party: service.NewParty{Name: "Rajesh Enterprises"}}, "order_no_lines", ""},
		{"no party name", nil, service.Order{Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}}, "invalid_name", ""},
		{"control character in party", nil, service.Order{Party: service.NewParty{Name: "Bad\x04Name"}, Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}}, "invalid_name", ""},
		{"bad mobile for a new party", nil, service.Order{Party: service.NewParty{Name: "New Co", Mobile: "12345"}, Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}}, "invalid_mobile", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			if tc.mutate != nil {
				tc.mutate(f)
			}
			_, err := newService(f).ExecuteOrder(t.Context(), tc.order)
			e, ok := service.AsError(err)
			if !ok || e.Code != tc.wantCode || e.Kind != service.Invalid || !strings.Contains(e.Message, tc.wantText) {
				t.Fatalf("err = %v; want Invalid %s mentioning %q", err, tc.wantCode, tc.wantText)
			}
			if len(f.vouchers) != 0 || len(f.created) != 0 {
				t.Errorf("posted %d vouchers, created %d parties; want nothing written", len(f.vouchers), len(f.created))
			}
		})
	}
}

func TestReceivables(t *testing.T) {
	t.Parallel()
	f := newFake()
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	f.bills = []service.Bill{
		{Party: "Rajesh Enterprises", Ref: "ABC/S/101", Date: d(5, 11), Due: d(6, 10), Pending: service.NewBalance(-4850000)},
		{Party: "Rajesh Enterprises", Ref: "ABC/S/120", Date: d(6, 20), Due: d(7, 20), Pending: service.NewBalance(-100000)},
		{Party: "Sharma & Sons", Ref: "ABC/S/103", Date: d(4, 9), Due: d(5, 24), Pending: service.NewBalance(-3540000)},
		{Party: "Bharat Steel Suppliers", Ref: "ADV-1", Date: d(6, 1), Pending: service.NewBalance(-50000)}, // a supplier advance: no due date
	}
	svc := newService(f)
	for _, tc := range []struct {
		name        string
		q           service.ReceivablesQuery
		wantBills   int
		wantTotal   service.Paise
		wantOverdue service.Paise
	}{
		{"all", service.ReceivablesQuery{}, 4, 4850000 + 100000 + 3540000 + 50000, 4850000 + 3540000 + 50000},
		{"overdue only", service.ReceivablesQuery{OverdueOnly: true}, 3, 4850000 + 3540000 + 50000, 4850000 + 3540000 + 50000},
		{"min amount", service.ReceivablesQuery{MinAmount: 1000000}, 2, 4850000 + 3540000, 4850000 + 3540000},
		{"one party", service.ReceivablesQuery{Party: "RAJESH ENTERPRISES"}, 2, 4950000, 4850000},
		{"as of an earlier date", service.ReceivablesQuery{AsOf: d(6, 1), OverdueOnly: true}, 1, 3540000, 3540000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := svc.Receivables(t.Context(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got.Bills != tc.wantBills || got.Total != tc.wantTotal || got.OverdueTotal != tc.wantOverdue {
				t.Fatalf("bills %d total %v overdue %v; want %d, %v, %v", got.Bills, got.Total, got.OverdueTotal, tc.wantBills, tc.wantTotal, tc.wantOverdue)
			}
		})
	}
	got, err := svc.Receivables(t.Context(), service.ReceivablesQuery{Party: "Rajesh Enterprises"})
	if err != nil {
		t.Fatal(err)
	}
	b := got.Parties[0].Bills[0]
	if b.Ref != "ABC/S/101" || b.OverdueDays != 13 || b.Amount != 4850000 {
		t.Errorf("first bill %+v; want ABC/S/101, 13 days overdue on 23 June, 48,500.00", b)
	}
}

func TestCreatePartyRefusesToAlterAnExistingParty(t *testing.T) {
	t.Parallel()
	f := newFake()
	svc := newService(f)
	_, err := svc.CreateParty(t.Context(), "", service.NewParty{Name: "Sharma & Sons", Group: "Sundry Creditors"})
	e, ok := service.AsError(err)
	if !ok || e.Kind != service.Conflict || e.Code != "party_exists" {
		t.Fatalf("err = %v; want a party_exists conflict", err)
	}
	if p, ok := e.Subject.(service.Party); !ok || p.Group != "Sundry Debtors" {
		t.Errorf("subject %+v; want the existing party, still under Sundry Debtors", e.Subject)
	}
	if len(f.created) != 0 {
		t.Errorf("created %+v; want nothing sent to Tally", f.created)
	}

	p, err := svc.CreateParty(t.Context(), "", service.NewParty{Name: "Kaveri Traders", Mobile: "98200 11111", CreditDays: 30})
	if err != nil || p.Name != "Kaveri Traders" || p.Group != "Sundry Debtors" || p.Mobile.E164 != "+919820011111" {
		t.Fatalf("create = %+v, %v", p, err)
	}
	if !f.created[0].ApplicableFrom.Equal(today) {
		t.Errorf("applicable from %v; want today", f.created[0].ApplicableFrom)
	}
}

func TestListParties(t *testing.T) {
	t.Parallel()
	svc := newService(newFake())
	page, err := svc.ListParties(t.Context(), service.PartyQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range page.Parties {
		names = append(names, p.Name)
	}
	if diff := cmp.Diff([]string{"Priya Textiles", "Rajesh Enterprises"}, names); diff != "" || page.Total != 3 {
		t.Errorf("page (total %d) (-want +got):\n%s", page.Total, diff)
	}
	page, err = svc.ListParties(t.Context(), service.PartyQuery{Search: "SONS"})
	if err != nil || page.Total != 1 || page.Parties[0].Name != "Sharma & Sons" {
		t.Errorf("search = %+v, %v", page, err)
	}
	if _, err := svc.ListParties(t.Context(), service.PartyQuery{Limit: 501}); service.KindOf(err) != service.Invalid {
		t.Errorf("limit 501: err = %v; want Invalid", err)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	f := newFake()
	st, err := newService(f).Status(t.Context())
	if err != nil || !st.CompanyLoaded || st.Product != "TallyPrime" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	st, err = service.New(f, service.Config{Company: "Other Co"}).Status(t.Context())
	if err != nil || st.CompanyLoaded {
		t.Fatalf("status for an unloaded company = %+v, %v; want not loaded", st, err)
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	wrapped := errors.Join(errors.New("ctx"), service.Errorf(service.NotFound, "party_not_found", "x"))
	if service.KindOf(wrapped) != service.NotFound || service.KindOf(errors.New("plain")) != service.Internal {
		t.Fatal("KindOf does not find the kind in a chain, or does not default to Internal")
	}
}

func ptr(s string) *decimal.Decimal { d := dec(s); return &d }

func TestOrderIdentityAndGuards(t *testing.T) {
	t.Parallel()
	line := []service.OrderLine{{Item: "Widget", Quantity: dec("1"), Rate: 10000}}

	t.Run("one order_ref for two parties is two vouchers", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		svc := newService(f)
		a, errA := svc.ExecuteOrder(t.Context(), service.Order{Ref: "1", Party: service.NewParty{Name: "Priya Textiles"}, Lines: line})
		b, errB := svc.ExecuteOrder(t.Context(), service.Order{Ref: "1", Party: service.NewParty{Name: "Sharma & Sons"}, Lines: line})
		if errA != nil || errB != nil || a.RemoteID == b.RemoteID || b.Replaced || len(f.vouchers) != 2 {
			t.Fatalf("a %s (%v), b %s replaced %v (%v), %d vouchers; want two vouchers", a.RemoteID, errA, b.RemoteID, b.Replaced, errB, len(f.vouchers))
		}
	})
	t.Run("a ledger that is not a customer is refused", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		f.ledgers["cash"] = service.Party{Name: "Cash", Group: "Cash-in-Hand"}
		svc := newService(f)
		for _, name := range []string{"Cash", "sales", "CGST"} {
			_, err := svc.ExecuteOrder(t.Context(), service.Order{Party: service.NewParty{Name: name}, Lines: line})
			if e, ok := service.AsError(err); !ok || e.Code != "party_not_a_customer" {
				t.Errorf("party %q: err %v; want party_not_a_customer", name, err)
			}
		}
		if len(f.vouchers) != 0 {
			t.Errorf("posted %d vouchers; want none", len(f.vouchers))
		}
	})
	t.Run("without order_ref each order is a new voucher", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		svc := newService(f)
		o := service.Order{Party: service.NewParty{Name: "Priya Textiles"}, Lines: line}
		x, errX := svc.ExecuteOrder(t.Context(), o)
		y, errY := svc.ExecuteOrder(t.Context(), o)
		if errX != nil || errY != nil || x.RemoteID == y.RemoteID || y.Replaced || len(f.vouchers) != 2 {
			t.Errorf("%s (%v), %s replaced %v (%v), %d vouchers; want two orders", x.RemoteID, errX, y.RemoteID, y.Replaced, errY, len(f.vouchers))
		}
	})
	t.Run("zero GST and zero credit days are honoured", func(t *testing.T) {
		t.Parallel()
		zero := 0
		svc := service.New(newFake(), service.Config{Company: "ABC Traders", Now: func() time.Time { return today },
			DefaultGSTRate: decimal.NewNullDecimal(decimal.Zero), DefaultCreditDays: &zero})
		res, err := svc.ExecuteOrder(t.Context(), service.Order{Party: service.NewParty{Name: "Priya Textiles"}, Lines: line})
		if err != nil || res.Pricing.Total != 10000 || !res.Due.Equal(res.Date) {
			t.Fatalf("order %+v, %v; want no tax and due on the bill date", res, err)
		}
	})
	t.Run("control characters in narration or items are refused before Tally", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		svc := newService(f)
		for _, o := range []service.Order{
			{Party: service.NewParty{Name: "New Co"}, Narration: "hi\x00there", Lines: line},
			{Party: service.NewParty{Name: "New Co"}, Lines: []service.OrderLine{{Item: "a\x01b", Quantity: dec("1"), Rate: 1}}},
		} {
			if _, err := svc.ExecuteOrder(t.Context(), o); service.KindOf(err) != service.Invalid {
				t.Errorf("err %v; want Invalid", err)
			}
		}
		if len(f.created) != 0 || f.calls["Ledgers"] != 0 {
			t.Errorf("Tally was touched: %v", f.calls)
		}
		if _, err := svc.ExecuteOrder(t.Context(), service.Order{Party: service.NewParty{Name: "Priya Textiles"}, Narration: "line 1\nline 2\tok", Lines: line}); err != nil {
			t.Errorf("a multi-line narration: %v", err)
		}
	})
	t.Run("advances stay in receivables unless a minimum is asked", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		f.bills = []service.Bill{{Party: "Bharat Steel", Ref: "ADV", Date: today, Pending: service.NewBalance(50000)}}
		got, err := newService(f).Receivables(t.Context(), service.ReceivablesQuery{AsOf: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)})
		if err != nil || got.Bills != 1 || got.Total != -50000 {
			t.Fatalf("receivables %+v, %v; want the advance as a credit", got, err)
		}
		if d := got.Parties[0].Bills[0].OverdueDays; d < 2_900_000 {
			t.Errorf("overdue days %d on 9999-12-31; want the real count (no Duration overflow)", d)
		}
	})
}

// TestConcurrentOrdersForANewParty: many orders for one new customer at once
// create it once and all post.
func TestConcurrentOrdersForANewParty(t *testing.T) {
	t.Parallel()
	f := newFake()
	svc := newService(f)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := svc.ExecuteOrder(t.Context(), service.Order{Ref: "R-" + string(rune('a'+i)),
				Party: service.NewParty{Name: "Race Party"}, Lines: []service.OrderLine{{Item: "x", Quantity: dec("1"), Rate: 100}}})
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
	if len(f.created) != 1 || len(f.vouchers) != 20 {
		t.Fatalf("created %d parties, %d vouchers; want 1 and 20", len(f.created), len(f.vouchers))
	}
}
