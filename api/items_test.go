package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// itemOrder orders 2 Steel Sheet 4x8 (18% on the item) and 1.5 Kg Cotton
// Fabric (5% on the item) for Rajesh Enterprises (Maharashtra: CGST+SGST):
// taxable 5,000.00 + 525.00; CGST = SGST = 450.00 + 13.13 (2.5% of 525.00 =
// 13.125, half-up); total 6,451.26.
const itemOrder = `{"order_ref": "INV-9001", "party": {"name": "Rajesh Enterprises"},
	"lines": [{"item": "steel sheet 4x8", "quantity": "2", "rate": "2500"},
	          {"item": "Cotton Fabric", "quantity": "1.5", "rate": "350", "unit": "Kg"}]}`

const itemOrderTotal = service.Paise(500000 + 52500 + 2*(45000+1313))

func closingQty(t *testing.T, b *testBundle, item string) string {
	t.Helper()
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	q, err := demo.ClosingQuantity(item, tallyxml.Date{})
	if err != nil {
		t.Fatal(err)
	}
	return q.String()
}

func balance(t *testing.T, b *testBundle, ledger string) int64 {
	t.Helper()
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	a, err := demo.ClosingBalance(ledger, tallyxml.Date{})
	if err != nil {
		t.Fatal(err)
	}
	return a.Paise()
}

func voucherOf(t *testing.T, b *testBundle, remoteID string) tallysim.Voucher {
	t.Helper()
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	for _, v := range demo.Vouchers() {
		if v.RemoteID == remoteID {
			return v
		}
	}
	t.Fatalf("no voucher with REMOTEID %s in the simulator", remoteID)
	return tallysim.Voucher{}
}

