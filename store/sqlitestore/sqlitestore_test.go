package sqlitestore_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
)

func openStore(t *testing.T) *sqlitestore.Store {
	t.Helper()
	// A nested directory proves Open creates the parent.
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "data", "tallyfacade.db"), sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC)

func newOrder(id string) service.OrderRecord {
	return service.OrderRecord{ID: id, Company: "Acme", Source: "api", Ref: "R1", RemoteID: "tf-" + id,
		Party: "A & B <Traders>", Request: []byte(`{"x":1}`), CreatedAt: t0}
}

func kindOf(err error) service.Kind { return service.KindOf(err) }

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid()
	if _, _, err := s.CreateOrder(t.Context(), newOrder(id)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlitestore.Open(t.Context(), path, sqlitestore.Options{}) // migrations are idempotent
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetOrder(t.Context(), id); err != nil {
		t.Fatal(err)
	}
}

func TestOrders(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	id := uuid()
	got, _, err := s.CreateOrder(ctx, newOrder(id))
	if err != nil {
		t.Fatal(err)
	}
	want := newOrder(id)
	want.State = service.OrderReceived
	want.CreatedAt = t0.Round(time.Microsecond)
	want.UpdatedAt = want.CreatedAt
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("created (-want +got):\n%s", d)
	}
	if read, err := s.GetOrder(ctx, id); err != nil || !cmp.Equal(read, got) {
		t.Errorf("GetOrder = %v, %v; diff %s", read, err, cmp.Diff(got, read))
	}

	// Same REMOTEID under another id: the existing order, nothing written.
	dup := newOrder(uuid())
	dup.RemoteID = want.RemoteID
	existing, created, err := s.CreateOrder(ctx, dup)
	if err != nil || created || existing.ID != want.ID {
		t.Fatalf("duplicate RemoteID: %s created %v, %v; want %s", existing.ID, created, err, want.ID)
	}
	if d := cmp.Diff(got, existing); d != "" {
		t.Errorf("the existing order (-want +got):\n%s", d)
	}

	if _, err := s.GetOrder(ctx, uuid()); kindOf(err) != service.NotFound {
		t.Errorf("missing order: %v", err)
	}
	if _, _, err := s.CreateOrder(ctx, newOrder("not-a-uuid")); kindOf(err) != service.Invalid {
		t.Errorf("bad id: %v", err)
	}

	// Compare-and-set.
	t1 := t0.Add(time.Minute)
	yes, msg := true, "tally busy"
	next := t1.Add(time.Hour)
	posting, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: t1, AddAttempt: true, Ambiguous: &yes, LastError: &msg, NextAttemptAt: &next})
	if err != nil {
		t.Fatal(err)
	}
	if posting.State != service.OrderPosting || posting.Attempts != 1 || !posting.Ambiguous ||
		posting.LastError != msg || !posting.NextAttemptAt.Equal(next.Round(time.Microsecond)) || !posting.UpdatedAt.Equal(t1.Round(time.Microsecond)) {
		t.Errorf("after transition: %+v", posting)
	}
	_, err = s.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived}, service.OrderTransition{To: service.OrderPosting, Now: t1})
	if e, ok := service.AsError(err); !ok || e.Kind != service.Conflict || e.Code != "order_state_conflict" {
		t.Fatalf("stale transition: %v", err)
	}
	zero := time.Time{}
	posted, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderPosting},
		service.OrderTransition{To: service.OrderPosted, Now: t1, Result: []byte(`{"ok":true}`), NextAttemptAt: &zero})
	if err != nil {
		t.Fatal(err)
	}
	if !posted.PostedAt.Equal(t1.Round(time.Microsecond)) || !posted.NextAttemptAt.IsZero() || string(posted.Result) != `{"ok":true}` ||
		posted.LastError != msg || posted.Attempts != 1 {
		t.Errorf("posted: %+v", posted)
	}
	if _, err := s.TransitionOrder(ctx, uuid(), []service.OrderState{service.OrderPosting}, service.OrderTransition{To: service.OrderPosted}); kindOf(err) != service.NotFound {
		t.Errorf("transition of a missing order: %v", err)
	}

	// List: newest first, filters.
	for i := range 3 {
		o := newOrder(uuid())
		o.CreatedAt = t0.Add(time.Duration(i+1) * time.Second)
		o.Party = "P"
		if _, _, err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    service.OrderFilter
		want int
	}{
		{"all", service.OrderFilter{}, 4},
		{"posted", service.OrderFilter{State: service.OrderPosted}, 1},
		{"party", service.OrderFilter{Party: "P"}, 3},
		{"limit", service.OrderFilter{Limit: 2}, 2},
		{"before", service.OrderFilter{Before: t0.Add(2 * time.Second)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListOrders(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tt.want {
				t.Fatalf("got %d orders, want %d", len(list), tt.want)
			}
			for i := 1; i < len(list); i++ {
				if list[i].CreatedAt.After(list[i-1].CreatedAt) {
					t.Errorf("not newest first at %d", i)
				}
			}
		})
	}
}

