package postjob_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/postjob"
)

func TestPost(t *testing.T) {
	t.Parallel()
	dbDown := errors.New("database down")
	tallyRefused := &service.Error{Kind: service.Upstream, Code: "tally_rejected"}
	for _, tc := range []struct {
		name       string
		beat, post error
		posted     bool          // post was called
		snooze     time.Duration // -1: no snooze
		want       error         // errors.Is target when not a snooze
	}{
		{"posted", nil, nil, true, -1, nil},
		{"retry later", nil, &service.RetryLater{After: 3 * time.Second}, true, 3 * time.Second, nil},
		{"retry now", nil, &service.RetryLater{After: -time.Second}, true, 0, nil},
		{"failed", nil, tallyRefused, true, -1, tallyRefused},
		// The first beat is the move to posting (the store stamps it); a
		// failing beat after it is the rescuer's business, not the post's.
		{"beat fails", dbDown, nil, true, -1, nil},
	} {
		posted := false
		err := postjob.Post(t.Context(), t.Context(), time.Hour,
			func(context.Context) error { return tc.beat },
			func(_ context.Context, id string) error {
				posted = id == "order-1"
				return tc.post
			}, "order-1")
		if posted != tc.posted {
			t.Errorf("%s: posted = %v, want %v", tc.name, posted, tc.posted)
		}
		snooze, isSnooze := errors.AsType[*rivertype.JobSnoozeError](err)
		switch {
		case tc.snooze >= 0 && (!isSnooze || snooze.Duration != tc.snooze):
			t.Errorf("%s: err = %v, want a snooze of %v", tc.name, err, tc.snooze)
		case tc.snooze < 0 && (isSnooze || !errors.Is(err, tc.want)):
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := postjob.Backoff{Max: time.Minute}
	for _, tc := range []struct {
		errors int
		want   time.Duration
	}{{0, time.Second}, {1, 2 * time.Second}, {5, 32 * time.Second}, {6, time.Minute}, {19, time.Minute}, {64, time.Minute}} {
		before := time.Now()
		got := p.NextRetry(&rivertype.JobRow{Errors: make([]rivertype.AttemptError, tc.errors)}).Sub(before)
		// NextRetry adds to its own time.Now: allow the moment between.
		if got < tc.want || got > tc.want+time.Second {
			t.Errorf("after %d errors: retry in %v, want %v", tc.errors, got, tc.want)
		}
	}
}

func TestRescued(t *testing.T) {
	t.Parallel()
	done, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		ids  []string
		err  error
		want []string // the lines' messages
	}{
		{"two rescued", t.Context(), []string{"a", "b"}, nil, []string{
			"order left posting by a dead worker; rescued, it reads Tally back before posting",
			"order left posting by a dead worker; rescued, it reads Tally back before posting"}},
		{"none", t.Context(), nil, nil, nil},
		{"failed", t.Context(), nil, errors.New("database down"), []string{"rescuing orders of a dead worker failed"}},
		{"failed at shutdown", done, nil, context.Canceled, nil},
	} {
		var got []string
		logger := slog.New(recorder{msgs: &got})
		postjob.Rescued(tc.ctx, logger, tc.ids, tc.err)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: logged %q, want %q", tc.name, got, tc.want)
		}
	}
}

// recorder is a slog.Handler that keeps each record's message.
type recorder struct{ msgs *[]string }

func (r recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r recorder) Handle(_ context.Context, rec slog.Record) error {
	*r.msgs = append(*r.msgs, rec.Message)
	return nil
}
func (r recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r recorder) WithGroup(string) slog.Handler      { return r }
