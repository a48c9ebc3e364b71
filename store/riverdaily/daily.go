// Package riverdaily is the daily jobs both stores run on their River queue
// (the reminder dispatch, the owner's sales summary): registered the same
// way on PostgreSQL and on SQLite, so it lives once.
package riverdaily

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/tallyfacade/tallyfacade/service"
)

// The daily job's names. Like the order queue's, they are part of the
// database's contents (river_job rows).
const (
	// JobKind is the River job kind of every daily job (the stores'
	// QueueConfig.Daily). It keeps the name of the first one, the reminder
	// dispatch, so the jobs already in a database still run; DailyArgs.Job
	// tells the jobs apart.
	JobKind = "daily_reminders"
	// QueueName is its River queue, apart from "tally" so that a long
	// dispatch never holds up order posting behind it.
	QueueName = "daily"
)

// dailyJobTimeout bounds one daily run: a dispatch is two Tally reads and a
// few seconds per party (retries included), far more than the order queue's
// JobTimeout allows.
const dailyJobTimeout = 30 * time.Minute

// DailyArgs are the arguments of a daily job: the day it is for
// (YYYY-MM-DD where the job's schedule is read) and the job's name
// (service.DailyJob.Name), which make it unique per job and day. The
// reminder dispatch's name is "", so its arguments are what they were
// before there were other daily jobs, and a day's job inserted by an older
// replica still counts as that day's.
type DailyArgs struct {
	Day string `json:"day"`
	Job string `json:"job,omitempty"`
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

// dailyWorker runs the configured daily jobs, by name.
type dailyWorker struct {
	river.WorkerDefaults[DailyArgs]
	runs map[string]func(ctx context.Context) error
}

// Timeout implements river.Worker: a dispatch may take longer than an order.
func (w *dailyWorker) Timeout(*river.Job[DailyArgs]) time.Duration { return dailyJobTimeout }

// Work implements river.Worker. A job no longer configured (its setting
// was removed) is cancelled rather than retried.
func (w *dailyWorker) Work(ctx context.Context, j *river.Job[DailyArgs]) error {
	run, ok := w.runs[j.Args.Job]
	if !ok {
		return river.JobCancel(fmt.Errorf("daily job %q is not configured", j.Args.Job))
	}
	return run(ctx)
}

// Add registers the daily jobs, their queue and their periodic schedules on
// a River configuration; no jobs adds nothing.
//
// Each schedule fires at its job's At each day in its Location. RunOnStart
// enqueues the current day when a scheduler starts after the day's time (a
// replica that was down at 09:00 catches up when it comes back at 11:00);
// before it, the constructor returns nil and the day is left to the
// schedule.
func Add(workers *river.Workers, cfg *river.Config, jobs []*service.DailyJob) error {
	if len(jobs) == 0 {
		return nil
	}
	w := &dailyWorker{runs: map[string]func(context.Context) error{}}
	for _, d := range jobs {
		if d == nil {
			return errors.New("nil daily job")
		}
		if d.Run == nil {
			return fmt.Errorf("daily job %q without Run", d.Name)
		}
		if d.At < 0 || d.At >= 24*time.Hour {
			return fmt.Errorf("daily job %q: time must be within the day (0 to 24h)", d.Name)
		}
		if _, dup := w.runs[d.Name]; dup {
			return fmt.Errorf("daily job %q twice", d.Name)
		}
		w.runs[d.Name] = d.Run
	}
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return err
	}
	cfg.Queues[QueueName] = river.QueueConfig{MaxWorkers: 1}
	for _, d := range jobs {
		job := *d
		id := JobKind
		if job.Name != "" {
			id += ":" + job.Name
		}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(job,
			func() (river.JobArgs, *river.InsertOpts) {
				day, ok := job.Due(time.Now())
				if !ok {
					return nil, nil
				}
				return DailyArgs{Day: day.Format(time.DateOnly), Job: job.Name}, nil
			},
			&river.PeriodicJobOpts{ID: id, RunOnStart: true}))
	}
	return nil
}
