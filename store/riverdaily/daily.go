// Package riverdaily is the daily reminder job both stores run on their River
// queue: registered the same way on PostgreSQL and on SQLite, so it lives once.
package riverdaily

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/tallyfacade/tallyfacade/service"
)

// The daily job's names. Like the order queue's, they are part of the
// database's contents (river_job rows).
const (
	// JobKind is the River job kind of the daily reminder dispatch
	// (the stores' QueueConfig.Daily).
	JobKind = "daily_reminders"
	// QueueName is its River queue, apart from "tally" so that a long
	// dispatch never holds up order posting behind it.
	QueueName = "daily"
)

// dailyJobTimeout bounds one daily run: a dispatch is two Tally reads and a
// few seconds per party (retries included), far more than the order queue's
// JobTimeout allows.
const dailyJobTimeout = 30 * time.Minute

// DailyArgs are the arguments of a daily_reminders job: the day it is for
// (YYYY-MM-DD where the job's schedule is read), which makes the job unique
// per day.
type DailyArgs struct {
	Day string `json:"day"`
}

// Kind implements river.JobArgs.
func (DailyArgs) Kind() string { return JobKind }

// InsertOpts implements river.JobArgsWithInsertOpts. Unique by args (the
// day) in River's default states, which include completed: the periodic
// enqueuer runs only on the elected leader, but a new leader (another
// replica, a restart) starts its schedule afresh and, with RunOnStart,
// enqueues the day again; the unique day makes that insert a no-op once the
// day's job exists, so the dispatch runs once a day across replicas. A few
// attempts cover a Tally that is down at the scheduled time; a repeat sends
// nothing twice, since every reminder is claimed once a day.
func (DailyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// dailyWorker runs the configured daily job.
type dailyWorker struct {
	river.WorkerDefaults[DailyArgs]
	run func(ctx context.Context) error
}

// Timeout implements river.Worker: a dispatch may take longer than an order.
func (w *dailyWorker) Timeout(*river.Job[DailyArgs]) time.Duration { return dailyJobTimeout }

// Work implements river.Worker.
func (w *dailyWorker) Work(ctx context.Context, _ *river.Job[DailyArgs]) error { return w.run(ctx) }

// Add registers the daily job, its queue and its periodic schedule on a
// River configuration; nil d adds nothing.
//
// The schedule fires at d.At each day in d.Location. RunOnStart enqueues
// the current day when a scheduler starts after the day's time (a replica
// that was down at 09:00 catches up when it comes back at 11:00); before it,
// the constructor returns nil and the day is left to the schedule.
func Add(workers *river.Workers, cfg *river.Config, d *service.DailyJob) error {
	if d == nil {
		return nil
	}
	if d.Run == nil {
		return errors.New("daily job without Run")
	}
	if d.At < 0 || d.At >= 24*time.Hour {
		return errors.New("daily job time must be within the day (0 to 24h)")
	}
	job := *d
	if err := river.AddWorkerSafely(workers, &dailyWorker{run: job.Run}); err != nil {
		return err
	}
	cfg.Queues[QueueName] = river.QueueConfig{MaxWorkers: 1}
	cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(job,
		func() (river.JobArgs, *river.InsertOpts) {
			day, ok := job.Due(time.Now())
			if !ok {
				return nil, nil
			}
			return DailyArgs{Day: day.Format(time.DateOnly)}, nil
		},
		&river.PeriodicJobOpts{ID: JobKind, RunOnStart: true}))
	return nil
}
