package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
)

// transitionStore answers TransitionOrder with the record it is given, or
// with a Conflict, as a store's compare-and-set does.
type transitionStore struct {
	service.Store
	rec      service.OrderRecord
	conflict bool
}

func (s *transitionStore) TransitionOrder(_ context.Context, _ string, _ []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	if s.conflict {
		return service.OrderRecord{}, service.Errorf(service.Conflict, "order_state", "order is posted")
	}
	r := s.rec
	r.State = t.To
	return r, nil
}

// TestQueueEventsLoggedOnce: each state change the store makes is one log
// line and one metric event; a transition the store refused is neither.
func TestQueueEventsLoggedOnce(t *testing.T) {
	t.Parallel()
	posting := []service.OrderState{service.OrderPosting}
	order := service.OrderRecord{ID: "o-1", Ref: "WA-1001", Attempts: 3, LastErrorCode: "tally_unreachable",
		LastError: "Tally's gateway is not reachable.", Request: []byte(`{"company":"ABC Traders"}`)}
	receipt := order
	receipt.Request = []byte(`{"kind":"receipt"}`)
	cancel := order
	cancel.Request = []byte(`{"kind":"cancel"}`)
	for _, tc := range []struct {
		name      string
		rec       service.OrderRecord
		conflict  bool
		from      []service.OrderState
		t         service.OrderTransition
		level     string
		msg       string
		wantEvent string
	}{
		{"attempt", order, false, []service.OrderState{service.OrderReceived}, service.OrderTransition{To: service.OrderPosting, AddAttempt: true}, "DEBUG", "order attempt", "attempt"},
		{"retry", order, false, posting, service.OrderTransition{To: service.OrderReceived, NextAttemptAt: &time.Time{}}, "WARN", "order retry scheduled", "retry"},
		{"posted", order, false, posting, service.OrderTransition{To: service.OrderPosted}, "INFO", "order posted", "posted"},
		{"receipt posted", receipt, false, posting, service.OrderTransition{To: service.OrderPosted}, "INFO", "receipt posted", "posted"},
		{"cancellation posted", cancel, false, posting, service.OrderTransition{To: service.OrderPosted}, "INFO", "cancellation posted", "posted"},
		{"rejected", order, false, posting, service.OrderTransition{To: service.OrderRejected}, "WARN", "order rejected", "rejected"},
		{"needs attention", order, false, posting, service.OrderTransition{To: service.OrderNeedsAttention}, "ERROR", "order needs attention", "needs_attention"},
		{"retried by a person", order, false, []service.OrderState{service.OrderNeedsAttention}, service.OrderTransition{To: service.OrderReceived, Enqueue: true}, "INFO", "order queued again", ""},
		{"party created mid-attempt", order, false, posting, service.OrderTransition{To: service.OrderPosting}, "", "", ""},
		{"refused by the store", order, true, posting, service.OrderTransition{To: service.OrderPosted}, "", "", ""},
	} {
		var buf bytes.Buffer
		var events []api.QueueEvent
		o := &observedStore{Store: &transitionStore{rec: tc.rec, conflict: tc.conflict},
			log:     slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
			observe: func(e api.QueueEvent) { events = append(events, e) }}
		_, _ = o.TransitionOrder(t.Context(), tc.rec.ID, tc.from, tc.t)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if tc.msg == "" {
			if buf.Len() != 0 || len(events) != 0 {
				t.Errorf("%s: logged %q, events %v; want nothing", tc.name, buf.String(), events)
			}
			continue
		}
		var line map[string]any
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil || line["msg"] != tc.msg || line["level"] != tc.level ||
			line["order_id"] != "o-1" || line["ref"] != "WA-1001" {
			t.Errorf("%s: logged %q; want one %s line %q", tc.name, buf.String(), tc.level, tc.msg)
		}
		if (tc.level == "WARN" || tc.level == "ERROR") && line["code"] != "tally_unreachable" {
			t.Errorf("%s: a failure's line lacks its code: %v", tc.name, line)
		}
		switch {
		case tc.wantEvent == "" && len(events) != 0:
			t.Errorf("%s: events %v; want none", tc.name, events)
		case tc.wantEvent != "" && (len(events) != 1 || events[0].Event != tc.wantEvent || events[0].Kind != service.RecordKind(tc.rec)):
			t.Errorf("%s: events %v; want one %s", tc.name, events, tc.wantEvent)
		}
	}
}
