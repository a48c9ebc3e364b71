package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// batchStack is the simulator, the Tally client, the service and an
// embedded store, wired without a running queue so a test drives each
// attempt itself.
func batchStack(t *testing.T, batchSize int) (*tallysim.Server, *service.Service, *sqlitestore.Store) {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Wired as the program wires it: the mirror is told of every write.
	gw := service.NotifyWrites(tallyxml.NewGateway(client), func(string) {})
	svc := service.New(gw, service.Config{Company: tallysim.DemoCompanyName, Store: db,
		Queue: service.QueueConfig{BatchSize: batchSize},
		Now:   func() time.Time { return time.Date(2026, 6, 23, 10, 0, 0, 0, time.UTC) }})
	return sim, svc, db
}

func batchOrder(i int, date time.Time) service.Order {
	return service.Order{Ref: fmt.Sprintf("BT-%d", i), Date: date, Party: service.NewParty{Name: "Rajesh Enterprises", State: "Maharashtra"},
		Lines: []service.OrderLine{{Item: "Cotton saree", Quantity: decimal.NewFromInt(1), Rate: 125000}}}
}

func importsOf(t *testing.T, sim *tallysim.Server, kind string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// TestBatchPartialRefusal: orders waiting together are posted in one import;
// Tally refuses one (dated before the books) and commits the rest; the
// read-back settles each: the refused order is rejected with Tally's text,
// the others are posted, each with one voucher and its own audit record.
func TestBatchPartialRefusal(t *testing.T) {
	t.Parallel()
	sim, svc, db := batchStack(t, 50)
	day := time.Date(2026, 6, 23, 0, 0, 0, 0, time.UTC)
	var recs []service.OrderRecord
	for i := range 6 {
		date := day
		if i == 3 {
			date = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // before the books
		}
		rec, _, err := svc.SubmitOrder(t.Context(), batchOrder(i, date), "api", "")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := svc.PostOrder(t.Context(), recs[0].ID); err != nil {
		t.Fatalf("the batch's attempt: %v", err)
	}
	if n := importsOf(t, sim, "import:vouchers"); n != 1 {
		t.Fatalf("%d voucher imports; want the one batch", n)
	}
	demo, _ := sim.Company(tallysim.DemoCompanyName)
	held := map[string]int{}
	for _, v := range demo.Vouchers() {
		held[v.RemoteID]++
	}
	for i, r := range recs {
		got, err := db.GetOrder(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		imports, _ := db.ListImports(t.Context(), service.ImportFilter{OrderID: r.ID})
		if len(imports) != 1 {
			t.Errorf("order %d: %d audit records; want its own one", i, len(imports))
		}
		if i == 3 {
			if got.State != service.OrderRejected || got.LastError != "The date is out of range! Can't import!" || held[r.RemoteID] != 0 {
				t.Errorf("refused order: %s %q, %d vouchers; want rejected with Tally's text and none", got.State, got.LastError, held[r.RemoteID])
			}
			continue
		}
		if got.State != service.OrderPosted || held[r.RemoteID] != 1 {
			t.Errorf("order %d: %s, %d vouchers; want posted once", i, got.State, held[r.RemoteID])
		}
	}
	// The other orders' own jobs find them settled and send nothing.
	before := len(sim.Requests())
	for _, r := range recs[1:] {
		if err := svc.PostOrder(t.Context(), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(sim.Requests()) - before; n != 0 {
		t.Errorf("the batched orders' own jobs sent %d requests", n)
	}
}

// TestBatchLostAnswer: Tally applies the batch and the answer is lost; the
// read-back before anything is resent finds every voucher, so each order is
// posted and nothing is sent twice.
func TestBatchLostAnswer(t *testing.T) {
	t.Parallel()
	sim, svc, db := batchStack(t, 50)
	var recs []service.OrderRecord
	for i := range 4 {
		rec, _, err := svc.SubmitOrder(t.Context(), batchOrder(i, time.Date(2026, 6, 23, 0, 0, 0, 0, time.UTC)), "api", "")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	sim.SetFault(tallysim.LostWrite)
	if err := svc.PostOrder(t.Context(), recs[0].ID); err != nil {
		t.Fatalf("the batch's attempt: %v", err)
	}
	sim.SetFault(tallysim.NoFault)
	for _, r := range recs {
		got, _ := db.GetOrder(t.Context(), r.ID)
		if got.State != service.OrderPosted {
			t.Errorf("order %s: %s %s; want posted (found by the read-back)", r.Ref, got.State, got.LastError)
		}
	}
	if n := importsOf(t, sim, "import:vouchers"); n != 1 {
		t.Errorf("%d voucher imports; want the one batch, never resent", n)
	}
	if !strings.Contains(sim.Requests()[len(sim.Requests())-1].Kind, "export") {
		t.Errorf("the last request was %s; want the read-back", sim.Requests()[len(sim.Requests())-1].Kind)
	}
}

// TestBatchNewParties: orders for customers Tally does not have, waiting
// together, create their parties in one masters import (two orders of one
// new customer, one party), then post in one voucher import; each order
// records that it created its party, and its audit log holds both writes.
func TestBatchNewParties(t *testing.T) {
	t.Parallel()
	sim, svc, db := batchStack(t, 50)
	day := time.Date(2026, 6, 23, 0, 0, 0, 0, time.UTC)
	parties := []string{"Nandini Silks", "C & D <Fabrics>", "Nandini Silks", "Rajesh Enterprises", "Kaveri Stores"}
	var recs []service.OrderRecord
	for i, p := range parties {
		o := batchOrder(i, day)
		o.Party = service.NewParty{Name: p, State: "Maharashtra"}
		rec, _, err := svc.SubmitOrder(t.Context(), o, "api", "")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := svc.PostOrder(t.Context(), recs[0].ID); err != nil {
		t.Fatalf("the batch's attempt: %v", err)
	}
	if n, v := importsOf(t, sim, "import:masters"), importsOf(t, sim, "import:vouchers"); n != 1 || v != 1 {
		t.Fatalf("%d masters and %d voucher imports; want one of each", n, v)
	}
	demo, _ := sim.Company(tallysim.DemoCompanyName)
	ledgers := map[string]int{}
	for _, l := range demo.Ledgers() {
		ledgers[l.Name]++
	}
	for _, p := range []string{"Nandini Silks", "C & D <Fabrics>", "Kaveri Stores"} {
		if ledgers[p] != 1 {
			t.Errorf("Tally holds %d ledgers named %q; want 1", ledgers[p], p)
		}
	}
	for i, r := range recs {
		got, err := db.GetOrder(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, ok := service.OrderResultOf(got)
		if got.State != service.OrderPosted || !ok {
			t.Fatalf("order %d: %s (result %v); want posted", i, got.State, ok)
		}
		wantCreated := parties[i] != "Rajesh Enterprises"
		if got.PartyCreated != wantCreated || res.PartyCreated != wantCreated || res.Party != parties[i] {
			t.Errorf("order %d: record party_created %v, result %v for %q; want %v for %q",
				i, got.PartyCreated, res.PartyCreated, res.Party, wantCreated, parties[i])
		}
		imports, _ := db.ListImports(t.Context(), service.ImportFilter{OrderID: r.ID})
		if want := map[bool]int{true: 2, false: 1}[wantCreated]; len(imports) != want {
			t.Errorf("order %d: %d audit records; want %d", i, len(imports), want)
		}
	}
}

// TestBatchItemInvoices: item orders waiting together are posted as item
// invoices in one import, after one read of the stock items for the whole
// batch; each moves the stock once.
func TestBatchItemInvoices(t *testing.T) {
	t.Parallel()
	sim, svc, db := batchStack(t, 50)
	day := time.Date(2026, 6, 23, 0, 0, 0, 0, time.UTC)
	var recs []service.OrderRecord
	for i := range 4 {
		o := batchOrder(i, day)
		o.Lines = []service.OrderLine{{Item: "Steel Sheet 4x8", Quantity: decimal.NewFromInt(int64(i + 1)), Rate: 250000}}
		rec, _, err := svc.SubmitOrder(t.Context(), o, "api", "")
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if err := svc.PostOrder(t.Context(), recs[0].ID); err != nil {
		t.Fatalf("the batch's attempt: %v", err)
	}
	if n, reads := importsOf(t, sim, "import:vouchers"), importsOf(t, sim, "export:collection:TallyFacade Stock Items"); n != 1 || reads != 1 {
		t.Fatalf("%d voucher imports, %d stock item reads; want one of each for the batch", n, reads)
	}
	for _, r := range recs {
		got, _ := db.GetOrder(t.Context(), r.ID)
		res, ok := service.OrderResultOf(got)
		if got.State != service.OrderPosted || !ok || !res.Invoice {
			t.Errorf("order %s: %s %q; want posted as an item invoice", r.Ref, got.State, got.LastError)
		}
	}
	demo, _ := sim.Company(tallysim.DemoCompanyName)
	if q, err := demo.ClosingQuantity("Steel Sheet 4x8", tallyxml.Date{}); err != nil || q.String() != "110" {
		t.Errorf("steel closing quantity %v (%v); want 120 - (1+2+3+4)", q, err)
	}
}
