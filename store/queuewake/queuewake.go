// Package queuewake makes the order jobs of a River queue that wait for
// their next attempt due now: once Tally answers again after an outage,
// waiting orders are posted at once, not at their next backoff step
// (service.Service.WatchTally). Both stores use it on their own River
// client.
package queuewake

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// max bounds the jobs woken by one call. Beyond it the rest keep their
// schedule; the ones woken keep the worker busy far longer than it takes
// the next call to come.
const max = 10_000

// Wake makes every job of kind in queue that waits for a later attempt
// (snoozed, or retryable after an error) available now, oldest job first,
// with River's JobRetry, so that the worker takes them in the order they
// were queued. A job that finished meanwhile and is made available again
// is harmless: the poster finds its order final and does nothing. It
// returns how many jobs it woke.
func Wake[TTx any](ctx context.Context, c *river.Client[TTx], queue, kind string) (int, error) {
	res, err := c.JobList(ctx, river.NewJobListParams().Queues(queue).Kinds(kind).
		States(rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(max))
	if err != nil {
		return 0, fmt.Errorf("list waiting jobs: %w", err)
	}
	for i, j := range res.Jobs {
		if _, err := c.JobRetry(ctx, j.ID); err != nil {
			return i, fmt.Errorf("wake job %d: %w", j.ID, err)
		}
	}
	return len(res.Jobs), nil
}
