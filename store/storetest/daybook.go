package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// testDayBook: the day book pages by (date, MasterID) without gaps or
// repeats, filters by type and by party, and one voucher reads back whole.
func testDayBook(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	loadBooks(t, s, true)
	ids := func(q service.VoucherQuery) []int64 {
		t.Helper()
		var out []int64
		for range 10 {
			rows, err := s.MirrorVouchers(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				out = append(out, r.ID)
			}
			if len(rows) < q.Limit {
				return out
			}
			last := rows[len(rows)-1]
			q.After = service.VoucherCursor{Date: last.Date, ID: last.ID}
		}
		t.Fatal("more pages than vouchers")
		return nil
	}
	year := service.VoucherQuery{Company: booksCo, From: day(1, 1), To: day(12, 31), Limit: 2}
	for _, tc := range []struct {
		name string
		q    func(q service.VoucherQuery) service.VoucherQuery
		want []int64
	}{
		{"All", func(q service.VoucherQuery) service.VoucherQuery { return q }, []int64{1, 2, 4, 5, 6, 3}},
		{"OnePage", func(q service.VoucherQuery) service.VoucherQuery { q.Limit = 50; return q }, []int64{1, 2, 4, 5, 6, 3}},
		{"Period", func(q service.VoucherQuery) service.VoucherQuery { q.From, q.To = day(5, 2), day(5, 4); return q }, []int64{4, 5, 6}},
		{"Type", func(q service.VoucherQuery) service.VoucherQuery { q.Type = "receipt"; return q }, []int64{3}},
		{"Party", func(q service.VoucherQuery) service.VoucherQuery {
			q.Party = service.NameKey("Rajesh Enterprises")
			return q
		}, []int64{1, 2, 6, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.q(year)); !cmp.Equal(got, tc.want) {
				t.Errorf("vouchers %v; want %v", got, tc.want)
			}
		})
	}
	rows, err := s.MirrorVouchers(ctx, service.VoucherQuery{Company: booksCo, From: day(4, 10), To: day(5, 3), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []service.VoucherRow{
		{ID: 1, Date: day(4, 10), Type: "Sales", Number: "S", Party: "Rajesh Enterprises", Amount: 50000},
		{ID: 2, Date: day(5, 1), Type: "Sales", Number: "S", Party: "Rajesh Enterprises", Amount: 20000},
		{ID: 4, Date: day(5, 2), Type: "Sales", Number: "S", Party: "Priya Textiles", Amount: 9900},
		{ID: 5, Date: day(5, 3), Type: "Sales", Party: "Rajesh Enterprises", Cancelled: true},
	}
	if d := cmp.Diff(want, rows, opts); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	for _, id := range []int64{3, 6} {
		got, err := s.MirrorVoucher(ctx, " ABC traders", id)
		if err != nil {
			t.Fatal(err)
		}
		var v service.MirrorVoucher
		switch id {
		case 3:
			v = receipt(3, day(5, 20), "Rajesh Enterprises", 30000,
				service.MirrorBill{Name: "S/1", Type: "Agst Ref", Amount: 20000}, service.MirrorBill{Type: "On Account", Amount: 10000})
		case 6:
			v = service.MirrorVoucher{MasterID: 6, AlterID: 106, Type: "Sales", Class: service.SalesVoucherType, Date: day(5, 4), Party: "Rajesh Enterprises", Optional: true,
				Entries:   []service.MirrorEntry{{Ledger: "Rajesh Enterprises", Amount: -7, Bills: []service.MirrorBill{{Name: "OPT", Type: "New Ref", Amount: -7}}}, {Ledger: "Sales", Amount: 7}},
				Inventory: []service.MirrorInventory{{Item: "Saree", Quantity: "1 NOS", Rate: "7.00/NOS", Amount: 7}}}
		}
		if d := cmp.Diff(v, got, opts); d != "" {
			t.Errorf("voucher %d (-stored +read):\n%s", id, d)
		}
	}
	if _, err := s.MirrorVoucher(ctx, booksCo, 99); service.KindOf(err) != service.NotFound {
		t.Errorf("a voucher the mirror does not hold: %v; want NotFound", err)
	}
}

// testMirrorCompany: the company's details round-trip, and a reset of the
// books forgets them.
func testMirrorCompany(t *testing.T, s service.BooksStore) {
	ctx := t.Context()
	if _, err := s.MirrorCompany(ctx, booksCo); service.KindOf(err) != service.NotFound {
		t.Fatalf("details never saved: %v; want NotFound", err)
	}
	c := service.Company{Name: "ABC Traders", State: "Maharashtra", Country: "India", Address: []string{"Shop 4", "Mumbai"},
		Pincode: "400001", GSTIN: "27AABCA1234F1Z5", Phone: "022 2262 1234", Email: "a@abc.in"}
	for range 2 { // insert, then update
		if err := s.SaveMirrorCompany(ctx, booksCo, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.MirrorCompany(ctx, "abc  traders")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(c, got, opts); d != "" {
			t.Errorf("round trip (-saved +read):\n%s", d)
		}
		c.Address, c.Email = nil, ""
	}
	if err := s.ResetBooks(ctx, booksCo); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MirrorCompany(ctx, booksCo); service.KindOf(err) != service.NotFound {
		t.Errorf("after ResetBooks: %v; want NotFound", err)
	}
}
