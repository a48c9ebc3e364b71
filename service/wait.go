package service

import (
	"context"
	"sync"
	"time"
)

// orderWaiters wakes the requests waiting for an order (WaitOrder) when the
// order changes state, instead of each request reading the store on a
// timer. Changes made in this process are announced by announcingStore;
// changes made by another replica arrive through OrderChanged (the store's
// notifications, wired by the program).
type orderWaiters struct {
	mu   sync.Mutex
	byID map[string]map[chan struct{}]struct{}
}

func newOrderWaiters() *orderWaiters {
	return &orderWaiters{byID: map[string]map[chan struct{}]struct{}{}}
}

// subscribe returns a channel that receives a value when the order id may
// have changed; cancel must be called when the caller stops waiting.
func (w *orderWaiters) subscribe(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byID[id] == nil {
		w.byID[id] = map[chan struct{}]struct{}{}
	}
	w.byID[id][ch] = struct{}{}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.byID[id], ch)
		if len(w.byID[id]) == 0 {
			delete(w.byID, id)
		}
	}
}

// notify wakes the waiters of order id; an empty id wakes every waiter (the
// notifications may have missed changes, e.g. while reconnecting).
func (w *orderWaiters) notify(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	wake := func(chs map[chan struct{}]struct{}) {
		for ch := range chs {
			select {
			case ch <- struct{}{}:
			default: // already woken, not yet read
			}
		}
	}
	if id != "" {
		wake(w.byID[id])
		return
	}
	for _, chs := range w.byID {
		wake(chs)
	}
}

// OrderChanged tells the service that the stored order id changed state in
// another process (another replica's worker), so that a request waiting for
// it here reads it again at once. An empty id means any order may have
// changed. Changes made through this Service need no call.
func (s *Service) OrderChanged(id string) { s.waiters.notify(id) }

// announcingStore is the service's Store with every state change announced
// to the waiters of its order, in this process.
type announcingStore struct {
	Store
	waiters *orderWaiters
}

// TransitionOrder implements Store.
func (a announcingStore) TransitionOrder(ctx context.Context, id string, from []OrderState, t OrderTransition) (OrderRecord, error) {
	rec, err := a.Store.TransitionOrder(ctx, id, from, t)
	if err == nil {
		a.waiters.notify(id)
	}
	return rec, err
}

// StartAttempts implements Store.
func (a announcingStore) StartAttempts(ctx context.Context, ids []string, now time.Time) ([]OrderRecord, error) {
	recs, err := a.Store.StartAttempts(ctx, ids, now)
	for _, r := range recs {
		a.waiters.notify(r.ID)
	}
	return recs, err
}
