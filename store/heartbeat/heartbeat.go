// Package heartbeat is how both stores tell a dead worker's order from a live
// one (issue 8, item 11). River rescues a job whose worker died only after
// RescueStuckJobsAfter, which must exceed the job timeout (minutes: a post is
// several Tally requests, each up to TALLY_TIMEOUT plus the client's queue
// wait), and its rescuer runs every 30 s; so a kill -9 mid-post left the
// order posting for about three minutes.
//
// Instead, while PostOrder runs, the worker writes the order's heartbeat_at
// every Heartbeat, from a goroutine of its own that lives exactly as long as
// the PostOrder call. A live attempt therefore keeps beating however long a
// Tally call takes (even a write that outlives the job's context, which the
// Tally client never cuts short), and only a worker that is gone stops. The
// store's rescuer looks every Heartbeat for orders in posting whose heartbeat
// is older than RescueAfter and inserts a rescue job for each; the rescue job
// calls PostOrder, which finds the order still posting, counts that attempt's
// outcome as unknown and reads Tally back before it would post
// (service.PostOrder), so a voucher that landed is never posted again. The
// post lock (pgstore's advisory lock, sqlitestore's mutex) still serialises
// the rescue job with any live post.
package heartbeat

import (
	"context"
	"time"
)

// Production timings. RescueAfter is five missed beats: a beat is one short
// UPDATE with its own timeout, so a live worker that misses five in a row is
// one whose database is gone too (and then no rescue can run either). A dead
// worker's order is rescued within RescueAfter plus one rescuer round
// (Heartbeat) plus the queue's poll interval: about 30 s.
const (
	DefaultRescueAfter = 25 * time.Second
	DefaultHeartbeat   = 5 * time.Second
)

// Defaults fills in zero timings. A heartbeat is never longer than a fifth
// of rescueAfter, so that a configured short rescueAfter (tests) keeps a live
// worker safely fresh.
func Defaults(rescueAfter, every time.Duration) (time.Duration, time.Duration) {
	if rescueAfter <= 0 {
		rescueAfter = DefaultRescueAfter
	}
	if every <= 0 {
		every = DefaultHeartbeat
	}
	return rescueAfter, min(every, rescueAfter/5)
}

// Start calls beat every interval, detached from ctx's cancellation (the
// attempt it vouches for may outlive ctx), until the returned stop is
// called. Each beat gets its own timeout of one interval. A failed beat is
// not reported: the next one retries, and only a run of failures lets the
// rescuer step in. The first beat is the order's move to posting, which the
// stores stamp with the heartbeat (a beat before it was one more commit per
// order, issue #14).
func Start(ctx context.Context, every time.Duration, beat func(context.Context) error) (stop func()) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-bctx.Done():
				return
			case <-t.C:
				_ = beatOnce(bctx, every, beat)
			}
		}
	}()
	return func() { cancel(); <-done }
}

func beatOnce(ctx context.Context, every time.Duration, beat func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, max(every, time.Second))
	defer cancel()
	return beat(ctx)
}

// Rescuer calls rescue every interval until ctx is done.
func Rescuer(ctx context.Context, every time.Duration, rescue func(context.Context)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rescue(ctx)
		}
	}
}
