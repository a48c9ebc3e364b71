package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// storedOrders lists GET /orders.
func storedOrders(t *testing.T, b *testBundle) []map[string]any {
	t.Helper()
	r := b.do(t, call{target: "/orders"})
	var list struct {
		Orders []map[string]any `json:"orders"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("GET /orders: %d %s", r.status, r.body)
	}
	return list.Orders
}

// TestWriteToUnknownCompany: an order or receipt for a company Tally does
// not have is 404 unknown_company, as reads are, and nothing is stored.
func TestWriteToUnknownCompany(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setupReceipts(t, store, demoReceipts)
		for _, c := range []call{
			{method: http.MethodPost, target: "/orders?company=Nope", body: durableOrder},
			{method: http.MethodPost, target: "/receipts?company=Nope",
				body: `{"party": "Rajesh Enterprises", "amount": "100.00", "mode": "upi"}`},
		} {
			r := b.do(t, c)
			if r.status != http.StatusNotFound || field(t, r.body, "code") != "unknown_company" {
				t.Errorf("%s: %d %s; want 404 unknown_company", c.target, r.status, r.body)
			}
		}
		if got := storedOrders(t, b); len(got) != 0 {
			t.Fatalf("stored %d records for an unknown company: %v", len(got), got)
		}
	})
}

// TestOrderWithoutRefOrKeyIsNew: with neither order_ref nor Idempotency-Key,
// each request is a new order (a customer may order the same twice a day):
// two identical requests make two orders and two vouchers, and the answer
// says so.
func TestOrderWithoutRefOrKeyIsNew(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		const order = `{"party": {"name": "Priya Textiles"},
			"lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`
		var ids []string
		for range 2 {
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: order})
			var res api.OrderResponse
			_ = json.Unmarshal(r.body, &res)
			if r.status != http.StatusCreated || r.header.Get("Idempotency") != "none" || !strings.Contains(res.Message, "new order") {
				t.Fatalf("POST /orders: %d %v %s; want 201 saying it is a new order", r.status, r.header, r.body)
			}
			if n := countVouchers(t, b, res.RemoteID); n != 1 {
				t.Fatalf("%d vouchers with REMOTEID %s; want 1", n, res.RemoteID)
			}
			ids = append(ids, res.RemoteID)
		}
		if ids[0] == ids[1] || len(storedOrders(t, b)) != 2 {
			t.Fatalf("REMOTEIDs %v, %d orders; want two orders", ids, len(storedOrders(t, b)))
		}
	})
}

// TestOrderConfirmedByReadBack: Tally applies the voucher but its answer is
// lost, so the queue reads Tally back and finds it. The order then shows
// what was posted, as a directly answered one does: its real amounts and
// the voucher's id in Tally, and one voucher.
func TestOrderConfirmedByReadBack(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store, orderWait: 100 * time.Millisecond})
		b.sim.SetFault(tallysim.LostWrite)
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: durableOrder})
		location := r.header.Get("Location")
		if location == "" {
			t.Fatalf("POST /orders: %d %s", r.status, r.body)
		}
		var st api.OrderStatusResponse
		deadline := time.Now().Add(10 * time.Second)
		for st.State != "posted" && time.Now().Before(deadline) {
			time.Sleep(30 * time.Millisecond)
			_ = json.Unmarshal(b.do(t, call{target: location}).body, &st)
		}
		if st.State != "posted" || st.Result == nil || st.Attempts < 2 {
			t.Fatalf("order %+v; want posted after a read-back", st)
		}
		demo, _ := b.sim.Company(tallysim.DemoCompanyName)
		var vs []tallysim.Voucher
		for _, v := range demo.Vouchers() {
			if v.RemoteID == st.RemoteID {
				vs = append(vs, v)
			}
		}
		res := st.Result
		if len(vs) != 1 || res.Amounts.Total.String() != "2625.00" || res.Amounts.Taxable.String() != "2500.00" ||
			len(res.Lines) != 1 || res.LastVoucherID == 0 || int64(res.LastVoucherID) != vs[0].MasterID ||
			!strings.Contains(res.Message, "₹2,625.00") || res.Party != "Priya Textiles" {
			t.Fatalf("%d vouchers, result %+v; want the order's 2,625.00 and the voucher's id", len(vs), res)
		}
	})
}

// TestOrderAmendment: the same order_ref with other content is never a 2xx
// with the stored figures. Without amend it is 409 order_ref_conflict with
// the stored order; with "amend": true the same voucher is replaced in
// Tally and the answer has the new amounts. An identical resend answers with
// the stored order.
func TestOrderAmendment(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store})
		const first = `{"order_ref": "WA-4001", "party": {"name": "Priya Textiles"},
			"lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`
		changed := strings.Replace(first, `"quantity": "2"`, `"quantity": "3"`, 1)
		amended := strings.Replace(changed, `{"order_ref"`, `{"amend": true, "order_ref"`, 1)
		post := func(body string, headers map[string]string) (reply, api.OrderResponse) {
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: body, headers: headers})
			var res api.OrderResponse
			_ = json.Unmarshal(r.body, &res)
			return r, res
		}
		partyDebit := func(remoteID string) []int64 {
			demo, _ := b.sim.Company(tallysim.DemoCompanyName)
			var out []int64
			for _, v := range demo.Vouchers() {
				if v.RemoteID == remoteID {
					for _, e := range v.Entries {
						if e.Ledger == v.Party {
							out = append(out, e.Amount.Paise())
						}
					}
				}
			}
			return out
		}

		r, res := post(first, nil)
		if r.status != http.StatusCreated || res.Amounts.Total.String() != "2625.00" {
			t.Fatalf("first: %d %s", r.status, r.body)
		}
		remoteID := res.RemoteID
		if r, again := post(first, nil); r.status != http.StatusCreated || again.Amounts.Total.String() != "2625.00" || again.RemoteID != remoteID {
			t.Fatalf("identical resend: %d %s; want the stored order", r.status, r.body)
		}
		for _, h := range []map[string]string{nil, {"Idempotency-Key": "new-key-1"}} {
			r, _ := post(changed, h)
			var p struct {
				Code  string                   `json:"code"`
				Order *api.OrderStatusResponse `json:"order"`
			}
			_ = json.Unmarshal(r.body, &p)
			if r.status != http.StatusConflict || p.Code != "order_ref_conflict" || p.Order == nil || p.Order.Result == nil ||
				p.Order.Result.Amounts.Total.String() != "2625.00" || p.Order.RemoteID != remoteID {
				t.Fatalf("changed resend (headers %v): %d %s; want 409 order_ref_conflict with the stored order", h, r.status, r.body)
			}
		}
		if got := partyDebit(remoteID); len(got) != 1 || got[0] != -262500 {
			t.Fatalf("vouchers debit %v after a refused change; want one for 2,625.00", got)
		}
		r, res = post(amended, nil)
		if r.status != http.StatusCreated || !res.Replaced || res.Amounts.Total.String() != "3937.50" || res.RemoteID != remoteID {
			t.Fatalf("amend: %d %s; want 201 replaced with 3,937.50", r.status, r.body)
		}
		if got := partyDebit(remoteID); len(got) != 1 || got[0] != -393750 {
			t.Fatalf("vouchers debit %v after the amendment; want one for 3,937.50", got)
		}
		if r, again := post(changed, nil); r.status != http.StatusCreated || again.Amounts.Total.String() != "3937.50" {
			t.Fatalf("resend of the amended order: %d %s; want the stored, amended order", r.status, r.body)
		}
		if n := len(storedOrders(t, b)); n != 1 {
			t.Fatalf("%d orders stored; want 1", n)
		}
	})
}
