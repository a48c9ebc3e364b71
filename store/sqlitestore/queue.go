package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/heartbeat"
	"github.com/tallyfacade/tallyfacade/store/postjob"
	"github.com/tallyfacade/tallyfacade/store/queuewake"
	"github.com/tallyfacade/tallyfacade/store/riverdaily"
)

// Queue names. They are part of the database's contents (River's river_job
// rows) and the same as pgstore's, so changing one strands jobs.
const (
	// JobKindPostOrder is the River job kind that posts one order to Tally.
	JobKindPostOrder = postjob.Kind
	// QueueName is the River queue of order posting.
	QueueName = postjob.Queue
)

// PostOrderArgs are the arguments of a post_order job: only the order id,
// since the order row holds everything else and may change between attempts.
type PostOrderArgs struct {
	OrderID string `json:"order_id"`
	// Rescue marks the job the rescuer inserts for an order whose worker
	// died mid-post (store/heartbeat; pgstore's PostOrderArgs).
	Rescue bool `json:"rescue,omitempty"`
}

// Kind implements river.JobArgs.
func (PostOrderArgs) Kind() string { return JobKindPostOrder }

// InsertOpts implements river.JobArgsWithInsertOpts. MaxAttempts is so
// large that River never silently discards an order: the poster decides
// when an order needs attention.
//
// Unlike pgstore, jobs are not unique by args. River's unique states must
// include running, and a job stays running until River's completer records
// it, a moment after PostOrder returned; a retry (TransitionOrder with
// Enqueue) committed in that moment would be skipped as a duplicate and the
// order left in received with no job (TestQueueRetryEnqueue caught it). So
// every enqueue inserts a job, and a redundant one is harmless: the single
// worker runs jobs one after another, and the poster's compare-and-set on
// the order's state makes a job for an order that is no longer received a
// no-op.
func (PostOrderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: 1000}
}

// dropJobs deletes, in tx, the waiting jobs of order id, which has just
// reached a final state (postjob.DropWaiting).
func (s *Store) dropJobs(ctx context.Context, tx *sql.Tx, id string) error {
	return postjob.DropWaiting(ctx, s.inserter, tx, `args ->> '$.order_id' = @order_id`, id)
}

// enqueuePostOrder inserts the post_order job in tx, so it commits or rolls
// back with the order row.
func (s *Store) enqueuePostOrder(ctx context.Context, tx *sql.Tx, orderID string) error {
	if _, err := s.inserter.InsertTx(ctx, tx, PostOrderArgs{OrderID: orderID}, nil); err != nil {
		return fmt.Errorf("enqueue post_order: %w", err)
	}
	return nil
}

// QueueConfig tunes RunQueue. The zero value is the production setting.
// The fields are pgstore's, less the advisory lock: an SQLite file has one
// process, and RunQueue runs one worker.
type QueueConfig struct {
	// PollInterval is how often River looks for jobs when nothing woke it.
	// The store wakes the worker itself when it commits a job (wake.go),
	// and riversqlite's notification table brings River's own (a snoozed
	// job due again, a daily job), so the poll is a safety net, as on
	// PostgreSQL. Default 1s (it was 10 ms, and a committed order waited
	// for it: 8.7 ms at the median).
	PollInterval time.Duration
	// JobTimeout bounds one PostOrder call. Default 2 min: a post is a few
	// Tally requests, each with its own shorter timeout.
	JobTimeout time.Duration
	// MaxBackoff caps River's retry delay after a PostOrder error that is not
	// a RetryLater (River's default grows to days). Default 5 min.
	MaxBackoff time.Duration
	// StopTimeout bounds the graceful stop once ctx is done. Default 10 s.
	StopTimeout time.Duration
	// RescueAfter and Heartbeat (store/heartbeat): a worker beats every
	// Heartbeat while it posts; an order left posting with no beat for
	// RescueAfter (the process died mid-post) is rescued. Defaults 25 s
	// and 5 s.
	RescueAfter, Heartbeat time.Duration
	// Logger receives River's logs; nil uses Options.Logger.
	Logger *slog.Logger
	// Daily are the jobs run once a day, each at its At, as periodic jobs
	// (kind daily_reminders, store/riverdaily), each once per day across
	// replicas.
	Daily []*service.DailyJob
}

