package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/api"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

type summaryBody struct {
	Date  string `json:"date"`
	Sales struct {
		Count   int    `json:"count"`
		Total   string `json:"total"`
		Display string `json:"display"`
	} `json:"sales"`
	Receipts struct {
		Count int    `json:"count"`
		Total string `json:"total"`
	} `json:"receipts"`
	TopParties []struct {
		Party string `json:"party"`
		Count int    `json:"count"`
		Total string `json:"total"`
	} `json:"top_parties"`
	TopItems []struct {
		Item     string `json:"item"`
		Quantity string `json:"quantity"`
		Total    string `json:"total"`
	} `json:"top_items"`
	LastWeek struct {
		Date  string `json:"date"`
		Sales struct {
			Count int    `json:"count"`
			Total string `json:"total"`
		} `json:"sales"`
	} `json:"last_week"`
	SalesChange string `json:"sales_change"`
	Message     string `json:"message"`
	Source      string `json:"source"`
	Stale       bool   `json:"stale"`
}

// keySale keys a Sales invoice into the simulator as a clerk would in
// Tally: the party debited, the two GST halves credited, and Sales credited
// directly or, for an invoice with stock lines, through their accounting
// allocations (the lines' amounts add up to taxable).
func keySale(t *testing.T, c *tallysim.Company, d tallyxml.Date, party string, taxable int64, stock ...tallysim.InventoryEntry) tallysim.Voucher {
	t.Helper()
	gst := taxable * 9 / 100
	entries := []tallysim.Entry{
		{Ledger: party, Amount: tallyxml.Paise(-(taxable + 2*gst))},
		{Ledger: "CGST", Amount: tallyxml.Paise(gst)},
		{Ledger: "SGST", Amount: tallyxml.Paise(gst)},
	}
	if len(stock) == 0 {
		entries = append(entries, tallysim.Entry{Ledger: "Sales", Amount: tallyxml.Paise(taxable)})
	}
	for i := range stock {
		stock[i].BilledQty = stock[i].Quantity
		stock[i].Allocations = []tallysim.Entry{{Ledger: "Sales", Amount: stock[i].Amount}}
	}
	v, err := c.AddVoucher(tallysim.Voucher{Type: "Sales", Date: d, Party: party, Entries: entries, Inventory: stock})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSalesSummary keys a day's invoices and a receipt into Tally (the
// simulator), lets the mirror sync, and reads the summary: its sales equal
// the sum of that day's Sales vouchers in Tally (cancelled ones aside), its
// receipts that day's Receipt vouchers, with the top party and item, against
// the same weekday a week before.
func TestSalesSummary(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testSalesSummary(t, setup(t, setupOpts{mirror: true, durable: store}))
		})
	}
}

