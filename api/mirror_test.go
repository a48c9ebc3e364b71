package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// withoutFreshness decodes a body and drops where it came from, which is
// all a mirror answer may differ in from a live one.
func withoutFreshness(t *testing.T, body []byte) any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	for _, k := range []string{"source", "synced_at", "stale", "next"} {
		delete(v, k)
	}
	return v
}

// TestMirrorAnswersAsTally: every read answered from the mirror of the
// books equals the same read answered live from Tally.
func TestMirrorAnswersAsTally(t *testing.T) {
	t.Parallel()
	live := setup(t, setupOpts{})
	mirror := setup(t, setupOpts{mirror: true})
	for _, target := range []string{
		"/parties",
		"/parties?group=Sundry%20Creditors",
		"/parties?search=TRADERS&limit=1&offset=1",
		"/parties?search=traders",
		"/parties/Rajesh%20Enterprises",
		"/parties/%E0%A4%97%E0%A4%A3%E0%A5%87%E0%A4%B6%20%E0%A4%9F%E0%A5%8D%E0%A4%B0%E0%A5%87%E0%A4%A1%E0%A4%B0%E0%A5%8D%E0%A4%B8",
		"/parties/D%27Souza%20%26%20Co./balance",
		"/parties/rajesh%20enterprises/balance?company=abc%20traders",
		"/parties/Nair%20Agencies/balance",
		"/parties/Sales/balance",
		"/receivables",
		"/receivables?overdue_only=true&min_amount=10000",
		"/receivables?party=rajesh%20enterprises",
		"/receivables?party=Sales",
		"/reminders",
		"/reminders?min_overdue_days=30",
	} {
		t.Run(target, func(t *testing.T) {
			want := live.do(t, call{target: target})
			got := mirror.do(t, call{target: target})
			if got.status != want.status {
				t.Fatalf("status %d from the mirror, %d live: %s", got.status, want.status, got.body)
			}
			if d := cmp.Diff(withoutFreshness(t, want.body), withoutFreshness(t, got.body)); d != "" {
				t.Errorf("mirror answer differs from Tally's (-live +mirror):\n%s", d)
			}
			if want.status == http.StatusOK {
				if src := field(t, got.body, "source"); src != "mirror" {
					t.Errorf("source %v; want mirror", src)
				}
			}
		})
	}
}

// TestMirrorPagesByCursor: the parties and receivables pages, followed by
// their cursors, are the whole list in order.
func TestMirrorPagesByCursor(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	for _, tc := range []struct{ first, whole, list, key string }{
		{"/parties?limit=4", "/parties?limit=500", "parties", "name"},
		{"/receivables?limit=3", "/receivables?limit=1000", "parties", "party"},
	} {
		all := b.do(t, call{target: tc.whole})
		var want []any
		for _, p := range decode(t, all.body).(map[string]any)[tc.list].([]any) {
			want = append(want, p.(map[string]any)[tc.key])
		}
		var got []any
		target := tc.first
		for range 20 {
			r := b.do(t, call{target: target})
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", target, r.status, r.body)
			}
			body := decode(t, r.body).(map[string]any)
			for _, p := range body[tc.list].([]any) {
				got = append(got, p.(map[string]any)[tc.key])
			}
			next, _ := body["next"].(string)
			if next == "" {
				break
			}
			target = tc.first + "&cursor=" + url.QueryEscape(next)
		}
		if len(want) < 5 || !cmp.Equal(want, got) {
			t.Errorf("%s: pages gave %v; the whole list is %v", tc.first, got, want)
		}
	}
}

// TestMirrorByMobile: the party of a number in any form; none is 404,
// several are 409 ambiguous_party_mobile, a non-mobile is 422.
func TestMirrorByMobile(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	for _, target := range []string{"/parties/by-mobile/09820012345/balance", "/parties/by-mobile/%2B91%2098200%2012345/balance",
		"/parties/by-mobile/919820012345/balance"} {
		r := b.do(t, call{target: target})
		if r.status != http.StatusOK || field(t, r.body, "party") != "Rajesh Enterprises" {
			t.Errorf("%s: %d %s", target, r.status, r.body)
		}
	}
	r := b.do(t, call{target: "/parties?mobile=98200-12345"})
	if r.status != http.StatusOK || field(t, r.body, "total") != 1.0 {
		t.Errorf("parties?mobile: %d %s", r.status, r.body)
	}
	if r := b.do(t, call{target: "/parties/by-mobile/9830099999/balance"}); r.status != http.StatusNotFound || field(t, r.body, "code") != "party_not_found" {
		t.Errorf("an unknown number: %d %s", r.status, r.body)
	}
	if r := b.do(t, call{target: "/parties/by-mobile/12345/balance"}); r.status != http.StatusUnprocessableEntity || field(t, r.body, "code") != "invalid_mobile" {
		t.Errorf("not a mobile: %d %s", r.status, r.body)
	}
	co, _ := b.sim.Company(tallysim.DemoCompanyName)
	if err := co.AlterLedger("Mehta Hardware", func(l *tallysim.Ledger) { l.Mobile = "+91 98200 12345" }); err != nil {
		t.Fatal(err)
	}
	r = b.do(t, call{target: "/parties/by-mobile/9820012345/balance?fresh=true"})
	if r.status != http.StatusConflict || field(t, r.body, "code") != "ambiguous_party_mobile" ||
		!strings.Contains(string(r.body), "Mehta Hardware") || !strings.Contains(string(r.body), "Rajesh Enterprises") {
		t.Errorf("a number two parties share: %d %s", r.status, r.body)
	}
}

// TestMirrorStaleWhenTallyHangs: with Tally hung, a balance is answered from
// the mirror, stale, with a sentence that says when the books were synced;
// /sync shows the failure.
func TestMirrorStaleWhenTallyHangs(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	b.sim.SetFault(tallysim.Hang)
	t.Cleanup(func() { b.sim.SetFault(tallysim.NoFault) })
	r := b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance?fresh=true"})
	if r.status != http.StatusOK || field(t, r.body, "stale") != true || field(t, r.body, "balance") != "48500.00" ||
		!strings.Contains(field(t, r.body, "message").(string), "when the books were last synced") {
		t.Fatalf("balance while Tally hangs: %d %s", r.status, r.body)
	}
	r = b.do(t, call{target: "/sync"})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"loaded":true`) {
		t.Fatalf("/sync: %d %s", r.status, r.body)
	}
}

// TestMirrorSeesOwnWrites: an order posted through the façade shows in the
// party's balance read right after (the write kicks a sync).
func TestMirrorSeesOwnWrites(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	before := field(t, b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance"}).body, "signed")
	r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref":"MIRROR-1","party":{"name":"Rajesh Enterprises"},
		"lines":[{"item":"Cotton saree","quantity":"1","rate":"1000.00","gst_rate":"5"}]}`})
	if r.status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.status, r.body)
	}
	after := field(t, b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance"}).body, "signed")
	if before != "48500.00" || after != "49550.00" {

		t.Errorf("balance %v before the order, %v after; want 48500.00 and 49550.00", before, after)
	}
}
