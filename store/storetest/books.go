package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// RunBooks runs the conformance suite of the mirror (service.BooksStore).
// newStore returns a fresh, empty store for one subtest.
func RunBooks(t *testing.T, newStore func(t *testing.T) service.BooksStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s service.BooksStore)
	}{
		{"SyncState", testSyncState},
		{"SyncLock", testSyncLock},
		{"BalancesAndBills", testBalancesAndBills},
		{"VoucherReplaceCancelDelete", testVoucherChanges},
		{"LedgerRenameAndDelete", testLedgerRename},
		{"PartiesKeyset", testPartiesKeyset},
		{"BillsKeyset", testBillsKeyset},
		{"RecomputeAllAndReset", testRecomputeAll},
		{"Statement", testStatement},
		{"BillSidesAndAgeing", testAgeing},
		{"DayBook", testDayBook},
		{"MirrorCompany", testMirrorCompany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

const booksCo = "ABC Traders"

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func testSyncState(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	if _, err := s.SyncState(ctx, booksCo); service.KindOf(err) != service.NotFound {
		t.Fatalf("SyncState of a company never synced: %v; want NotFound", err)
	}
	st := service.SyncState{Company: booksCo, GUID: "g-1", Masters: 40, Vouchers: 77, Loaded: true,
		LastProbe: t0, LastSync: t0.Add(-time.Second), LastChange: t0.Add(-time.Minute), LastReconcile: t0.Add(-time.Hour),
		SyncDuration: 1500 * time.Millisecond, LastError: "tally_timeout", LastErrorAt: t0.Add(-2 * time.Hour),
		Check: service.MirrorCheck{At: t0, Parties: 3, Bills: 4, Differences: []string{"x differs"}}}
	if err := s.SaveSyncState(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := s.SyncState(ctx, " abc  TRADERS")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(st, got, opts); d != "" {
		t.Errorf("round trip (-saved +read):\n%s", d)
	}
	st.Vouchers, st.LastError = 80, ""
	if err := s.SaveSyncState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SyncState(ctx, booksCo); got.Vouchers != 80 || got.LastError != "" {
		t.Errorf("after an update: %+v", got)
	}
}

func testSyncLock(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	unlock, ok, err := s.TrySyncLock(ctx, booksCo)
	if err != nil || !ok {
		t.Fatalf("first TrySyncLock: %v, %v", ok, err)
	}
	if _, ok, err := s.TrySyncLock(ctx, "abc traders"); err != nil || ok {
		t.Fatalf("second TrySyncLock while held: %v, %v; want not taken", ok, err)
	}
	other, ok, err := s.TrySyncLock(ctx, "Other Co")
	if err != nil || !ok {
		t.Fatalf("another company's lock: %v, %v", ok, err)
	}
	other()
	unlock()
	again, ok, err := s.TrySyncLock(ctx, booksCo)
	if err != nil || !ok {
		t.Fatalf("TrySyncLock after unlock: %v, %v", ok, err)
	}
	again()
}

// booksMasters are a small chart: two debtors (one bill-wise with 30 days'
// credit, one not), a creditor, Sales and Cash.
func booksMasters() ([]service.MirrorGroup, []service.MirrorLedger) {
	groups := []service.MirrorGroup{
		{MasterID: 20, AlterID: 20, Name: "Sundry Debtors", Parent: "Current Assets"},
		{MasterID: 16, AlterID: 16, Name: "Sundry Creditors", Parent: "Current Liabilities"},
		{MasterID: 6, AlterID: 6, Name: "Current Assets"},
	}
	ledgers := []service.MirrorLedger{
		{MasterID: 101, AlterID: 30, GUID: "g-101", Name: "Rajesh Enterprises", Parent: "Sundry Debtors", Mobile: service.NormalizeMobile("98200 12345"),
			Email: "a@r.in", Address: []string{"12 Kalbadevi Road", "Mumbai"}, State: "Maharashtra", Country: "India", Pincode: "400002",
			GSTIN: "27AAPFR1234C1Z5", GSTRegistrationType: "Regular", BillWise: true, CreditPeriod: "30 Days", Opening: -100000},
		{MasterID: 102, AlterID: 31, Name: "Priya Textiles", Parent: "Sundry Debtors", Mobile: service.NormalizeMobile("+91 98201 11111")},
		{MasterID: 103, AlterID: 32, Name: "Supplier Co", Parent: "Sundry Creditors", BillWise: true},
		{MasterID: 104, AlterID: 33, Name: "Sales", Parent: "Sales Accounts"},
		{MasterID: 105, AlterID: 34, Name: "Cash", Parent: "Cash-in-Hand"},
	}
	return groups, ledgers
}

func sale(id int64, date time.Time, party string, paise service.Paise, bills ...service.MirrorBill) service.MirrorVoucher {
	return service.MirrorVoucher{MasterID: id, AlterID: 100 + id, Type: "Sales", Number: "S", Date: date, Party: party,
		Entries: []service.MirrorEntry{{Ledger: party, Amount: -paise, Bills: bills}, {Ledger: "Sales", Amount: paise}}}
}

func receipt(id int64, date time.Time, party string, paise service.Paise, bills ...service.MirrorBill) service.MirrorVoucher {
	return service.MirrorVoucher{MasterID: id, AlterID: 100 + id, Type: "Receipt", Date: date, Party: party,
		Entries: []service.MirrorEntry{{Ledger: party, Amount: paise, Bills: bills}, {Ledger: "Cash", Amount: -paise}}}
}

func loadBooks(t *testing.T, s service.BooksStore, recompute bool) {
	t.Helper()
	ctx := t.Context()
	groups, ledgers := booksMasters()
	if err := s.ApplyMasters(ctx, booksCo, groups, ledgers, nil, nil); err != nil {
		t.Fatal(err)
	}
	vs := []service.MirrorVoucher{
		sale(1, day(4, 10), "Rajesh Enterprises", 50000, service.MirrorBill{Name: "S/1", Type: "New Ref", Amount: -50000}),
		sale(2, day(5, 1), "Rajesh Enterprises", 20000, service.MirrorBill{Name: "S/2", Type: "New Ref", Amount: -20000, Due: day(5, 5)}),
		receipt(3, day(5, 20), "Rajesh Enterprises", 30000,
			service.MirrorBill{Name: "S/1", Type: "Agst Ref", Amount: 20000}, service.MirrorBill{Type: "On Account", Amount: 10000}),
		sale(4, day(5, 2), "Priya Textiles", 9900, service.MirrorBill{Name: "P/1", Type: "New Ref", Amount: -9900}),
		{MasterID: 5, AlterID: 105, Type: "Sales", Date: day(5, 3), Party: "Rajesh Enterprises", Cancelled: true},
		{MasterID: 6, AlterID: 106, Type: "Sales", Class: service.SalesVoucherType, Date: day(5, 4), Party: "Rajesh Enterprises", Optional: true,
			Entries:   []service.MirrorEntry{{Ledger: "Rajesh Enterprises", Amount: -7, Bills: []service.MirrorBill{{Name: "OPT", Type: "New Ref", Amount: -7}}}, {Ledger: "Sales", Amount: 7}},
			Inventory: []service.MirrorInventory{{Item: "Saree", Quantity: "1 NOS", Rate: "7.00/NOS", Amount: 7}}},
	}
	if err := s.ApplyVouchers(ctx, booksCo, vs, nil, recompute); err != nil {
		t.Fatal(err)
	}
	if !recompute {
		if err := s.RecomputeAll(ctx, booksCo); err != nil {
			t.Fatal(err)
		}
	}
}

func closing(t *testing.T, s service.BooksStore, name string) service.Paise {
	t.Helper()
	_, c, err := s.MirrorLedger(t.Context(), booksCo, service.NameKey(name))
	if err != nil {
		t.Fatalf("MirrorLedger(%s): %v", name, err)
	}
	return c
}

func allBills(t *testing.T, s service.BooksStore) ([]service.MirrorBillRow, service.BillTotals) {
	t.Helper()
	rows, tot, err := s.MirrorBills(t.Context(), service.MirrorBillQuery{Company: booksCo}, day(6, 1))
	if err != nil {
		t.Fatal(err)
	}
	return rows, tot
}

func testBalancesAndBills(t *testing.T, s service.BooksStore) {
	loadBooks(t, s, true)
	// Rajesh: opening -1000.00, sales -500.00 -200.00, receipt +300.00; the
	// cancelled and optional vouchers do not count.
	if c := closing(t, s, "rajesh  enterprises"); c != -100000-50000-20000+30000 {
		t.Errorf("Rajesh closing %d", c)
	}
	_, ledgers := booksMasters()
	got, _, err := s.MirrorLedger(t.Context(), booksCo, service.NameKey("Rajesh Enterprises"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ledgers[0], got, opts); d != "" {
		t.Errorf("ledger round trip (-stored +read):\n%s", d)
	}
	if c := closing(t, s, "Sales"); c != 50000+20000+9900 {
		t.Errorf("Sales closing %d", c)
	}
	rows, tot := allBills(t, s)
	want := []service.MirrorBillRow{
		// S/2 (due 5 May as given) before S/1 (10 Apr + 30 days = 10 May).
		{Party: "Rajesh Enterprises", Key: service.NameKey("Rajesh Enterprises"), Ref: "S/2", Date: day(5, 1), Due: day(5, 5), Pending: -20000},
		{Party: "Rajesh Enterprises", Key: service.NameKey("Rajesh Enterprises"), Ref: "S/1", Date: day(4, 10), Due: day(5, 10), Pending: -30000},
	}
	// Priya is not bill-wise: Tally keeps no bills for her.
	if d := cmp.Diff(want, rows, opts); d != "" {
		t.Errorf("bills (-want +got):\n%s", d)
	}
	if !cmp.Equal(tot, service.BillTotals{Bills: 2, Total: -50000, OverdueTotal: -50000}) {
		t.Errorf("totals %+v", tot)
	}
	counts, err := s.MirrorCounts(t.Context(), booksCo)
	if err != nil || counts != (service.MirrorCounts{Groups: 3, Ledgers: 5, Vouchers: 6, Bills: 2}) {
		t.Errorf("counts %+v, %v", counts, err)
	}
}

func testVoucherChanges(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	loadBooks(t, s, true)
	// The receipt is altered to settle S/1 in full, then S/2 is cancelled,
	// then the receipt is deleted.
	alt := receipt(3, day(5, 20), "Rajesh Enterprises", 50000, service.MirrorBill{Name: "S/1", Type: "Agst Ref", Amount: 50000})
	alt.AlterID = 300
	if err := s.ApplyVouchers(ctx, booksCo, []service.MirrorVoucher{alt}, nil, true); err != nil {
		t.Fatal(err)
	}
	if rows, _ := allBills(t, s); len(rows) != 1 || rows[0].Ref != "S/2" {
		t.Errorf("after S/1 is settled: %+v", rows)
	}
	if c := closing(t, s, "Rajesh Enterprises"); c != -100000-50000-20000+50000 {
		t.Errorf("closing after the alter %d", c)
	}
	if c := closing(t, s, "Cash"); c != -50000 {
		t.Errorf("Cash closing after the alter %d", c)
	}
	cancelled := service.MirrorVoucher{MasterID: 2, AlterID: 301, Type: "Sales", Date: day(5, 1), Party: "Rajesh Enterprises", Cancelled: true}
	if err := s.ApplyVouchers(ctx, booksCo, []service.MirrorVoucher{cancelled}, nil, true); err != nil {
		t.Fatal(err)
	}
	if rows, _ := allBills(t, s); len(rows) != 0 {
		t.Errorf("after the cancel: %+v", rows)
	}
	if err := s.ApplyVouchers(ctx, booksCo, nil, []int64{3}, true); err != nil {
		t.Fatal(err)
	}
	if c := closing(t, s, "Cash"); c != 0 {
		t.Errorf("Cash closing after the delete %d", c)
	}
	rows, _ := allBills(t, s)
	if len(rows) != 1 || rows[0].Ref != "S/1" || rows[0].Pending != -50000 {
		t.Errorf("after the receipt is deleted: %+v", rows)
	}
	_, _, ids, err := s.MirrorIDs(ctx, booksCo)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ids, func(a, b service.ObjectID) int { return int(a.MasterID - b.MasterID) })
	want := []service.ObjectID{{MasterID: 1, AlterID: 101}, {MasterID: 2, AlterID: 301}, {MasterID: 4, AlterID: 104},
		{MasterID: 5, AlterID: 105}, {MasterID: 6, AlterID: 106}}
	if d := cmp.Diff(want, ids); d != "" {
		t.Errorf("voucher ids (-want +got):\n%s", d)
	}
}

func testLedgerRename(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	loadBooks(t, s, true)
	_, ledgers := booksMasters()
	renamed := ledgers[0]
	renamed.Name, renamed.AlterID = "Rajesh Enterprises Pvt Ltd", 500
	if err := s.ApplyMasters(ctx, booksCo, nil, []service.MirrorLedger{renamed}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.MirrorLedger(ctx, booksCo, service.NameKey("Rajesh Enterprises")); service.KindOf(err) != service.NotFound {
		t.Errorf("old name after a rename: %v", err)
	}
	if c := closing(t, s, "Rajesh Enterprises Pvt Ltd"); c != -140000 {
		t.Errorf("closing under the new name %d", c)
	}
	if rows, _ := allBills(t, s); len(rows) != 2 || rows[0].Party != "Rajesh Enterprises Pvt Ltd" {
		t.Errorf("bills after the rename: %+v", rows)
	}
	if err := s.ApplyMasters(ctx, booksCo, nil, nil, []int64{16}, []int64{103}); err != nil {
		t.Fatal(err)
	}
	g, l, _, err := s.MirrorIDs(ctx, booksCo)
	if err != nil || slices.Contains(g, 16) || slices.Contains(l, 103) || len(l) != 4 {
		t.Errorf("after deleting a group and a ledger: %v %v %v", g, l, err)
	}
}

func testPartiesKeyset(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	groups, _ := booksMasters()
	var ledgers []service.MirrorLedger
	for i := range 25 {
		ledgers = append(ledgers, service.MirrorLedger{MasterID: int64(200 + i), AlterID: int64(200 + i),
			Name: string(rune('A'+i)) + " Party", Parent: "Sundry Debtors", Opening: service.Paise(-i)})
	}
	ledgers = append(ledgers, service.MirrorLedger{MasterID: 300, AlterID: 300, Name: "Zed Supplier", Parent: "Sundry Creditors"},
		service.MirrorLedger{MasterID: 301, AlterID: 301, Name: "Sales", Parent: "Sales Accounts"},
		service.MirrorLedger{MasterID: 302, AlterID: 302, Name: "Twin One", Parent: "Sundry Debtors", Mobile: service.NormalizeMobile("09820012345")},
		service.MirrorLedger{MasterID: 303, AlterID: 303, Name: "Twin Two", Parent: "Sundry Creditors", Mobile: service.NormalizeMobile("+91-98200-12345")})
	if err := s.ApplyMasters(ctx, booksCo, groups, ledgers, nil, nil); err != nil {
		t.Fatal(err)
	}
	q := service.MirrorPartyQuery{Company: booksCo, Groups: []string{"Sundry Debtors", "sundry creditors"}, Limit: 10}
	var names []string
	for {
		page, total, err := s.MirrorParties(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if total != 28 {
			t.Fatalf("total %d; want 28", total)
		}
		for _, p := range page {
			names = append(names, p.Name)
		}
		if len(page) < q.Limit {
			break
		}
		q.After = service.NameKey(page[len(page)-1].Name)
	}
	if len(names) != 28 || names[0] != "A Party" || names[27] != "Zed Supplier" || slices.Contains(names, "Sales") {
		t.Errorf("all pages: %v", names)
	}
	q = service.MirrorPartyQuery{Company: booksCo, Groups: []string{"Sundry Debtors"}, Search: "twin", Limit: 10}
	page, total, err := s.MirrorParties(ctx, q)
	if err != nil || total != 1 || len(page) != 1 || page[0].Name != "Twin One" || page[0].Mobile.E164 != "+919820012345" {
		t.Errorf("search: %+v %d %v", page, total, err)
	}
	twins, err := s.MirrorPartiesByMobile(ctx, booksCo, "+919820012345")
	if err != nil || len(twins) != 2 || twins[0].Name != "Twin One" || twins[1].Name != "Twin Two" {
		t.Errorf("by mobile: %+v %v", twins, err)
	}
	if none, err := s.MirrorPartiesByMobile(ctx, booksCo, "+919999999999"); err != nil || len(none) != 0 {
		t.Errorf("by an unknown mobile: %+v %v", none, err)
	}
}

func testBillsKeyset(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	groups, _ := booksMasters()
	var ledgers []service.MirrorLedger
	var vs []service.MirrorVoucher
	for i := range 7 {
		name := string(rune('A'+i)) + " Debtor"
		ledgers = append(ledgers, service.MirrorLedger{MasterID: int64(200 + i), AlterID: int64(200 + i), Name: name,
			Parent: "Sundry Debtors", BillWise: true})
		for j := range 3 { // three bills each: 100, 200, 300 rupees, a month apart
			id := int64(10*i + j + 1)
			vs = append(vs, sale(id, day(time.Month(3+j), 1), name, service.Paise(10000*(j+1)),
				service.MirrorBill{Name: "B" + string(rune('0'+j)), Type: "New Ref", Amount: service.Paise(-10000 * (j + 1)), Due: day(time.Month(4+j), 1)}))
		}
	}
	ledgers = append(ledgers, service.MirrorLedger{MasterID: 104, AlterID: 104, Name: "Sales", Parent: "Sales Accounts"})
	if err := s.ApplyMasters(ctx, booksCo, groups, ledgers, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyVouchers(ctx, booksCo, vs, nil, true); err != nil {
		t.Fatal(err)
	}
	q := service.MirrorBillQuery{Company: booksCo, Limit: 3}
	var parties []string
	for range 5 {
		rows, tot, err := s.MirrorBills(ctx, q, day(5, 15))
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(tot, service.BillTotals{Bills: 21, Total: -7 * 60000, OverdueTotal: -7 * 30000}) {
			t.Fatalf("totals %+v", tot)
		}
		if len(rows) == 0 {
			break
		}
		for i, r := range rows {
			if i%3 == 0 {
				parties = append(parties, r.Party)
			}
		}
		q.After = rows[len(rows)-1].Key
	}
	first, _, err := s.MirrorBills(ctx, service.MirrorBillQuery{Company: booksCo, Limit: 3}, day(5, 15))
	again, none, err2 := s.MirrorBills(ctx, service.MirrorBillQuery{Company: booksCo, Limit: 3, NoTotals: true}, day(5, 15))
	if err != nil || err2 != nil || !cmp.Equal(none, service.BillTotals{}) || !cmp.Equal(first, again, opts) {
		t.Errorf("NoTotals: %+v, rows equal %v, %v %v", none, cmp.Equal(first, again, opts), err, err2)
	}
	if len(parties) != 7 || parties[0] != "A Debtor" || parties[6] != "G Debtor" {
		t.Errorf("parties over the pages: %v", parties)
	}
	rows, tot, err := s.MirrorBills(ctx, service.MirrorBillQuery{Company: booksCo, Party: service.NameKey("c debtor"),
		DueBefore: day(5, 15), MinOwed: 15000}, day(5, 15))
	if err != nil || len(rows) != 1 || rows[0].Ref != "B1" || tot.Bills != 1 || tot.Total != -20000 {
		t.Errorf("one party's overdue bills of at least 150.00: %+v %+v %v", rows, tot, err)
	}
}

func testRecomputeAll(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	loadBooks(t, s, false) // batches without recompute, then RecomputeAll
	rows, tot := allBills(t, s)
	if len(rows) != 2 || tot.Total != -50000 {
		t.Errorf("bills after RecomputeAll: %+v %+v", rows, tot)
	}
	if c := closing(t, s, "Rajesh Enterprises"); c != -140000 {
		t.Errorf("closing after RecomputeAll %d", c)
	}
	if err := s.SaveSyncState(ctx, service.SyncState{Company: booksCo, Loaded: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResetBooks(ctx, booksCo); err != nil {
		t.Fatal(err)
	}
	if c, err := s.MirrorCounts(ctx, booksCo); err != nil || c != (service.MirrorCounts{}) {
		t.Errorf("counts after ResetBooks: %+v %v", c, err)
	}
	if _, err := s.SyncState(ctx, booksCo); service.KindOf(err) != service.NotFound {
		t.Errorf("sync state after ResetBooks: %v", err)
	}
}