func testSalesSummary(t *testing.T, b *testBundle) {
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	today, lastWeek := tallyxml.NewDate(2026, time.June, 23), tallyxml.NewDate(2026, time.June, 16)
	line := func(item, qty, rate string, paise int64) tallysim.InventoryEntry {
		return tallysim.InventoryEntry{Item: item, Quantity: decimal.RequireFromString(qty), Rate: decimal.RequireFromString(rate),
			Amount: tallyxml.Paise(paise)}
	}
	keySale(t, demo, today, "Rajesh Enterprises", 90_000_00, line("Steel Sheet 4x8", "20", "4500", 90_000_00))
	keySale(t, demo, today, "Nair Agencies", 9_000_00, line("Steel Sheet 4x8", "2", "4500", 9_000_00))
	keySale(t, demo, today, "Rajesh Enterprises", 1_000_00, line("Copper Wire 1.5mm", "1.5", "666.67", 1_000_00))
	cancelled := keySale(t, demo, today, "Nair Agencies", 50_000_00)
	if err := demo.CancelVoucher(cancelled.MasterID); err != nil {
		t.Fatal(err)
	}
	keySale(t, demo, lastWeek, "Nair Agencies", 40_000_00)
	if _, err := demo.AddVoucher(tallysim.Voucher{Type: "Receipt", Date: today, Party: "Rajesh Enterprises", Entries: []tallysim.Entry{
		{Ledger: "Cash", Amount: tallyxml.Paise(-25_000_00)},
		{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(25_000_00)},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.books.Sync(t.Context(), ""); err != nil {
		t.Fatal(err)
	}

	// What Tally holds, summed independently of the summary's code.
	sum := func(day tallyxml.Date, typ string) (n int, total int64) {
		for _, v := range demo.Vouchers() {
			if v.Type != typ || v.Date != day || v.Cancelled {
				continue
			}
			for _, e := range v.Entries {
				if e.Ledger == v.Party {
					n, total = n+1, total+max(e.Amount.Paise(), -e.Amount.Paise())
				}
			}
		}
		return n, total
	}
	money := func(p int64) string { return tallyxml.Paise(p).String() }
	salesN, salesTotal := sum(today, "Sales")
	receiptsN, receiptsTotal := sum(today, "Receipt")
	lastN, lastTotal := sum(lastWeek, "Sales")

	r := b.do(t, call{target: "/reports/sales-summary?date=2026-06-23"})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var got summaryBody
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Sales.Count != salesN || got.Sales.Total != money(salesTotal) || salesN < 3 {
		t.Errorf("sales %+v; want %d vouchers totalling %s, the day's Sales vouchers in Tally", got.Sales, salesN, money(salesTotal))
	}
	if got.Receipts.Count != receiptsN || got.Receipts.Total != money(receiptsTotal) || receiptsN < 1 {
		t.Errorf("receipts %+v; want %d totalling %s", got.Receipts, receiptsN, money(receiptsTotal))
	}
	if got.LastWeek.Date != "2026-06-16" || got.LastWeek.Sales.Count != lastN || got.LastWeek.Sales.Total != money(lastTotal) {
		t.Errorf("last week %+v; want %d totalling %s", got.LastWeek, lastN, money(lastTotal))
	}
	if got.SalesChange != money(salesTotal-lastTotal) {
		t.Errorf("sales_change %s; want %s", got.SalesChange, money(salesTotal-lastTotal))
	}
	if len(got.TopParties) == 0 || got.TopParties[0].Party != "Rajesh Enterprises" {
		t.Errorf("top parties %+v; want Rajesh Enterprises first", got.TopParties)
	}
	if len(got.TopItems) < 2 || got.TopItems[0].Item != "Steel Sheet 4x8" || got.TopItems[0].Quantity != "22 Nos" ||
		got.TopItems[0].Total != "99000.00" || got.TopItems[1].Quantity != "1.5 Mtr" {
		t.Errorf("top items %+v; want Steel Sheet 4x8 22 Nos 99000.00, then Copper Wire 1.5mm 1.5 Mtr", got.TopItems)
	}
	if !strings.HasPrefix(got.Message, "Sales on Tue 23 Jun 2026: ") || !strings.Contains(got.Message, "Top item: Steel Sheet 4x8 ₹99,000.00.") ||
		got.Source != "mirror" || got.Stale {
		t.Errorf("message %q, source %s, stale %v", got.Message, got.Source, got.Stale)
	}
}

// countingSender answers each send with the next of answers (the last
// repeats) and counts the sends.
type countingSender struct {
	mu      sync.Mutex
	sent    []service.ReminderMessage
	answers []error
}

func (s *countingSender) Send(_ context.Context, m service.ReminderMessage) (service.SendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.answers[min(len(s.sent), len(s.answers)-1)]
	s.sent = append(s.sent, m)
	return service.SendResult{MessageID: "wamid.summary"}, err
}

func (s *countingSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// TestSalesSummarySentOnce sends the owner's daily summary the way the
// daily job does, from two replicas at once and again as a retried job:
// one message a day. A send whose answer was lost is not sent again; a
// refused one is, by the job's next attempt.
func TestSalesSummarySentOnce(t *testing.T) {
	t.Parallel()
	lost := &service.Error{Kind: service.Unavailable, Code: "sender_outcome_unknown", Message: "no answer; the message may have been delivered"}
	refused := &service.Error{Kind: service.Upstream, Code: "sender_rejected", Message: "refused (400)"}
	for _, tc := range []struct {
		name    string
		answers []error
		// before is the status of a send before the two replicas send at
		// once; pair is what the two get (one of them wins), retry what a
		// later attempt of the job gets; sends counts the messages.
		before service.ReminderStatus
		pair   service.ReminderStatus
		sends  int
	}{
		{name: "delivered", answers: []error{nil}, pair: service.ReminderSent, sends: 1},
		{name: "answer lost", answers: []error{lost}, pair: service.ReminderUnknown, sends: 1},
		{name: "refused, then delivered", answers: []error{refused, nil}, before: service.ReminderFailed, pair: service.ReminderSent, sends: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{mirror: true})
			snd := &countingSender{answers: tc.answers}
			replica := func() *service.Summaries {
				return service.NewSummaries(b.books, b.summaryStore, service.SummariesConfig{OwnerMobile: "098200 12345", Sender: snd})
			}
			if tc.before != "" {
				// A refused send is the job's error, so River tries it again.
				if d, err := replica().SendDaily(t.Context(), ""); d.Status != tc.before || service.KindOf(err) != service.Unavailable {
					t.Fatalf("first send: %s, %v; want %s and an error", d.Status, err, tc.before)
				}
			}
			var wg sync.WaitGroup
			got := make([]service.ReminderStatus, 2)
			for i, m := range []*service.Summaries{replica(), replica()} {
				wg.Go(func() {
					d, err := m.SendDaily(t.Context(), "")
					if err != nil {
						t.Errorf("replica %d: %v", i, err)
					}
					got[i] = d.Status
				})
			}
			wg.Wait()
			slices.Sort(got)
			want := []service.ReminderStatus{service.ReminderAlreadySent, tc.pair}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("two replicas: %v; want %v", got, want)
			}
			if d, err := replica().SendDaily(t.Context(), ""); d.Status != service.ReminderAlreadySent || err != nil {
				t.Errorf("the job's retry: %s, %v; want already_sent", d.Status, err)
			}
			if n := snd.count(); n != tc.sends {
				t.Errorf("%d messages sent; want %d", n, tc.sends)
			}
			m := snd.sent[0]
			if m.Mobile != "+919820012345" || m.Key != "summary:2026-06-23:abc traders" || !strings.HasPrefix(m.Text, "Sales on Tue 23 Jun 2026: ") ||
				m.Fields["summary"] != m.Text {
				t.Errorf("message %+v", m)
			}
		})
	}
}

// TestCustomVoucherTypes: a company that invoices with its own voucher
// types ("Tax Invoice" under Sales, "Bank Receipt" under Receipt) is served
// as one that uses Tally's: the sales summary counts them, the invoice is
// confirmed to its party and can be had as a PDF, though neither type is
// named Sales or Receipt (tally-protocol.md §9.7). On both stores.
func TestCustomVoucherTypes(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		box := &api.SentBox{}
		b := setup(t, setupOpts{mirror: true, durable: store, confirm: box})
		demo, _ := b.sim.Company(tallysim.DemoCompanyName)
		for _, vt := range [][2]string{{"Tax Invoice", "Sales"}, {"Bank Receipt", "Receipt"}} {
			if err := demo.AddVoucherType(vt[0], vt[1]); err != nil {
				t.Fatal(err)
			}
		}
		today := tallyxml.NewDate(2026, time.June, 23)
		invoice, err := demo.AddVoucher(tallysim.Voucher{Type: "Tax Invoice", Date: today, Party: "Rajesh Enterprises",
			Entries: []tallysim.Entry{{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(-11_800_00)},
				{Ledger: "CGST", Amount: tallyxml.Paise(900_00)}, {Ledger: "SGST", Amount: tallyxml.Paise(900_00)},
				{Ledger: "Sales", Amount: tallyxml.Paise(10_000_00)}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := demo.AddVoucher(tallysim.Voucher{Type: "Bank Receipt", Date: today, Party: "Rajesh Enterprises",
			Entries: []tallysim.Entry{{Ledger: "Cash", Amount: tallyxml.Paise(-5_000_00)},
				{Ledger: "Rajesh Enterprises", Amount: tallyxml.Paise(5_000_00)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.books.Sync(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		r := b.do(t, call{target: "/reports/sales-summary?date=2026-06-23"})
		var got summaryBody
		if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if got.Sales.Count != 1 || got.Sales.Total != "11800.00" || got.Receipts.Count != 1 || got.Receipts.Total != "5000.00" {
			t.Errorf("sales %+v, receipts %+v; want the Tax Invoice and the Bank Receipt", got.Sales, got.Receipts)
		}
		r = b.do(t, call{target: fmt.Sprintf("/vouchers/%d?format=pdf", invoice.MasterID)})
		if r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("%PDF")) {
			t.Errorf("the Tax Invoice as a PDF: %d %.200s", r.status, r.body)
		}
		if _, err := b.confirm.Dispatch(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		if sent := box.Messages(); len(sent) != 1 || sent[0].Party != "Rajesh Enterprises" {
			t.Errorf("confirmations %+v; want the Tax Invoice's, to Rajesh Enterprises", sent)
		}
	})
}
