package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// The files in testdata/stored are rows as the service wrote them before the
// stored forms had their own tagged types (a result was its Go struct,
// marshalled): every one must still decode to what was stored, so no row
// already in a database is orphaned by the codec.

func readStored(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "stored", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStoredOrderRowsDecode(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)
	g5, credit := decimal.NewFromInt(5), 30
	want := Order{Company: "ABC Traders", Ref: "WA-1001", Date: d,
		Party: NewParty{Name: "Rajesh Enterprises", Mobile: "+919820012345", State: "Maharashtra"},
		Lines: []OrderLine{{Item: "Steel rod 12mm", Quantity: decimal.NewFromInt(10), Rate: 450000, Unit: "NOS"},
			{Item: "Bolts", Quantity: decimal.RequireFromString("2.5"), Rate: 1999, GSTRate: &g5}},
		SalesLedger: "Sales", Narration: "WhatsApp order", CreditDays: &credit}
	got, so, err := decodeStoredOrder(readStored(t, "order_request"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" || so.Content != "0f3c" || requestKind(readStored(t, "order_request")) != kindSales {
		t.Errorf("stored order (-want +got):\n%s\ncontent %q", diff, so.Content)
	}

	// The content digest of an order stored before the digest was kept is
	// worked out again (storedContent): it must be the digest the earlier
	// code gave, or every resend of such an order would look like a change.
	o, _, err := decodeStoredOrder(readStored(t, "order_request_pre_content"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(nil, Config{Company: "ABC Traders"}).planOrder(o, "x")
	if err != nil {
		t.Fatal(err)
	}
	for dateGiven, digest := range map[bool]string{
		true:  "4b81b7577f23ecd625ff30be4648d46a60ceb04bfad092ea5869a116af10ff07",
		false: "db764dc822ea41d4d9fb04dcd5fdae3a0a06e7d538c57c363e4ae5330efabad6",
	} {
		if got := orderContent(p, dateGiven); got != digest {
			t.Errorf("orderContent(dateGiven %v) = %s, want the earlier code's %s", dateGiven, got, digest)
		}
	}
}

func TestStoredOrderResultRowsDecode(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)
	want := OrderResult{Company: "ABC Traders", Party: "Rajesh Enterprises", PartyCreated: true, VoucherType: "Sales", Ref: "WA-1001",
		RemoteID: "b599ccf4-941b-5683-b9a9-600bb0c4b1e5", Date: d, Due: d.AddDate(0, 0, 30),
		Pricing: Pricing{Lines: []PricedLine{{Item: "Steel rod 12mm", Quantity: decimal.NewFromInt(10), Unit: "NOS", Rate: 450000, Taxable: 4500000,
			GSTRate: decimal.NewFromInt(18), GST: 810000, CGST: 405000, SGST: 405000},
			{Item: "Bolts", Quantity: decimal.RequireFromString("2.5"), Rate: 1999, Taxable: 4998, GSTRate: decimal.NewFromInt(5), GST: 250, CGST: 125, SGST: 125}},
			Taxable: 4504998, TaxEntries: []TaxEntry{{Ledger: "CGST", Amount: 405125}, {Ledger: "SGST", Amount: 405125}}, Total: 5315248, SalesLedger: "Sales"},
		Replaced: true, Outcome: ImportOutcome{Altered: 1, LastVoucherID: 27, LineErrors: []string{}}}
	row := readStored(t, "order_result")
	got, ok := OrderResultOf(OrderRecord{State: OrderPosted, Request: readStored(t, "order_request"), Result: row})
	if !ok {
		t.Fatal("a stored order result does not decode")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored result (-want +got):\n%s", diff)
	}
	sameJSON(t, row, got)
}

func TestStoredReceiptRowsDecode(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)
	req := readStored(t, "receipt_request")
	r, err := decodeReceipt(req)
	wantReq := Receipt{Company: "ABC Traders", Ref: "UPI-77", Date: d, Party: "Rajesh Enterprises", Amount: 2000000, Mode: ModeUPI,
		Bills: []string{"ABC/S/101"}, Narration: "paid", Reference: "412345678901"}
	if diff := cmp.Diff(wantReq, r); err != nil || diff != "" || requestKind(req) != kindReceipt {
		t.Fatalf("stored receipt: %v (-want +got):\n%s", err, diff)
	}
	row := readStored(t, "receipt_result")
	got, ok := ReceiptResultOf(OrderRecord{State: OrderPosted, Request: req, Result: row})
	want := ReceiptResult{Company: "ABC Traders", Party: "Rajesh Enterprises", VoucherType: "Receipt", Ref: "UPI-77",
		RemoteID: "3e0b3a8e-1f7e-5f57-9a43-6c1a2d3e4f50", Date: d, Mode: ModeUPI, Ledger: "HDFC Bank", Amount: 2000000,
		Reference: "412345678901", Allocations: []ReceiptAllocation{{BillRef: "ABC/S/101", Amount: 1500000, Pending: 1500000}},
		OnAccount: 500000, Outcome: ImportOutcome{Created: 1, LastVoucherID: 44}}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("stored receipt result (-want +got):\n%s", diff)
	}
	sameJSON(t, row, got)
}