func (c QueueConfig) withDefaults(s *Store) QueueConfig {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 2 * time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = s.logger
	}
	c.RescueAfter, c.Heartbeat = heartbeat.Defaults(c.RescueAfter, c.Heartbeat)
	return c
}

// RunQueue works the order queue until ctx is done: a River client (the
// riversqlite driver, on the store's one-connection queue pool) with one
// worker on queue "tally" calls poster.PostOrder for each job, so posting to
// the Tally gateway is serial. PostOrder's nil completes the job, a
// *service.RetryLater snoozes it (snoozes never use up attempts), any other
// error goes to River's retry with capped backoff.
//
// When ctx is done RunQueue stops River, cancelling the job in flight (as
// pgstore does: a hung Tally must not hold up shutdown; River runs the job
// again later and the poster reads back after an ambiguous outcome), and
// waits up to cfg.StopTimeout for it; it returns nil after a clean stop.
func (s *Store) RunQueue(ctx context.Context, poster service.OrderPoster, cfg QueueConfig) error {
	if poster == nil {
		return errors.New("sqlitestore: RunQueue without a poster")
	}
	cfg = cfg.withDefaults(s)
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &postOrderWorker{store: s, poster: poster, every: cfg.Heartbeat}); err != nil {
		return fmt.Errorf("sqlitestore: add worker: %w", err)
	}
	riverCfg := postjob.RiverConfig(cfg.Logger, workers, cfg.JobTimeout, cfg.MaxBackoff)
	riverCfg.FetchPollInterval, riverCfg.FetchCooldown = cfg.PollInterval, min(cfg.PollInterval, fetchCooldown)
	if err := riverdaily.Add(workers, riverCfg, cfg.Daily); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	client, err := river.NewClient(wakingDriver{Driver: riversqlite.New(s.queueDB), bell: &s.bell, listener: s.listener}, riverCfg)
	if err != nil {
		return fmt.Errorf("sqlitestore: river client: %w", err)
	}
	// River's work context is detached from ctx so that the stop below is
	// what cancels the job in hand, and RunQueue then waits for it.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return translate(err)
	}
	rescue := func(ctx context.Context) { s.rescue(ctx, cfg) }
	if err := postjob.Serve(ctx, cfg.Heartbeat, rescue, cfg.StopTimeout, client.StopAndCancel); err != nil {
		return fmt.Errorf("sqlitestore: stop queue: %w", err)
	}
	return nil
}

// postOrderWorker is the one worker of the tally queue.
type postOrderWorker struct {
	river.WorkerDefaults[PostOrderArgs]
	store  *Store
	poster service.OrderPoster
	every  time.Duration // the heartbeat
}

// Work implements river.Worker.
func (w *postOrderWorker) Work(ctx context.Context, job *river.Job[PostOrderArgs]) error {
	// Each RunQueue has one worker; the store's mutex keeps two RunQueue
	// calls on one store (pgstore's "replicas") from posting at once, as
	// pgstore's advisory lock does across processes.
	w.store.postMu.Lock()
	defer w.store.postMu.Unlock()
	beat := func(ctx context.Context) error { return translate(w.store.beat(ctx, job.Args.OrderID)) }
	return postjob.Post(ctx, ctx, w.every, beat, w.poster.PostOrder, job.Args.OrderID)
}

// fetchCooldown is the least time between two fetches. River fetches again
// as soon as the worker is free, but no sooner than this; with one worker it
// bounds the queue's throughput (River's default, 100ms, caps it at ten
// orders a second, measured in TestQueueReliability and
// BenchmarkPaceThroughput).
const fetchCooldown = river.FetchCooldownMin

// WakeQueue makes every order job waiting for its next attempt due now, in
// the order the jobs were queued (store/queuewake); it returns how many.
// The worker takes them at once (wake.go).
func (s *Store) WakeQueue(ctx context.Context) (int, error) {
	n, err := queuewake.Wake(ctx, s.inserter, QueueName, JobKindPostOrder)
	if n > 0 {
		s.bell.ring()
	}
	return n, translate(err)
}