// TestItemOrders: on both stores, against the simulator, an order whose
// lines name stock items posts an item invoice (closing quantities move,
// the books balance to the paisa), mixed lines in auto mode keep the
// accounting voucher, an unknown item in items mode is 422 naming it, and a
// crash between Tally's answer and the store's update leaves one invoice.
func TestItemOrders(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		t.Run("invoice", func(t *testing.T) {
			b := setup(t, setupOpts{durable: store})
			rajesh, sales := balance(t, b, "Rajesh Enterprises"), balance(t, b, "Sales")
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder})
			if r.status != http.StatusCreated {
				t.Fatalf("POST /orders: %d %s", r.status, r.body)
			}
			var res api.OrderResponse
			_ = json.Unmarshal(r.body, &res)
			if res.Amounts.Total != itemOrderTotal || res.Lines[0].Item != "Steel Sheet 4x8" || res.Lines[1].GSTRate != "5" {
				t.Errorf("answer %s; want total %s, Tally's item names and each item's rate", r.body, itemOrderTotal)
			}
			if got := closingQty(t, b, "Steel Sheet 4x8"); got != "118" {
				t.Errorf("steel closing quantity %s; want 120 - 2", got)
			}
			if got := closingQty(t, b, "Cotton Fabric"); got != "79" {
				t.Errorf("fabric closing quantity %s; want 80.5 - 1.5", got)
			}
			if d := balance(t, b, "Rajesh Enterprises") - rajesh; d != -int64(itemOrderTotal) {
				t.Errorf("party debited %d paise; want %d", -d, itemOrderTotal)
			}
			if d := balance(t, b, "Sales") - sales; d != 552500 {
				t.Errorf("Sales credited %d paise; want 552500 (through the stock lines)", d)
			}
			v := voucherOf(t, b, res.RemoteID)
			if len(v.Inventory) != 2 || v.Inventory[1].Unit != "Kg" || v.Inventory[1].Allocations[0].Ledger != "Sales" {
				t.Errorf("voucher's stock lines: %+v", v.Inventory)
			}
			// The same order again is the same invoice: nothing moves twice.
			again := b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder})
			if again.status != http.StatusCreated || closingQty(t, b, "Steel Sheet 4x8") != "118" || countVouchers(t, b, res.RemoteID) != 1 {
				t.Errorf("resend: %d %s; steel %s", again.status, again.body, closingQty(t, b, "Steel Sheet 4x8"))
			}
		})

		t.Run("mixed lines in auto mode", func(t *testing.T) {
			b := setup(t, setupOpts{durable: store})
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "MIX-1", "party": {"name": "Rajesh Enterprises"},
				"lines": [{"item": "Steel Sheet 4x8", "quantity": "1", "rate": "2500"}, {"item": "Installation", "quantity": "1", "rate": "500"}]}`})
			if r.status != http.StatusCreated {
				t.Fatalf("POST /orders: %d %s", r.status, r.body)
			}
			var res api.OrderResponse
			_ = json.Unmarshal(r.body, &res)
			v := voucherOf(t, b, res.RemoteID)
			if len(v.Inventory) != 0 || closingQty(t, b, "Steel Sheet 4x8") != "120" || res.Amounts.Total != 354000 {
				t.Errorf("mixed order: stock lines %+v, steel %s, total %s; want an accounting voucher of 3,540.00",
					v.Inventory, closingQty(t, b, "Steel Sheet 4x8"), res.Amounts.Total)
			}
		})

		t.Run("unknown item in items mode", func(t *testing.T) {
			b := setup(t, setupOpts{durable: store, orderMode: service.OrderModeItems})
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "GOLD-1", "party": {"name": "Rajesh Enterprises"},
				"lines": [{"item": "Steel Sheet 4x8", "quantity": "1", "rate": "2500"}, {"item": "Gold Bar", "quantity": "1", "rate": "500000"}]}`})
			if r.status != http.StatusUnprocessableEntity || field(t, r.body, "code") != service.CodeStockItemNotFound ||
				!strings.Contains(field(t, r.body, "detail").(string), "'Gold Bar'") {
				t.Fatalf("unknown item: %d %s; want 422 stock_item_not_found naming Gold Bar", r.status, r.body)
			}
			if closingQty(t, b, "Steel Sheet 4x8") != "120" {
				t.Error("a refused order moved stock")
			}
		})

		t.Run("answer lost after Tally applied it", func(t *testing.T) {
			// The lost-write fault: Tally applies every import and the
			// connection drops before its answer; reads answer normally. The
			// queue reads back, finds the invoice, and sends nothing again.
			b := setup(t, setupOpts{durable: store, orderWait: 100 * time.Millisecond})
			b.sim.SetFault(tallysim.LostWrite)
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder})
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
			if st.State != "posted" || st.Attempts < 2 || st.Result == nil {
				t.Fatalf("order %+v; want posted after a read-back", st)
			}
			if n := countVouchers(t, b, st.RemoteID); n != 1 || closingQty(t, b, "Steel Sheet 4x8") != "118" ||
				st.Result.Amounts.Total != itemOrderTotal || len(voucherOf(t, b, st.RemoteID).Inventory) != 2 {
				t.Fatalf("%d invoices, steel %s, result %+v; want one invoice of %s", n, closingQty(t, b, "Steel Sheet 4x8"),
					st.Result, itemOrderTotal)
			}
		})

		t.Run("crash after Tally answered", func(t *testing.T) {
			const rescueAfter = 300 * time.Millisecond
			b := setup(t, setupOpts{durable: store, rescueAfter: rescueAfter})
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder})
			if r.status != http.StatusCreated {
				t.Fatalf("POST /orders: %d %s", r.status, r.body)
			}
			var res api.OrderResponse
			_ = json.Unmarshal(r.body, &res)
			st := crashAfterTally(t, b, r.header.Get("Location"), rescueAfter)
			if st.State != "posted" || st.Attempts != 2 || countVouchers(t, b, res.RemoteID) != 1 || closingQty(t, b, "Steel Sheet 4x8") != "118" {
				t.Fatalf("rescued item order: state %s attempts %d, %d vouchers, steel %s; want one invoice read back",
					st.State, st.Attempts, countVouchers(t, b, res.RemoteID), closingQty(t, b, "Steel Sheet 4x8"))
			}
			var after api.OrderResponse
			_ = json.Unmarshal(b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder}).body, &after)
			if after.Amounts.Total != itemOrderTotal {
				t.Errorf("the read-back result's total %s; want %s (priced with each item's rate again)", after.Amounts.Total, itemOrderTotal)
			}
		})
	})
}

