package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// TestStatementClosesAtTallysBalance: for every demo party, the statement
// to today closes at the party's closing balance as Tally itself (the
// simulator, read live) gives it, to the paisa; and the running balance
// of each line is the one before plus its debit less its credit.
func TestStatementClosesAtTallysBalance(t *testing.T) {
	t.Parallel()
	for _, durable := range []string{"sqlite", "postgres"} {
		t.Run(durable, func(t *testing.T) {
			t.Parallel()
			live := setup(t, setupOpts{})
			mirror := setup(t, setupOpts{mirror: true, durable: durable})
			var names []string
			for _, g := range []string{"Sundry%20Debtors", "Sundry%20Creditors"} {
				r := live.do(t, call{target: "/parties?limit=500&group=" + g})
				for _, p := range decode(t, r.body).(map[string]any)["parties"].([]any) {
					names = append(names, p.(map[string]any)["name"].(string))
				}
			}
			if len(names) < 15 {
				t.Fatalf("only %d demo parties", len(names))
			}
			for _, name := range names {
				path := "/parties/" + url.PathEscape(name)
				want := live.do(t, call{target: path + "/balance"})
				got := mirror.do(t, call{target: path + "/statement"})
				if got.status != http.StatusOK {
					t.Fatalf("%s: %d %s", name, got.status, got.body)
				}
				st := decode(t, got.body).(map[string]any)
				closing := st["closing"].(map[string]any)
				if closing["signed"] != field(t, want.body, "signed") {
					t.Errorf("%s: statement closes at %v; Tally's closing balance is %v", name, closing["signed"], field(t, want.body, "signed"))
				}
				run := paise(t, st["opening"].(map[string]any)["signed"].(string))
				for _, v := range st["vouchers"].([]any) {
					v := v.(map[string]any)
					run += paise(t, v["debit"].(string)) - paise(t, v["credit"].(string))
					if b := paise(t, v["balance"].(map[string]any)["signed"].(string)); b != run {
						t.Errorf("%s: running balance %d after voucher %v; want %d", name, b, v["voucher_id"], run)
					}
				}
				if c := paise(t, closing["signed"].(string)); c != run {
					t.Errorf("%s: closing %d is not the last running balance %d", name, c, run)
				}
			}
		})
	}
}

// paise reads a decimal amount as the api writes it ("-48500.00").
func paise(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 {
		t.Fatalf("amount %q is not two decimals", s)
	}
	var n int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			t.Fatalf("amount %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// TestStatement: the statement of one party for the default period and a
// chosen one, by name and by mobile; what is refused.
func TestStatement(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	r := b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement"})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	checkGolden(t, "statement_rajesh", withoutSyncedAt(t, r.body))
	// Sharma & Sons' sale was 75 days before 23 June: in the period from
	// 1 April; from 1 May it is in the opening balance.
	r = b.do(t, call{target: "/parties/Sharma%20%26%20Sons/statement?from=2026-05-01&to=2026-06-23"})
	if r.status != http.StatusOK || field(t, r.body, "count") != 0.0 || field(t, r.body, "opening_display") != "₹35,400.00 Dr" ||
		field(t, r.body, "closing_display") != "₹35,400.00 Dr" {
		t.Errorf("a period after the only voucher: %d %s", r.status, r.body)
	}
	byMobile := b.do(t, call{target: "/parties/by-mobile/%2B91%2098200%2012345/statement"})
	if byMobile.status != http.StatusOK || field(t, byMobile.body, "party") != "Rajesh Enterprises" {
		t.Errorf("by mobile: %d %s", byMobile.status, byMobile.body)
	}
	for _, tc := range []struct {
		target string
		status int
		code   string
	}{
		{"/parties/Sales/statement", http.StatusNotFound, "party_not_found"},
		{"/parties/Nobody/statement", http.StatusNotFound, "party_not_found"},
		{"/parties/Rajesh%20Enterprises/statement?from=2026-06-01&to=2026-05-01", http.StatusUnprocessableEntity, "invalid_period"},
		{"/parties/Rajesh%20Enterprises/statement?from=1 May", http.StatusUnprocessableEntity, "invalid_request"},
		{"/parties/by-mobile/9830099999/statement", http.StatusNotFound, "party_not_found"},
	} {
		r := b.do(t, call{target: strings.ReplaceAll(tc.target, " ", "%20")})
		if r.status != tc.status || field(t, r.body, "code") != tc.code {
			t.Errorf("%s: %d %s; want %d %s", tc.target, r.status, r.body, tc.status, tc.code)
		}
	}
	// Tally down: the statement is the mirror's, stale, and says so; a
	// company the mirror never loaded is 503 books_not_synced.
	b.sim.SetFault(tallysim.Refuse)
	r = b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement?fresh=true"})
	if r.status != http.StatusOK || field(t, r.body, "stale") != true ||
		!strings.HasSuffix(field(t, r.body, "message").(string), ", as of 23 Jun 2026, 10:00 (when the books were last synced).") {
		t.Errorf("Tally down: %d %s", r.status, r.body)
	}
	r = b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement?company=Coastal%20Traders"})
	if r.status != http.StatusServiceUnavailable || field(t, r.body, "code") != "books_not_synced" {
		t.Errorf("a company never synced, Tally down: %d %s", r.status, r.body)
	}
	b.sim.SetFault(tallysim.NoFault)
	live := setup(t, setupOpts{company: tallysim.DemoCompanyName})
	if r := live.do(t, call{target: "/parties/Rajesh%20Enterprises/statement"}); r.status != http.StatusNotFound || field(t, r.body, "code") != "mirror_off" {
		t.Errorf("without the mirror: %d %s", r.status, r.body)
	}
}

// withoutSyncedAt drops the one field of a mirror answer that changes from
// run to run, for a golden file.
func withoutSyncedAt(t *testing.T, body []byte) []byte {
	t.Helper()
	m := decode(t, body).(map[string]any)
	delete(m, "synced_at")
	return mustJSON(t, m)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
