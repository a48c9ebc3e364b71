package pgstore

import (
	"context"
	"time"
)

// OrderChannel is the PostgreSQL notification channel on which every order
// state change is announced (TransitionOrder), with the order's id as the
// payload. It is part of what replicas share, like the queue's names.
const OrderChannel = "tallyfacade_order"

// ListenOrders calls changed with the id of each order whose state changes,
// in any process on this database, until ctx is done (then it returns nil).
// It holds one connection of its own, LISTENing. After the connection is
// lost it reconnects, and calls changed("") once connected again: changes
// made meanwhile were not announced, so anyone waiting should read again.
func (s *Store) ListenOrders(ctx context.Context, changed func(id string)) error {
	for {
		err := s.listenOrders(ctx, changed)
		if ctx.Err() != nil {
			return nil
		}
		s.logger.WarnContext(ctx, "order notifications interrupted; reconnecting", "error", err)
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (s *Store) listenOrders(ctx context.Context, changed func(id string)) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A listening session is not one to hand back to the pool.
	conn := pc.Hijack()
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+OrderChannel); err != nil {
		return err
	}
	changed("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		changed(n.Payload)
	}
}
