package pgstore_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func newStore(t *testing.T) (*pgstore.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	s, err := pgstore.New(t.Context(), pool, pgstore.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, pool
}

// quietLogger keeps River's errors visible in test output and nothing else.
func quietLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) service.Store {
		s, _ := newStore(t)
		return s
	})
}

func TestQueue(t *testing.T) {
	storetest.RunQueue(t, func(t *testing.T) (service.Store, storetest.QueueRunner) {
		s, _ := newStore(t)
		cfg := pgstore.QueueConfig{
			PollInterval: 20 * time.Millisecond,
			LockRetry:    20 * time.Millisecond,
			MaxBackoff:   100 * time.Millisecond,
			StopTimeout:  5 * time.Second,
			RescueAfter:  storetest.RescueAfter,
			Logger:       quietLogger(t),
		}
		return s, func(ctx context.Context, p service.OrderPoster) error { return s.RunQueue(ctx, p, cfg) }
	})
}

// jobs counts the post_order jobs of orderID in the given River states.
func jobs(t *testing.T, pool *pgxpool.Pool, orderID string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = $1 AND queue = $2 AND args->>'order_id' = $3`,
		pgstore.JobKindPostOrder, pgstore.QueueName, orderID).Scan(&n)
	if err != nil {
		t.Fatalf("count jobs: %v", err)
	}
	return n
}

// TestJobEnqueuedWithOrder checks the outbox promise: the job is in the same
// transaction as the row, an order never has two live jobs, and a failed
// create leaves no job.
func TestJobEnqueuedWithOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, pool := newStore(t)
	o := service.OrderRecord{ID: storetest.NewID(), Company: "C", Source: "api", RemoteID: "r-1", Party: "P", Request: []byte("{}")}
	if _, _, err := s.CreateOrder(ctx, o); err != nil {
		t.Fatalf("CreateOrder: %v", err)
	}
	if n := jobs(t, pool, o.ID); n != 1 {
		t.Fatalf("%d jobs after CreateOrder, want 1", n)
	}
	dup := o
	dup.ID = storetest.NewID()
	if _, created, err := s.CreateOrder(ctx, dup); err != nil || created {
		t.Fatalf("duplicate CreateOrder = created %v, %v; want the existing order", created, err)
	}
	if n := jobs(t, pool, dup.ID); n != 0 {
		t.Errorf("%d jobs for a refused duplicate, want 0", n)
	}
	// A retry while the first job is still waiting does not add a second job.
	if _, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderReceived, Now: time.Now(), Enqueue: true}); err != nil {
		t.Fatalf("TransitionOrder: %v", err)
	}
	if n := jobs(t, pool, o.ID); n != 1 {
		t.Errorf("%d jobs after enqueueing a waiting order again, want 1", n)
	}
	// Once the job completed, a retry enqueues a new one.
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE args->>'order_id' = $1`, o.ID); err != nil {
		t.Fatalf("complete job: %v", err)
	}
	if _, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderReceived, Now: time.Now(), Enqueue: true}); err != nil {
		t.Fatalf("TransitionOrder: %v", err)
	}
	if n := jobs(t, pool, o.ID); n != 2 {
		t.Errorf("%d jobs after a retry of a completed job, want 2", n)
	}
	// A transition that loses its compare-and-set enqueues nothing.
	if _, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{service.OrderNeedsAttention},
		service.OrderTransition{To: service.OrderReceived, Now: time.Now(), Enqueue: true}); service.KindOf(err) != service.Conflict {
		t.Fatalf("TransitionOrder err = %v, want Conflict", err)
	}
	if n := jobs(t, pool, o.ID); n != 2 {
		t.Errorf("%d jobs after a refused transition, want 2", n)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t) // already migrated once
	for i := range 2 {
		if err := pgstore.Migrate(t.Context(), pool); err != nil {
			t.Fatalf("Migrate #%d on a migrated database: %v", i+1, err)
		}
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback refuses connections at once.
	pool, err := pgxpool.New(t.Context(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	defer pool.Close()
	s, err := pgstore.New(t.Context(), pool, pgstore.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	calls := map[string]func() error{
		"Ping": func() error { return s.Ping(t.Context()) },
		"GetOrder": func() error {
			_, err := s.GetOrder(t.Context(), storetest.NewID())
			return err
		},
		"ClaimIdempotencyKey": func() error {
			_, _, err := s.ClaimIdempotencyKey(t.Context(), service.IdempotencyClaim{Scope: "s", Key: "k", RequestHash: "h", Now: time.Now(), Lease: time.Minute, TTL: time.Hour})
			return err
		},
		"CreateOrder": func() error {
			_, _, err := s.CreateOrder(t.Context(), service.OrderRecord{ID: storetest.NewID(), RemoteID: "r"})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		e, ok := service.AsError(err)
		if !ok {
			t.Errorf("%s: err = %v (%T), want *service.Error", name, err, err)
			continue
		}
		if diff := cmp.Diff([2]string{service.Unavailable.String(), "database_unavailable"}, [2]string{e.Kind.String(), e.Code}); diff != "" {
			t.Errorf("%s: kind, code (-want +got):\n%s\nerr: %v", name, diff, err)
		}
	}
}

// lockPoster blocks in PostOrder until its context ends.
type lockPoster struct {
	entered   chan string
	cancelled chan string
}

func (p *lockPoster) PostOrder(ctx context.Context, id string) error {
	p.entered <- id
	<-ctx.Done()
	p.cancelled <- id
	return ctx.Err()
}

// TestPostLockLostSession: the session holding the post lock dies (a database
// restart, a failover). The post holding it is stopped (within the watchdog's
// half second; a lock without fencing cannot promise a zero overlap), and
// posting resumes under a new lock.
func TestPostLockLostSession(t *testing.T) {
	t.Parallel()
	url := pgtest.NewURL(t)
	replica := func() *pgstore.Store {
		pool, err := pgxpool.New(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		st, err := pgstore.New(t.Context(), pool, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, b := replica(), replica()
	for _, id := range []string{storetest.NewID(), storetest.NewID()} {
		if _, _, err := a.CreateOrder(t.Context(), service.OrderRecord{ID: id, Company: "C", Source: "api", RemoteID: "rid-" + id,
			Request: []byte("{}"), State: service.OrderReceived}); err != nil {
			t.Fatal(err)
		}
	}
	p := &lockPoster{entered: make(chan string, 4), cancelled: make(chan string, 4)}
	ctx, cancel := context.WithCancel(t.Context())
	cfg := pgstore.QueueConfig{PollInterval: 20 * time.Millisecond, LockRetry: 20 * time.Millisecond, Logger: quietLogger(t)}
	var runners sync.WaitGroup
	// The runners log to the test; they must be gone before it ends.
	defer func() { cancel(); runners.Wait() }()
	runners.Go(func() { _ = a.RunQueue(ctx, p, cfg) })
	first := <-p.entered

	admin, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted`); err != nil {
		t.Fatal(err)
	}
	runners.Go(func() { _ = b.RunQueue(ctx, p, cfg) })
	select {
	case id := <-p.cancelled:
		if id != first {
			t.Fatalf("cancelled %s; want the post that held the lost lock, %s", id, first)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the post whose lock session died was not stopped")
	}
	<-p.entered // a replica takes the lock again and posts
}
