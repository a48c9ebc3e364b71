package main

import (
	"context"
	"log/slog"
	"slices"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
)

// observedStore is the store as the service sees it, with the order queue's
// state changes logged and counted on their way. Every change is the store's
// compare-and-set on the record's state, which succeeds once, so each event
// (retry scheduled, needs attention, posted, rejected) is logged once,
// whichever replica or redelivered job made it, and a failed or conflicting
// transition (nothing changed) is not an event.
type observedStore struct {
	service.Store
	log     *slog.Logger
	observe func(api.QueueEvent)
}

func (o *observedStore) TransitionOrder(ctx context.Context, id string, from []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	rec, err := o.Store.TransitionOrder(ctx, id, from, t)
	if err == nil {
		o.record(ctx, from, t, rec)
	}
	return rec, err
}

// record logs and counts one transition that happened.
func (o *observedStore) record(ctx context.Context, from []service.OrderState, t service.OrderTransition, rec service.OrderRecord) {
	kind := service.RecordKind(rec)
	noun := recordNoun(kind)
	attrs := []slog.Attr{slog.String("kind", kind), slog.String("order_id", rec.ID), slog.String("ref", rec.Ref),
		slog.Int("attempts", rec.Attempts)}
	failed := append(attrs, slog.String("code", rec.LastErrorCode), slog.String("error", rec.LastError))
	var event string
	switch {
	case t.To == service.OrderPosting && t.AddAttempt:
		event = "attempt"
		o.log.LogAttrs(ctx, slog.LevelDebug, noun+" attempt", attrs...)
	case t.To == service.OrderReceived && slices.Contains(from, service.OrderPosting):
		event = "retry"
		o.log.LogAttrs(ctx, slog.LevelWarn, noun+" retry scheduled", append(failed, slog.Time("next_attempt_at", rec.NextAttemptAt))...)
	case t.To == service.OrderReceived:
		o.log.LogAttrs(ctx, slog.LevelInfo, noun+" queued again", append(attrs, slog.String("was", string(firstOr(from))))...)
	case t.To == service.OrderPosted:
		event = "posted"
		o.log.LogAttrs(ctx, slog.LevelInfo, noun+" posted", append(attrs, slog.String("party", rec.Party))...)
	case t.To == service.OrderRejected:
		event = "rejected"
		o.log.LogAttrs(ctx, slog.LevelWarn, noun+" rejected", failed...)
	case t.To == service.OrderNeedsAttention:
		event = "needs_attention"
		o.log.LogAttrs(ctx, slog.LevelError, noun+" needs attention", failed...)
	}
	if event != "" && o.observe != nil {
		o.observe(api.QueueEvent{Kind: kind, Event: event})
	}
}

// recordNoun is how a log line names a record of a kind.
func recordNoun(kind string) string {
	switch kind {
	case service.KindReceipt:
		return "receipt"
	case service.KindCancel:
		return "cancellation"
	}
	return "order"
}

func firstOr(states []service.OrderState) service.OrderState {
	if len(states) == 0 {
		return ""
	}
	return states[0]
}
