package service_test

import (
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
)

// postedOrder submits and posts an order on the queue's service.
func postedOrder(t *testing.T, svc *service.Service, st *memStore, ref string) service.OrderRecord {
	t.Helper()
	rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder(ref, "Rajesh Enterprises"), "api", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	rec, _ = st.GetOrder(t.Context(), rec.ID)
	if rec.State != service.OrderPosted {
		t.Fatalf("order %+v; want posted", rec)
	}
	return rec
}

// TestCancelOrder: a posted order's voucher is cancelled through the
// pipeline, proven by reading back; a second cancel is the same
// cancellation; the order cannot be amended afterwards (a resend of its
// REMOTEID would un-cancel the voucher).
func TestCancelOrder(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	order := postedOrder(t, svc, st, "WA-C1")

	c, created, err := svc.CancelOrder(t.Context(), order.ID, "api")
	if err != nil || !created || c.State != service.OrderReceived || c.RemoteID == order.RemoteID {
		t.Fatalf("cancel = %+v, %v, %v; want a new cancellation with its own REMOTEID", c, created, err)
	}
	if err := svc.PostOrder(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = st.GetOrder(t.Context(), c.ID)
	res, ok := service.CancelResultOf(c)
	if c.State != service.OrderPosted || !ok || res.OrderID != order.ID || res.RemoteID != order.RemoteID || !f.cancelled[order.RemoteID] {
		t.Fatalf("cancellation %+v, result %+v; want posted, the order's voucher cancelled", c, res)
	}
	if _, ok := service.OrderResultOf(c); ok {
		t.Error("a cancellation reads as a sales order")
	}
	again, created, err := svc.CancelOrder(t.Context(), order.ID, "api")
	if err != nil || created || again.ID != c.ID || f.calls["CancelVoucher"] != 1 {
		t.Fatalf("cancel again = %+v, %v, %v, %d cancels; want the stored cancellation", again, created, err, f.calls["CancelVoucher"])
	}
	if _, _, err := svc.CancelOrder(t.Context(), c.ID, "api"); service.KindOf(err) != service.Invalid {
		t.Errorf("cancelling a cancellation: %v; want Invalid", err)
	}
	amend := sampleOrder("WA-C1", "Rajesh Enterprises")
	amend.Lines[0].Quantity, amend.Amend = dec("3"), true
	if _, _, err := svc.SubmitOrder(t.Context(), amend, "api", ""); err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("amending a cancelled order: %v; want order_cancelled", err)
	}
}

// TestCancelOnlyPosted: an order not yet posted cannot be cancelled.
func TestCancelOnlyPosted(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	rec, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("WA-C2", "Rajesh Enterprises"), "api", "")
	_, _, err := svc.CancelOrder(t.Context(), rec.ID, "api")
	if e, ok := service.AsError(err); !ok || e.Kind != service.Conflict || e.Code != "order_not_posted" {
		t.Fatalf("cancel of a received order: %v; want order_not_posted", err)
	}
	if _, _, err := svc.CancelOrder(t.Context(), "1b4e28ba-2fa1-4d2b-883f-0016d3cca427", "api"); service.KindOf(err) != service.NotFound {
		t.Fatalf("cancel of no order: %v; want NotFound", err)
	}
}

// TestCancelNotProven: a build that answers Cancel with a duplicate (the EDU
// Edit Log build, tally-protocol.md §9.4) leaves the voucher live; the
// cancellation needs attention, saying what was seen, and is never posted.
func TestCancelNotProven(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	order := postedOrder(t, svc, st, "WA-C3")
	f.cancelDuplicates = true
	c, _, err := svc.CancelOrder(t.Context(), order.ID, "api")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = st.GetOrder(t.Context(), c.ID)
	if c.State != service.OrderNeedsAttention || c.LastErrorCode != "cancel_not_proven" ||
		!strings.Contains(c.LastError, "CREATED=1") || !strings.Contains(c.LastError, "live") {
		t.Fatalf("cancellation %+v; want needs_attention saying Tally created a voucher and what is live", c)
	}
}

// TestCancelAfterCrash: the process died after Tally cancelled the voucher
// and before the store recorded it; the redelivered job reads back, finds
// the voucher cancelled and records it without sending a second cancel.
func TestCancelAfterCrash(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	order := postedOrder(t, svc, st, "WA-C4")
	c, _, _ := svc.CancelOrder(t.Context(), order.ID, "api")
	crashedAttempt(t, st, c.ID)
	f.cancelled[order.RemoteID] = true
	if err := svc.PostOrder(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = st.GetOrder(t.Context(), c.ID)
	if c.State != service.OrderPosted || f.calls["CancelVoucher"] != 0 || c.Attempts != 2 {
		t.Fatalf("cancellation %+v, calls %v; want posted by read-back, no cancel sent", c, f.calls)
	}
}

// TestCancelTimeout: a cancel whose answer is lost (applied or not) is read
// back on the next attempt, and sent again only when the voucher is live.
func TestCancelTimeout(t *testing.T) {
	t.Parallel()
	for _, applied := range []bool{true, false} {
		f, st := newFake(), newMemStore()
		svc := newQueueService(f, st)
		order := postedOrder(t, svc, st, "WA-C5")
		f.cancelErr = func() (error, bool) {
			return service.Errorf(service.Unavailable, "tally_outcome_unknown", "the connection broke"), applied
		}
		c, _, _ := svc.CancelOrder(t.Context(), order.ID, "api")
		if err := svc.PostOrder(t.Context(), c.ID); err == nil {
			t.Fatal("an attempt with no answer reported success")
		}
		f.cancelErr = nil
		if err := svc.PostOrder(t.Context(), c.ID); err != nil {
			t.Fatal(err)
		}
		c, _ = st.GetOrder(t.Context(), c.ID)
		wantCancels := 1
		if !applied {
			wantCancels = 2
		}
		if c.State != service.OrderPosted || f.calls["CancelVoucher"] != wantCancels || !f.cancelled[order.RemoteID] {
			t.Fatalf("applied %v: cancellation %+v, %d cancels; want posted after %d", applied, c, f.calls["CancelVoucher"], wantCancels)
		}
	}
}

// TestCancelVoucherGone: after a cancel whose answer was lost, the voucher
// is not in Tally at all (deleted by hand meanwhile): nothing proves a
// cancellation, so it needs attention instead of being reported done.
func TestCancelVoucherGone(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	order := postedOrder(t, svc, st, "WA-C6")
	c, _, _ := svc.CancelOrder(t.Context(), order.ID, "api")
	crashedAttempt(t, st, c.ID)
	delete(f.vouchers, order.RemoteID)
	if err := svc.PostOrder(t.Context(), c.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = st.GetOrder(t.Context(), c.ID)
	if c.State != service.OrderNeedsAttention || c.LastErrorCode != "cancel_not_proven" || !strings.Contains(c.LastError, "no voucher") {
		t.Fatalf("cancellation %+v; want needs_attention: no voucher found", c)
	}
}

// crashedAttempt leaves a record as an attempt that died half-way leaves it:
// posting, one attempt counted, no outcome recorded.
func crashedAttempt(t *testing.T, st *memStore, id string) {
	t.Helper()
	if _, err := st.TransitionOrder(t.Context(), id, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, AddAttempt: true}); err != nil {
		t.Fatal(err)
	}
}
