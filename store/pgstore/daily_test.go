package pgstore_test

import (
	"context"
	"github.com/tallyfacade/tallyfacade/store/riverdaily"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
)

type noPoster struct{}

func (noPoster) PostOrder(context.Context, string) error { return nil }

// TestDailyJobOncePerDay runs two replicas on one database with a daily job
// due since midnight: the job is enqueued at start (RunOnStart catches up the
// day) and runs exactly once, although both replicas schedule it.
func TestDailyJobOncePerDay(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	// Two daily jobs, the reminder dispatch ("") and a named one: each
	// runs once, whatever the number of replicas.
	var runs, summaries atomic.Int32
	ran := make(chan struct{}, 10)
	daily := []*service.DailyJob{
		{At: 0, Location: time.UTC, Run: func(context.Context) error {
			runs.Add(1)
			ran <- struct{}{}
			return nil
		}},
		{Name: "sales_summary", At: 0, Location: time.UTC, Run: func(context.Context) error {
			summaries.Add(1)
			ran <- struct{}{}
			return nil
		}},
	}
	cfg := pgstore.QueueConfig{PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second, Logger: quietLogger(t), Daily: daily}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := s.RunQueue(ctx, noPoster{}, cfg); err != nil {
				t.Errorf("RunQueue: %v", err)
			}
		})
	}
	defer func() { cancel(); wg.Wait() }()
	for range 2 {
		select {
		case <-ran:
		case <-time.After(20 * time.Second):
			t.Fatal("the daily jobs did not run")
		}
	}
	// Give a second scheduler (or a duplicate insert) time to show itself.
	time.Sleep(time.Second)
	if n, m := runs.Load(), summaries.Load(); n != 1 || m != 1 {
		t.Fatalf("daily jobs ran %d and %d times, want 1 each", n, m)
	}
	var jobs int
	day := time.Now().UTC().Format(time.DateOnly)
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'day' = $2`,
		riverdaily.JobKind, day).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 2 {
		t.Fatalf("%d daily jobs for %s, want 2 (one per job)", jobs, day)
	}
}

// TestDailyJobInvalid refuses a daily job without work or outside the day.
func TestDailyJobInvalid(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	run := func(context.Context) error { return nil }
	for _, d := range [][]*service.DailyJob{{{At: time.Hour}}, {{At: 25 * time.Hour, Run: run}}, {{Run: run}, {Run: run}}} {
		if err := s.RunQueue(t.Context(), noPoster{}, pgstore.QueueConfig{Daily: d}); err == nil {
			t.Errorf("RunQueue with %+v: nil error", d)
		}
	}
}
