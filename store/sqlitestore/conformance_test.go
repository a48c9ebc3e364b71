package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) service.Store {
		return openStore(t)
	})
}

func TestQueueConformance(t *testing.T) {
	storetest.RunQueue(t, func(t *testing.T) (service.Store, storetest.QueueRunner) {
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "q.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s, func(ctx context.Context, p service.OrderPoster) error {
			return s.RunQueue(ctx, p, sqlitestore.QueueConfig{PollInterval: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
				RescueAfter: storetest.RescueAfter})
		}
	})
}

func TestWakeQueue(t *testing.T) {
	storetest.RunWake(t, func(t *testing.T) (service.Store, storetest.QueueRunner, storetest.Waker) {
		s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "w.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s, func(ctx context.Context, p service.OrderPoster) error {
			return s.RunQueue(ctx, p, sqlitestore.QueueConfig{PollInterval: 20 * time.Millisecond})
		}, s.WakeQueue
	})
}
