package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sumAgeing adds up the amounts of an ageing list.
func sumAgeing(t *testing.T, v any) int64 {
	t.Helper()
	buckets, ok := v.([]any)
	if !ok || len(buckets) == 0 {
		t.Fatalf("no ageing: %v", v)
	}
	var sum int64
	for _, b := range buckets {
		sum += paise(t, b.(map[string]any)["amount"].(string))
	}
	return sum
}

// checkAgeingAddsUp: the ageing of the whole list and of each party add up
// to their totals.
func checkAgeingAddsUp(t *testing.T, body []byte) map[string]any {
	t.Helper()
	m := decode(t, body).(map[string]any)
	if got, want := sumAgeing(t, m["ageing"]), paise(t, m["total"].(string)); got != want {
		t.Errorf("ageing adds up to %d; total %d: %s", got, want, body)
	}
	for _, p := range m["parties"].([]any) {
		p := p.(map[string]any)
		if got, want := sumAgeing(t, p["ageing"]), paise(t, p["total"].(string)); got != want {
			t.Errorf("%v: ageing adds up to %d; total %d", p["party"], got, want)
		}
	}
	return m
}

// TestAgeing: the ageing of receivables (from the mirror, paged, and live
// from Tally alike), of payables and of one party add up to their totals,
// on both stores.
func TestAgeing(t *testing.T) {
	t.Parallel()
	live := setup(t, setupOpts{})
	for _, durable := range []string{"sqlite", "postgres"} {
		t.Run(durable, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{mirror: true, durable: durable})
			for _, target := range []string{"/receivables?ageing=true", "/receivables?ageing=15,45", "/receivables?ageing=true&overdue_only=true",
				"/receivables?ageing=true&party=Rajesh%20Enterprises"} {
				r := b.do(t, call{target: target})
				if r.status != http.StatusOK {
					t.Fatalf("%s: %d %s", target, r.status, r.body)
				}
				checkAgeingAddsUp(t, r.body)
				want := live.do(t, call{target: target})
				if d := cmp.Diff(withoutFreshness(t, want.body), withoutFreshness(t, r.body)); d != "" {
					t.Errorf("%s: the mirror's answer differs from Tally's (-live +mirror):\n%s", target, d)
				}
			}
			// A page's total ageing is over every page.
			whole := decode(t, b.do(t, call{target: "/receivables?ageing=true"}).body).(map[string]any)["ageing"]
			page := decode(t, b.do(t, call{target: "/receivables?ageing=true&limit=2"}).body).(map[string]any)["ageing"]
			if !cmp.Equal(whole, page) {
				t.Errorf("ageing of a page %v; of the whole list %v", page, whole)
			}
			r := b.do(t, call{target: "/payables?ageing=true"})
			if r.status != http.StatusOK {
				t.Fatalf("payables: %d %s", r.status, r.body)
			}
			m := checkAgeingAddsUp(t, r.body)
			var parties []string
			for _, p := range m["parties"].([]any) {
				parties = append(parties, p.(map[string]any)["party"].(string))
			}
			// Bharat Steel's purchase less the part paid; Nair's advance to us.
			if !cmp.Equal(parties, []string{"Bharat Steel Suppliers", "Nair Agencies"}) || m["total"] != "39000.00" {
				t.Errorf("payables: %v, total %v: %s", parties, m["total"], r.body)
			}
		})
	}
}

// TestOutstanding: a party's outstanding bills, either way, with ageing.
func TestOutstanding(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	r := b.do(t, call{target: "/parties/Rajesh%20Enterprises/outstanding"})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	checkGolden(t, "outstanding_rajesh", withoutSyncedAt(t, r.body))
	for _, tc := range []struct {
		target, total, message string
		buckets                int
	}{
		{"/parties/Nair%20Agencies/outstanding", "-10000.00", "We owe Nair Agencies ₹10,000.00 on 1 bill as of 23 Jun 2026.", 4},
		{"/parties/Gupta%20General%20Stores/outstanding?ageing=30,60", "11800.00",
			"Gupta General Stores owes ₹11,800.00 on 2 bills as of 23 Jun 2026, ₹11,800.00 of it past due (0-30 days: ₹7,080.00, 31-60 days: ₹4,720.00).", 3},
		{"/parties/Priya%20Textiles/outstanding", "23600.00", "Priya Textiles owes ₹23,600.00 on 1 bill as of 23 Jun 2026.", 4},
		{"/parties/Vijay%20Transport/outstanding", "0.00", "Vijay Transport has no outstanding bills as of 23 Jun 2026.", 4},
	} {
		r := b.do(t, call{target: tc.target})
		m := decode(t, r.body).(map[string]any)
		if r.status != http.StatusOK || m["total"] != tc.total || m["message"] != tc.message || len(m["ageing"].([]any)) != tc.buckets {
			t.Errorf("%s: %d %s", tc.target, r.status, r.body)
			continue
		}
		if got := sumAgeing(t, m["ageing"]); got != paise(t, tc.total) {
			t.Errorf("%s: ageing adds up to %d", tc.target, got)
		}
	}
	for _, tc := range []struct {
		target string
		status int
		code   string
	}{
		{"/parties/Sales/outstanding", http.StatusNotFound, "party_not_found"},
		{"/parties/Rajesh%20Enterprises/outstanding?ageing=60,30", http.StatusUnprocessableEntity, "invalid_request"},
		{"/receivables?ageing=0", http.StatusUnprocessableEntity, "invalid_request"},
		{"/payables?ageing=x", http.StatusUnprocessableEntity, "invalid_request"},
	} {
		r := b.do(t, call{target: tc.target})
		if r.status != tc.status || field(t, r.body, "code") != tc.code {
			t.Errorf("%s: %d %s; want %d %s", tc.target, r.status, r.body, tc.status, tc.code)
		}
	}
	if r := setup(t, setupOpts{}).do(t, call{target: "/payables"}); r.status != http.StatusNotFound || !strings.Contains(string(r.body), "mirror_off") {
		t.Errorf("payables without the mirror: %d %s", r.status, r.body)
	}
}
