package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// QueueRunner runs a store's order queue with poster until ctx is done, the
// way the store's RunQueue does (pgstore.Store.RunQueue with test timings,
// among them a dead-worker rescue interval of at most RescueAfter).
type QueueRunner func(ctx context.Context, poster service.OrderPoster) error

// RunQueue runs the queue conformance tests. newStore returns a fresh store
// and a runner for its queue; a test may call the runner more than once, to
// stand for several replicas sharing the store's database.
func RunQueue(t *testing.T, newStore func(t *testing.T) (service.Store, QueueRunner)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s service.Store, run QueueRunner)
	}{
		{"PostsEachOrderOnce", testQueuePostsOnce},
		{"RetryLaterSnoozes", testQueueRetryLater},
		{"ErrorRetries", testQueueErrorRetries},
		{"RetryTransitionEnqueues", testQueueRetryTransition},
		{"ReplicasPostSerially", testQueueSerial},
		{"StopsWhenCancelled", testQueueStops},
		{"LivePostNotRescued", testQueueLivePostNotRescued},
		{"SettledOrderDropsItsJob", testQueueSettledDropsJob},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, run := newStore(t)
			tc.fn(t, s, run)
		})
	}
}

// RescueAfter is the longest dead-worker rescue interval a QueueRunner may
// use: testQueueLivePostNotRescued posts for several times as long.
const RescueAfter = 300 * time.Millisecond

// posterFunc adapts a function to service.OrderPoster.
type posterFunc func(ctx context.Context, orderID string) error

func (f posterFunc) PostOrder(ctx context.Context, orderID string) error { return f(ctx, orderID) }

// calls records PostOrder calls and lets a test wait for them.
type calls struct {
	mu     sync.Mutex
	at     map[string][]time.Time
	notify chan struct{}
}

func newCalls() *calls {
	return &calls{at: map[string][]time.Time{}, notify: make(chan struct{}, 1000)}
}

func (c *calls) add(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at[id] = append(c.at[id], time.Now())
	c.notify <- struct{}{}
	return len(c.at[id])
}

func (c *calls) times(id string) []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.at[id]...)
}

// waitFor waits until cond holds, checking after every call, or fails t.
func (c *calls) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !cond() {
		select {
		case <-c.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// start runs the queue in the background until the test ends, and checks it
// then stops cleanly.
func start(t *testing.T, run QueueRunner, p service.OrderPoster) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, p) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("queue runner: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("queue runner did not stop within 15 s of cancel")
		}
	})
}

// post is what a poster does on success: move the order to posted.
func post(ctx context.Context, s service.Store, id string) error {
	if _, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: time.Now(), AddAttempt: true}); err != nil {
		return err
	}
	_, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderPosting},
		service.OrderTransition{To: service.OrderPosted, Now: time.Now()})
	return err
}

func testQueuePostsOnce(t *testing.T, s service.Store, run QueueRunner) {
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		c.add(id)
		return post(ctx, s, id)
	}))
	var ids []string
	for range 3 {
		ids = append(ids, mustCreate(t, s, newOrder("P", t0)).ID)
	}
	c.waitFor(t, "every order posted", func() bool {
		for _, id := range ids {
			if len(c.times(id)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond) // a second call would come within a few polls
	for _, id := range ids {
		if n := len(c.times(id)); n != 1 {
			t.Errorf("PostOrder(%s) called %d times, want 1", id, n)
		}
		o, err := s.GetOrder(ctxFor(t), id)
		if err != nil || o.State != service.OrderPosted {
			t.Errorf("order %s: State = %s, %v; want posted", id, o.State, err)
		}
	}
}

func testQueueRetryLater(t *testing.T, s service.Store, run QueueRunner) {
	const after = 400 * time.Millisecond
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		if c.add(id) == 1 {
			return &service.RetryLater{After: after, Err: errors.New("tally unreachable")}
		}
		return post(ctx, s, id)
	}))
	id := mustCreate(t, s, newOrder("P", t0)).ID
	c.waitFor(t, "the second attempt", func() bool { return len(c.times(id)) >= 2 })
	at := c.times(id)
	if gap := at[1].Sub(at[0]); gap < after-10*time.Millisecond {
		t.Errorf("second attempt %v after the first, want at least the RetryLater's %v", gap, after)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(c.times(id)); n != 2 {
		t.Errorf("PostOrder called %d times, want 2", n)
	}
}

func testQueueErrorRetries(t *testing.T, s service.Store, run QueueRunner) {
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		if c.add(id) == 1 {
			return errors.New("unclassified failure")
		}
		return post(ctx, s, id)
	}))
	id := mustCreate(t, s, newOrder("P", t0)).ID
	c.waitFor(t, "the retry after an error", func() bool { return len(c.times(id)) >= 2 })
}

