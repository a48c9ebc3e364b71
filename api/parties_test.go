package api_test

import (
	"net/http"
	"testing"

	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// TestPartyEndpointsServeOnlyParties: a bank, Cash or Sales read through
// /parties is a 404 exactly like a missing party, so a chatbot that puts a
// customer's words in the path cannot read the books; debtors in a sub-group
// and creditors are parties.
func TestPartyEndpointsServeOnlyParties(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	if err := demo.AddGroup(tallysim.Group{Name: "Pune Debtors", Parent: "Sundry Debtors"}); err != nil {
		t.Fatal(err)
	}
	if err := demo.AddLedger(tallysim.Ledger{Name: "Kulkarni Traders", Parent: "Pune Debtors", State: "Maharashtra", BillWise: true}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"HDFC%20Bank", "Cash", "Sales", "CGST", "Proprietor%27s%20Capital"} {
		for _, target := range []string{"/parties/" + name, "/parties/" + name + "/balance"} {
			r := b.do(t, call{target: target})
			if r.status != http.StatusNotFound || field(t, r.body, "code") != "party_not_found" {
				t.Errorf("GET %s: %d %s; want 404 party_not_found", target, r.status, r.body)
			}
		}
	}
	for _, tc := range []struct{ target, party string }{
		{"/parties/Kulkarni%20Traders/balance", "Kulkarni Traders"},
		{"/parties/Bharat%20Steel%20Suppliers/balance", "Bharat Steel Suppliers"},
		{"/parties/Rajesh%20Enterprises/balance", "Rajesh Enterprises"},
	} {
		r := b.do(t, call{target: tc.target})
		if r.status != http.StatusOK || field(t, r.body, "party") != tc.party {
			t.Errorf("GET %s: %d %s; want 200", tc.target, r.status, r.body)
		}
	}
	r := b.do(t, call{target: "/parties?group=Bank%20Accounts"})
	if r.status != http.StatusUnprocessableEntity || field(t, r.body, "code") != "not_a_party_group" {
		t.Errorf("GET /parties?group=Bank Accounts: %d %s; want 422 not_a_party_group", r.status, r.body)
	}
	r = b.do(t, call{target: "/parties?group=Pune%20Debtors"})
	if r.status != http.StatusOK || field(t, r.body, "total") != 1.0 {
		t.Errorf("GET /parties?group=Pune Debtors: %d %s; want its one party", r.status, r.body)
	}
}

// TestCreatePartyOnlyInPartyGroups: POST /parties refuses the groups whose
// ledgers are not parties, before anything reaches Tally's import.
func TestCreatePartyOnlyInPartyGroups(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	for _, group := range []string{"Bank Accounts", "Cash-in-Hand", "Sales Accounts", "Duties & Taxes"} {
		r := b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "Sneaky Ledger", "group": "` + group + `"}`})
		if r.status != http.StatusUnprocessableEntity || field(t, r.body, "code") != "not_a_party_group" {
			t.Errorf("POST /parties under %s: %d %s; want 422 not_a_party_group", group, r.status, r.body)
		}
	}
	if _, ok := demo.Ledger("Sneaky Ledger"); ok {
		t.Fatal("a ledger was created outside the party groups")
	}
	r := b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "Vora Suppliers", "group": "Sundry Creditors"}`})
	if r.status != http.StatusCreated || field(t, r.body, "group") != "Sundry Creditors" {
		t.Errorf("POST /parties under Sundry Creditors: %d %s", r.status, r.body)
	}
	// An existing ledger that is not a party: a conflict that shows none of it.
	r = b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "hdfc bank"}`})
	if r.status != http.StatusConflict || field(t, r.body, "code") != "ledger_exists" || field(t, r.body, "party") != nil {
		t.Errorf("POST /parties HDFC Bank: %d %s; want 409 ledger_exists without the ledger", r.status, r.body)
	}
}

// TestLookAlikeNames: invisible characters are refused, and a name Tally
// would take for an existing party finds that party instead of creating a
// look-alike.
func TestLookAlikeNames(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	before := len(demo.Ledgers())
	for _, name := range []string{`Rajesh\u200b Enterprises`, `Rajesh\u202e Enterprises`, `\ufeffRajesh Enterprises`} {
		r := b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "` + name + `"}`})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("POST /parties %s: %d %s; want 422", name, r.status, r.body)
		}
	}
	for _, name := range []string{"rajesh  enterprises", "Rajesh-Enterprises", " RAJESH ENTERPRISES "} {
		r := b.do(t, call{method: http.MethodPost, target: "/parties", body: `{"name": "` + name + `"}`})
		party, _ := field(t, r.body, "party").(map[string]any)
		if r.status != http.StatusConflict || field(t, r.body, "code") != "party_exists" || party["name"] != "Rajesh Enterprises" {
			t.Errorf("POST /parties %q: %d %s; want 409 party_exists carrying Rajesh Enterprises", name, r.status, r.body)
		}
	}
	if n := len(demo.Ledgers()); n != before {
		t.Fatalf("%d ledgers after the look-alikes, %d before", n, before)
	}
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		demo, _ := b.sim.Company(tallysim.DemoCompanyName)
		before := len(demo.Ledgers())
		for i, name := range []string{"RAJESH ENTERPRISES ", "Rajesh  Enterprises", "rajesh-enterprises"} {
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "TWIN-` + string(rune('1'+i)) + `",
				"party": {"name": "` + name + `"}, "lines": [{"item": "Steel rod", "quantity": 1, "rate": 100}]}`})
			if r.status != http.StatusCreated || field(t, r.body, "party") != "Rajesh Enterprises" || field(t, r.body, "party_created") != false {
				t.Errorf("order for %q: %d %s; want it posted to Rajesh Enterprises", name, r.status, r.body)
			}
		}
		if n := len(demo.Ledgers()); n != before {
			t.Errorf("%d ledgers after the orders, %d before", n, before)
		}
	})
}
