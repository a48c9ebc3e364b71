package service

import (
	"context"
	"time"
)

// DefaultProbeEvery is how often WatchTally asks an unreachable Tally
// whether it answers again: one liveness request, the cheapest there is
// (it queues behind nothing once Tally is idle), so a shop that switches its
// PC on waits at most this long for its queued orders.
const DefaultProbeEvery = 3 * time.Second

// tallyAway tells WatchTally that an attempt found Tally unavailable, so
// orders are waiting for it.
func (s *Service) tallyAway() {
	select {
	case s.away <- struct{}{}:
	default: // already told
	}
}

// WatchTally runs until ctx is done. After an attempt found Tally
// unreachable or busy (orders now wait for their next backoff step, up to
// RetryMax), it asks Tally every `every` whether it answers, and as soon as
// it does calls wake, which makes the waiting orders due now, in the order
// they were queued (the store's queue: WakeQueue), so they post at once
// instead of at their next step. Posting itself stays the queue's: this only
// moves the next attempt earlier, never sends anything to Tally but the
// probe.
func (s *Service) WatchTally(ctx context.Context, every time.Duration, wake func(context.Context) (int, error)) {
	if every <= 0 {
		every = DefaultProbeEvery
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.away:
		}
		if !s.awaitTally(ctx, every) {
			return
		}
		n, err := wake(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.WarnContext(ctx, "waking the orders waiting for Tally failed; they keep their schedule", "error", err)
			continue
		}
		s.log.InfoContext(ctx, "Tally answers again; waiting orders posted now", "orders", n)
	}
}

// awaitTally probes Tally every `every` until it answers (true) or ctx is
// done (false).
func (s *Service) awaitTally(ctx context.Context, every time.Duration) bool {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		if _, err := s.gw.Status(ctx); err == nil {
			return true
		}
	}
}