func TestIdempotency(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	claim := service.IdempotencyClaim{Scope: "k1 POST /orders", Key: "abc", RequestHash: "h1", Now: t0, Lease: time.Minute, TTL: 24 * time.Hour}

	rec, claimed, err := s.ClaimIdempotencyKey(ctx, claim)
	if err != nil || !claimed || rec.State != service.IdempotencyInProgress {
		t.Fatalf("first claim: %+v %v %v", rec, claimed, err)
	}
	// In flight: not claimed, whatever the hash.
	for _, h := range []string{"h1", "h2"} {
		c := claim
		c.RequestHash = h
		c.Now = t0.Add(time.Second)
		if _, claimed, err := s.ClaimIdempotencyKey(ctx, c); err != nil || claimed {
			t.Errorf("claim in flight (%s): claimed=%v err=%v", h, claimed, err)
		}
	}
	// Lease expired: the same hash takes over, another does not.
	late := claim
	late.Now = t0.Add(2 * time.Minute)
	late.RequestHash = "h2"
	if _, claimed, _ := s.ClaimIdempotencyKey(ctx, late); claimed {
		t.Error("other hash took over an expired lease")
	}
	late.RequestHash = "h1"
	rec, claimed, err = s.ClaimIdempotencyKey(ctx, late)
	if err != nil || !claimed || !rec.LockedUntil.Equal(late.Now.Add(time.Minute).Round(time.Microsecond)) || !rec.CreatedAt.Equal(t0.Round(time.Microsecond)) {
		t.Fatalf("take over: %+v %v %v", rec, claimed, err)
	}

	resp := service.StoredResponse{Status: 201, Header: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"id":1}`)}
	if err := s.CompleteIdempotencyKey(ctx, claim.Scope, claim.Key, resp); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteIdempotencyKey(ctx, claim.Scope, claim.Key, resp); kindOf(err) != service.Conflict {
		t.Errorf("second complete: %v", err)
	}
	if err := s.CompleteIdempotencyKey(ctx, claim.Scope, "nope", resp); kindOf(err) != service.NotFound {
		t.Errorf("complete missing: %v", err)
	}
	if err := s.ReleaseIdempotencyKey(ctx, claim.Scope, claim.Key); kindOf(err) != service.Conflict {
		t.Errorf("release completed: %v", err)
	}
	rec, claimed, err = s.ClaimIdempotencyKey(ctx, late)
	if err != nil || claimed || rec.State != service.IdempotencyCompleted {
		t.Fatalf("replay: %+v %v %v", rec, claimed, err)
	}
	if d := cmp.Diff(&resp, rec.Response); d != "" {
		t.Errorf("stored response (-want +got):\n%s", d)
	}
	// Expired counts as absent, even before Prune.
	gone := claim
	gone.Now = t0.Add(25 * time.Hour)
	gone.RequestHash = "h9"
	if rec, claimed, err := s.ClaimIdempotencyKey(ctx, gone); err != nil || !claimed || rec.RequestHash != "h9" || rec.Response != nil {
		t.Errorf("claim after expiry: %+v %v %v", rec, claimed, err)
	}
	if err := s.ReleaseIdempotencyKey(ctx, gone.Scope, gone.Key); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseIdempotencyKey(ctx, gone.Scope, gone.Key); err != nil {
		t.Errorf("release of a gone key: %v", err)
	}
	if _, claimed, _ := s.ClaimIdempotencyKey(ctx, gone); !claimed {
		t.Error("released key was not claimable")
	}
	st, err := s.Prune(ctx, service.PrunePolicy{Now: gone.Now.Add(48 * time.Hour)})
	if err != nil || st.IdempotencyRecords != 1 {
		t.Errorf("prune: %+v %v", st, err)
	}
}

// TestConcurrentClaims: 50 simultaneous claims of one key, one winner. The
// claims' transactions queue on SQLite's write lock (BEGIN IMMEDIATE).
func TestConcurrentClaims(t *testing.T) {
	s := openStore(t)
	claim := service.IdempotencyClaim{Scope: "s", Key: "k", RequestHash: "h", Now: t0, Lease: time.Minute, TTL: time.Hour}
	var (
		wg       sync.WaitGroup
		won      atomic.Int32
		failures atomic.Int32
		start    = make(chan struct{})
	)
	for range 50 {
		wg.Go(func() {
			<-start
			_, claimed, err := s.ClaimIdempotencyKey(t.Context(), claim)
			if err != nil {
				failures.Add(1)
				t.Error(err)
			}
			if claimed {
				won.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || failures.Load() != 0 {
		t.Errorf("claimed %d times with %d errors, want once with none", won.Load(), failures.Load())
	}
}

func TestImportsAndInbound(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	o, _, err := s.CreateOrder(ctx, newOrder(uuid()))
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, service.MaxAuditBody+10)
	in := service.ImportRecord{OrderID: o.ID, Company: "Acme", Kind: "vouchers", RemoteID: o.RemoteID, Party: o.Party,
		Request: big, Response: []byte("<RESPONSE/>"), Result: "rejected", ErrorCode: "tally_rejected",
		Outcome:  service.ImportOutcome{Errors: 1, LastVoucherID: 7, LineErrors: []string{"Voucher totals do not match!"}},
		Duration: 1500 * time.Millisecond, CreatedAt: t0}
	rec, err := s.RecordImport(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID == 0 || len(rec.Request) != service.MaxAuditBody || !rec.Truncated || rec.Outcome.LineErrors[0] != "Voucher totals do not match!" ||
		rec.Duration != 1500*time.Millisecond || rec.OrderID != o.ID {
		t.Errorf("recorded: %+v", rec.Outcome)
	}
	if got, err := s.GetImport(ctx, rec.ID); err != nil || !cmp.Equal(rec, got) {
		t.Errorf("GetImport: %v %s", err, cmp.Diff(rec, got))
	}
	if _, err := s.GetImport(ctx, rec.ID+100); kindOf(err) != service.NotFound {
		t.Errorf("missing import: %v", err)
	}
	if _, err := s.RecordImport(ctx, service.ImportRecord{OrderID: uuid(), Kind: "vouchers", Result: "ok"}); kindOf(err) != service.NotFound {
		t.Errorf("import of a missing order: %v", err)
	}
	if _, err := s.RecordImport(ctx, service.ImportRecord{Kind: "masters", Party: "X", Result: "ok", CreatedAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    service.ImportFilter
		want int
	}{
		{"all", service.ImportFilter{}, 2},
		{"order", service.ImportFilter{OrderID: o.ID}, 1},
		{"party", service.ImportFilter{Party: "X"}, 1},
		{"result", service.ImportFilter{Result: "rejected"}, 1},
		{"since", service.ImportFilter{Since: t0.Add(time.Minute)}, 1},
		{"until", service.ImportFilter{Until: t0.Add(time.Minute)}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, err := s.ListImports(ctx, tt.f)
			if err != nil || len(list) != tt.want {
				t.Errorf("got %d, %v; want %d", len(list), err, tt.want)
			}
		})
	}
	st, err := s.Prune(ctx, service.PrunePolicy{BodiesBefore: t0.Add(time.Minute)})
	if err != nil || st.ImportBodies != 1 {
		t.Errorf("prune: %+v %v", st, err)
	}
	if got, _ := s.GetImport(ctx, rec.ID); got.Request != nil || got.Response != nil || got.Outcome.Errors != 1 {
		t.Errorf("after prune: %+v", got)
	}

	m := service.InboundMessage{ID: "wamid.1", From: "919800000000", Type: "order", Payload: []byte("{}"), ReceivedAt: t0}
	for i, want := range []bool{true, false} {
		if ins, err := s.RecordInboundMessage(ctx, m); err != nil || ins != want {
			t.Errorf("delivery %d: inserted=%v err=%v", i, ins, err)
		}
	}
}

// TestBusyIsUnavailable holds SQLite's write lock past a short busy timeout
// and checks the waiting write fails as Unavailable, database_unavailable.
func TestBusyIsUnavailable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := sqlitestore.Open(ctx, path, sqlitestore.Options{BusyTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	release := make(chan struct{})
	locked := make(chan struct{})
	go func() {
		// A poster that blocks inside no transaction cannot hold the lock,
		// so hold it with the store's own test hook.
		_ = sqlitestore.HoldWriteLock(holder, locked, release)
	}()
	<-locked
	_, _, err = waiter.CreateOrder(ctx, newOrder(uuid()))
	close(release)
	if e, ok := service.AsError(err); !ok || e.Kind != service.Unavailable || e.Code != "database_unavailable" {
		t.Fatalf("write under a held lock: %v", err)
	}
}
