package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

type reportBody struct {
	Report  string `json:"report"`
	From    string `json:"from"`
	AsOf    string `json:"as_of"`
	Message string `json:"message"`
	Source  string `json:"source"`
	Stale   bool   `json:"stale"`
	Rows    []struct {
		Name string `json:"name"`
		Sub  *struct {
			Signed string `json:"signed"`
			Side   string `json:"side"`
		} `json:"sub"`
		Main *struct {
			Amount string `json:"amount"`
			Side   string `json:"side"`
			Signed string `json:"signed"`
		} `json:"main"`
	} `json:"rows"`
}

func getReport(t *testing.T, b *testBundle, target string, wantStatus int) reportBody {
	t.Helper()
	r := b.do(t, call{target: target})
	if r.status != wantStatus {
		t.Fatalf("GET %s: %d, want %d: %s", target, r.status, wantStatus, r.body)
	}
	var out reportBody
	if wantStatus == http.StatusOK {
		if err := json.Unmarshal(r.body, &out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestFinancialReports reads the demo company's Balance Sheet and Profit &
// Loss from the simulator, row for row with Tally's columns, then, with
// Tally refusing connections, the copies kept: stale, for the date asked
// or the latest before it, and 503 for a date before any kept.
func TestFinancialReports(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	pl := getReport(t, b, "/reports/profit-and-loss?as_of=2026-06-23", http.StatusOK)
	if pl.Report != "Profit & Loss A/c" || pl.From != "2026-04-01" || pl.AsOf != "2026-06-23" || pl.Source != "tally" || pl.Stale {
		t.Errorf("profit and loss header %+v", pl)
	}
	if want := "ABC Traders made a net profit of ₹1,13,500.00 from 1 Apr 2026 to 23 Jun 2026."; pl.Message != want {
		t.Errorf("message %q; want %q", pl.Message, want)
	}
	var nett, opening bool
	for _, r := range pl.Rows {
		switch r.Name {
		case "Nett Profit":
			// A profit is a credit in Tally: Cr, negative in our signed.
			nett = r.Main != nil && r.Main.Amount == "113500.00" && r.Main.Side == "Cr" && r.Main.Signed == "-113500.00" && r.Sub == nil
		case "Opening Stock":
			opening = r.Main == nil && r.Sub == nil // Tally's empty cells stay empty
		}
	}
	if !nett || !opening {
		t.Errorf("rows %+v: want Nett Profit 1,13,500.00 Cr in main and an empty Opening Stock", pl.Rows)
	}
	bs := getReport(t, b, "/reports/balance-sheet?as_of=2026-06-23", http.StatusOK)
	if bs.Report != "Balance Sheet" || bs.From != "" || len(bs.Rows) < 5 || bs.Rows[0].Name != "Capital Account" {
		t.Errorf("balance sheet %+v", bs)
	}
	if !strings.HasPrefix(bs.Message, "Balance Sheet of ABC Traders as of 23 Jun 2026: ") || !strings.Contains(bs.Message, "Profit & Loss A/c ₹") {
		t.Errorf("balance sheet message %q", bs.Message)
	}

	b.sim.SetFault(tallysim.Refuse)
	for _, tc := range []struct {
		target, asOf string
	}{
		{"/reports/profit-and-loss?as_of=2026-06-23", "2026-06-23"},
		{"/reports/profit-and-loss?as_of=2026-06-30", "2026-06-23"},
		{"/reports/balance-sheet?as_of=2026-06-23", "2026-06-23"},
	} {
		got := getReport(t, b, tc.target, http.StatusOK)
		if !got.Stale || got.Source != "stored" || got.AsOf != tc.asOf || len(got.Rows) == 0 ||
			!strings.Contains(got.Message, "(As Tally gave it on 23 Jun 2026, ") {
			t.Errorf("%s with Tally off: %+v; want the copy kept as of %s, stale", tc.target, got, tc.asOf)
		}
	}
	r := b.do(t, call{target: "/reports/profit-and-loss?as_of=2026-06-01"})
	if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "tally_unreachable") {
		t.Errorf("a date before any copy kept, Tally off: %d %s; want 503 tally_unreachable", r.status, r.body)
	}
}
