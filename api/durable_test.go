package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

const durableOrder = `{"order_ref": "WA-2001", "party": {"name": "Priya Textiles"},
	"lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`

func countVouchers(t *testing.T, b *testBundle, remoteID string) int {
	t.Helper()
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	n := 0
	for _, v := range demo.Vouchers() {
		if v.RemoteID == remoteID {
			n++
		}
	}
	return n
}

// TestDurableOrderPosted: with a store, an order is stored, posted by the
// queue and answered 201 within the wait, with a Location to the order.
func TestDurableOrderPosted(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		if r.status != http.StatusCreated || !strings.HasPrefix(r.header.Get("Location"), "/orders/") || r.header.Get("Idempotency") != "none" {
			t.Fatalf("POST /orders: %d %v\n%s", r.status, r.header, r.body)
		}
		var res api.OrderResponse
		_ = json.Unmarshal(r.body, &res)
		if res.Amounts.Total.String() != "2625.00" || countVouchers(t, b, res.RemoteID) != 1 {
			t.Fatalf("order %+v; want 2,625.00 posted once", res)
		}
		got := b.do(t, call{target: r.header.Get("Location")})
		var st api.OrderStatusResponse
		_ = json.Unmarshal(got.body, &st)
		if got.status != http.StatusOK || st.State != "posted" || st.Result == nil || st.Attempts != 1 {
			t.Fatalf("GET order: %d %s", got.status, got.body)
		}
		imports := b.do(t, call{target: "/imports?order_id=" + st.ID})
		var il api.ImportListResponse
		_ = json.Unmarshal(imports.body, &il)
		if len(il.Imports) != 1 || il.Imports[0].Result != "ok" || il.Imports[0].Counters.Created != 1 {
			t.Fatalf("imports: %s", imports.body)
		}
		one := b.do(t, call{target: "/imports/" + jsonNumber(il.Imports[0].ID)})
		if !strings.Contains(string(one.body), "REMOTEID") || !strings.Contains(string(one.body), "CREATED") {
			t.Fatalf("GET import lacks what was sent and what Tally said: %s", one.body)
		}
	})
}

// forEachStore runs a test on the embedded store and on PostgreSQL (when
// TEST_DATABASE_URL or Docker provides one).
func forEachStore(t *testing.T, f func(t *testing.T, store string)) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			f(t, store)
		})
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestIdempotencyKey: 50 concurrent identical requests with one key give one
// order and one voucher; the same key with another body is 422; a replay says
// so. The order has no order_ref, so nothing but the key can dedupe it.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		const order = `{"party": {"name": "Priya Textiles"},
			"lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`
		key := map[string]string{"Idempotency-Key": `"order-2001"`}
		var wg sync.WaitGroup
		replies := make(chan reply, 50)
		for range 50 {
			wg.Go(func() {
				replies <- b.do(t, call{method: http.MethodPost, target: "/orders", body: order, headers: key})
			})
		}
		wg.Wait()
		close(replies)
		counts, guarded := map[int]int{}, 0
		for r := range replies {
			counts[r.status]++
			if r.status == http.StatusConflict || r.header.Get("Idempotent-Replayed") == "true" {
				guarded++
			}
		}
		if counts[http.StatusCreated]+counts[http.StatusConflict] != 50 || guarded < 49 {
			t.Fatalf("statuses %v, %d answered by the key; want one run and 49 conflicts or replays", counts, guarded)
		}
		replay := b.do(t, call{method: http.MethodPost, target: "/orders", body: order, headers: key})
		if replay.status != http.StatusCreated || replay.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %v", replay.status, replay.header)
		}
		var res api.OrderResponse
		_ = json.Unmarshal(replay.body, &res)
		if n := countVouchers(t, b, res.RemoteID); n != 1 {
			t.Fatalf("%d vouchers with REMOTEID %s; want exactly 1", n, res.RemoteID)
		}
		var list api.OrderListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/orders"}).body, &list)
		if len(list.Orders) != 1 {
			t.Fatalf("%d orders stored; want 1", len(list.Orders))
		}
		other := b.do(t, call{method: http.MethodPost, target: "/orders", headers: key,
			body: strings.Replace(order, `"quantity": "2"`, `"quantity": "3"`, 1)})
		if other.status != http.StatusUnprocessableEntity || !strings.Contains(string(other.body), "idempotency_key_reused") {
			t.Fatalf("same key, other body: %d %s", other.status, other.body)
		}
		bad := b.do(t, call{method: http.MethodPost, target: "/orders", body: order, headers: map[string]string{"Idempotency-Key": "a b"}})
		if bad.status != http.StatusBadRequest {
			t.Fatalf("malformed key: %d", bad.status)
		}
	})
}

