package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// Each test below covers one status; its cases share one stack over a fresh
// simulator. golden names a testdata file compared with the whole body;
// check, when set, asserts what a golden file would not make obvious.
type endpointCase struct {
	name   string
	call   call
	golden string
	check  func(t *testing.T, r reply)
}

func runCases(t *testing.T, b *testBundle, want int, cases []endpointCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := b.do(t, tc.call)
			if r.status != want {
				t.Fatalf("%s %s: status %d, want %d\n%s", tc.call.method, tc.call.target, r.status, want, r.body)
			}
			ct := r.header.Get("Content-Type")
			switch {
			case want >= 400 && ct != "application/problem+json":
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			case want < 400 && !strings.HasPrefix(ct, "application/json"):
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			if want >= 400 {
				checkProblemShape(t, r, want)
			}
			if tc.golden != "" {
				checkGolden(t, tc.golden, r.body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// checkProblemShape checks the RFC 9457 members every problem has.
func checkProblemShape(t *testing.T, r reply, status int) {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body: %v\n%s", err, r.body)
	}
	if p.Status != status || p.Code == "" || p.Title == "" || p.Detail == "" || p.Instance == "" ||
		p.Type != "urn:tallyfacade:problem:"+p.Code || p.RequestID != requestID {
		t.Errorf("problem %+v: want status %d and type, title, detail, instance, code, request_id set", p, status)
	}
}

func wantField(name string, want any) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if got := field(t, r.body, name); got != want {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
}

func TestOK(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusOK, []endpointCase{
		{name: "healthz without key", call: call{target: "/healthz", noKey: true}, check: wantField("status", "ok")},
		{name: "readyz without key", call: call{target: "/readyz", noKey: true}, check: wantField("status", "ready")},
		{name: "parties", call: call{target: "/parties"}, golden: "parties"},
		{name: "parties searched and paged", call: call{target: "/parties?search=TRADERS&limit=1&offset=1"}, golden: "parties_search"},
		{name: "party", call: call{target: "/parties/Rajesh%20Enterprises"}, golden: "party_rajesh"},
		{name: "party with bearer key", call: call{target: "/parties/Rajesh%20Enterprises",
			headers: map[string]string{"X-API-Key": "", "Authorization": "Bearer " + otherKey}}, check: wantField("name", "Rajesh Enterprises")},
		{name: "party with & and <>", call: call{target: "/parties/A%20%26%20B%20%3CTraders%3E"}, check: wantField("name", "A & B <Traders>")},
		{name: "party with & and <> unescaped where legal", call: call{target: "/parties/A%20&%20B%20%3CTraders%3E"}, check: wantField("name", "A & B <Traders>")},
		{name: "party in Devanagari", call: call{target: "/parties/%E0%A4%97%E0%A4%A3%E0%A5%87%E0%A4%B6%20%E0%A4%9F%E0%A5%8D%E0%A4%B0%E0%A5%87%E0%A4%A1%E0%A4%B0%E0%A5%8D%E0%A4%B8"},
			check: wantField("name", "गणेश ट्रेडर्स")},
		{name: "party with apostrophe and dot", call: call{target: "/parties/D%27Souza%20%26%20Co./balance"}, golden: "balance_dsouza"},
		{name: "party with quotes", call: call{target: "/parties/Kumar%20%22KK%22%20Stores"}, check: wantField("name", `Kumar "KK" Stores`)},
		{name: "balance", call: call{target: "/parties/Rajesh%20Enterprises/balance"}, golden: "balance_rajesh"},
		{name: "balance case-folded", call: call{target: "/parties/rajesh%20enterprises/balance?company=abc%20traders"}, check: wantField("party", "Rajesh Enterprises")},
		{name: "credit balance is negative", call: call{target: "/parties/Nair%20Agencies/balance"}, golden: "balance_nair"},
		{name: "receivables", call: call{target: "/receivables"}, golden: "receivables"},
		{name: "receivables overdue over 10000", call: call{target: "/receivables?overdue_only=true&min_amount=10000&as_of=2026-06-23"}, golden: "receivables_overdue"},
		{name: "receivables of one party", call: call{target: "/receivables?party=rajesh%20enterprises"}, check: wantField("party_count", 1.0)},
		{name: "trial balance", call: call{target: "/reports/trial-balance"}, golden: "trial_balance"},
		{name: "trial balance ledger-wise", call: call{target: "/reports/trial-balance?ledger_wise=true&as_of=2026-06-23"}, golden: "trial_balance_ledgers"},
		{name: "companies", call: call{target: "/companies"}, golden: "companies"},
		{name: "tally status", call: call{target: "/tally/status"}, check: func(t *testing.T, r reply) {
			var st api.TallyStatusResponse
			if err := json.Unmarshal(r.body, &st); err != nil {
				t.Fatal(err)
			}
			if st.Product != "TallyPrime" || st.Company != "ABC Traders" || !st.CompanyLoaded || st.URL != b.sim.URL() ||
				len(st.Companies) != 1 || st.Companies[0] != "ABC Traders" {
				t.Errorf("status %+v", st)
			}
		}},
	})
}

func TestCreated(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusCreated, []endpointCase{
		{name: "party", golden: "party_created", call: call{method: http.MethodPost, target: "/parties", body: `{
			"name": "Joshi & Sons (Pune)", "mobile": "098220 11223", "email": "joshi@example.in", "state": "Maharashtra",
			"country": "India", "gstin": "27AAGFJ1234K1Z2", "address": ["Shop 4, FC Road", "Pune"], "pincode": "411004",
			"credit_days": 45}`},
			check: func(t *testing.T, r reply) {
				if loc := r.header.Get("Location"); loc != "/parties/Joshi%20&%20Sons%20%28Pune%29" {
					t.Errorf("Location %q", loc)
				}
			}},
		{name: "party with a slash", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "Unit/7 Stores", "bill_wise": false}`},
			check: func(t *testing.T, r reply) {
				if loc := r.header.Get("Location"); loc != "/parties/Unit%2F7%20Stores" {
					t.Fatalf("Location %q", loc)
				}
				got := b.do(t, call{target: "/parties/Unit%2F7%20Stores/balance"})
				if got.status != http.StatusOK || field(t, got.body, "party") != "Unit/7 Stores" {
					t.Errorf("reading the balance back: %d %s", got.status, got.body)
				}
				got = b.do(t, call{target: "/parties/unit%2f7%20stores"})
				if got.status != http.StatusOK || field(t, got.body, "name") != "Unit/7 Stores" || field(t, got.body, "bill_wise") != false {
					t.Errorf("reading the party back: %d %s", got.status, got.body)
				}
			}},
		// Go leaves RawPath empty when the client escaped the path as Go
		// would, so echo would hand out "100% Pure Oils" decoded; only
		// rawPathRouting makes the parameter reliably escaped.
		{name: "party with a percent sign", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "100% Pure Oils"}`},
			check: func(t *testing.T, r reply) {
				got := b.do(t, call{target: "/parties/100%25%20Pure%20Oils/balance"})
				if got.status != http.StatusOK || field(t, got.body, "party") != "100% Pure Oils" {
					t.Errorf("reading it back: %d %s", got.status, got.body)
				}
			}},
		{name: "order", golden: "order_created", call: call{method: http.MethodPost, target: "/orders", body: `{
			"order_ref": "WA-1001", "date": "2026-06-22",
			"party": {"name": "Rajesh Enterprises"},
			"lines": [
				{"item": "Steel rod 12mm", "quantity": "10", "rate": "4500.00", "unit": "NOS"},
				{"item": "Bolts", "quantity": 2.5, "rate": 19.99, "gst_rate": "5"}
			],
			"narration": "WhatsApp order", "credit_days": 30}`}},
		{name: "order for a new party in another state", golden: "order_new_party", call: call{method: http.MethodPost, target: "/orders", body: `{
			"order_ref": "WA-1002",
			"party": {"name": "Reddy Stores", "mobile": "+91 98480 12345", "state": "Telangana"},
			"lines": [{"item": "Paint 20L", "quantity": 3, "rate": 2400, "gst_rate": 18}]}`}},
	})

	// The same order again answers with the stored order instead of
	// posting a second voucher.
	r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "WA-1002",
		"party": {"name": "Reddy Stores", "mobile": "+91 98480 12345", "state": "Telangana"},
		"lines": [{"item": "Paint 20L", "quantity": 3, "rate": 2400, "gst_rate": 18}]}`})
	remoteID, _ := field(t, r.body, "remote_id").(string)
	if r.status != http.StatusCreated || remoteID == "" || countVouchers(t, b, remoteID) != 1 {
		t.Errorf("resend: %d %s; want 201 from the one stored order", r.status, r.body)
	}
	rec := b.do(t, call{target: "/receivables?party=Reddy%20Stores"})
	if got := field(t, rec.body, "total"); got != "8496.00" {
		t.Errorf("Reddy Stores owes %v after a resent order; want 8496.00 once", got)
	}
}

func TestBadRequest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusBadRequest, []endpointCase{
		{name: "malformed JSON", golden: "problem_malformed_json", call: call{method: http.MethodPost, target: "/orders", body: `{"party": {"name": "Rajesh"`}},
		{name: "two JSON values", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "X"} {"name": "Y"}`}, check: wantField("code", "malformed_json")},
		{name: "empty body", call: call{method: http.MethodPost, target: "/parties", headers: map[string]string{"Content-Type": "application/json"}}, check: wantField("code", "empty_body")},
		{name: "array instead of object", call: call{method: http.MethodPost, target: "/parties", body: `[]`}, check: wantField("code", "malformed_json")},
		{name: "invalid UTF-8", call: call{method: http.MethodPost, target: "/parties", body: "{\"name\": \"R\xff\"}"}, check: wantField("detail", "The body is not valid UTF-8.")},
		// Go's URL.Query drops a pair it cannot unescape, which answered
		// for every party instead of refusing (issue 8 item 13).
		{name: "bad percent-encoding", call: call{target: "/receivables?party=%zz"}, check: wantField("code", "malformed_query")},
		{name: "bad escape beside a good pair", call: call{target: "/parties?limit=5&search=Raj%2"}, check: wantField("code", "malformed_query")},
		{name: "raw semicolon", call: call{target: "/receivables?party=A;B"}, check: wantField("code", "malformed_query")},
		{name: "unescaped name not UTF-8", call: call{target: "/parties?search=R%ff"}, check: wantField("code", "malformed_query")},
	})
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	check := func(t *testing.T, r reply) {
		if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Errorf("WWW-Authenticate %q", got)
		}
		if strings.Contains(b.logs.String(), "wrong-key") || strings.Contains(b.logs.String(), testKey) {
			t.Errorf("an API key reached the logs:\n%s", b.logs.String())
		}
	}
	runCases(t, b, http.StatusUnauthorized, []endpointCase{
		{name: "no key", golden: "problem_unauthenticated", call: call{target: "/parties/Rajesh%20Enterprises/balance", noKey: true}, check: check},
		{name: "wrong key", call: call{target: "/parties", headers: map[string]string{"X-API-Key": "wrong-key"}}, check: check},
		{name: "wrong bearer", call: call{target: "/receivables", noKey: true, headers: map[string]string{"Authorization": "Bearer wrong-key"}}, check: check},
		{name: "key as basic auth", call: call{target: "/companies", noKey: true, headers: map[string]string{"Authorization": "Basic " + testKey}}, check: check},
		{name: "post without key", call: call{method: http.MethodPost, target: "/orders", body: `{}`, noKey: true}, check: check},
	})
	if n := len(b.sim.Requests()); n != 0 {
		t.Errorf("unauthenticated requests reached Tally %d times", n)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusNotFound, []endpointCase{
		{name: "party", golden: "problem_party_not_found", call: call{target: "/parties/Rajesh%20Enterprise/balance"}},
		{name: "party with a slash", call: call{target: "/parties/Unit%2F8%20Stores"}, check: wantField("code", "party_not_found")},
		{name: "company the caller picked", golden: "problem_unknown_company", call: call{target: "/receivables?company=XYZ%20Ltd"}},
		{name: "company the caller picked, for a party", call: call{target: "/parties/Rajesh%20Enterprises/balance?company=XYZ%20Ltd"}, check: wantField("code", "unknown_company")},
		{name: "route", call: call{target: "/nope"}, check: wantField("code", "route_not_found")},
	})
	// Each refusal is logged once, at Info, with the request id, route and code.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 5 {
		t.Fatalf("%d log lines for 5 refused requests:\n%s", len(lines), b.logs.String())
	}
	first := lines[0]
	if first["level"] != "INFO" || first["request_id"] != requestID || first["route"] != "/parties/:name/balance" ||
		first["code"] != "party_not_found" || first["status"] != 404.0 {
		t.Errorf("log line %v", first)
	}
}

