package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/heartbeat"
	"github.com/tallyfacade/tallyfacade/store/postjob"
	"github.com/tallyfacade/tallyfacade/store/queuewake"
	"github.com/tallyfacade/tallyfacade/store/riverdaily"
)

// Queue names and keys. They are part of the database's contents (River's
// river_job rows, PostgreSQL advisory locks), so changing one strands jobs
// or lets an old and a new replica post at the same time.
const (
	// JobKindPostOrder is the River job kind that posts one order to Tally.
	JobKindPostOrder = postjob.Kind
	// QueueName is the River queue of order posting.
	QueueName = postjob.Queue
	// DefaultPostLockKey names the PostgreSQL advisory lock that makes
	// posting to the Tally gateway serial across replicas.
	DefaultPostLockKey = "tallyfacade:post"
)

// PostOrderArgs are the arguments of a post_order job: only the order id,
// since the order row holds everything else and may change between attempts.
type PostOrderArgs struct {
	OrderID string `json:"order_id"`
	// Rescue marks the job the rescuer inserts for an order whose worker
	// died mid-post (rescue.go). Its args differ from the order's own job,
	// which River still sees running, so the uniqueness below does not
	// skip it; it is unique among rescues of the same order.
	Rescue bool `json:"rescue,omitempty"`
}

// Kind implements river.JobArgs.
func (PostOrderArgs) Kind() string { return JobKindPostOrder }

// InsertOpts implements river.JobArgsWithInsertOpts. Jobs are unique by args
// among the states of a live job (everything but completed, cancelled and
// discarded), so an order never has two live jobs: a retry enqueued while one
// is still waiting is skipped, and one enqueued after the previous job
// completed is inserted. MaxAttempts is large because the poster decides
// when an order needs attention; River's own retries only cover errors the
// poster did not classify (a database hiccup), and must never silently
// discard an order.
func (PostOrderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueName,
		MaxAttempts: 1000,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable,
				rivertype.JobStatePending,
				rivertype.JobStateRunning,
				rivertype.JobStateRetryable,
				rivertype.JobStateScheduled,
			},
		},
	}
}

// enqueue inserts the post_order job for id in tx.
func (s *Store) enqueue(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := s.inserter.InsertTx(ctx, tx, PostOrderArgs{OrderID: id}, nil); err != nil {
		return fmt.Errorf("enqueue post_order: %w", err)
	}
	return nil
}

// QueueConfig tunes RunQueue. The zero value is the production setting.
type QueueConfig struct {
	// LockKey names the advisory lock taken around every PostOrder, one per
	// Tally gateway. Default DefaultPostLockKey.
	LockKey string
	// LockRetry is how long a job waits (snoozed) when another replica holds
	// the lock. Default 1 s.
	LockRetry time.Duration
	// JobTimeout bounds one PostOrder call. Default 2 min: a post is a few
	// Tally requests, each with its own shorter timeout.
	JobTimeout time.Duration
	// MaxBackoff caps River's retry delay after a PostOrder error that is not
	// a RetryLater (River's default grows to days). Default 5 min.
	MaxBackoff time.Duration
	// PollInterval is how often River polls for jobs when no notification
	// arrives (a job whose snooze ended, another replica's insert). Default 1 s.
	PollInterval time.Duration
	// StopTimeout bounds the graceful stop once ctx is done. Default 10 s.
	StopTimeout time.Duration
	// RescueAfter and Heartbeat (store/heartbeat): a worker beats every
	// Heartbeat while it posts; an order left posting with no beat for
	// RescueAfter (its worker died) is rescued. Defaults 25 s and 5 s.
	RescueAfter, Heartbeat time.Duration
	// Logger receives River's logs; nil uses Options.Logger.
	Logger *slog.Logger
	// Daily are the jobs run once a day, each at its At, as periodic jobs
	// (kind daily_reminders, store/riverdaily), each once per day across
	// replicas.
	Daily []*service.DailyJob
}

func (c QueueConfig) withDefaults(s *Store) QueueConfig {
	if c.LockKey == "" {
		c.LockKey = DefaultPostLockKey
	}
	if c.LockRetry <= 0 {
		c.LockRetry = time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 2 * time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
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

// RunQueue works the order queue until ctx is done: a River client with one
// worker on queue "tally" calls poster.PostOrder for each job. PostOrder's nil
// completes the job, a *service.RetryLater snoozes it (snoozes never use up
// attempts), any other error goes to River's retry with capped backoff.
//
// One Tally gateway is serial (tally-protocol.md; issue #4): each replica runs
// one worker, and all replicas take one PostgreSQL session advisory lock
// around PostOrder, so no two post at once. A session lock rather than a
// transaction lock, because no transaction may span a Tally request; it is
// held on a connection borrowed from the pool for the duration.
//
// When ctx is done RunQueue stops River, cancelling the job in flight, and
// waits up to cfg.StopTimeout for it; it returns nil after a clean stop.
func (s *Store) RunQueue(ctx context.Context, poster service.OrderPoster, cfg QueueConfig) error {
	if poster == nil {
		return errors.New("pgstore: RunQueue without a poster")
	}
	cfg = cfg.withDefaults(s)
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &postOrderWorker{store: s, poster: poster, cfg: cfg}); err != nil {
		return fmt.Errorf("pgstore: add worker: %w", err)
	}
	riverCfg := postjob.RiverConfig(cfg.Logger, workers, cfg.JobTimeout, cfg.MaxBackoff)
	// Jobs start as soon as they are committed: the insert's NOTIFY wakes
	// the worker (River's LISTEN on the pool), and a free worker fetches
	// again at once. FetchCooldown is the least time between two fetches,
	// and with one worker it caps throughput: River's default, 100 ms, held
	// posting to ten orders a second whatever Tally's speed. The poll is
	// only the fallback (a lost notification, a snooze that ended).
	riverCfg.FetchPollInterval, riverCfg.FetchCooldown = cfg.PollInterval, river.FetchCooldownMin
	if err := riverdaily.Add(workers, riverCfg, cfg.Daily); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(s.pool), riverCfg)
	if err != nil {
		return fmt.Errorf("pgstore: river client: %w", err)
	}
	// River's own work context is detached from ctx so that the stop below
	// is the one that cancels jobs, after which we wait for them.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return translate(err, "start queue")
	}
	rescue := func(ctx context.Context) { s.rescue(ctx, cfg) }
	if err := postjob.Serve(ctx, cfg.Heartbeat, rescue, cfg.StopTimeout, client.StopAndCancel); err != nil {
		return fmt.Errorf("pgstore: stop queue: %w", err)
	}
	return nil
}

