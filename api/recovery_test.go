package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
)

// crashKey puts every idempotency record back in flight, leased far ahead,
// as a request killed (kill -9) after storing its order leaves it.
func crashKey(t *testing.T, b *testBundle) {
	t.Helper()
	b.exec(t,
		`UPDATE idempotency_keys SET state = 'in_progress', response_status = NULL, response_headers = NULL,
			response_body = NULL, locked_until = '2100-01-01T00:00:00Z'`,
		`UPDATE idempotency_keys SET state = 'in_progress', response_status = NULL, response_headers = NULL,
			response_body = NULL, locked_until = 4102444800000000000`)
}

// TestIdempotencyKeyAfterCrash: a retry of a key whose request died after
// storing (and posting) its order answers from the order at once, 201 with
// what was posted, instead of 409 idempotency_key_in_flight until the
// lease runs out; and nothing is stored or posted again.
func TestIdempotencyKeyAfterCrash(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		key := map[string]string{"Idempotency-Key": "crash-1"}
		first := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder, headers: key})
		if first.status != http.StatusCreated {
			t.Fatalf("first POST: %d %s", first.status, first.body)
		}
		crashKey(t, b)

		retry := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder, headers: key})
		if retry.status != http.StatusCreated || retry.header.Get("Idempotent-Replayed") != "true" ||
			retry.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("retry after the crash: %d %v\n%s", retry.status, retry.header, retry.body)
		}
		var res api.OrderResponse
		_ = json.Unmarshal(retry.body, &res)
		if res.RemoteID == "" || countVouchers(t, b, res.RemoteID) != 1 {
			t.Fatalf("retry answered %+v; want the order posted once", res)
		}
		var list api.OrderListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/orders"}).body, &list)
		if len(list.Orders) != 1 || list.Orders[0].Attempts != 1 {
			t.Fatalf("orders after the retry: %+v; want the one order, posted by one attempt", list.Orders)
		}
		// Another body under the key is still refused.
		other := b.do(t, call{method: http.MethodPost, target: "/orders", headers: key,
			body: `{"order_ref": "WA-2002", "party": {"name": "Priya Textiles"}, "lines": [{"item": "Cotton saree", "quantity": "1", "rate": "1250.00"}]}`})
		if other.status != http.StatusUnprocessableEntity {
			t.Fatalf("another body under the crashed key: %d %s", other.status, other.body)
		}
	})
}

// TestIdempotencyKeyInFlightStored: a repeat of a key whose order is stored
// but not posted (Tally is down) answers 202 from the order rather than 409.
func TestIdempotencyKeyInFlightStored(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		_ = b.sim.Close()
		key := map[string]string{"Idempotency-Key": "crash-2", "Prefer": "respond-async"}
		first := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder, headers: key})
		if first.status != http.StatusAccepted {
			t.Fatalf("first POST: %d %s", first.status, first.body)
		}
		crashKey(t, b)
		retry := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder, headers: key})
		if retry.status != http.StatusAccepted || retry.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("retry while in flight: %d %v\n%s", retry.status, retry.header, retry.body)
		}
		var st api.OrderStatusResponse
		_ = json.Unmarshal(retry.body, &st)
		if st.ID == "" || st.BillRef != "WA-2001" {
			t.Fatalf("retry answered %s; want the stored order's state", retry.body)
		}
	})
}

// TestDeadWorkerRescued: an order left posting by a worker that died after
// Tally took the voucher (its job still running, for River, for minutes) is
// rescued within the rescue interval, and the rescued attempt reads Tally
// back instead of posting a second voucher.
func TestDeadWorkerRescued(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		const rescueAfter = 300 * time.Millisecond
		b := setup(t, setupOpts{durable: store, rescueAfter: rescueAfter})
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		if r.status != http.StatusCreated {
			t.Fatalf("POST /orders: %d %s", r.status, r.body)
		}
		var res api.OrderResponse
		_ = json.Unmarshal(r.body, &res)

		// The crash: Tally has the voucher, but the order is still posting
		// with no heartbeat, and its job is running on a worker now gone.
		st := crashAfterTally(t, b, r.header.Get("Location"), rescueAfter)
		if st.State != "posted" || st.Attempts != 2 || countVouchers(t, b, res.RemoteID) != 1 {
			t.Fatalf("rescued order: attempts %d, %d vouchers; want the read-back attempt and one voucher",
				st.Attempts, countVouchers(t, b, res.RemoteID))
		}
		var il api.ImportListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/imports?order_id=" + st.ID}).body, &il)
		if len(il.Imports) != 1 {
			t.Fatalf("imports after the rescue: %d; want the first write only (the rescue read back)", len(il.Imports))
		}
	})
}

// crashAfterTally leaves the record at location as a worker that died after
// Tally answered leaves it: posting, without a heartbeat or an outcome, its
// job running on a worker now gone (every job is marked running; the others
// find their records final and do nothing). It returns the record once the
// queue's rescue has brought it to a final state.
func crashAfterTally(t *testing.T, b *testBundle, location string, rescueAfter time.Duration) api.OrderStatusResponse {
	t.Helper()
	id := strings.TrimPrefix(location, "/orders/")
	q := `UPDATE orders SET state = 'posting', result = NULL, posted_at = NULL, heartbeat_at = NULL WHERE id = '` + id + `'`
	b.exec(t, q, q)
	b.exec(t, `UPDATE river_job SET state = 'running', finalized_at = NULL, attempted_at = now()`,
		`UPDATE river_job SET state = 'running', finalized_at = NULL`)
	crashed := time.Now()
	for {
		var st api.OrderStatusResponse
		_ = json.Unmarshal(b.do(t, call{target: location}).body, &st)
		switch st.State {
		case "posted", "rejected", "needs_attention":
			return st
		}
		// The bound only catches a rescue that never comes: how soon it
		// comes is the rescue interval's business (measured, not asserted,
		// since a loaded CI machine stretches every wait).
		if time.Since(crashed) > 60*time.Second {
			t.Fatalf("%s still %s %v after the crash; want it rescued (rescue interval %v)", location, st.State, time.Since(crashed), rescueAfter)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