// sameJSON checks that encoding res again writes the stored row's keys and
// values (the exchange's text, Request and Response, is no longer written:
// the audit log keeps it).
func sameJSON(t *testing.T, row []byte, res postedResult) {
	t.Helper()
	b, err := res.encode()
	if err != nil {
		t.Fatal(err)
	}
	var old, now map[string]any
	if err := json.Unmarshal(row, &old); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &now); err != nil {
		t.Fatal(err)
	}
	outcome := old["Outcome"].(map[string]any)
	delete(outcome, "Request")
	delete(outcome, "Response")
	if diff := cmp.Diff(old, now); diff != "" {
		t.Errorf("encoded again (-stored +now):\n%s", diff)
	}
}

// TestItemInvoiceRowsRoundTrip: what item invoices add to the stored forms
// (a result's Invoice, a line's stock_item) is kept, and absent from rows
// that do not need it, so a row written before item invoices encodes back
// byte for byte (TestStoredOrderResultRowsDecode's sameJSON).
func TestItemInvoiceRowsRoundTrip(t *testing.T) {
	t.Parallel()
	res := OrderResult{Company: "ABC Traders", Party: "Rajesh Enterprises", VoucherType: "Sales", Invoice: true,
		Pricing: Pricing{Lines: []PricedLine{{Item: "Steel Sheet 4x8", Quantity: decimal.NewFromInt(2), Unit: "Nos", Rate: 250000,
			Taxable: 500000, GSTRate: decimal.NewFromInt(18), GST: 90000, CGST: 45000, SGST: 45000}}, Taxable: 500000, Total: 590000}}
	b, err := res.encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeOrderResult(b)
	if err != nil || !back.Invoice || back.Pricing.Lines[0].Item != "Steel Sheet 4x8" {
		t.Errorf("item invoice result back as %+v (%v)", back, err)
	}
	o := Order{Company: "ABC Traders", Date: time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC), Party: NewParty{Name: "Rajesh Enterprises"},
		Lines: []OrderLine{{Item: "Steel Sheet 4x8", Quantity: decimal.NewFromInt(2), Rate: 250000, StockItem: true},
			{Item: "Bolts", Quantity: decimal.NewFromInt(1), Rate: 100}}}
	req, err := encodeOrder(o, "", false)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := decodeStoredOrder(req)
	if err != nil || !got.Lines[0].StockItem || got.Lines[1].StockItem {
		t.Errorf("stored lines back as %+v (%v)", got.Lines, err)
	}
	var raw struct {
		Lines []map[string]any `json:"lines"`
	}
	if err := json.Unmarshal(req, &raw); err != nil || raw.Lines[1]["stock_item"] != nil {
		t.Errorf("a line that is not a stock item stores the flag: %s", req)
	}
}