// postOrderWorker is the one worker of the tally queue.
type postOrderWorker struct {
	river.WorkerDefaults[PostOrderArgs]
	store  *Store
	poster service.OrderPoster
	cfg    QueueConfig
}

// Work implements river.Worker.
func (w *postOrderWorker) Work(ctx context.Context, job *river.Job[PostOrderArgs]) error {
	conn, err := w.store.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection for the post lock: %w", err)
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, w.cfg.LockKey).Scan(&locked); err != nil {
		conn.Release()
		return fmt.Errorf("take the post lock: %w", err)
	}
	if !locked {
		conn.Release()
		return river.JobSnooze(w.cfg.LockRetry)
	}
	defer func() {
		// Unlock on the same session. If that fails the connection's state is
		// unknown, so close it instead of returning it to the pool: ending the
		// session is what releases a session lock for sure.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		var released bool
		if err := conn.QueryRow(uctx, `SELECT pg_advisory_unlock(hashtext($1))`, w.cfg.LockKey).Scan(&released); err != nil || !released {
			_ = conn.Hijack().Close(uctx)
			return
		}
		conn.Release()
	}()

	// The lock lives as long as its session. If the session dies (a
	// database restart, a failover, an idle timeout) another replica can
	// take the lock at once, so watch it and stop this post's next step
	// within half a second of the loss. That narrows, but cannot close, a
	// window in which two replicas post: a lock without fencing cannot
	// promise more. Nothing is duplicated in it (each order has one job and
	// its voucher one REMOTEID), and Tally itself still answers one request
	// at a time. A Tally write already sent runs to its end (the client does
	// not cut writes short); what stops is the step after it.
	pctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	// A pgx connection is not safe for concurrent use: the watchdog must
	// be gone before the deferred unlock above uses the connection.
	defer func() { stop(); <-watched }()
	go func() {
		defer close(watched)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-t.C:
				if err := conn.Ping(pctx); err != nil && pctx.Err() == nil {
					w.cfg.Logger.Warn("post lock session lost; stopping the post", "order_id", job.Args.OrderID, "error", err)
					stop()
					return
				}
			}
		}
	}()
	// The heartbeat outlives pctx on purpose: after a lost lock session
	// the post stops at its next step, but a Tally write in flight runs to
	// its end, and until PostOrder returns the order is not a dead one.
	beat := func(ctx context.Context) error { return translate(w.store.beat(ctx, job.Args.OrderID), "heartbeat") }
	if err := postjob.Post(ctx, pctx, w.cfg.Heartbeat, beat, w.poster.PostOrder, job.Args.OrderID); err != nil {
		return err
	}
	return w.complete(ctx, job)
}

// complete finishes a job whose PostOrder returned nil, unless the order went
// back to received meanwhile (POST /orders/{id}/retry while this job ran).
// That retry's enqueue was skipped as a duplicate of this still-running job,
// so completing would strand the order. The order row is locked, and the job
// completed in the same transaction, so a retry either commits first (and we
// see received and snooze, to run the order again) or waits for our commit
// (and then finds this job completed and inserts its own).
func (w *postOrderWorker) complete(ctx context.Context, job *river.Job[PostOrderArgs]) error {
	var again bool
	err := pgx.BeginFunc(ctx, w.store.pool, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM orders WHERE id = $1 FOR UPDATE`, job.Args.OrderID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			state = "" // the order is gone: nothing to post, complete the job
		} else if err != nil {
			return err
		}
		if service.OrderState(state) == service.OrderReceived {
			again = true
			return nil
		}
		_, err = river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
	if err != nil {
		return fmt.Errorf("complete post_order job: %w", err)
	}
	if again {
		return river.JobSnooze(w.cfg.LockRetry)
	}
	return nil
}

// WakeQueue makes every order job waiting for its next attempt due now, in
// the order the jobs were queued (store/queuewake); it returns how many.
func (s *Store) WakeQueue(ctx context.Context) (int, error) {
	n, err := queuewake.Wake(ctx, s.inserter, QueueName, JobKindPostOrder)
	return n, translate(err, "wake queue")
}