// Real Tally answers an object export for a ledger it does not have with a
// bare `<ERRORMSG>Could not find …!</ERRORMSG>` (tally-protocol.md §9.3 (B)),
// as the simulator does: the balance of an unknown party is 404, and creating
// a new party (which reads first, to refuse an existing one) works.
func TestMissingObjectIsNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	r := b.do(t, call{target: "/parties/Nobody/balance"})
	if r.status != http.StatusNotFound || field(t, r.body, "code") != "party_not_found" {
		t.Fatalf("balance of Nobody: %d %s, want 404 party_not_found", r.status, r.body)
	}
	recs := b.sim.Requests()
	if last := recs[len(recs)-1]; last.Kind != "export:object:Ledger" || !strings.HasPrefix(last.Outcome, "error: Could not find Ledger:Nobody") {
		t.Errorf("the simulator answered %+v, want the bare ERRORMSG of a missing object", last)
	}
	r = b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "Nobody", "state": "Maharashtra"}`})
	if r.status != http.StatusCreated || field(t, r.body, "name") != "Nobody" {
		t.Fatalf("create Nobody: %d %s, want 201", r.status, r.body)
	}
	if r = b.do(t, call{target: "/parties/Nobody/balance"}); r.status != http.StatusOK {
		t.Errorf("balance after create: %d %s", r.status, r.body)
	}
}

// TestTrialBalanceKeepsTallysColumns: a group holding debit and credit
// ledgers shows both columns, as Tally does (tally-protocol.md §9.3 (E)), with
// the net and its side beside them, and the totals are the sums of Tally's
// columns. In the demo books, Current Liabilities hold Shree Packaging's
// ₹15,000 advance (Dr) beside creditors and output tax (Cr ₹60,410), and
// Current Assets hold Nair Agencies' ₹10,000 advance (Cr).
func TestTrialBalanceKeepsTallysColumns(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	r := b.do(t, call{target: "/reports/trial-balance?as_of=2026-06-23"})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var tb api.TrialBalanceResponse
	if err := json.Unmarshal(r.body, &tb); err != nil {
		t.Fatal(err)
	}
	rows := map[string]api.TrialBalanceRowJSON{}
	var dr, cr service.Paise
	for _, row := range tb.Rows {
		rows[row.Name] = row
		dr += row.Debit
		cr += row.Credit
		if row.Net.Signed != row.Debit-row.Credit {
			t.Errorf("%s: net signed %s, want debit %s - credit %s", row.Name, row.Net.Signed, row.Debit, row.Credit)
		}
	}
	cl := rows["Current Liabilities"]
	wantNet := api.BalanceJSON{Amount: 45_410_00, Side: "Cr", Signed: -45_410_00, Display: "₹45,410.00 Cr"}
	if cl.Debit != 15_000_00 || cl.Credit != 60_410_00 || cl.Net != wantNet {
		t.Errorf("Current Liabilities %+v: want debit 15000.00, credit 60410.00, net %+v", cl, wantNet)
	}
	if ca := rows["Current Assets"]; ca.Credit != 10_000_00 || ca.Debit == 0 || ca.Net.Side != "Dr" {
		t.Errorf("Current Assets %+v: want both columns, credit 10000.00, net Dr", ca)
	}
	if tb.TotalDebit != dr || tb.TotalCredit != cr || dr != cr || !tb.Balanced {
		t.Errorf("totals Dr %s Cr %s (balanced %v); the columns sum to Dr %s Cr %s", tb.TotalDebit, tb.TotalCredit, tb.Balanced, dr, cr)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusMethodNotAllowed, []endpointCase{
		{name: "delete a party", call: call{method: http.MethodDelete, target: "/parties"}, check: func(t *testing.T, r reply) {
			if r.header.Get("Allow") == "" || field(t, r.body, "code") != "method_not_allowed" {
				t.Errorf("Allow %q, body %s", r.header.Get("Allow"), r.body)
			}
		}},
	})
}

func TestInsecureNoAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noAuth: true})
	runCases(t, b, http.StatusOK, []endpointCase{
		{name: "balance without a key", call: call{target: "/parties/Rajesh%20Enterprises/balance", noKey: true}, check: wantField("balance", "48500.00")},
	})
}

func TestConflict(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusConflict, []endpointCase{
		{name: "party exists", golden: "problem_party_exists", call: call{method: http.MethodPost, target: "/parties",
			body: `{"name": "rajesh enterprises", "group": "Sundry Creditors"}`}},
	})
	// Nothing was altered: the existing party keeps its group.
	r := b.do(t, call{target: "/parties/Rajesh%20Enterprises"})
	if got := field(t, r.body, "group"); got != "Sundry Debtors" {
		t.Errorf("group after the conflict %v", got)
	}
}

func TestRequestEntityTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{bodyLimit: "1K"})
	big := `{"name": "` + strings.Repeat("x", 2000) + `"}`
	runCases(t, b, http.StatusRequestEntityTooLarge, []endpointCase{
		{name: "content length over the limit", call: call{method: http.MethodPost, target: "/parties", body: big}, check: wantField("code", "body_too_large")},
	})
	// A body without Content-Length is cut while it is read.
	req := call{method: http.MethodPost, target: "/orders", body: big}
	r := b.doChunked(t, req)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: %d %s", r.status, r.body)
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	runCases(t, b, http.StatusUnsupportedMediaType, []endpointCase{
		{name: "form body", call: call{method: http.MethodPost, target: "/parties", body: `name=X`,
			headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, check: wantField("code", "unsupported_media_type")},
	})
}

func TestUnprocessable(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	fieldNames := func(want ...string) func(*testing.T, reply) {
		return func(t *testing.T, r reply) {
			t.Helper()
			var p api.Problem
			_ = json.Unmarshal(r.body, &p)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Field)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("fields %v, want %v\n%s", got, want, r.body)
			}
		}
	}
	runCases(t, b, http.StatusUnprocessableEntity, []endpointCase{
		{name: "order validation", golden: "problem_order_invalid", call: call{method: http.MethodPost, target: "/orders", body: `{
			"date": "23-06-2026", "party": {"name": "", "gstin": "27AAPFR1234"},
			"lines": [
				{"item": "Steel rod", "quantity": "0", "rate": "4500.001"},
				{"item": "", "quantity": "1e3", "rate": "-1", "gst_rate": "17"}
			]}`}},
		{name: "order decimals", call: call{method: http.MethodPost, target: "/orders", body: `{
			"party": {"name": "Rajesh Enterprises"},
			"lines": [{"item": "Steel rod", "quantity": true, "rate": "45,000", "gst_rate": "abc"}]}`},
			check: fieldNames("lines[0].quantity", "lines[0].rate", "lines[0].gst_rate")},
		{name: "order without lines", call: call{method: http.MethodPost, target: "/orders", body: `{"party": {"name": "Rajesh Enterprises"}, "lines": []}`},
			check: fieldNames("lines")},
		{name: "wrong JSON type", call: call{method: http.MethodPost, target: "/orders", body: `{"party": {"name": 42}, "lines": []}`},
			check: fieldNames("party.name")},
		{name: "unknown field", call: call{method: http.MethodPost, target: "/orders", body: `{"party": {"name": "R"}, "lines": [{"item": "x", "quantity": 1, "rate": 1, "gst": 5}]}`},
			check: wantField("code", "unknown_field")},
		{name: "party validation", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "Bad\u0007Name", "email": "not-an-email", "pincode": "4000", "credit_days": -1}`},
			check: fieldNames("name", "email", "pincode", "credit_days")},
		{name: "party mobile refused by the service", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "Mobile Test", "mobile": "12345"}`},
			check: wantField("code", "invalid_mobile")},
		{name: "query parameters", golden: "problem_query_invalid", call: call{target: "/parties?limit=abc&offset=-1"}},
		{name: "receivables query", call: call{target: "/receivables?as_of=23/06/2026&overdue_only=maybe&min_amount=1e3"},
			check: fieldNames("as_of", "overdue_only", "min_amount")},
		{name: "dates out of range", call: call{target: "/receivables?as_of=9999-12-31"}, check: fieldNames("as_of")},
		{name: "order fields the validator alone would miss", call: call{method: http.MethodPost, target: "/orders", body: `{
			"date": "0001-01-01", "party": {"name": "   "}, "narration": "a\u0000b",
			"lines": [{"item": "  ", "quantity": "1.00001", "rate": "1", "gst_rate": "17"}]}`},
			check: fieldNames("narration", "date", "party.name", "lines[0].item", "lines[0].quantity", "lines[0].gst_rate")},
		{name: "name with a control character", call: call{target: "/parties/Rajesh%0AEnterprises"}, check: fieldNames("name")},
		// The stored order's id (in the hint) derives from the key, so the
		// golden file holds still.
		{name: "sales ledger missing in Tally", golden: "problem_ledger_missing", call: call{method: http.MethodPost, target: "/orders",
			headers: map[string]string{"Idempotency-Key": "golden-ledger-missing"}, body: `{
			"party": {"name": "Rajesh Enterprises"}, "sales_ledger": "Sales @ 18%",
			"lines": [{"item": "Steel rod", "quantity": 1, "rate": 100}]}`}},
		{name: "a group that does not exist is not a party group", call: call{method: http.MethodPost, target: "/parties",
			body: `{"name": "Group Test", "group": "Sundry Debtorz"}`}, check: wantField("code", "not_a_party_group")},
		{name: "Tally rejects a date before the books", golden: "problem_tally_rejected", call: call{method: http.MethodPost, target: "/orders",
			headers: map[string]string{"Idempotency-Key": "golden-tally-rejected"}, body: `{
			"date": "2020-01-01", "party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Steel rod", "quantity": 1, "rate": 100}]}`},
			check: func(t *testing.T, r reply) {
				var p api.Problem
				_ = json.Unmarshal(r.body, &p)
				if p.Code != "tally_rejected" || len(p.LineErrors) == 0 {
					t.Errorf("problem %+v: want tally_rejected with line_errors", p)
				}
			}},
	})
}

func TestServiceUnavailable(t *testing.T) {
	t.Parallel()
	t.Run("Tally refuses connections", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		b.sim.SetFault(tallysim.Refuse)
		runCases(t, b, http.StatusServiceUnavailable, []endpointCase{
			{name: "balance", golden: "problem_tally_unreachable", call: call{target: "/parties/Rajesh%20Enterprises/balance"},
				check: func(t *testing.T, r reply) {
					if r.header.Get("Retry-After") != "30" {
						t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
					}
					if strings.Contains(string(r.body), "127.0.0.1") {
						t.Errorf("the body leaks the Tally address: %s", r.body)
					}
					logs := b.logs.String()
					if !strings.Contains(logs, `"level":"ERROR"`) || !strings.Contains(logs, "tally_unreachable") || !strings.Contains(logs, "refused") {
						t.Errorf("want one ERROR log with the cause chain, got:\n%s", logs)
					}
				}},
		})
		// An order is stored and queued meanwhile (202):
		// TestDurableOrderWhileTallyIsDown.
	})
	t.Run("configured company not loaded", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{company: "Missing Co"})
		runCases(t, b, http.StatusServiceUnavailable, []endpointCase{
			{name: "balance", golden: "problem_company_not_loaded", call: call{target: "/parties/Rajesh%20Enterprises/balance"}},
			{name: "the configured company named explicitly", call: call{target: "/receivables?company=missing%20co"}, check: wantField("code", "company_not_loaded")},
		})
	})
	t.Run("Tally hangs past the request deadline", func(t *testing.T) {
		t.Parallel()
		// A read gets the read deadline, well inside a chatbot's 10 s,
		// whatever the write deadline; its answer says nothing of writes.
		// A write gets the write deadline, and is told a write may have
		// been applied.
		b := setup(t, setupOpts{timeout: 300 * time.Millisecond, readTimeout: 300 * time.Millisecond})
		slow := setup(t, setupOpts{timeout: time.Minute, readTimeout: 300 * time.Millisecond})
		b.sim.SetFault(tallysim.Hang)
		slow.sim.SetFault(tallysim.Hang)
		for _, bb := range []*testBundle{b, slow} {
			start := time.Now()
			runCases(t, bb, http.StatusServiceUnavailable, []endpointCase{
				{name: "balance", call: call{target: "/parties/Rajesh%20Enterprises/balance"}, check: func(t *testing.T, r reply) {
					if code := field(t, r.body, "code"); code != "tally_timeout" || r.header.Get("Retry-After") != "10" {
						t.Errorf("code %v, Retry-After %q", code, r.header.Get("Retry-After"))
					}
					if strings.Contains(strings.ToLower(string(r.body)), "write") {
						t.Errorf("a read's answer speaks of writes: %s", r.body)
					}
					if d := time.Since(start); d > 2*time.Second {
						t.Errorf("answered after %v; the read deadline is 300ms", d)
					}
				}},
			})
		}
		runCases(t, b, http.StatusServiceUnavailable, []endpointCase{
			{name: "party", call: call{method: http.MethodPost, target: "/parties", body: `{"name": "Hung Traders"}`}, check: func(t *testing.T, r reply) {
				if !strings.Contains(string(r.body), "write may still have been applied") {
					t.Errorf("a write's timeout does not warn that it may have been applied: %s", r.body)
				}
			}},
		})
	})
	t.Run("not ready", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{ready: func(context.Context) (service.Readiness, error) {
			return service.Readiness{}, errors.New("database on fire at 10.0.0.7")
		}})
		runCases(t, b, http.StatusServiceUnavailable, []endpointCase{
			{name: "readyz", call: call{target: "/readyz", noKey: true}, check: func(t *testing.T, r reply) {
				if field(t, r.body, "code") != "not_ready" || strings.Contains(string(r.body), "10.0.0.7") || r.header.Get("Retry-After") == "" {
					t.Errorf("readyz: %s %v", r.body, r.header)
				}
			}},
		})
	})
}

func TestInternalError(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.srv.Echo().GET("/test/panic", func(echo.Context) error { panic("secret panic detail") })
	b.srv.Echo().GET("/test/error", func(echo.Context) error {
		return &service.Error{Kind: service.Internal, Message: "secret message", Err: errors.New("secret cause")}
	})
	runCases(t, b, http.StatusInternalServerError, []endpointCase{
		{name: "panic", call: call{target: "/test/panic"}, check: func(t *testing.T, r reply) {
			if strings.Contains(string(r.body), "secret") || !strings.Contains(b.logs.String(), "secret panic detail") {
				t.Errorf("body %s; logs %s", r.body, b.logs.String())
			}
		}},
		{name: "internal error", golden: "problem_internal", call: call{target: "/test/error"}, check: func(t *testing.T, r reply) {
			if strings.Contains(string(r.body), "secret") || !strings.Contains(b.logs.String(), "secret cause") {
				t.Errorf("body %s; logs %s", r.body, b.logs.String())
			}
		}},
	})
}

// TestTallyRequestCounts pins how many gateway requests each operation
// costs: Tally answers one request at a time, so every extra one is latency
// for every caller.
func TestTallyRequestCounts(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, tc := range []struct {
		name string
		call call
		want int
	}{
		{"balance", call{target: "/parties/Rajesh%20Enterprises/balance"}, 1},
		{"party", call{target: "/parties/Rajesh%20Enterprises"}, 1},
		{"parties", call{target: "/parties"}, 1},
		{"receivables", call{target: "/receivables"}, 1},
		{"trial balance", call{target: "/reports/trial-balance"}, 1},
		{"missing party", call{target: "/parties/Nobody/balance"}, 1},
		// A ledger not directly under a party group: its group's ancestry
		// comes from the group tree, read once and cached.
		{"not a party", call{target: "/parties/HDFC%20Bank/balance"}, 2},
		{"not a party, group tree cached", call{target: "/parties/Cash/balance"}, 1},
		// Exact read, the ledger names (no near-twin), create, read back.
		{"new party", call{method: http.MethodPost, target: "/parties", body: `{"name": "Count Traders"}`}, 4},
		{"invalid name never reaches Tally", call{target: "/parties/%09/balance"}, 0},
		{"invalid order never reaches Tally", call{method: http.MethodPost, target: "/orders", body: `{"party": {"name": "X"}, "lines": []}`}, 0},
		// Read the stock items (auto order mode: is every line one?), the
		// party and ledgers, learn the company's state (once), post.
		{"order", call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "CNT-1", "party": {"name": "Rajesh Enterprises"},
			"lines": [{"item": "Steel rod", "quantity": 1, "rate": 100}]}`}, 4},
		{"second order", call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "CNT-2", "party": {"name": "Rajesh Enterprises"},
			"lines": [{"item": "Steel rod", "quantity": 1, "rate": 100}]}`}, 3},
	} {
		before := len(b.sim.Requests())
		r := b.do(t, tc.call)
		if r.status >= 500 {
			t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
		}
		if got := len(b.sim.Requests()) - before; got != tc.want {
			t.Errorf("%s: %d Tally requests, want %d", tc.name, got, tc.want)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance"})
	b.do(t, call{target: "/parties/Nobody/balance"})
	b.do(t, call{target: "/no/such/route/for/metrics"})
	b.do(t, call{method: "M11379", target: "/healthz", noKey: true})
	b.srv.ObserveTally(api.TallyObservation{Kind: "export:object:Ledger", Outcome: "ok", Duration: 30e6, QueueWait: 1e6})
	r := b.do(t, call{target: "/metrics", noKey: true})
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.status)
	}
	text := string(r.body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/parties/:name/balance",status="200"} 1`,
		`http_requests_total{method="GET",route="/parties/:name/balance",status="404"} 1`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/parties/:name/balance",status="200"} 1`,
		`tally_request_duration_seconds_count{kind="export:object:Ledger",outcome="ok"} 1`,
		`tally_gateway_queue_wait_seconds_count 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "M11379") || !strings.Contains(text, `method="OTHER"`) {
		t.Error("an invented HTTP method became a metric label")
	}
	if strings.Contains(text, "Nobody") || strings.Contains(text, "Rajesh") {
		t.Error("a party name became a metric label")
	}
}

// TestQueueMetrics: the stored records by kind and state are read at each
// scrape (zeros included), and queue events are counted.
func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	if r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder}); r.status != http.StatusCreated {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	b.srv.ObserveQueue(api.QueueEvent{Kind: "sales", Event: "attempt"})
	b.srv.ObserveQueue(api.QueueEvent{Kind: "sales", Event: "retry"})
	b.srv.ObserveQueue(api.QueueEvent{Kind: "receipt", Event: "needs_attention"})
	text := string(b.do(t, call{target: "/metrics", noKey: true}).body)
	for _, want := range []string{
		`queue_records{kind="sales",state="posted"} 1`,
		`queue_records{kind="sales",state="needs_attention"} 0`,
		`queue_records{kind="receipt",state="received"} 0`,
		`queue_records{kind="cancel",state="posted"} 0`,
		`queue_attempts_total{kind="sales"} 1`,
		`queue_outcomes_total{kind="sales",outcome="retry"} 1`,
		`queue_outcomes_total{kind="receipt",outcome="needs_attention"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	svc := service.New(nil, service.Config{})
	spec := []byte(`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}`)
	for _, tc := range []struct {
		name string
		cfg  api.Config
	}{
		{"no keys", api.Config{Spec: spec}},
		{"empty key", api.Config{APIKeys: []string{"k", " "}, Spec: spec}},
		{"bad body limit", api.Config{APIKeys: []string{"k"}, BodyLimit: "lots", Spec: spec}},
		{"no spec", api.Config{APIKeys: []string{"k"}}},
		{"spec not JSON", api.Config{APIKeys: []string{"k"}, Spec: []byte("swagger: 2.0")}},
	} {
		if _, err := api.New(svc, tc.cfg); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
	if _, err := api.New(svc, api.Config{InsecureNoAuth: true, Spec: spec}); err != nil {
		t.Errorf("InsecureNoAuth without keys: %v", err)
	}
}