// TestDurableOrderWhileTallyIsDown: Tally refuses connections; the order is
// accepted (202, stored), waits, and is posted once Tally comes back, once.
func TestDurableOrderWhileTallyIsDown(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store, orderWait: 300 * time.Millisecond})
		b.sim.SetFault(tallysim.Refuse)
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		var st api.OrderStatusResponse
		_ = json.Unmarshal(r.body, &st)
		if r.status != http.StatusAccepted || st.State == "posted" || r.header.Get("Location") != "/orders/"+st.ID {
			t.Fatalf("POST while Tally is down: %d %s", r.status, r.body)
		}
		b.sim.SetFault(tallysim.NoFault)
		deadline := time.Now().Add(10 * time.Second)
		for st.State != "posted" && st.State != "needs_attention" && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			_ = json.Unmarshal(b.do(t, call{target: "/orders/" + st.ID}).body, &st)
		}
		if st.State == "needs_attention" {
			retried := b.do(t, call{method: http.MethodPost, target: "/orders/" + st.ID + "/retry"})
			if retried.status != http.StatusAccepted {
				t.Fatalf("retry: %d %s", retried.status, retried.body)
			}
			for st.State != "posted" && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
				_ = json.Unmarshal(b.do(t, call{target: "/orders/" + st.ID}).body, &st)
			}
		}
		if st.State != "posted" || countVouchers(t, b, st.RemoteID) != 1 {
			t.Fatalf("order %+v, %d vouchers; want posted exactly once", st, countVouchers(t, b, st.RemoteID))
		}
		async := b.do(t, call{method: http.MethodPost, target: "/orders", headers: map[string]string{"Prefer": "respond-async"},
			body: strings.Replace(durableOrder, "WA-2001", "WA-2002", 1)})
		if async.status != http.StatusAccepted {
			t.Fatalf("respond-async: %d", async.status)
		}
		list := b.do(t, call{target: "/orders?state=posted"})
		if !strings.Contains(string(list.body), st.ID) {
			t.Fatalf("GET /orders?state=posted lacks the order: %s", list.body)
		}
	})
}

// TestTallyHangDoesNotBlockReads: a modal dialog on the Tally PC hangs the
// gateway while the queue is posting. Reads that need Tally fail fast as
// busy (503, Retry-After) instead of hanging, and reads that need only the
// store answer at once.
func TestTallyHangDoesNotBlockReads(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store, orderWait: 100 * time.Millisecond})
		b.sim.SetFault(tallysim.Hang)
		t.Cleanup(func() { b.sim.SetFault(tallysim.NoFault) })
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		if r.status != http.StatusAccepted {
			t.Fatalf("POST /orders while Tally hangs: %d %s", r.status, r.body)
		}
		start := time.Now()
		bal := b.do(t, call{target: "/parties/Rajesh%20Enterprises/balance"})
		if bal.status != http.StatusServiceUnavailable || bal.header.Get("Retry-After") == "" || time.Since(start) > 5*time.Second {
			t.Fatalf("balance while Tally hangs: %d after %v: %s", bal.status, time.Since(start), bal.body)
		}
		if list := b.do(t, call{target: "/orders"}); list.status != http.StatusOK {
			t.Fatalf("GET /orders while Tally hangs: %d", list.status)
		}
	})
}
