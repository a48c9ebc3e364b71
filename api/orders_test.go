package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
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
