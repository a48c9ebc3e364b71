package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// owes is a Bills Receivable row as Tally signs it: a debit (negative) for
// what the party owes.
func owes(party, ref string, date, due time.Time, paise service.Paise) service.Bill {
	return service.Bill{Party: party, Ref: ref, Date: date, Due: due, Pending: service.NewBalance(-paise)}
}

// newReceiptFake is the fake Tally with a bank and a cash ledger and
// Rajesh Enterprises owing two bills: ABC/S/101 (₹48,500, due 10 June) and
// ABC/S/110 (₹10,000, due 1 July), listed newest first so that sorting is
// tested; Priya Textiles owes one bill, which a receipt from Rajesh must
// never touch.
func newReceiptFake() *fakeGateway {
	f := newFake()
	f.ledgers["hdfc bank"] = service.Party{Name: "HDFC Bank", Group: "Bank Accounts"}
	f.ledgers["cash"] = service.Party{Name: "Cash", Group: "Cash-in-Hand"}
	f.bills = []service.Bill{
		owes("Rajesh Enterprises", "ABC/S/110", day(6, 1), day(7, 1), 1000000),
		owes("Priya Textiles", "ABC/S/102", day(4, 1), day(5, 1), 2360000),
		owes("Rajesh Enterprises", "ABC/S/101", day(5, 11), day(6, 10), 4850000),
	}
	return f
}

func newReceiptService(f *fakeGateway, st *memStore, rc service.ReceiptsConfig) *service.Service {
	cfg := service.Config{Company: "ABC Traders", Receipts: rc,
		Queue: service.QueueConfig{MaxAttempts: 3, RetryBase: time.Second, RetryMax: 4 * time.Second},
		Now:   func() time.Time { return today.Add(10 * time.Hour) }}
	if st != nil {
		cfg.Store = st
	}
	return service.New(f, cfg)
}

var demoLedgers = service.ReceiptsConfig{BankLedger: "HDFC Bank", CashLedger: "Cash"}

