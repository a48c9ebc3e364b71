package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// cancelledVouchers counts the simulator's vouchers with remoteID that are
// cancelled and that are live.
func cancelledVouchers(t *testing.T, b *testBundle, remoteID string) (cancelled, live int) {
	t.Helper()
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	for _, v := range demo.Vouchers() {
		switch {
		case v.RemoteID != remoteID:
		case v.Cancelled:
			cancelled++
		default:
			live++
		}
	}
	return cancelled, live
}

func receivablesTotal(t *testing.T, b *testBundle, party string) any {
	t.Helper()
	return field(t, b.do(t, call{target: "/receivables?party=" + party}).body, "total")
}

// TestCancelOrder: on both stores against the simulator, a posted order's
// voucher is cancelled (proven by reading back), its bill leaves
// receivables, a second cancel answers with the same cancellation and sends
// nothing, and the cancelled order cannot be amended.
func TestCancelOrder(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		before := receivablesTotal(t, b, "Priya%20Textiles")
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		if r.status != http.StatusCreated {
			t.Fatalf("POST /orders: %d %s", r.status, r.body)
		}
		var order api.OrderResponse
		_ = json.Unmarshal(r.body, &order)
		if receivablesTotal(t, b, "Priya%20Textiles") == before {
			t.Fatal("the order did not reach receivables")
		}

		c := b.do(t, call{method: http.MethodPost, target: r.header.Get("Location") + "/cancel"})
		var res api.CancelResponse
		_ = json.Unmarshal(c.body, &res)
		if c.status != http.StatusCreated || res.RemoteID != order.RemoteID || res.VoucherType != "Sales" ||
			c.header.Get("Location") != "/orders/"+res.ID || res.OrderID == res.ID {
			t.Fatalf("cancel: %d %v %s", c.status, c.header, c.body)
		}
		if cancelled, live := cancelledVouchers(t, b, order.RemoteID); cancelled != 1 || live != 0 {
			t.Fatalf("vouchers: %d cancelled, %d live; want the one voucher cancelled", cancelled, live)
		}
		if got := receivablesTotal(t, b, "Priya%20Textiles"); got != before {
			t.Errorf("receivables after the cancel: %v; want %v again", got, before)
		}

		again := b.do(t, call{method: http.MethodPost, target: r.header.Get("Location") + "/cancel"})
		if again.status != http.StatusCreated || field(t, again.body, "id") != res.ID {
			t.Fatalf("cancel again: %d %s; want the same cancellation", again.status, again.body)
		}
		var il api.ImportListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/imports?order_id=" + res.ID}).body, &il)
		if len(il.Imports) != 1 || il.Imports[0].RemoteID != order.RemoteID || il.Imports[0].Result != "ok" {
			t.Fatalf("imports of the cancellation: %+v; want one, for the order's voucher", il.Imports)
		}
		var st api.OrderStatusResponse
		_ = json.Unmarshal(b.do(t, call{target: "/orders/" + res.ID}).body, &st)
		if st.Kind != "cancel" || st.State != "posted" || st.Cancellation == nil || st.Result != nil {
			t.Fatalf("GET the cancellation: %+v", st)
		}
		amend := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "WA-2001", "amend": true,
			"party": {"name": "Priya Textiles"}, "lines": [{"item": "Cotton saree", "quantity": "3", "rate": "1250.00", "gst_rate": "5"}]}`})
		if amend.status != http.StatusConflict || field(t, amend.body, "code") != "order_cancelled" {
			t.Fatalf("amending the cancelled order: %d %s", amend.status, amend.body)
		}
		if nc := b.do(t, call{method: http.MethodPost, target: "/orders/" + res.ID + "/cancel"}); nc.status != http.StatusUnprocessableEntity {
			t.Errorf("cancelling a cancellation: %d %s", nc.status, nc.body)
		}
	})
}

// TestCancelNotPosted: an order Tally does not have yet cannot be
// cancelled; an unknown id is 404.
func TestCancelNotPosted(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	b.sim.SetFault(tallysim.Refuse)
	r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder,
		headers: map[string]string{"Prefer": "respond-async"}})
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /orders: %d %s", r.status, r.body)
	}
	c := b.do(t, call{method: http.MethodPost, target: r.header.Get("Location") + "/cancel"})
	if c.status != http.StatusConflict || field(t, c.body, "code") != "order_not_posted" {
		t.Fatalf("cancel of a queued order: %d %s", c.status, c.body)
	}
	if c := b.do(t, call{method: http.MethodPost, target: "/orders/0f8fad5b-d9cb-469f-a165-70867728950e/cancel"}); c.status != http.StatusNotFound {
		t.Fatalf("cancel of no order: %d %s", c.status, c.body)
	}
}

// TestCancelAfterCrash: on both stores, the process dies after Tally
// cancelled the voucher and before the cancellation was recorded (it is left
// posting, its job running on a worker now gone). The rescued attempt reads
// back, finds the voucher cancelled and records it: one cancel sent, one
// cancelled voucher, no second one.
func TestCancelAfterCrash(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		const rescueAfter = 300 * time.Millisecond
		b := setup(t, setupOpts{durable: store, rescueAfter: rescueAfter})
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		if r.status != http.StatusCreated {
			t.Fatalf("POST /orders: %d %s", r.status, r.body)
		}
		remoteID, _ := field(t, r.body, "remote_id").(string)
		c := b.do(t, call{method: http.MethodPost, target: r.header.Get("Location") + "/cancel"})
		if c.status != http.StatusCreated {
			t.Fatalf("cancel: %d %s", c.status, c.body)
		}
		id, _ := field(t, c.body, "id").(string)
		st := crashAfterTally(t, b, c.header.Get("Location"), rescueAfter)
		if st.State != "posted" || st.Attempts != 2 || st.Cancellation == nil {
			t.Fatalf("rescued cancellation: %+v; want posted by the read-back attempt", st)
		}
		if cancelled, live := cancelledVouchers(t, b, remoteID); cancelled != 1 || live != 0 {
			t.Fatalf("vouchers: %d cancelled, %d live; want one, cancelled", cancelled, live)
		}
		var il api.ImportListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/imports?order_id=" + id}).body, &il)
		if len(il.Imports) != 1 {
			t.Fatalf("imports after the rescue: %d; want the first cancel only (the rescue read back)", len(il.Imports))
		}
	})
}
