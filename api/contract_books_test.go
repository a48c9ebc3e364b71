package api

import (
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// TestContractBooks validates the answers of the reads only the mirror of
// the books serves (statements, outstanding bills, payables) against the
// OpenAPI 3 document, as TestContract does with the mirror off.
func TestContractBooks(t *testing.T) {
	var st service.BooksStore
	b := waSetupOn(t, "sqlite", func(cfg *service.Config) { st, _ = cfg.Store.(service.BooksStore) })
	if st == nil {
		t.Fatal("the test store does not keep the mirror")
	}
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: b.sim.URL(), Timeout: 3 * time.Second, QueueWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	books := service.NewBooks(b.srv.svc, tallyxml.NewGateway(client), st, service.BooksConfig{})
	if _, err := books.Sync(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	b.srv.books = books
	doc := servedOpenAPI3(t, b)
	co, _ := b.sim.Company(tallysim.DemoCompanyName)
	if err := co.AlterLedger("Mehta Hardware", func(l *tallysim.Ledger) { l.Mobile = "9820012345" }); err != nil {
		t.Fatal(err)
	}
	if _, err := books.Sync(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range []contractCall{
		{name: "statement", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement", want: 200},
		{name: "statement of a period", method: "GET", path: "/parties/{name}/statement", target: "/parties/Sharma%20%26%20Sons/statement?from=2026-05-01&to=2026-05-31", want: 200},
		{name: "statement of a missing party", method: "GET", path: "/parties/{name}/statement", target: "/parties/Nobody/statement", want: 404},
		{name: "statement, from after to", method: "GET", path: "/parties/{name}/statement", target: "/parties/Nobody/statement?from=2026-06-01&to=2026-05-01", want: 422},
		{name: "statement by mobile", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9845012345/statement", want: 200},
		{name: "statement by a shared mobile", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9820012345/statement", want: 409},
		{name: "statement by a non-mobile", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/12345/statement", want: 422},
		{name: "statement by an unknown mobile", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9830099999/statement", want: 404},
		{name: "outstanding", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Rajesh%20Enterprises/outstanding", want: 200},
		{name: "outstanding, we owe", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Nair%20Agencies/outstanding?ageing=15,45", want: 200},
		{name: "outstanding of a ledger that is no party", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Sales/outstanding", want: 404},
		{name: "receivables with ageing", method: "GET", path: "/receivables", target: "/receivables?ageing=true&limit=2", want: 200},
		{name: "payables", method: "GET", path: "/payables", target: "/payables?ageing=30,60,90", want: 200},
		{name: "payables, bad ageing", method: "GET", path: "/payables", target: "/payables?ageing=90,30", want: 422},
		{name: "statement as PDF", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement?format=pdf", want: 200},
		{name: "statement as PDF by Accept", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement",
			headers: map[string]string{"Accept": "application/pdf"}, want: 200},
		{name: "day book", method: "GET", path: "/vouchers", target: "/vouchers?from=2026-03-01&limit=5", want: 200},
		{name: "day book of a type and party", method: "GET", path: "/vouchers", target: "/vouchers?type=sales&party=Rajesh%20Enterprises", want: 200},
		{name: "day book, from after to", method: "GET", path: "/vouchers", target: "/vouchers?from=2026-06-01&to=2026-05-01", want: 422},
		{name: "voucher", method: "GET", path: "/vouchers/{id}", target: "/vouchers/1", want: 200},
		{name: "invoice as PDF", method: "GET", path: "/vouchers/{id}", target: "/vouchers/1?format=pdf", want: 200},
		{name: "a receipt as PDF", method: "GET", path: "/vouchers/{id}", target: "/vouchers/2", headers: map[string]string{"Accept": "application/pdf"}, want: 406},
		{name: "missing voucher", method: "GET", path: "/vouchers/{id}", target: "/vouchers/99999", want: 404},
		{name: "statement of a company never synced, Tally down", method: "GET", path: "/parties/{name}/statement",
			target: "/parties/Rajesh%20Enterprises/statement?company=Coastal%20Traders", fault: tallysim.Refuse, want: 503},
		{name: "day book of a company never synced, Tally down", method: "GET", path: "/vouchers",
			target: "/vouchers?company=Coastal%20Traders", fault: tallysim.Refuse, want: 503},
		{name: "statement while Tally is down: stale, from the mirror", method: "GET", path: "/parties/{name}/statement",
			target: "/parties/Rajesh%20Enterprises/statement?fresh=true", fault: tallysim.Refuse, want: 200},
	} {
		b.sim.SetFault(c.fault)
		req, rep := contractDo(b, c, c.target)
		b.sim.SetFault(tallysim.NoFault)
		if rep.status != c.want {
			t.Errorf("%s: %s %s answered %d, want %d: %s", c.name, c.method, c.target, rep.status, c.want, rep.body)
		}
		if err := validateAnswer(t.Context(), doc, c.method, c.path, req, rep); err != nil {
			t.Errorf("%s: %s %s → %d %s does not match the spec: %v\n%s", c.name, c.method, c.target, rep.status,
				rep.header.Get("Content-Type"), err, rep.body)
		}
	}
}
