package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// Waker makes the order jobs that wait for a later attempt due now (the
// stores' WakeQueue).
type Waker func(ctx context.Context) (int, error)

// RunWake checks a store's Waker: orders whose attempt was put off for an
// hour (Tally away) are attempted again at once when woken, in the order
// they were queued. newStore returns a fresh store, its queue runner and
// its waker.
func RunWake(t *testing.T, newStore func(t *testing.T) (service.Store, QueueRunner, Waker)) {
	t.Parallel()
	s, run, wake := newStore(t)
	var mu sync.Mutex
	var posted []string
	first := map[string]bool{}
	c := newCalls()
	start(t, run, posterFunc(func(ctx context.Context, id string) error {
		mu.Lock()
		again := first[id]
		first[id] = true
		mu.Unlock()
		if !again {
			c.add(id)
			return &service.RetryLater{After: time.Hour}
		}
		mu.Lock()
		posted = append(posted, id)
		mu.Unlock()
		c.add(id)
		return post(ctx, s, id)
	}))
	var ids []string
	for range 3 {
		ids = append(ids, mustCreate(t, s, newOrder("P", t0)).ID)
	}
	c.waitFor(t, "every order's first attempt", func() bool {
		for _, id := range ids {
			if len(c.times(id)) == 0 {
				return false
			}
		}
		return true
	})
	// The queue records a snooze a moment after the attempt returned, so
	// wake until every snoozed job was woken.
	woken, deadline := 0, time.Now().Add(15*time.Second)
	for woken < len(ids) {
		n, err := wake(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if woken += n; time.Now().After(deadline) {
			t.Fatalf("woke %d jobs; want the %d snoozed ones", woken, len(ids))
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.waitFor(t, "every order posted after the wake", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(posted) == len(ids)
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(posted, ids) {
		t.Errorf("woken orders posted in the order %v; want the queue's order %v", posted, ids)
	}
}

// testListOldestFirst: OldestFirst lists in the order orders were stored
// (how a batch picks the waiting ones), by state, up to Limit.
func testListOldestFirst(t *testing.T, s service.Store) {
	var ids []string
	for i := range 4 {
		ids = append(ids, mustCreate(t, s, newOrder("P", t0.Add(time.Duration(i)*time.Second))).ID)
	}
	if _, err := s.TransitionOrder(ctxFor(t), ids[1], []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListOrders(ctxFor(t), service.OrderFilter{State: service.OrderReceived, OldestFirst: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, o := range got {
		gotIDs = append(gotIDs, o.ID)
	}
	if want := []string{ids[0], ids[2]}; !slices.Equal(gotIDs, want) {
		t.Errorf("oldest first = %v; want %v", gotIDs, want)
	}
}
