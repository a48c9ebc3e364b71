package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// TestWaitOrderWokenByChange: a request waiting for its order is woken by
// the post that changes it, in this process, and by OrderChanged for a
// change made elsewhere; the fallback re-read is an hour, so only the
// wake-up can end these waits before the test's own deadline.
func TestWaitOrderWokenByChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		change func(svc *service.Service, st *memStore, id string) error
	}{
		{"posted in this process", func(svc *service.Service, _ *memStore, id string) error {
			return svc.PostOrder(t.Context(), id)
		}},
		{"posted by another replica", func(svc *service.Service, st *memStore, id string) error {
			other := newQueueService(newFake(), st) // another process on the same store
			if err := other.PostOrder(t.Context(), id); err != nil {
				return err
			}
			svc.OrderChanged(id)
			return nil
		}},
		{"notifications reconnected", func(svc *service.Service, st *memStore, id string) error {
			if err := newQueueService(newFake(), st).PostOrder(t.Context(), id); err != nil {
				return err
			}
			svc.OrderChanged("") // anything may have changed
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newFake(), newMemStore()
			watched := &watchedStore{memStore: st, read: make(chan struct{})}
			svc := service.New(f, service.Config{Company: "ABC Traders", Store: watched,
				Now: func() time.Time { return today.Add(10 * time.Hour) }})
			rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder("W-1", "Rajesh Enterprises"), "api", "")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan service.OrderRecord)
			go func() {
				got, err := svc.WaitOrder(t.Context(), rec.ID, time.Hour, time.Hour)
				if err != nil {
					t.Error(err)
				}
				done <- got
			}()
			<-watched.read // the waiter has read the order once, so it is listening
			if err := tc.change(svc, st, rec.ID); err != nil {
				t.Fatal(err)
			}
			if got := <-done; got.State != service.OrderPosted {
				t.Fatalf("woken with the order %s; want posted", got.State)
			}
		})
	}
}

// watchedStore tells when an order is first read.
type watchedStore struct {
	*memStore
	once sync.Once
	read chan struct{}
}

func (w *watchedStore) GetOrder(ctx context.Context, id string) (service.OrderRecord, error) {
	rec, err := w.memStore.GetOrder(ctx, id)
	w.once.Do(func() { close(w.read) })
	return rec, err
}
