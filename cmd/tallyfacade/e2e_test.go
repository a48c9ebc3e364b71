package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// crashingStore fails the first transition to posted, as if the process died
// after Tally answered and before the store recorded it.
type crashingStore struct {
	service.Store
	crashed bool
}

func (c *crashingStore) TransitionOrder(ctx context.Context, id string, from []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	if t.To == service.OrderPosted && !c.crashed {
		c.crashed = true
		return service.OrderRecord{}, errors.New("killed before recording the outcome")
	}
	return c.Store.TransitionOrder(ctx, id, from, t)
}

// TestCrashBetweenTallyAndStore: the whole stack (simulator, Tally client,
// service, SQLite store); the first attempt posts the voucher and dies before
// recording it; the redelivered job reads back and records it. Exactly one
// voucher, and the order ends posted.
func TestCrashBetweenTallyAndStore(t *testing.T) {
	t.Parallel()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := &crashingStore{Store: db}
	svc := service.New(tallyxml.NewGateway(client), service.Config{Company: tallysim.DemoCompanyName, Store: st,
		Now: func() time.Time { return time.Date(2026, 6, 23, 10, 0, 0, 0, time.UTC) }})

	rec, _, err := svc.SubmitOrder(t.Context(), service.Order{Ref: "CRASH-1", Party: service.NewParty{Name: "Kaveri Silks", State: "Maharashtra"},
		Lines: []service.OrderLine{{Item: "Silk", Quantity: decimal.NewFromInt(1), Rate: 500000}}}, "api", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err == nil {
		t.Fatal("the crashed attempt reported success")
	}
	// The job is redelivered (River re-runs a job whose worker died).
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetOrder(t.Context(), rec.ID)
	if err != nil || got.State != service.OrderPosted {
		t.Fatalf("order %+v, %v; want posted", got, err)
	}
	demo, _ := sim.Company(tallysim.DemoCompanyName)
	vouchers, parties := 0, 0
	for _, v := range demo.Vouchers() {
		if v.RemoteID == got.RemoteID {
			vouchers++
		}
	}
	for _, l := range demo.Ledgers() {
		if l.Name == "Kaveri Silks" {
			parties++
		}
	}
	if vouchers != 1 || parties != 1 {
		t.Fatalf("%d vouchers and %d party ledgers; want exactly one of each", vouchers, parties)
	}
	imports, _ := db.ListImports(t.Context(), service.ImportFilter{OrderID: rec.ID})
	if len(imports) != 2 { // the party and the voucher, each once
		t.Fatalf("%d imports recorded; want 2 (no re-post after the crash)", len(imports))
	}
}

// TestIdempotentRequestRerunAfterCrash: a request with an Idempotency-Key
// stores its order and the process dies before the response is recorded. Once
// the lease runs out the retry takes the key over and runs again; it must find
// the stored order, not store a second one with a second REMOTEID.
func TestIdempotentRequestRerunAfterCrash(t *testing.T) {
	t.Parallel()
	db, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 6, 23, 10, 0, 0, 0, time.UTC)
	svc := service.New(nil, service.Config{Company: tallysim.DemoCompanyName, Store: db, Now: func() time.Time { return now }})
	order := service.Order{Party: service.NewParty{Name: "Priya Textiles"},
		Lines: []service.OrderLine{{Item: "Saree", Quantity: decimal.NewFromInt(1), Rate: 100000}}}

	claim, _, err := svc.BeginIdempotent(t.Context(), "client POST /orders", "key-1", "hash-1")
	if err != nil || claim == nil {
		t.Fatalf("first claim: %v", err)
	}
	first, created, err := svc.SubmitOrder(t.Context(), order, "api", "client POST /orders\x00key-1")
	if err != nil || !created {
		t.Fatalf("first submit: %v", err)
	}
	// The process dies here: no Finish. The lease runs out.
	now = now.Add(3 * time.Minute)
	claim, _, err = svc.BeginIdempotent(t.Context(), "client POST /orders", "key-1", "hash-1")
	if err != nil || claim == nil {
		t.Fatalf("takeover after the lease: %v", err)
	}
	again, created, err := svc.SubmitOrder(t.Context(), order, "api", "client POST /orders\x00key-1")
	if err != nil || created || again.ID != first.ID || again.RemoteID != first.RemoteID {
		t.Fatalf("re-run stored %+v (created %v, %v); want the first order %s", again, created, err, first.ID)
	}
}
