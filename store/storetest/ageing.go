package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// testAgeing: bills are selected by side (receivable, payable, either) and
// the ageing totals put each bill in the bucket service.AgeingIndex gives
// it, adding up to the total.
func testAgeing(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	loadBooks(t, s, true)
	// A purchase from the bill-wise creditor: a credit bill (we owe), dated
	// 1 March without a credit period, so due that day: 92 days past due
	// on 1 June.
	purchase := service.MirrorVoucher{MasterID: 7, AlterID: 107, Type: "Purchase", Date: day(3, 1), Party: "Supplier Co",
		Entries: []service.MirrorEntry{{Ledger: "Supplier Co", Amount: 40000,
			Bills: []service.MirrorBill{{Name: "SUP-9", Type: "New Ref", Amount: 40000}}}, {Ledger: "Cash", Amount: -40000}}}
	if err := s.ApplyVouchers(ctx, booksCo, []service.MirrorVoucher{purchase}, nil, true); err != nil {
		t.Fatal(err)
	}
	asOf := day(6, 1)
	// On 1 June S/1 (due 10 May) is 22 days past due and S/2 (due 5 May) 27.
	for _, tc := range []struct {
		name    string
		q       service.MirrorBillQuery
		refs    []string
		total   service.Paise
		buckets []service.AgeingBucket
	}{
		{"Receivable", service.MirrorBillQuery{Company: booksCo, Ageing: []int{10, 25}}, []string{"S/2", "S/1"}, -50000,
			[]service.AgeingBucket{{From: 0, To: 10}, {From: 11, To: 25, Bills: 1, Amount: -30000}, {From: 26, Bills: 1, Amount: -20000}}},
		{"Payable", service.MirrorBillQuery{Company: booksCo, Side: service.PayableSide, Ageing: service.DefaultAgeing()}, []string{"SUP-9"}, 40000,
			[]service.AgeingBucket{{From: 0, To: 30}, {From: 31, To: 60}, {From: 61, To: 90}, {From: 91, Bills: 1, Amount: 40000}}},
		{"PayableAtLeast", service.MirrorBillQuery{Company: booksCo, Side: service.PayableSide, MinOwed: 40001}, nil, 0, nil},
		{"EitherOfOneParty", service.MirrorBillQuery{Company: booksCo, Side: service.AnySide, Party: service.NameKey("Supplier Co"), Ageing: []int{100}},
			[]string{"SUP-9"}, 40000, []service.AgeingBucket{{From: 0, To: 100, Bills: 1, Amount: 40000}, {From: 101}}},
		{"Either", service.MirrorBillQuery{Company: booksCo, Side: service.AnySide, Ageing: []int{30}}, []string{"S/2", "S/1", "SUP-9"}, -10000,
			[]service.AgeingBucket{{From: 0, To: 30, Bills: 2, Amount: -50000}, {From: 31, Bills: 1, Amount: 40000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, tot, err := s.MirrorBills(ctx, tc.q, asOf)
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range rows {
				refs = append(refs, r.Ref)
			}
			if d := cmp.Diff(tc.refs, refs, opts); d != "" {
				t.Errorf("bills (-want +got):\n%s", d)
			}
			if tot.Total != tc.total || tot.Bills != len(tc.refs) {
				t.Errorf("totals %+v; want %d over %d bills", tot, tc.total, len(tc.refs))
			}
			if d := cmp.Diff(tc.buckets, tot.Ageing, opts); d != "" {
				t.Errorf("ageing (-want +got):\n%s", d)
			}
			// The store's buckets are service.AgeingIndex's.
			if tc.q.Ageing != nil {
				want := service.NewAgeing(tc.q.Ageing)
				for _, r := range rows {
					due := r.Due
					if due.IsZero() {
						due = r.Date
					}
					k := &want[service.AgeingIndex(int(asOf.Sub(due).Hours()/24), tc.q.Ageing)]
					k.Bills++
					k.Amount += r.Pending
				}
				if d := cmp.Diff(want, tot.Ageing, opts); d != "" {
					t.Errorf("ageing differs from service.AgeingIndex's (-service +store):\n%s", d)
				}
			}
		})
	}
}
