package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// SummaryBooks is a store with the mirror and its by-day reads.
type SummaryBooks interface {
	service.BooksStore
	service.SummaryStore
}

// RunSummary runs the conformance tests of service.SummaryStore.
func RunSummary(t *testing.T, newStore func(t *testing.T) SummaryBooks) {
	t.Run("VouchersOn", func(t *testing.T) {
		t.Parallel()
		testVouchersOn(t, newStore(t))
	})
}

// testVouchersOn: a day's vouchers with their class, entries and stock
// lines; cancelled and optional ones, and other days, left out.
func testVouchersOn(t *testing.T, s SummaryBooks) {
	ctx := t.Context()
	sale := func(id int64, d int, party string, paise service.Paise) service.MirrorVoucher {
		return service.MirrorVoucher{MasterID: id, AlterID: id, GUID: "g-" + party, Type: "Sales", Number: "S/" + party, Date: day(6, d),
			Party: party, Entries: []service.MirrorEntry{{Ledger: party, Amount: -paise}, {Ledger: "Sales", Amount: paise}},
			Inventory: []service.MirrorInventory{{Item: "Steel rod 12mm", Quantity: "2 NOS", Rate: "100.00/NOS", Amount: paise}}}
	}
	want := []service.MirrorVoucher{sale(1, 23, "Rajesh Enterprises", 10000),
		{MasterID: 4, AlterID: 4, Type: "Receipt", Date: day(6, 23), Party: "Nair Agencies",
			Entries: []service.MirrorEntry{{Ledger: "Cash", Amount: -500}, {Ledger: "Nair Agencies", Amount: 500}}},
		{MasterID: 5, AlterID: 5, Type: "Payment", Class: service.ClassOther, Date: day(6, 23), Party: "Supplier",
			Entries: []service.MirrorEntry{{Ledger: "Supplier", Amount: -1}, {Ledger: "Cash", Amount: 1}}},
		sale(7, 23, "Nair Agencies", 20000)}
	// A company's own type made under Sales keeps its name and its class.
	want[3].Type, want[3].Class = "Tax Invoice", service.SalesVoucherType
	cancelled, optional := sale(2, 23, "Cancelled Co", 1), sale(3, 23, "Optional Co", 1)
	cancelled.Cancelled, cancelled.Entries, cancelled.Inventory = true, nil, nil
	optional.Optional = true
	vs := append([]service.MirrorVoucher{cancelled, optional, sale(6, 22, "Yesterday Co", 5)}, want...)
	if err := s.ApplyVouchers(ctx, booksCo, vs, nil, true); err != nil {
		t.Fatal(err)
	}
	got, err := s.MirrorVouchersOn(ctx, " abc traders", day(6, 23))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("vouchers of 23 June (-want +got):\n%s", d)
	}
	if got, err := s.MirrorVouchersOn(ctx, booksCo, day(6, 24)); err != nil || len(got) != 0 {
		t.Errorf("a day without vouchers: %+v, %v", got, err)
	}
}