func TestListItems(t *testing.T) {
	t.Parallel()
	for _, mirror := range []bool{false, true} {
		t.Run(map[bool]string{false: "live", true: "mirror"}[mirror], func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{mirror: mirror})
			r := b.do(t, call{target: "/items?q=STEEL"})
			if r.status != http.StatusOK {
				t.Fatalf("GET /items: %d %s", r.status, r.body)
			}
			var page api.ItemListResponse
			_ = json.Unmarshal(r.body, &page)
			rate := service.Paise(250000)
			want := []api.ItemResponse{{Name: "Steel Sheet 4x8", Group: "Steel", Unit: "Nos", HSN: "7208", GSTRate: "18",
				StandardRate: &rate, ClosingQuantity: "120"}}
			if diff := cmp.Diff(want, page.Items); diff != "" || page.Total != 1 {
				t.Errorf("search steel (-want +got):\n%s\ntotal %d", diff, page.Total)
			}
			if src := map[bool]string{false: "tally", true: "mirror"}[mirror]; page.Source != src {
				t.Errorf("source %q; want %q", page.Source, src)
			}

			_ = json.Unmarshal(b.do(t, call{target: "/items?limit=2&offset=2"}).body, &page)
			if page.Total != len(tallysim.DemoStockItems()) || len(page.Items) != 2 || page.Items[0].Name != "Cotton Fabric" {
				t.Errorf("page 2 of 2: %+v", page)
			}
			if r := b.do(t, call{target: "/items?limit=501"}); r.status != http.StatusUnprocessableEntity {
				t.Errorf("limit 501: %d %s", r.status, r.body)
			}

			// An invoice moves the closing quantity the list shows.
			if r := b.do(t, call{method: http.MethodPost, target: "/orders", body: itemOrder}); r.status != http.StatusCreated {
				t.Fatalf("POST /orders: %d %s", r.status, r.body)
			}
			_ = json.Unmarshal(b.do(t, call{target: "/items?q=steel"}).body, &page)
			if len(page.Items) != 1 || page.Items[0].ClosingQuantity != "118" {
				t.Errorf("after the invoice: %+v; want 118 Steel Sheets", page.Items)
			}
		})
	}
}

// TestItemCatalogueRead: with the mirror loaded, orders read the stock item
// list once while no master changes in Tally (each order moves ALTVCHID,
// not ALTMSTID), not once per order; an item created in Tally after that
// read still posts in items mode, because a line that must be a stock item
// is checked with Tally itself before the order is refused.
func TestItemCatalogueRead(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{durable: "sqlite", mirror: true, orderMode: service.OrderModeItems})
	reads := func() int {
		n := 0
		for _, r := range b.sim.Requests() {
			if strings.Contains(r.Kind, "Stock Items") {
				n++
			}
		}
		return n
	}
	before := reads()
	for i := range 3 {
		body := strings.Replace(itemOrder, "INV-9001", fmt.Sprintf("INV-CAT-%d", i), 1)
		if r := b.do(t, call{method: http.MethodPost, target: "/orders", body: body}); r.status != http.StatusCreated {
			t.Fatalf("order %d: %d %s", i, r.status, r.body)
		}
	}
	if n := reads() - before; n != 1 {
		t.Errorf("three orders read the stock items %d times; want once", n)
	}
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	if err := demo.AddStockItem(tallysim.StockItem{Name: "Brass Hinge", BaseUnits: "Nos", GSTRate: decimal.NewFromInt(18)}); err != nil {
		t.Fatal(err)
	}
	body := `{"order_ref": "INV-CAT-NEW", "party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Brass Hinge", "quantity": "4", "rate": "40"}]}`
	if r := b.do(t, call{method: http.MethodPost, target: "/orders", body: body}); r.status != http.StatusCreated {
		t.Fatalf("an item created after the list was read: %d %s", r.status, r.body)
	}
}
