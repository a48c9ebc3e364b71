package sqlitestore_test

import (
	"context"
	"database/sql"
	"github.com/tallyfacade/tallyfacade/store/riverdaily"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
)

type noPoster struct{}

func (noPoster) PostOrder(context.Context, string) error { return nil }

// TestDailyJobOncePerDay runs two queues on one store with a daily job due
// since midnight: RunOnStart enqueues the day, and it runs exactly once.
func TestDailyJobOncePerDay(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
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
	cfg := sqlitestore.QueueConfig{PollInterval: 20 * time.Millisecond, Daily: daily}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := s.RunQueue(ctx, noPoster{}, cfg); err != nil {
				t.Errorf("RunQueue: %v", err)
			}
		})
	}
	for range 2 {
		select {
		case <-ran:
		case <-time.After(20 * time.Second):
			cancel()
			wg.Wait()
			t.Fatal("the daily jobs did not run")
		}
	}
	time.Sleep(time.Second)
	cancel()
	wg.Wait()
	if n, m := runs.Load(), summaries.Load(); n != 1 || m != 1 {
		t.Fatalf("daily jobs ran %d and %d times, want 1 each", n, m)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var jobs int
	day := time.Now().UTC().Format(time.DateOnly)
	if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = ? AND json_extract(args, '$.day') = ?`,
		riverdaily.JobKind, day).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if jobs != 2 {
		t.Fatalf("%d daily jobs for %s, want 2 (one per job)", jobs, day)
	}
}
