package tallyxml_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// TestGatewayPostVouchers: several vouchers in one import request, each with
// its own REMOTEID; a refused one leaves the others committed, and the
// outcome is Tally's for the request (CREATED 2, EXCEPTIONS 1, the one
// LINEERROR), reported as a rejection so that the caller reads back which
// landed.
func TestGatewayPostVouchers(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	vs := []service.Voucher{gwSale("b-1", "Rajesh Enterprises", "Sales", 100), gwSale("b-2", "Rajesh Enterprises", "Sales", 200),
		gwSale("b-3", "Rajesh Enterprises", "Sales", 300)}
	out, err := gw.PostVouchers(t.Context(), gwCompany, vs)
	if err != nil || out.Created != 3 {
		t.Fatalf("a clean batch: %+v, %v; want 3 created", out, err)
	}
	refused := gwSale("b-5", "Rajesh Enterprises", "Sales", 500)
	refused.Date = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC) // before the books
	out, err = gw.PostVouchers(t.Context(), gwCompany, []service.Voucher{gwSale("b-4", "Rajesh Enterprises", "Sales", 400),
		refused, gwSale("b-6", "Rajesh Enterprises", "Sales", 600)})
	gwWantError(t, err, service.Upstream, "tally_rejected")
	if out.Created != 2 || out.Exceptions != 1 || !slices.Equal(out.LineErrors, []string{"The date is out of range! Can't import!"}) {
		t.Errorf("outcome %+v; want CREATED 2, EXCEPTIONS 1 and the refusal's text", out)
	}
	var held []string
	for _, v := range demo.Vouchers() {
		if v.RemoteID != "" && v.RemoteID[0] == 'b' {
			held = append(held, v.RemoteID)
		}
	}
	slices.Sort(held)
	if want := []string{"b-1", "b-2", "b-3", "b-4", "b-6"}; !slices.Equal(held, want) {
		t.Errorf("Tally holds %v; want %v", held, want)
	}
}

// TestGatewayCreateParties: several new parties in one masters import; a
// party Tally has already is a silent Alter (§9.4), so the request is an
// error though the new ones are created, and the caller reads back.
func TestGatewayCreateParties(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	ps := []service.NewParty{{Name: "C & D <Fabrics>", State: "Karnataka", BillWise: true, CreditDays: 30},
		{Name: "Nandini Silks", Mobile: "+91 98450 12345", State: "Karnataka", BillWise: true}}
	out, err := gw.CreateParties(t.Context(), gwCompany, ps)
	if err != nil || out.Created != 2 {
		t.Fatalf("two new parties: %+v, %v; want 2 created", out, err)
	}
	out, err = gw.CreateParties(t.Context(), gwCompany, []service.NewParty{{Name: "Kaveri Stores", State: "Karnataka"},
		{Name: "Rajesh Enterprises", State: "Maharashtra"}})
	if err == nil || out.Created != 1 || out.Altered != 1 {
		t.Errorf("one new, one existing: %+v, %v; want CREATED 1, ALTERED 1 and an error", out, err)
	}
	held := map[string]int{}
	for _, l := range demo.Ledgers() {
		held[l.Name]++
	}
	for _, n := range []string{"C & D <Fabrics>", "Nandini Silks", "Kaveri Stores", "Rajesh Enterprises"} {
		if held[n] != 1 {
			t.Errorf("Tally holds %d ledgers named %q; want 1", held[n], n)
		}
	}
	if n := len(sim.Requests()); n != 2 {
		t.Errorf("%d requests; want one per call", n)
	}
}
