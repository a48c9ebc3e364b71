package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// demoReceipts are the demo company's bank and cash ledgers.
var demoReceipts = service.ReceiptsConfig{BankLedger: "HDFC Bank", CashLedger: "Cash"}

// setupReceipts is setup with receipt ledgers configured: the real stack
// over a fresh simulator, with store ("sqlite", "postgres" or "" for none)
// and its queue running.
func setupReceipts(t *testing.T, store string, rc service.ReceiptsConfig) *testBundle {
	t.Helper()
	return setup(t, setupOpts{durable: store, receipts: rc})
}

// receivables reads GET /receivables: the total and each bill's amount by
// "party|ref".
func receivables(t *testing.T, b *testBundle) (service.Paise, map[string]service.Paise) {
	t.Helper()
	r := b.do(t, call{target: "/receivables"})
	var rr api.ReceivablesResponse
	if err := json.Unmarshal(r.body, &rr); r.status != http.StatusOK || err != nil {
		t.Fatalf("GET /receivables: %d %v %s", r.status, err, r.body)
	}
	bills := map[string]service.Paise{}
	for _, p := range rr.Parties {
		for _, bill := range p.Bills {
			bills[p.Party+"|"+bill.Ref] = bill.Amount
		}
	}
	return rr.Total, bills
}

// TestReceiptReducesReceivables: a receipt against a named bill reduces
// that bill, and the Bills Receivable total, by exactly its amount; a resend
// with the same Idempotency-Key replays instead of paying twice.
func TestReceiptReducesReceivables(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setupReceipts(t, store, demoReceipts)
		total, bills := receivables(t, b)
		const bill = "Rajesh Enterprises|ABC/S/101"
		if bills[bill] != 4850000 {
			t.Fatalf("Rajesh owes %v on ABC/S/101 before; the demo says 48,500.00", bills[bill])
		}
		body := `{"party": "Rajesh Enterprises", "amount": "20000.00", "mode": "upi", "bills": ["ABC/S/101"], "reference": "412345678901"}`
		key := map[string]string{"Idempotency-Key": "payment-412345678901"}
		r := b.do(t, call{method: http.MethodPost, target: "/receipts", body: body, headers: key})
		var res api.ReceiptResponse
		_ = json.Unmarshal(r.body, &res)
		if r.status != http.StatusCreated || r.header.Get("Location") != "/orders/"+res.ID || res.ID == "" {
			t.Fatalf("POST /receipts: %d %v\n%s", r.status, r.header, r.body)
		}
		wantAlloc := []api.ReceiptAllocationJSON{{BillRef: "ABC/S/101", Amount: 2000000, PendingBefore: 4850000}}
		if diff := cmp.Diff(wantAlloc, res.Allocations); diff != "" || res.VoucherType != "Receipt" || res.OnAccount != 0 ||
			res.Amount != 2000000 || res.Ledger != "HDFC Bank" || res.Party != "Rajesh Enterprises" || res.Date != "2026-06-23" {
			t.Fatalf("receipt %+v; allocations (-want +got):\n%s", res, diff)
		}
		if n := countVouchers(t, b, res.RemoteID); n != 1 {
			t.Fatalf("%d vouchers with REMOTEID %s; want 1", n, res.RemoteID)
		}
		after, billsAfter := receivables(t, b)
		if billsAfter[bill] != 2850000 || total-after != 2000000 {
			t.Fatalf("after the receipt ABC/S/101 owes %v (want 28,500.00) and the total dropped by %v (want exactly 20,000.00)",
				billsAfter[bill], total-after)
		}
		for k, v := range bills {
			if k != bill && billsAfter[k] != v {
				t.Errorf("bill %s changed from %v to %v", k, v, billsAfter[k])
			}
		}

		replay := b.do(t, call{method: http.MethodPost, target: "/receipts", body: body, headers: key})
		if replay.status != http.StatusCreated || replay.header.Get("Idempotent-Replayed") != "true" || string(replay.body) != string(r.body) {
			t.Fatalf("resend with the same key: %d %v\n%s", replay.status, replay.header, replay.body)
		}
		if again, _ := receivables(t, b); again != after || countVouchers(t, b, res.RemoteID) != 1 {
			t.Fatalf("the resend moved receivables to %v (want %v) or posted again", again, after)
		}

		// Receipts are read and audited with the orders.
		var st api.OrderStatusResponse
		got := b.do(t, call{target: "/orders/" + res.ID})
		_ = json.Unmarshal(got.body, &st)
		if got.status != http.StatusOK || st.State != "posted" || st.RemoteID != res.RemoteID || st.Result != nil {
			t.Fatalf("GET /orders/{id} of a receipt: %d %s", got.status, got.body)
		}
		var il api.ImportListResponse
		_ = json.Unmarshal(b.do(t, call{target: "/imports?order_id=" + res.ID}).body, &il)
		if len(il.Imports) != 1 || il.Imports[0].Result != "ok" || il.Imports[0].RemoteID != res.RemoteID {
			t.Fatalf("imports of the receipt: %+v", il.Imports)
		}
		one := b.do(t, call{target: "/imports/" + jsonNumber(il.Imports[0].ID)})
		for _, want := range []string{"Receipt", "Agst Ref", "ABC/S/101", "HDFC Bank", "tallyfacade:" + res.RemoteID} {
			if !strings.Contains(string(one.body), want) {
				t.Errorf("the audited import lacks %q: %s", want, one.body)
			}
		}
	})
}