func TestAllocateReceipt(t *testing.T) {
	t.Parallel()
	bills := []service.Receivable{
		{Ref: "B-3", Date: day(3, 1), Due: day(5, 1), Amount: 30000},
		{Ref: "B-1", Date: day(2, 1), Due: day(4, 1), Amount: 10000},
		{Ref: "B-2", Date: day(1, 1), Due: day(4, 1), Amount: 20000}, // same due as B-1, older bill
		{Ref: "B-0", Date: day(4, 15), Amount: 5000},                 // no due date: its date counts
		{Ref: "ADV", Date: day(1, 1), Due: day(1, 1), Amount: -7000}, // a credit: never settled
	}
	tests := []struct {
		name      string
		amount    service.Paise
		named     []string
		want      []service.ReceiptAllocation
		onAccount service.Paise
		errCode   string
	}{
		{name: "oldest first by due date, then bill date", amount: 35000, want: []service.ReceiptAllocation{
			{BillRef: "B-2", Amount: 20000, Pending: 20000}, {BillRef: "B-1", Amount: 10000, Pending: 10000},
			{BillRef: "B-0", Amount: 5000, Pending: 5000}}},
		{name: "exactly everything", amount: 65000, want: []service.ReceiptAllocation{
			{BillRef: "B-2", Amount: 20000, Pending: 20000}, {BillRef: "B-1", Amount: 10000, Pending: 10000},
			{BillRef: "B-0", Amount: 5000, Pending: 5000}, {BillRef: "B-3", Amount: 30000, Pending: 30000}}},
		{name: "overpayment goes on account", amount: 65001, onAccount: 1, want: []service.ReceiptAllocation{
			{BillRef: "B-2", Amount: 20000, Pending: 20000}, {BillRef: "B-1", Amount: 10000, Pending: 10000},
			{BillRef: "B-0", Amount: 5000, Pending: 5000}, {BillRef: "B-3", Amount: 30000, Pending: 30000}}},
		{name: "named bills in the order named", amount: 32000, named: []string{"B-3", "B-1"}, want: []service.ReceiptAllocation{
			{BillRef: "B-3", Amount: 30000, Pending: 30000}, {BillRef: "B-1", Amount: 2000, Pending: 10000}}},
		{name: "a named bill the amount does not reach is left out", amount: 100, named: []string{"B-1", "B-2"},
			want: []service.ReceiptAllocation{{BillRef: "B-1", Amount: 100, Pending: 10000}}},
		{name: "what named bills leave settles the oldest others", amount: 12000, named: []string{"b-1"},
			want: []service.ReceiptAllocation{{BillRef: "B-1", Amount: 10000, Pending: 10000}, {BillRef: "B-2", Amount: 2000, Pending: 20000}}},
		{name: "named bills overpaid beyond everything go on account", amount: 65500, named: []string{"B-3"}, onAccount: 500,
			want: []service.ReceiptAllocation{{BillRef: "B-3", Amount: 30000, Pending: 30000}, {BillRef: "B-2", Amount: 20000, Pending: 20000},
				{BillRef: "B-1", Amount: 10000, Pending: 10000}, {BillRef: "B-0", Amount: 5000, Pending: 5000}}},
		{name: "unknown bill", amount: 100, named: []string{"B-1", "B-9"}, errCode: "bill_not_outstanding"},
		{name: "a credit is not outstanding", amount: 100, named: []string{"ADV"}, errCode: "bill_not_outstanding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, onAccount, err := service.AllocateReceipt(tc.amount, tc.named, bills)
			if tc.errCode != "" {
				if e, ok := service.AsError(err); !ok || e.Code != tc.errCode || e.Kind != service.Invalid {
					t.Fatalf("err %v; want Invalid %s", err, tc.errCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || onAccount != tc.onAccount {
				t.Errorf("allocations (-want +got):\n%s\non account %v, want %v", diff, onAccount, tc.onAccount)
			}
			var sum service.Paise
			for _, a := range got {
				sum += a.Amount
			}
			if sum+onAccount != tc.amount {
				t.Errorf("allocated %v + on account %v ≠ amount %v", sum, onAccount, tc.amount)
			}
		})
	}
}

// postOne submits a receipt and makes one posting attempt.
func postOne(t *testing.T, svc *service.Service, st *memStore, r service.Receipt) service.OrderRecord {
	t.Helper()
	rec, created, err := svc.SubmitReceipt(t.Context(), r, "api", "")
	if err != nil || !created {
		t.Fatalf("submit: %+v, %v, %v", rec, created, err)
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	return got
}

// TestPostReceiptNamedBill: the voucher credits the party with an Agst Ref
// allocation, debits the bank, carries the marker, and is audited.
func TestPostReceiptNamedBill(t *testing.T) {
	t.Parallel()
	f, st := newReceiptFake(), newMemStore()
	svc := newReceiptService(f, st, demoLedgers)
	rec := postOne(t, svc, st, service.Receipt{Ref: "PAY-1", Party: "rajesh enterprises", Amount: 2000000, Mode: "UPI",
		Bills: []string{"ABC/S/101"}, Reference: "UTR 412345678901"})
	if rec.State != service.OrderPosted {
		t.Fatalf("receipt %+v; want posted", rec)
	}
	v, ok := f.vouchers[rec.RemoteID]
	if !ok {
		t.Fatalf("no voucher with REMOTEID %s", rec.RemoteID)
	}
	want := []service.Entry{
		{Ledger: "Rajesh Enterprises", Amount: 2000000, IsParty: true,
			Bills: []service.BillRef{{Name: "ABC/S/101", Type: "Agst Ref", Amount: 2000000}}},
		{Ledger: "HDFC Bank", Amount: -2000000},
	}
	if diff := cmp.Diff(want, v.Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if v.Type != "Receipt" || v.Party != "Rajesh Enterprises" || v.Reference != "UTR 412345678901" || !v.Date.Equal(today) ||
		!strings.Contains(v.Narration, "[tallyfacade:"+rec.RemoteID+"]") {
		t.Errorf("voucher %+v", v)
	}
	res, ok := service.ReceiptResultOf(rec)
	wantRes := service.ReceiptResult{Company: "ABC Traders", Party: "Rajesh Enterprises", VoucherType: "Receipt", Ref: "PAY-1",
		RemoteID: rec.RemoteID, Date: today, Mode: "upi", Ledger: "HDFC Bank", Amount: 2000000, Reference: "UTR 412345678901",
		Allocations: []service.ReceiptAllocation{{BillRef: "ABC/S/101", Amount: 2000000, Pending: 4850000}},
		Outcome:     service.ImportOutcome{Created: 1, LastVoucherID: 1}}
	if diff := cmp.Diff(wantRes, res); !ok || diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if _, ok := service.OrderResultOf(rec); ok || !service.IsReceipt(rec) {
		t.Errorf("a receipt reads as a sales order result")
	}
	if len(st.imports) != 1 || st.imports[0].Result != "ok" || st.imports[0].RemoteID != rec.RemoteID ||
		st.imports[0].Party != "Rajesh Enterprises" || st.imports[0].OrderID != rec.ID {
		t.Errorf("imports %+v; want one ok import of the voucher", st.imports)
	}
	if f.calls["Receivables"] != 1 || f.calls["Ledgers"] != 1 || f.calls["PostVoucher"] != 1 {
		t.Errorf("calls %v; want one ledger read, one receivables read, one post", f.calls)
	}
}

// TestPostReceiptOldestFirstAndOnAccount: without bills the receipt settles
// Rajesh's oldest bill, then the next, and the rest goes on account; cash
// debits the cash ledger.
func TestPostReceiptOldestFirstAndOnAccount(t *testing.T) {
	t.Parallel()
	f, st := newReceiptFake(), newMemStore()
	svc := newReceiptService(f, st, demoLedgers)
	rec := postOne(t, svc, st, service.Receipt{Party: "Rajesh Enterprises", Amount: 6000000, Mode: "cash"})
	want := []service.Entry{
		{Ledger: "Rajesh Enterprises", Amount: 6000000, IsParty: true, Bills: []service.BillRef{
			{Name: "ABC/S/101", Type: "Agst Ref", Amount: 4850000},
			{Name: "ABC/S/110", Type: "Agst Ref", Amount: 1000000},
			{Type: "On Account", Amount: 150000}}},
		{Ledger: "Cash", Amount: -6000000},
	}
	if diff := cmp.Diff(want, f.vouchers[rec.RemoteID].Entries); rec.State != service.OrderPosted || diff != "" {
		t.Fatalf("receipt %s; entries (-want +got):\n%s", rec.State, diff)
	}
	res, _ := service.ReceiptResultOf(rec)
	if res.OnAccount != 150000 || len(res.Allocations) != 2 || !strings.HasPrefix(res.Ref, "RCT-") {
		t.Errorf("result %+v", res)
	}
}

// TestPostReceiptRejections: what Tally's books refuse is rejected, not
// retried, and nothing is posted.
func TestPostReceiptRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		receipt  service.Receipt
		prepare  func(f *fakeGateway)
		wantCode string
		wantText string
	}{
		{"unknown bill", service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "upi", Bills: []string{"ABC/S/999"}},
			nil, "bill_not_outstanding", "'Rajesh Enterprises': bill 'ABC/S/999' is not outstanding (outstanding: ABC/S/110 ₹10,000.00, ABC/S/101 ₹48,500.00)"},
		{"another party's bill", service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "upi", Bills: []string{"ABC/S/102"}},
			nil, "bill_not_outstanding", "ABC/S/102"},
		{"unknown party", service.Receipt{Party: "Nobody & Co", Amount: 100, Mode: "upi"}, nil, "party_not_found", "'Nobody & Co'"},
		{"not a party", service.Receipt{Party: "Sales", Amount: 100, Mode: "upi"}, nil, "party_not_a_customer", "'Sales'"},
		{"bank ledger missing in Tally", service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "bank"},
			func(f *fakeGateway) { delete(f.ledgers, "hdfc bank") }, "ledger_missing", "'HDFC Bank'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newReceiptFake(), newMemStore()
			if tc.prepare != nil {
				tc.prepare(f)
			}
			svc := newReceiptService(f, st, demoLedgers)
			rec := postOne(t, svc, st, tc.receipt)
			if rec.State != service.OrderRejected || rec.LastErrorCode != tc.wantCode || !strings.Contains(rec.LastError, tc.wantText) {
				t.Errorf("receipt %s %s %q; want rejected %s mentioning %q", rec.State, rec.LastErrorCode, rec.LastError, tc.wantCode, tc.wantText)
			}
			if len(f.vouchers) != 0 {
				t.Errorf("%d vouchers posted; want none", len(f.vouchers))
			}
		})
	}
}

