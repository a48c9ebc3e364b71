// Package postjob is what both stores' order queues share (pgstore and
// sqlitestore each run River over their own database): the post_order job's
// kind and queue, the step that posts one order while its heartbeat beats,
// and River's retry policy for what the poster did not classify.
package postjob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/heartbeat"
)

// The job's kind and queue. They are part of the database's contents
// (River's river_job rows) and the same in both stores, so changing one
// strands jobs.
const (
	// Kind is the River job kind that posts one order to Tally.
	Kind = "post_order"
	// Queue is the River queue of order posting.
	Queue = "tally"
)

// Post runs post for orderID while its heartbeat beats every interval
// (store/heartbeat). The heartbeat runs on ctx, post on postCtx: pgstore
// stops a post whose lock session was lost, but a Tally write in flight runs
// to its end, and until post returns the order is not a dead one. A
// *service.RetryLater
// becomes River's snooze, which never uses up attempts; nil means the order
// is settled and the job may complete.
func Post(ctx, postCtx context.Context, every time.Duration, beat func(context.Context) error,
	post func(context.Context, string) error, orderID string) error {
	stopBeat := heartbeat.Start(ctx, every, beat)
	err := post(postCtx, orderID)
	stopBeat()
	if retry, ok := errors.AsType[*service.RetryLater](err); ok {
		return river.JobSnooze(max(retry.After, 0))
	}
	return err
}

// Backoff is River's retry policy for errors the poster did not turn into a
// RetryLater: exponential from 1 s, capped at Max, so that a database blip
// does not push an order days out (River's default is attempt^4 seconds).
type Backoff struct{ Max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (p Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.Max
	if n := len(job.Errors); n < 20 {
		d = min(time.Second<<n, p.Max)
	}
	return time.Now().Add(d)
}

// RiverConfig is what both stores' River configurations share: one worker
// on Queue (posting to one Tally gateway is serial), jobs bounded by
// jobTimeout, and Backoff. The store adds how it learns of new jobs
// (FetchPollInterval, FetchCooldown).
func RiverConfig(logger *slog.Logger, workers *river.Workers, jobTimeout, maxBackoff time.Duration) *river.Config {
	return &river.Config{
		Logger:     logger,
		Queues:     map[string]river.QueueConfig{Queue: {MaxWorkers: 1}},
		Workers:    workers,
		JobTimeout: jobTimeout,
		// A job whose process died stays "running"; River's default rescue
		// after an hour would leave its order in posting that long. River's
		// rescue is the backstop: the heartbeat rescuer (store/heartbeat)
		// gets the order going within about 30 s. A rescued job reads back
		// first (the order is still posting, so its attempt is ambiguous),
		// and the post lock keeps two from posting at once.
		RescueStuckJobsAfter: jobTimeout + time.Minute,
		RetryPolicy:          Backoff{Max: maxBackoff},
	}
}

// Serve runs a started queue until ctx is done: the heartbeat rescuer
// (store/heartbeat) calls rescue every interval; then stopAndCancel (River's
// StopAndCancel) gets stopTimeout, cancelling the job in flight: a hung Tally
// must not hold up shutdown, River runs the job again later, and the poster
// reads back after an ambiguous outcome.
func Serve(ctx context.Context, every time.Duration, rescue func(context.Context),
	stopTimeout time.Duration, stopAndCancel func(context.Context) error) error {
	rescued := make(chan struct{})
	go func() {
		defer close(rescued)
		heartbeat.Rescuer(ctx, every, rescue)
	}()
	<-ctx.Done()
	<-rescued
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	return stopAndCancel(stopCtx)
}

// Rescued logs a round of the heartbeat rescuer: the orders of a dead worker
// it re-queued (each will read Tally back before it posts), or why it could
// not. A failure while ctx ends (shutdown) is not news.
func Rescued(ctx context.Context, logger *slog.Logger, ids []string, err error) {
	if err != nil {
		if ctx.Err() == nil {
			logger.WarnContext(ctx, "rescuing orders of a dead worker failed", "error", err)
		}
		return
	}
	for _, id := range ids {
		logger.WarnContext(ctx, "order left posting by a dead worker; rescued, it reads Tally back before posting", "order_id", id)
	}
}

// WaitingStates are the states of a job that has yet to run: the jobs
// DropWaiting deletes.
var WaitingStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled,
	rivertype.JobStateRetryable, rivertype.JobStatePending}

// DropWaiting deletes, in tx, the post_order jobs still waiting to post
// order id, which has just reached a final state. They would find it final
// and do nothing, but each would still cost the one worker a fetch, a
// heartbeat and a completion (on PostgreSQL also the advisory lock): a batch
// of 50 orders left 49 such jobs behind it (issue #14). The job running now
// (the one that settled the order) is never deleted: River skips running
// jobs, and on PostgreSQL rows another transaction has locked (a fetch in
// progress), which then run as no-ops. orderIDIs is the store's SQL
// predicate on the job's args with the named argument @order_id: the two
// dialects read JSON differently.
func DropWaiting[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, orderIDIs, id string) error {
	_, err := c.JobDeleteManyTx(ctx, tx, river.NewJobDeleteManyParams().
		Queues(Queue).Kinds(Kind).States(WaitingStates...).
		Where(orderIDIs, river.NamedArgs{"order_id": id}))
	if err != nil {
		return fmt.Errorf("drop the jobs of a settled order: %w", err)
	}
	return nil
}
