package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

// TestListenOrders: a state change committed through one Store is announced
// to a listener on another Store over the same database (another replica),
// with the order's id; a refused transition announces nothing.
func TestListenOrders(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	other, err := pgstore.New(t.Context(), pool, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	changed := make(chan string, 16)
	done := make(chan error)
	go func() { done <- other.ListenOrders(ctx, func(id string) { changed <- id }) }()
	if id := <-changed; id != "" {
		t.Fatalf("first call %q; want the empty id of a (re)connected listener", id)
	}
	o := service.OrderRecord{ID: storetest.NewID(), Company: "C", Source: "api", RemoteID: "r-1", Party: "P", Request: []byte("{}")}
	if _, _, err := s.CreateOrder(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransitionOrder(t.Context(), o.ID, []service.OrderState{service.OrderPosted},
		service.OrderTransition{To: service.OrderReceived, Now: time.Now()}); service.KindOf(err) != service.Conflict {
		t.Fatalf("refused transition err = %v", err)
	}
	if _, err := s.TransitionOrder(t.Context(), o.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: time.Now(), AddAttempt: true}); err != nil {
		t.Fatal(err)
	}
	if id := <-changed; id != o.ID {
		t.Fatalf("announced %q; want %q", id, o.ID)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenOrders after ctx done = %v; want nil", err)
	}
	select {
	case id := <-changed:
		t.Fatalf("announced %q more than the one change", id)
	default:
	}
}

func TestWakeQueue(t *testing.T) {
	storetest.RunWake(t, func(t *testing.T) (service.Store, storetest.QueueRunner, storetest.Waker) {
		s, _ := newStore(t)
		cfg := pgstore.QueueConfig{PollInterval: 20 * time.Millisecond, StopTimeout: 5 * time.Second, Logger: quietLogger(t)}
		return s, func(ctx context.Context, p service.OrderPoster) error { return s.RunQueue(ctx, p, cfg) }, s.WakeQueue
	})
}