// TestSubmitReceiptInvalid: a receipt that can never be posted is refused
// before anything is stored; an unconfigured ledger names its setting.
func TestSubmitReceiptInvalid(t *testing.T) {
	t.Parallel()
	ok := service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "upi"}
	with := func(change func(r *service.Receipt)) service.Receipt { r := ok; change(&r); return r }
	tests := []struct {
		name     string
		cfg      service.ReceiptsConfig
		receipt  service.Receipt
		wantCode string
		wantText string
	}{
		{"bank not configured", service.ReceiptsConfig{CashLedger: "Cash"}, ok, "ledger_not_configured", "bank ledger"},
		{"cash not configured", service.ReceiptsConfig{BankLedger: "HDFC Bank"}, with(func(r *service.Receipt) { r.Mode = "cash" }),
			"ledger_not_configured", "cash ledger"},
		{"zero amount", demoLedgers, with(func(r *service.Receipt) { r.Amount = 0 }), "invalid_amount", ""},
		{"negative amount", demoLedgers, with(func(r *service.Receipt) { r.Amount = -5 }), "invalid_amount", ""},
		{"blank party", demoLedgers, with(func(r *service.Receipt) { r.Party = "  " }), "invalid_name", "party"},
		{"control in party", demoLedgers, with(func(r *service.Receipt) { r.Party = "A\x00B" }), "invalid_name", "party"},
		{"card", demoLedgers, with(func(r *service.Receipt) { r.Mode = "card" }), "invalid_mode", "upi, bank or cash"},
		{"date before 1900", demoLedgers, with(func(r *service.Receipt) { r.Date = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) }), "invalid_date", ""},
		{"date after 2099", demoLedgers, with(func(r *service.Receipt) { r.Date = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) }), "invalid_date", ""},
		{"bill named twice", demoLedgers, with(func(r *service.Receipt) { r.Bills = []string{"A/1", "a/1"} }), "invalid_bills", "twice"},
		{"blank bill", demoLedgers, with(func(r *service.Receipt) { r.Bills = []string{" "} }), "invalid_bills", "bills[0]"},
		{"long ref", demoLedgers, with(func(r *service.Receipt) { r.Ref = strings.Repeat("x", 61) }), "invalid_receipt_ref", ""},
		{"control in reference", demoLedgers, with(func(r *service.Receipt) { r.Reference = "UTR\n1" }), "invalid_reference", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newReceiptFake(), newMemStore()
			svc := newReceiptService(f, st, tc.cfg)
			_, _, err := svc.SubmitReceipt(t.Context(), tc.receipt, "api", "")
			e, ok := service.AsError(err)
			if !ok || e.Kind != service.Invalid || e.Code != tc.wantCode || !strings.Contains(e.Message, tc.wantText) {
				t.Fatalf("err %v; want Invalid %s mentioning %q", err, tc.wantCode, tc.wantText)
			}
			// The setting to fix is named for the edge to say in its words.
			if want := map[string]service.Setting{"bank ledger": service.SettingBankLedger, "cash ledger": service.SettingCashLedger}[tc.wantText]; e.Setting != want {
				t.Errorf("setting %q, want %q", e.Setting, want)
			}
			if len(st.orders) != 0 || len(f.calls) != 0 {
				t.Errorf("stored %d, Tally calls %v; want nothing", len(st.orders), f.calls)
			}
		})
	}
}

