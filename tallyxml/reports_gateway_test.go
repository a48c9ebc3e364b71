package tallyxml_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// TestGatewayReportsFromCaptures serves the real Balance Sheet and Profit &
// Loss captures: rows and both columns come through as Tally wrote them, an
// empty cell unset rather than zero.
func TestGatewayReportsFromCaptures(t *testing.T) {
	t.Parallel()
	serve := func(t *testing.T, sample string) string {
		body, err := os.ReadFile(filepath.Join("testdata", "samples", sample))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	t.Run("BalanceSheet", func(t *testing.T) {
		t.Parallel()
		rows, err := gwNew(t, serve(t, "balance-sheet-report-export-01.xml"), tallyxml.ClientConfig{}).BalanceSheet(t.Context(), gwCompany, gwToday.Time())
		if err != nil {
			t.Fatal(err)
		}
		want := []service.ReportRow{
			{Name: "Capital Account"},
			{Name: "Loans (Liability)"},
			{Name: "Current Liabilities", Main: 1_47_200_00, MainSet: true},
			{Name: "Profit & Loss A/c", Main: -92_000_00, MainSet: true},
			{Name: "Current Assets", Main: -55_200_00, MainSet: true},
		}
		if d := cmp.Diff(want, rows); d != "" {
			t.Errorf("rows (-want +got):\n%s", d)
		}
	})
	t.Run("ProfitAndLoss", func(t *testing.T) {
		t.Parallel()
		rows, err := gwNew(t, serve(t, "profit-and-loss-report-export-01.xml"), tallyxml.ClientConfig{}).ProfitAndLoss(t.Context(), gwCompany,
			time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), gwToday.Time())
		if err != nil {
			t.Fatal(err)
		}
		want := []service.ReportRow{
			{Name: "Cost of Sales :", Main: -92_000_00, MainSet: true},
			{Name: "Opening Stock"},
			{Name: "Add: Purchase Accounts", Sub: -1_47_200_00, SubSet: true},
			{Name: "Less: Closing Stock", Sub: -55_200_00, SubSet: true},
		}
		if d := cmp.Diff(want, rows); d != "" {
			t.Errorf("rows (-want +got):\n%s", d)
		}
	})
}

// TestGatewayReportsFromSimulator reads both reports of the demo company
// (the simulator keeps no year-end rollover, so its trial balance runs from
// the first day of the books): the Profit & Loss over the whole books nets
// to the income and expense rows of the trial balance, the Balance Sheet's
// Profit & Loss A/c row carries that net, and the account of the financial
// year is the difference of the trial balances at its two ends.
func TestGatewayReportsFromSimulator(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	ctx := t.Context()
	fy := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	incomeExpense := func(asOf time.Time) service.Paise {
		tb, err := gw.TrialBalance(ctx, gwCompany, asOf, false)
		if err != nil {
			t.Fatal(err)
		}
		var p service.Paise // credit positive, as Tally signs it
		for _, r := range tb {
			switch r.Name {
			case "Sales Accounts", "Purchase Accounts", "Direct Incomes", "Direct Expenses", "Indirect Incomes", "Indirect Expenses":
				p += r.Credit - r.Debit
			}
		}
		return p
	}
	net := func(from time.Time) service.Paise {
		pl, err := gw.ProfitAndLoss(ctx, gwCompany, from, gwToday.Time())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pl {
			if r.Name == "Nett Profit" || r.Name == "Nett Loss" {
				return r.Main
			}
		}
		t.Fatalf("no Nett Profit or Nett Loss row in %+v", pl)
		return 0
	}
	whole, year := net(time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC)), net(fy)
	if want := incomeExpense(gwToday.Time()); whole != want || want == 0 {
		t.Errorf("P&L net over the books %s; want %s from the trial balance", whole, want)
	}
	if want := incomeExpense(gwToday.Time()) - incomeExpense(fy.AddDate(0, 0, -1)); year != want || year == whole {
		t.Errorf("P&L net of the year %s; want %s (and not the whole books' %s)", year, want, whole)
	}
	bs, err := gw.BalanceSheet(ctx, gwCompany, gwToday.Time())
	if err != nil {
		t.Fatal(err)
	}
	var plRow *service.ReportRow
	for i := range bs {
		if bs[i].Name == "Profit & Loss A/c" {
			plRow = &bs[i]
		}
	}
	if plRow == nil || plRow.Main != whole {
		t.Errorf("Balance Sheet Profit & Loss A/c row %+v; want the books' net %s", plRow, whole)
	}
}
