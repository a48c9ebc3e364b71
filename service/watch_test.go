package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// TestWatchTally: nothing is probed or woken while no order waits for
// Tally; once an attempt finds Tally unreachable, the watcher probes it and,
// when it answers, wakes the waiting orders, once per outage.
func TestWatchTally(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	woken := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.WatchTally(ctx, time.Millisecond, func(context.Context) (int, error) {
			woken <- struct{}{}
			return 1, nil
		})
	}()
	rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder("OUT-1", "Rajesh Enterprises"), "api", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatalf("a post with Tally up: %v", err)
	}
	f.readErr = service.Errorf(service.Unavailable, "tally_unreachable", "Tally could not be reached.")
	rec2, _, err := svc.SubmitOrder(t.Context(), sampleOrder("OUT-2", "Rajesh Enterprises"), "api", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), rec2.ID); !errors.As(err, new(*service.RetryLater)) {
		t.Fatalf("a post with Tally away = %v; want RetryLater", err)
	}
	<-woken // Tally's Status answers (the fake is up): the waiting order is woken
	cancel()
	<-done
	if n := len(woken); n != 0 {
		t.Fatalf("woken %d more times for one outage", n)
	}
	if f.calls["Status"] == 0 {
		t.Fatal("woken without asking Tally")
	}
}
