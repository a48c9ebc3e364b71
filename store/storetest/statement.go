package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// testStatement: a ledger's account for a period is its balance before the
// period and the counted vouchers in it, with the bills each was allocated
// to; cancelled and optional vouchers are left out, as from the balance.
func testStatement(t *testing.T, s service.BooksStore) {
	loadBooks(t, s, true)
	rajesh := service.NameKey("Rajesh Enterprises")
	for _, tc := range []struct {
		name        string
		q           service.StatementQuery
		wantOpening service.Paise
		want        []service.StatementLine
	}{
		{"Whole", service.StatementQuery{Company: booksCo, Key: rajesh, From: day(4, 1), To: day(12, 31)}, -100000, []service.StatementLine{
			{VoucherID: 1, Date: day(4, 10), Type: "Sales", Number: "S", Amount: -50000, Bills: []string{"S/1"}},
			{VoucherID: 2, Date: day(5, 1), Type: "Sales", Number: "S", Amount: -20000, Bills: []string{"S/2"}},
			{VoucherID: 3, Date: day(5, 20), Type: "Receipt", Amount: 30000, Bills: []string{"S/1"}},
		}},
		{"Part", service.StatementQuery{Company: " abc traders", Key: rajesh, From: day(4, 11), To: day(5, 1)}, -150000, []service.StatementLine{
			{VoucherID: 2, Date: day(5, 1), Type: "Sales", Number: "S", Amount: -20000, Bills: []string{"S/2"}},
		}},
		{"Empty", service.StatementQuery{Company: booksCo, Key: rajesh, From: day(6, 1), To: day(6, 30)}, -140000, nil},
		{"NotBillWise", service.StatementQuery{Company: booksCo, Key: service.NameKey("Priya Textiles"), From: day(1, 1), To: day(12, 31)}, 0,
			[]service.StatementLine{{VoucherID: 4, Date: day(5, 2), Type: "Sales", Number: "S", Amount: -9900, Bills: []string{"P/1"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opening, lines, err := s.MirrorStatement(t.Context(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if opening != tc.wantOpening {
				t.Errorf("opening %d; want %d", opening, tc.wantOpening)
			}
			if d := cmp.Diff(tc.want, lines, opts); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
		})
	}
	_, _, err := s.MirrorStatement(t.Context(), service.StatementQuery{Company: booksCo, Key: "nobody", From: day(1, 1), To: day(12, 31)})
	if service.KindOf(err) != service.NotFound {
		t.Errorf("a ledger the mirror does not hold: %v; want NotFound", err)
	}
}
