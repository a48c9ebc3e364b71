package api_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// pdfText reads a PDF answer back as text, as a person's viewer would show
// it, failing the test on anything that is not a PDF.
func pdfText(t *testing.T, r reply) string {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("not a PDF: %d %s %.300s", r.status, r.header.Get("Content-Type"), r.body)
	}
	doc, err := pdf.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatalf("the PDF does not read back: %v", err)
	}
	var out strings.Builder
	for i := 1; i <= doc.NumPage(); i++ {
		p := doc.Page(i)
		if p.V.IsNull() {
			continue
		}
		rows, err := p.GetTextByRow()
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		for _, row := range rows {
			for _, w := range row.Content {
				out.WriteString(w.S)
			}
			out.WriteByte('\n')
		}
	}
	return out.String()
}

// TestStatementPDF: the statement as a PDF, asked by Accept or by format,
// reads back with the company's name, address and GSTIN, the party, the
// period, each voucher and the totals and balances in Indian grouping.
func TestStatementPDF(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	byAccept := b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement", headers: map[string]string{"Accept": "application/pdf"}})
	text := pdfText(t, byAccept)
	for _, want := range []string{
		"ABC Traders", "Shop 4, Crawford Market", "GSTIN 27AABCA1234F1Z5", "Statement of account",
		"Rajesh Enterprises", "12, Kalbadevi Road", "GSTIN 27AAPFR1234C1Z5", "Period: 1 Apr 2026 to 23 Jun 2026",
		"Opening balance", "14 Apr 2026", "Ref ABC/S/101", "58,410.00", "9,910.00", "Totals", "Closing balance", "48,500.00 Dr",
		// The extractor reads the rupee sign (U+20B9) as U+00B9: it keeps
		// one byte of a two-byte ToUnicode value, so the sign is left out.
		"Balance due from Rajesh Enterprises:", "Debit (",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the statement PDF lacks %q:\n%s", want, text)
		}
	}
	if d := byAccept.header.Get("Content-Disposition"); !strings.HasPrefix(d, "attachment") || !strings.Contains(d, ".pdf") {
		t.Errorf("Content-Disposition %q", d)
	}
	byFormat := b.do(t, call{target: "/parties/by-mobile/9820012345/statement?format=pdf&from=2026-05-01"})
	if text := pdfText(t, byFormat); !strings.Contains(text, "Period: 1 May 2026 to 23 Jun 2026") || !strings.Contains(text, "58,410.00 Dr") {
		t.Errorf("by mobile, from 1 May: the opening balance should be 58,410.00 Dr:\n%s", text)
	}
	// JSON stays the default, and wins when preferred.
	for _, accept := range []string{"", "application/json", "application/json, application/pdf;q=0.5", "*/*"} {
		r := b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement", headers: map[string]string{"Accept": accept}})
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("Accept %q: %d %s", accept, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement?format=doc"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("format=doc: %d %s", r.status, r.body)
	}
	// Errors stay problem documents even when a PDF was asked for.
	r := b.do(t, call{target: "/parties/Nobody/statement?format=pdf"})
	if r.status != http.StatusNotFound || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("a missing party as PDF: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

// TestManyPagesPDF: a statement longer than a page repeats the table header
// and numbers its pages.
func TestManyPagesPDF(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	co, _ := b.sim.Company(tallysim.DemoCompanyName)
	for i := range 70 {
		_, err := co.AddVoucher(tallysim.Voucher{Type: "Receipt", Date: tallyxml.NewDate(2026, time.June, 1+i%20), Party: "Rajesh Enterprises",
			Narration: "Part payment " + strconv.Itoa(i), Entries: []tallysim.Entry{
				{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(1000)}, {Ledger: "Cash", Amount: tallyxml.Paise(-1000)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Sync here rather than ask with fresh=true: a loaded machine may take
	// longer than the stale-after wait, and the answer would be stale.
	syncBooks(t, b)
	text := pdfText(t, b.do(t, call{target: "/parties/Rajesh%20Enterprises/statement?format=pdf"}))
	if !strings.Contains(text, "Page 2 of 2") || strings.Count(text, "Balance (") != 2 || !strings.Contains(text, "47,800.00 Dr") {
		t.Errorf("a statement of two pages closing at 48,500.00 less 70 × 10.00:\n%s", text)
	}
}

// TestInvoicePDF: a Sales voucher as a PDF copy of the invoice; any other
// voucher is 406 not_an_invoice.
func TestInvoicePDF(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref":"PDF-1","party":{"name":"Rajesh Enterprises"},
		"lines":[{"item":"Cotton saree","quantity":"2","rate":"1250.00","gst_rate":"5"}]}`})
	if r.status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.status, r.body)
	}
	syncBooks(t, b)
	day := b.do(t, call{target: "/vouchers?type=sales&party=Rajesh%20Enterprises&from=2026-06-23"})
	vs := decode(t, day.body).(map[string]any)["vouchers"].([]any)
	if day.status != http.StatusOK || len(vs) != 1 {
		t.Fatalf("the order's voucher in the day book: %d %s", day.status, day.body)
	}
	target := "/vouchers/" + strconv.FormatFloat(vs[0].(map[string]any)["id"].(float64), 'f', 0, 64)
	text := pdfText(t, b.do(t, call{target: target, headers: map[string]string{"Accept": "application/pdf"}}))
	// The simulator keeps no stock lines (api/pdf's tests print them): the
	// invoice lists the ledger lines.
	for _, want := range []string{"ABC Traders", "GSTIN 27AABCA1234F1Z5", "Tax invoice (copy)", "Billed to", "Rajesh Enterprises",
		"12, Kalbadevi Road", "Sales2,500.00", "CGST62.50", "SGST62.50", "Total2,625.00", "Bill PDF-1, due 23 Jul 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the invoice PDF lacks %q:\n%s", want, text)
		}
	}
	receipt := b.do(t, call{target: "/vouchers?type=Receipt&limit=1"})
	rid := decode(t, receipt.body).(map[string]any)["vouchers"].([]any)[0].(map[string]any)["id"].(float64)
	r = b.do(t, call{target: "/vouchers/" + strconv.FormatFloat(rid, 'f', 0, 64) + "?format=pdf"})
	if r.status != http.StatusNotAcceptable || field(t, r.body, "code") != "not_an_invoice" {
		t.Errorf("a receipt as an invoice: %d %s", r.status, r.body)
	}
}

// TestInvoiceWithStockPDF: an invoice keyed in Tally with a stock line
// reaches the mirror with it, and its PDF copy lists the item.
func TestInvoiceWithStockPDF(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	co, _ := b.sim.Company(tallysim.DemoCompanyName)
	_, err := co.AddVoucher(tallysim.Voucher{Type: "Sales", Number: "ABC/S/777", Date: tallyxml.NewDate(2026, time.June, 23), Party: "Rajesh Enterprises",
		Narration: "Two steel sheets", Entries: []tallysim.Entry{
			{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(-590000),
				Bills: []tallysim.BillAllocation{{Name: "ABC/S/777", Type: tallysim.NewRef, Amount: tallyxml.Paise(-590000)}}},
			{Ledger: "CGST", Amount: tallyxml.Paise(45000)}, {Ledger: "SGST", Amount: tallyxml.Paise(45000)}},
		Inventory: []tallysim.InventoryEntry{{Item: "Steel Sheet 4x8", Quantity: decimal.NewFromInt(2), BilledQty: decimal.NewFromInt(2),
			Unit: "Nos", Rate: decimal.NewFromInt(2500), Amount: tallyxml.Paise(500000),
			Allocations: []tallysim.Entry{{Ledger: "Sales", Amount: tallyxml.Paise(500000)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	syncBooks(t, b)
	day := b.do(t, call{target: "/vouchers?type=sales&from=2026-06-23"})
	vs := decode(t, day.body).(map[string]any)["vouchers"].([]any)
	if day.status != http.StatusOK || len(vs) != 1 || vs[0].(map[string]any)["amount"] != "5900.00" {
		t.Fatalf("the invoice in the day book: %d %s", day.status, day.body)
	}
	target := "/vouchers/" + strconv.FormatFloat(vs[0].(map[string]any)["id"].(float64), 'f', 0, 64)
	items := decode(t, b.do(t, call{target: target}).body).(map[string]any)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["item"] != "Steel Sheet 4x8" || items[0].(map[string]any)["amount"] != "5000.00" {
		t.Errorf("stock lines %v", items)
	}
	text := pdfText(t, b.do(t, call{target: target + "?format=pdf"}))
	for _, want := range []string{"Invoice no. ABC/S/777", "1Steel Sheet 4x8", "5,000.00", "Total5,900.00", "Bill ABC/S/777"} {
		if !strings.Contains(text, want) {
			t.Errorf("the invoice PDF lacks %q:\n%s", want, text)
		}
	}
}

// syncBooks brings the mirror up to the simulator's books now.
func syncBooks(t *testing.T, b *testBundle) {
	t.Helper()
	if _, err := b.books.Sync(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
}