// TestSubmitReceiptRemoteIDStable: a resend of the same receipt ref (or the
// same Idempotency-Key) is the stored receipt; receipts and orders with the
// same ref never share a REMOTEID.
func TestSubmitReceiptRemoteIDStable(t *testing.T) {
	t.Parallel()
	f, st := newReceiptFake(), newMemStore()
	svc := newReceiptService(f, st, demoLedgers)
	ctx := t.Context()
	r := service.Receipt{Ref: "WA-7", Party: "Rajesh Enterprises", Amount: 100, Mode: "upi"}
	first, created, err := svc.SubmitReceipt(ctx, r, "api", "")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	r2 := r
	r2.Party = " RAJESH ENTERPRISES " // Tally's folding: the same party
	again, created, err := svc.SubmitReceipt(ctx, r2, "api", "")
	if err != nil || created || again.ID != first.ID || again.RemoteID != first.RemoteID {
		t.Fatalf("resend = %+v, %v, %v; want the stored receipt", again, created, err)
	}
	other := r
	other.Party = "Priya Textiles"
	o, created, _ := svc.SubmitReceipt(ctx, other, "api", "")
	if !created || o.RemoteID == first.RemoteID {
		t.Fatalf("the same ref for another party shares REMOTEID %s", o.RemoteID)
	}
	order, _, err := svc.SubmitOrder(ctx, sampleOrder("WA-7", "Rajesh Enterprises"), "api", "")
	if err != nil || order.RemoteID == first.RemoteID || order.ID == first.ID {
		t.Fatalf("order WA-7 %+v, %v; want its own REMOTEID", order, err)
	}
	if strings.Contains(string(order.Request), `"kind"`) {
		t.Errorf("a sales order is stored with a kind: %s", order.Request)
	}

	noRef := service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "upi"}
	k1, created1, _ := svc.SubmitReceipt(ctx, noRef, "api", "client POST /receipts\x00key-1")
	k2, created2, _ := svc.SubmitReceipt(ctx, noRef, "api", "client POST /receipts\x00key-1")
	k3, _, _ := svc.SubmitReceipt(ctx, noRef, "api", "client POST /receipts\x00key-2")
	if !created1 || created2 || k1.ID != k2.ID || k1.RemoteID != k2.RemoteID || k3.RemoteID == k1.RemoteID {
		t.Fatalf("dedupe: %s/%s %v %v, other key %s", k1.RemoteID, k2.RemoteID, created1, created2, k3.RemoteID)
	}
	if !strings.HasPrefix(k1.Ref, "RCT-") || !service.IsReceipt(k1) || service.IsReceipt(order) {
		t.Errorf("record %+v", k1)
	}
}