// TestReceiptOldestFirst: without bills the receipt settles Rajesh's oldest
// bill in full and the next one in part, in cash.
func TestReceiptOldestFirst(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setupReceipts(t, store, demoReceipts)
		order := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "WA-3001",
			"party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Steel rod", "quantity": "1", "rate": "10000.00"}]}`})
		if order.status != http.StatusCreated {
			t.Fatalf("POST /orders: %d %s", order.status, order.body)
		}
		total, bills := receivables(t, b)
		if bills["Rajesh Enterprises|WA-3001"] != 1180000 {
			t.Fatalf("bills before: %v", bills)
		}
		r := b.do(t, call{method: http.MethodPost, target: "/receipts",
			body: `{"receipt_ref": "PAY-9", "party": "rajesh enterprises", "amount": 50000, "mode": "cash"}`})
		var res api.ReceiptResponse
		_ = json.Unmarshal(r.body, &res)
		want := []api.ReceiptAllocationJSON{{BillRef: "ABC/S/101", Amount: 4850000, PendingBefore: 4850000},
			{BillRef: "WA-3001", Amount: 150000, PendingBefore: 1180000}}
		if diff := cmp.Diff(want, res.Allocations); r.status != http.StatusCreated || diff != "" || res.Ledger != "Cash" || res.ReceiptRef != "PAY-9" {
			t.Fatalf("POST /receipts: %d %s\nallocations (-want +got):\n%s", r.status, r.body, diff)
		}
		after, billsAfter := receivables(t, b)
		if _, still := billsAfter["Rajesh Enterprises|ABC/S/101"]; still || billsAfter["Rajesh Enterprises|WA-3001"] != 1030000 || total-after != 5000000 {
			t.Fatalf("after: %v, total dropped by %v; want ABC/S/101 settled, WA-3001 at 10,300.00, the total down by 50,000.00", billsAfter, total-after)
		}
		// The same receipt_ref again is the stored receipt, not a second payment.
		again := b.do(t, call{method: http.MethodPost, target: "/receipts",
			body: `{"receipt_ref": "PAY-9", "party": "Rajesh Enterprises", "amount": "50000.00", "mode": "cash"}`})
		var res2 api.ReceiptResponse
		_ = json.Unmarshal(again.body, &res2)
		if again.status != http.StatusCreated || res2.RemoteID != res.RemoteID || res2.ID != res.ID || countVouchers(t, b, res.RemoteID) != 1 {
			t.Fatalf("resend of PAY-9: %d %s", again.status, again.body)
		}
		if a2, _ := receivables(t, b); a2 != after {
			t.Fatalf("the resend moved receivables from %v to %v", after, a2)
		}
	})
}

// TestReceiptRefused: what can never be posted is a 422 naming the problem.
func TestReceiptRefused(t *testing.T) {
	t.Parallel()
	durable := setupReceipts(t, "sqlite", demoReceipts)
	unconfigured := setupReceipts(t, "", service.ReceiptsConfig{})
	tests := []struct {
		name       string
		b          *testBundle
		body       string
		wantCode   string
		wantFields []string
		wantText   string
	}{
		{"fields", durable, `{"party": " ", "amount": "-5", "mode": "card", "bills": ["A/1", "", "a/1"], "date": "1800-01-01"}`,
			"invalid_request", []string{"amount", "bills[1]", "bills[2]", "date", "mode", "party"}, ""},
		{"amount with three decimals", durable, `{"party": "Rajesh Enterprises", "amount": 1.005, "mode": "upi"}`,
			"invalid_request", []string{"amount"}, ""},
		{"missing", durable, `{}`, "invalid_request", []string{"amount", "mode", "party"}, ""},
		{"unknown field", durable, `{"party": "Rajesh Enterprises", "amount": "1", "mode": "upi", "bill": "ABC/S/101"}`,
			"unknown_field", []string{"bill"}, ""},
		{"bill not outstanding", durable, `{"party": "Rajesh Enterprises", "amount": "1", "mode": "upi", "bills": ["ABC/S/102"]}`,
			"bill_not_outstanding", nil, "ABC/S/101"},
		{"unknown party", durable, `{"party": "Nobody Ltd", "amount": "1", "mode": "bank"}`, "party_not_found", nil, "Nobody Ltd"},
		{"bank ledger not configured", unconfigured, `{"party": "Rajesh Enterprises", "amount": "1", "mode": "upi"}`,
			"ledger_not_configured", nil, "TALLY_BANK_LEDGER"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.b.do(t, call{method: http.MethodPost, target: "/receipts", body: tc.body})
			var p api.Problem
			_ = json.Unmarshal(r.body, &p)
			var fields []string
			for _, f := range p.Errors {
				fields = append(fields, f.Field)
			}
			slices.Sort(fields)
			if r.status != http.StatusUnprocessableEntity || p.Code != tc.wantCode || !cmp.Equal(fields, tc.wantFields) ||
				!strings.Contains(p.Detail+" "+p.Hint, tc.wantText) {
				t.Errorf("%d %s %v; want 422 %s %v mentioning %q\n%s", r.status, p.Code, fields, tc.wantCode, tc.wantFields, tc.wantText, r.body)
			}
		})
	}
}

// TestOwnVoucherTypes: with TALLY_SALES_VOUCHER_TYPE and
// TALLY_RECEIPT_VOUCHER_TYPE naming the company's own types ("Tax Invoice"
// under Sales, "Bank Receipt" under Receipt), orders and receipts post as
// those types, the answers say so, and the mirror still counts them as a sale
// and a receipt; a type Tally does not have rejects the order with Tally's
// own text. On both stores.
func TestOwnVoucherTypes(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		b := setup(t, setupOpts{durable: store, receipts: demoReceipts, mirror: true, service: func(c *service.Config) {
			c.SalesVoucherType, c.ReceiptVoucherType = "Tax Invoice", "Bank Receipt"
		}})
		demo, _ := b.sim.Company(tallysim.DemoCompanyName)
		for _, vt := range [][2]string{{"Tax Invoice", "Sales"}, {"Bank Receipt", "Receipt"}} {
			if err := demo.AddVoucherType(vt[0], vt[1]); err != nil {
				t.Fatal(err)
			}
		}
		r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "OWN-1",
			"party": {"name": "Priya Textiles"}, "lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`})
		var order struct {
			State       string `json:"state"`
			VoucherType string `json:"voucher_type"`
			RemoteID    string `json:"remote_id"`
		}
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &order) != nil || order.VoucherType != "Tax Invoice" {
			t.Fatalf("POST /orders: %d %s", r.status, r.body)
		}
		r = b.do(t, call{method: http.MethodPost, target: "/receipts",
			body: `{"party": "Rajesh Enterprises", "amount": "1000.00", "mode": "upi", "reference": "OWN-UPI-1"}`})
		var receipt api.ReceiptResponse
		if r.status != http.StatusCreated || json.Unmarshal(r.body, &receipt) != nil || receipt.VoucherType != "Bank Receipt" {
			t.Fatalf("POST /receipts: %d %s", r.status, r.body)
		}
		types := map[string]string{}
		for _, v := range demo.Vouchers() {
			types[v.RemoteID] = v.Type
		}
		if types[order.RemoteID] != "Tax Invoice" || types[receipt.RemoteID] != "Bank Receipt" {
			t.Fatalf("in Tally: the order a %q, the receipt a %q", types[order.RemoteID], types[receipt.RemoteID])
		}
		if _, err := b.books.Sync(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		var summary summaryBody
		r = b.do(t, call{target: "/reports/sales-summary?date=2026-06-23"})
		if r.status != http.StatusOK || json.Unmarshal(r.body, &summary) != nil || summary.Sales.Count != 1 || summary.Receipts.Count != 1 {
			t.Errorf("the day's summary: %d %s; want the Tax Invoice as a sale and the Bank Receipt as a receipt", r.status, r.body)
		}

		// A type the company does not have: Tally refuses the voucher.
		other := setup(t, setupOpts{durable: store, service: func(c *service.Config) { c.SalesVoucherType = "Tax Invoic" }})
		r = other.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "OWN-2",
			"party": {"name": "Priya Textiles"}, "lines": [{"item": "Cotton saree", "quantity": "1", "rate": "1250.00"}]}`})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "Voucher Type 'Tax Invoic' does not exist!") {
			t.Errorf("an order of a type Tally does not have: %d %s; want 422 with Tally's text", r.status, r.body)
		}
	})
}