func testQueueRetryTransition(t *testing.T, s service.Store, run QueueRunner) {
	ctx := ctxFor(t)
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		if c.add(id) == 1 {
			// Attempts used up: the order needs attention; the queue is done.
			_, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived},
				service.OrderTransition{To: service.OrderNeedsAttention, Now: time.Now(), AddAttempt: true, LastError: ptr("gave up")})
			return err
		}
		return post(ctx, s, id)
	}))
	id := mustCreate(t, s, newOrder("P", t0)).ID
	c.waitFor(t, "the first attempt", func() bool { return len(c.times(id)) >= 1 })
	c.waitFor(t, "needs_attention", func() bool {
		o, err := s.GetOrder(ctx, id)
		return err == nil && o.State == service.OrderNeedsAttention
	})
	// POST /orders/{id}/retry, possibly while the first job is still finishing.
	if _, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderNeedsAttention, service.OrderRejected},
		service.OrderTransition{To: service.OrderReceived, Now: time.Now(), Enqueue: true}); err != nil {
		t.Fatalf("retry TransitionOrder: %v", err)
	}
	c.waitFor(t, "the attempt after the retry", func() bool { return len(c.times(id)) >= 2 })
	c.waitFor(t, "posted", func() bool {
		o, err := s.GetOrder(ctx, id)
		return err == nil && o.State == service.OrderPosted
	})
}

func testQueueSerial(t *testing.T, s service.Store, run QueueRunner) {
	var (
		mu                sync.Mutex
		inFlight, maxSeen int
	)
	c := newCalls()
	p := posterFunc(func(ctx context.Context, id string) error {
		mu.Lock()
		inFlight++
		maxSeen = max(maxSeen, inFlight)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond) // a Tally request
		mu.Lock()
		inFlight--
		mu.Unlock()
		c.add(id)
		return post(ctx, s, id)
	})
	start(t, run, p) // replica 1
	start(t, run, p) // replica 2
	start(t, run, p) // replica 3
	var ids []string
	for range 8 {
		ids = append(ids, mustCreate(t, s, newOrder("P", t0)).ID)
	}
	c.waitFor(t, "every order posted", func() bool {
		for _, id := range ids {
			if len(c.times(id)) == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if maxSeen != 1 {
		t.Errorf("%d PostOrder calls ran at once across replicas, want 1", maxSeen)
	}
	for _, id := range ids {
		if n := len(c.times(id)); n != 1 {
			t.Errorf("PostOrder(%s) called %d times, want 1", id, n)
		}
	}
}

func testQueueStops(t *testing.T, s service.Store, run QueueRunner) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, posterFunc(func(ctx context.Context, id string) error {
			close(started)
			<-ctx.Done() // a hung Tally: only the stop's cancellation ends it
			return ctx.Err()
		}))
	}()
	mustCreate(t, s, newOrder("P", t0))
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("PostOrder was never called")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runner returned %v after cancel, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("runner did not return within 15 s of cancel")
	}
}

// testQueueLivePostNotRescued: a post that takes several rescue intervals
// (a slow Tally) is never taken for a dead worker's: its heartbeat keeps it
// fresh, so PostOrder is not called again for it.
func testQueueLivePostNotRescued(t *testing.T, s service.Store, run QueueRunner) {
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		c.add(id)
		if _, err := s.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived},
			service.OrderTransition{To: service.OrderPosting, Now: time.Now(), AddAttempt: true}); err != nil {
			return nil // a rescue job: the order is no longer received
		}
		time.Sleep(4 * RescueAfter)
		_, err := s.TransitionOrder(context.WithoutCancel(ctx), id, []service.OrderState{service.OrderPosting},
			service.OrderTransition{To: service.OrderPosted, Now: time.Now()})
		return err
	}))
	id := mustCreate(t, s, newOrder("Slow Tally Traders", t0)).ID
	c.waitFor(t, "the order posted", func() bool { return len(c.times(id)) == 1 })
	time.Sleep(6 * RescueAfter)
	if n := len(c.times(id)); n != 1 {
		t.Errorf("PostOrder called %d times for one live post, want 1 (rescued while alive)", n)
	}
	if o, err := s.GetOrder(ctxFor(t), id); err != nil || o.State != service.OrderPosted {
		t.Errorf("order: State = %s, %v; want posted", o.State, err)
	}
}

// testQueueSettledDropsJob: an order settled by another order's attempt (a
// batch posts the orders waiting behind its first) loses its own waiting
// job, so the worker never spends a fetch on an order already final.
func testQueueSettledDropsJob(t *testing.T, s service.Store, run QueueRunner) {
	ctx := ctxFor(t)
	first := mustCreate(t, s, newOrder("P", t0)).ID
	second := mustCreate(t, s, newOrder("P", t0.Add(time.Second))).ID
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		c.add(id)
		other := first
		if id == first {
			other = second
		}
		if err := post(ctx, s, other); err != nil && service.KindOf(err) != service.Conflict {
			return err
		}
		if err := post(ctx, s, id); err != nil && service.KindOf(err) != service.Conflict {
			return err
		}
		return nil
	}))
	c.waitFor(t, "an attempt", func() bool { return len(c.times(first))+len(c.times(second)) > 0 })
	for _, id := range []string{first, second} {
		c.waitFor(t, "both posted", func() bool {
			o, err := s.GetOrder(ctx, id)
			return err == nil && o.State == service.OrderPosted
		})
	}
	time.Sleep(300 * time.Millisecond) // the other job would come within a few polls
	if n := len(c.times(first)) + len(c.times(second)); n != 1 {
		t.Errorf("PostOrder called %d times for two orders settled by one attempt, want 1 (first %d, second %d)",
			n, len(c.times(first)), len(c.times(second)))
	}
}