// TestPostReceiptAfterAmbiguousWrite: Tally applies the receipt but the
// answer is lost. The next attempt reads back, finds it, posts nothing, and
// reports the allocation that was sent.
func TestPostReceiptAfterAmbiguousWrite(t *testing.T) {
	t.Parallel()
	f, st := newReceiptFake(), newMemStore()
	f.postErr = func(service.Voucher) (error, bool) {
		return service.Errorf(service.Unavailable, "tally_outcome_unknown", "unknown"), true
	}
	svc := newReceiptService(f, st, demoLedgers)
	rec, _, _ := svc.SubmitReceipt(t.Context(), service.Receipt{Party: "Rajesh Enterprises", Amount: 2000000, Mode: "upi"}, "api", "")
	var rl *service.RetryLater
	if err := svc.PostOrder(t.Context(), rec.ID); !errors.As(err, &rl) {
		t.Fatalf("err %v; want RetryLater", err)
	}
	if got, _ := st.GetOrder(t.Context(), rec.ID); !got.Ambiguous || got.State != service.OrderReceived || st.imports[0].Result != "ambiguous" {
		t.Fatalf("receipt %+v, import %+v; want ambiguous and queued", got, st.imports[0])
	}
	f.postErr = nil
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	res, ok := service.ReceiptResultOf(got)
	if got.State != service.OrderPosted || got.Ambiguous || f.calls["PostVoucher"] != 1 || f.calls["Vouchers"] != 1 {
		t.Fatalf("receipt %+v, calls %v; want posted by read-back with no second post", got, f.calls)
	}
	want := []service.ReceiptAllocation{{BillRef: "ABC/S/101", Amount: 2000000, Pending: 4850000}}
	if diff := cmp.Diff(want, res.Allocations); !ok || diff != "" || res.Amount != 2000000 {
		t.Errorf("result after read-back %+v (-want +got):\n%s", res, diff)
	}
}

// TestPostReceiptRetriesWhileTallyIsDown: the same retry accounting as
// orders.
func TestPostReceiptRetriesWhileTallyIsDown(t *testing.T) {
	t.Parallel()
	f, st := newReceiptFake(), newMemStore()
	f.readErr = service.Errorf(service.Unavailable, "tally_unreachable", "Tally could not be reached.")
	svc := newReceiptService(f, st, demoLedgers)
	rec, _, _ := svc.SubmitReceipt(t.Context(), service.Receipt{Party: "Rajesh Enterprises", Amount: 100, Mode: "upi"}, "api", "")
	var rl *service.RetryLater
	if err := svc.PostOrder(t.Context(), rec.ID); !errors.As(err, &rl) || rl.After != time.Second {
		t.Fatalf("err %v; want RetryLater after 1s", err)
	}
	f.readErr = nil
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetOrder(t.Context(), rec.ID); got.State != service.OrderPosted || got.Attempts != 2 || len(f.vouchers) != 1 {
		t.Fatalf("receipt %+v, %d vouchers; want posted on the second attempt", got, len(f.vouchers))
	}
}
