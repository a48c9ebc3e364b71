package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// fakeItems are stock items as the fake Tally holds them: steel at 18%,
// fabric at 5% in Kg, a pipe whose GST the item does not carry.
func fakeItems() []service.StockItem {
	return []service.StockItem{
		{Name: "Steel Sheet 4x8", Group: "Steel", Unit: "Nos", HSN: "7208", GSTRate: dec("18"), GSTRateKnown: true,
			StandardRate: 250000, StandardRateKnown: true, Closing: dec("120"), ClosingKnown: true},
		{Name: "Cotton Fabric", Group: "Textiles", Unit: "Kg", HSN: "5208", GSTRate: dec("5"), GSTRateKnown: true,
			StandardRate: 35000, StandardRateKnown: true, Closing: dec("80.5"), ClosingKnown: true},
		{Name: "PVC Pipe", Group: "Plumbing", Unit: "Nos", Closing: dec("0"), ClosingKnown: true},
	}
}

func newItemService(f *fakeGateway, mode service.OrderMode) *service.Service {
	f.items = fakeItems()
	return service.New(f, service.Config{Company: "ABC Traders", OrderMode: mode,
		Now: func() time.Time { return today.Add(10 * time.Hour) }})
}

func TestItemInvoice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mode    service.OrderMode
		lines   []service.OrderLine
		invoice bool
		// want are the stock lines (invoice) or the ledger entries after the
		// party's (accounting voucher).
		wantInventory []service.InventoryLine
		wantEntries   []service.Entry
		wantTotal     service.Paise
		wantCode      string
	}{
		{
			// 2 × 2,500.00 at the item's 18%, 1.25 Kg × 350.00 at the item's
			// 5%: CGST = SGST = 450.00 + 10.94 (2.5% of 437.50 = 10.9375).
			name: "auto, every line a stock item", mode: service.OrderModeAuto,
			lines: []service.OrderLine{
				{Item: "steel sheet 4x8", Quantity: dec("2"), Rate: 250000},
				{Item: "Cotton Fabric", Quantity: dec("1.25"), Rate: 35000, Unit: "kg"},
			},
			invoice: true,
			wantInventory: []service.InventoryLine{
				{Item: "Steel Sheet 4x8", Quantity: dec("2"), Unit: "Nos", Rate: 250000, Amount: 500000, Ledger: "Sales"},
				{Item: "Cotton Fabric", Quantity: dec("1.25"), Unit: "Kg", Rate: 35000, Amount: 43750, Ledger: "Sales"},
			},
			wantEntries: []service.Entry{{Ledger: "CGST", Amount: 46094}, {Ledger: "SGST", Amount: 46094}},
			wantTotal:   543750 + 2*46094,
		},
		{
			// A line's own gst_rate wins over the item's; an item without a
			// rate takes the default (18%).
			name: "items, the line's rate and the default", mode: service.OrderModeItems,
			lines: []service.OrderLine{
				{Item: "Steel Sheet 4x8", Quantity: dec("1"), Rate: 100000, GSTRate: ptr("12")},
				{Item: "PVC Pipe", Quantity: dec("3"), Rate: 18000},
			},
			invoice: true,
			wantInventory: []service.InventoryLine{
				{Item: "Steel Sheet 4x8", Quantity: dec("1"), Unit: "Nos", Rate: 100000, Amount: 100000, Ledger: "Sales"},
				{Item: "PVC Pipe", Quantity: dec("3"), Unit: "Nos", Rate: 18000, Amount: 54000, Ledger: "Sales"},
			},
			wantEntries: []service.Entry{{Ledger: "CGST", Amount: 6000 + 4860}, {Ledger: "SGST", Amount: 6000 + 4860}},
			wantTotal:   154000 + 2*10860,
		},
		{
			// Mixed lines: today's accounting voucher, the default rate for all.
			name: "auto, one line not a stock item", mode: service.OrderModeAuto,
			lines: []service.OrderLine{
				{Item: "Steel Sheet 4x8", Quantity: dec("1"), Rate: 100000},
				{Item: "Installation", Quantity: dec("1"), Rate: 50000},
			},
			wantEntries: []service.Entry{{Ledger: "Sales", Amount: 150000}, {Ledger: "CGST", Amount: 13500}, {Ledger: "SGST", Amount: 13500}},
			wantTotal:   150000 + 27000,
		},
		{
			name: "accounting mode never reads items", mode: service.OrderModeAccounting,
			lines:       []service.OrderLine{{Item: "Cotton Fabric", Quantity: dec("1"), Rate: 10000}},
			wantEntries: []service.Entry{{Ledger: "Sales", Amount: 10000}, {Ledger: "CGST", Amount: 900}, {Ledger: "SGST", Amount: 900}},
			wantTotal:   11800,
		},
		{
			name: "items, an unknown item", mode: service.OrderModeItems,
			lines: []service.OrderLine{
				{Item: "Steel Sheet 4x8", Quantity: dec("1"), Rate: 100000},
				{Item: "Gold Bar", Quantity: dec("1"), Rate: 100000},
			},
			wantCode: service.CodeStockItemNotFound,
		},
		{
			// A line that must be a stock item (a catalog product mapped to
			// one) is refused in auto mode too, naming it alone.
			name: "auto, a required stock item missing", mode: service.OrderModeAuto,
			lines: []service.OrderLine{
				{Item: "Gold Bar", Quantity: dec("1"), Rate: 100000, StockItem: true},
				{Item: "Installation", Quantity: dec("1"), Rate: 50000},
			},
			wantCode: service.CodeStockItemNotFound,
		},
		{
			name: "a unit that is not the item's", mode: service.OrderModeAuto,
			lines:    []service.OrderLine{{Item: "Cotton Fabric", Quantity: dec("1"), Rate: 10000, Unit: "Mtr"}},
			wantCode: "invalid_unit",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			svc := newItemService(f, tc.mode)
			res, err := svc.ExecuteOrder(t.Context(), service.Order{Ref: "INV-1",
				Party: service.NewParty{Name: "Rajesh Enterprises"}, Lines: tc.lines})
			if tc.wantCode != "" {
				se, ok := service.AsError(err)
				if !ok || se.Code != tc.wantCode || se.Kind != service.Invalid {
					t.Fatalf("err = %v; want %s (invalid)", err, tc.wantCode)
				}
				if tc.wantCode == service.CodeStockItemNotFound {
					nf, _ := se.Subject.(service.StockItemsNotFound)
					if diff := cmp.Diff([]string{"Gold Bar"}, nf.Names); diff != "" || se.Message != "stock item 'Gold Bar' does not exist in 'ABC Traders'" {
						t.Errorf("subject %+v message %q (-want +got):\n%s", se.Subject, se.Message, diff)
					}
				}
				if len(f.vouchers) != 0 {
					t.Errorf("a voucher was posted: %+v", f.vouchers)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v := f.vouchers[res.RemoteID]
			if res.Invoice != tc.invoice || res.Pricing.Total != tc.wantTotal {
				t.Errorf("invoice %v total %v; want %v and %v", res.Invoice, res.Pricing.Total, tc.invoice, tc.wantTotal)
			}
			if diff := cmp.Diff(tc.wantInventory, v.Inventory); diff != "" {
				t.Errorf("stock lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEntries, v.Entries[1:]); diff != "" {
				t.Errorf("entries after the party's (-want +got):\n%s", diff)
			}
			// Balanced to the paisa: the party's debit against every credit.
			sum := v.Entries[0].Amount
			for _, e := range v.Entries[1:] {
				sum += e.Amount
			}
			for _, il := range v.Inventory {
				sum += il.Amount
			}
			if sum != 0 || v.Entries[0].Amount != -tc.wantTotal {
				t.Errorf("voucher does not balance: sum %d, party %d", sum, v.Entries[0].Amount)
			}
			if reads := f.calls["StockItems"]; (tc.mode == service.OrderModeAccounting) != (reads == 0) {
				t.Errorf("stock items read %d times in %s mode", reads, tc.mode)
			}
		})
	}
}

func TestListItems(t *testing.T) {
	t.Parallel()
	f := newFake()
	svc := newItemService(f, service.OrderModeAuto)
	page, err := svc.ListItems(t.Context(), service.ItemQuery{Search: "o", Limit: 1, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	// "o" matches Cotton Fabric and … no other; PVC Pipe and Steel Sheet
	// have no o. Sorted: Cotton Fabric only, so offset 1 is empty.
	if page.Total != 1 || len(page.Items) != 0 || page.Limit != 1 {
		t.Errorf("page %+v", page)
	}
	page, err = svc.ListItems(t.Context(), service.ItemQuery{Search: "E"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range page.Items {
		names = append(names, it.Name)
	}
	if diff := cmp.Diff([]string{"PVC Pipe", "Steel Sheet 4x8"}, names); diff != "" || page.Limit != service.DefaultPageSize {
		t.Errorf("search e (-want +got):\n%s\npage %+v", diff, page)
	}
	if _, err := svc.ListItems(t.Context(), service.ItemQuery{Limit: service.MaxPageSize + 1}); service.KindOf(err) != service.Invalid {
		t.Errorf("limit above the maximum: %v", err)
	}
}

// TestWhatsAppStockItems: a catalog product mapped to a stock item posts a
// stock line; one whose stock item Tally does not have is rejected with
// stock_item_not_found, not posted as an accounting voucher, even in auto
// mode.
func TestWhatsAppStockItems(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	f.items = fakeItems()
	svc := service.New(f, service.Config{Company: "ABC Traders", Store: st,
		Queue: service.QueueConfig{MaxAttempts: 3, RetryBase: time.Second, RetryMax: 4 * time.Second},
		Now:   func() time.Time { return today.Add(10 * time.Hour) },
		WhatsApp: service.WhatsAppConfig{Catalog: service.Catalog{
			"steel":  {Item: "Steel Sheet 4x8", StockItem: true},
			"fabric": {Item: "Cotton Fabric", StockItem: true, Unit: "Kg"},
			"gold":   {Item: "Gold Bar", StockItem: true},
		}}})
	if _, err := deliver(svc, msgs(
		waOrderMsg("wamid.STOCK1", "919820012345", "Rajesh Shah", waItem("steel", "2", "2500.00", "INR"), waItem("fabric", "3", "350.00", "INR")),
		waOrderMsg("wamid.STOCK2", "919820012345", "Rajesh Shah", waItem("steel", "1", "2500.00", "INR"), waItem("gold", "1", "5000.00", "INR")),
	)); err != nil {
		t.Fatal(err)
	}
	postAll(t, svc, st)
	byRef := map[string]service.OrderRecord{}
	for _, r := range st.ordersList(t) {
		byRef[r.Ref] = r
	}
	posted := byRef[service.WhatsAppOrderRef("wamid.STOCK1")]
	res, ok := service.OrderResultOf(posted)
	// 5,000.00 at 18% and 1,050.00 at 5%: CGST = SGST = 450.00 + 26.25.
	if !ok || !res.Invoice || res.Pricing.Total != 605000+2*(45000+2625) || len(f.vouchers[res.RemoteID].Inventory) != 2 {
		t.Fatalf("stock order %+v: %+v; want an item invoice of 6,145.00", posted, res)
	}
	gold := byRef[service.WhatsAppOrderRef("wamid.STOCK2")]
	if gold.State != service.OrderRejected || gold.LastErrorCode != service.CodeStockItemNotFound || !strings.Contains(gold.LastError, "'Gold Bar'") {
		t.Fatalf("order naming a missing stock item: %s %s %q", gold.State, gold.LastErrorCode, gold.LastError)
	}
}
