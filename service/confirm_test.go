package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// outbox is a ConfirmStore over maps: what Appearing reads and what it adds.
type outbox struct {
	orders map[string]service.OrderRecord
	added  []service.InvoiceConfirmation
}

func (o *outbox) AddConfirmations(_ context.Context, cs []service.InvoiceConfirmation) error {
	o.added = append(o.added, cs...)
	return nil
}
func (o *outbox) PendingConfirmations(context.Context, string, int) ([]service.InvoiceConfirmation, error) {
	return nil, nil
}
func (o *outbox) ListConfirmations(context.Context, string, int) ([]service.InvoiceConfirmation, error) {
	return o.added, nil
}
func (o *outbox) FinishConfirmation(context.Context, service.ConfirmationOutcome) error { return nil }
func (o *outbox) MirrorVouchersHeld(context.Context, string, []int64) ([]int64, error) {
	return nil, nil
}
func (o *outbox) MirrorLedger(context.Context, string, string) (service.MirrorLedger, service.Paise, error) {
	return service.MirrorLedger{Name: "Rajesh Enterprises", Mobile: service.NormalizeMobile("9820012345")}, 0, nil
}
func (o *outbox) OrdersByRemoteID(_ context.Context, ids []string) (map[string]service.OrderRecord, error) {
	out := map[string]service.OrderRecord{}
	for _, id := range ids {
		if r, ok := o.orders[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

// TestConfirmationsLeaveToldOrders: with order confirmations on, the invoice
// of a WhatsApp order its own confirmation told (posted within 24 hours of
// the message, or about to be: still posting) is recorded as already sent;
// one posted later, an API order's and a clerk's are to be sent. With order
// confirmations off, every one is.
func TestConfirmationsLeaveToldOrders(t *testing.T) {
	t.Parallel()
	now := today.Add(10 * time.Hour)
	rid := func(key string) string { return service.RemoteID(service.RemoteIDNamespace, key) }
	order := func(key, source string, state service.OrderState, created, posted time.Time) service.OrderRecord {
		return service.OrderRecord{ID: rid(key), RemoteID: rid(key), Source: source, State: state, CreatedAt: created, PostedAt: posted}
	}
	orders := map[string]service.OrderRecord{}
	for _, o := range []service.OrderRecord{
		order("told", service.SourceWhatsApp, service.OrderPosted, now.Add(-2*time.Hour), now.Add(-time.Hour)),
		order("posting", service.SourceWhatsApp, service.OrderPosting, now.Add(-time.Hour), time.Time{}),
		order("late", service.SourceWhatsApp, service.OrderPosted, now.Add(-30*time.Hour), now.Add(-time.Hour)),
		order("api", "api", service.OrderPosted, now.Add(-time.Hour), now),
		order("marked", service.SourceWhatsApp, service.OrderPosted, now.Add(-time.Hour), now),
	} {
		orders[o.RemoteID] = o
	}
	sale := func(id int64, remoteID, narration string) service.MirrorVoucher {
		return service.MirrorVoucher{MasterID: id, Type: "Sales", RemoteID: remoteID, Narration: narration, Date: today,
			Party: "Rajesh Enterprises", Entries: []service.MirrorEntry{{Ledger: "Rajesh Enterprises", Amount: -100}, {Ledger: "Sales", Amount: 100}}}
	}
	vs := []service.MirrorVoucher{sale(1, rid("told"), ""), sale(2, rid("posting"), ""), sale(3, rid("late"), ""),
		sale(4, rid("api"), ""), sale(5, "", ""), sale(6, "rewritten-by-tally", "WhatsApp order WA-9 [tallyfacade:"+rid("marked")+"]")}
	for _, tc := range []struct {
		name    string
		confirm service.Sender
		want    map[int64]string
	}{
		{"order confirmations on", &recordingSender{}, map[int64]string{1: service.ConfirmAlreadySent, 2: service.ConfirmAlreadySent,
			3: service.ConfirmPending, 4: service.ConfirmPending, 5: service.ConfirmPending, 6: service.ConfirmAlreadySent}},
		{"order confirmations off", nil, map[int64]string{1: service.ConfirmPending, 2: service.ConfirmPending,
			3: service.ConfirmPending, 4: service.ConfirmPending, 5: service.ConfirmPending, 6: service.ConfirmPending}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			box := &outbox{orders: orders}
			svc := service.New(newFake(), service.Config{Company: "ABC Traders", Store: newMemStore(),
				Now: func() time.Time { return now }, WhatsApp: service.WhatsAppConfig{Confirm: tc.confirm}})
			c := service.NewConfirmations(svc, box, service.ConfirmConfig{Sender: &recordingSender{}})
			if err := c.Appearing(t.Context(), "ABC Traders", vs); err != nil {
				t.Fatal(err)
			}
			got := map[int64]string{}
			for _, ic := range box.added {
				got[ic.VoucherID] = ic.Status
			}
			for id, want := range tc.want {
				if got[id] != want {
					t.Errorf("voucher %d: %q; want %q", id, got[id], want)
				}
			}
		})
	}
}
