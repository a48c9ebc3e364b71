package api_test

import (
	"net/http"
	"os"
	"path/filepath"
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

// TestInvoiceConfirmations: after the first load (whose vouchers are never
// confirmed), a Sales invoice keyed into Tally by a clerk and an order
// posted through the API each get one confirmation to their party's mobile,
// with the invoice's number, date and amount; a party without a mobile gets
// none; a second dispatch, a second replica's dispatch and a second sync
// send nothing more. On both stores.
func TestInvoiceConfirmations(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			box := &api.SentBox{}
			b := setup(t, setupOpts{mirror: true, durable: store, confirm: box})
			ctx := t.Context()
			if all, err := b.confirmStore.ListConfirmations(ctx, tallysim.DemoCompanyName, 100); err != nil || len(all) != 0 {
				t.Fatalf("after the first load: %+v, %v; want no confirmations", all, err)
			}
			demo, _ := b.sim.Company(tallysim.DemoCompanyName)
			today := tallyxml.NewDate(2026, time.June, 23)
			keyed := keySale(t, demo, today, "Rajesh Enterprises", 10_000_00)
			keySale(t, demo, today, `Kumar "KK" Stores`, 1_000_00)
			r := b.do(t, call{method: http.MethodPost, target: "/orders", body: `{"order_ref": "CONF-1",
				"party": {"name": "Priya Textiles"}, "lines": [{"item": "Cotton saree", "quantity": "2", "rate": "1250.00", "gst_rate": "5"}]}`})
			if r.status != http.StatusCreated {
				t.Fatalf("POST /orders: %d %s", r.status, r.body)
			}
			for range 2 { // the second sync finds nothing new
				if _, err := b.books.Sync(ctx, ""); err != nil {
					t.Fatal(err)
				}
			}
			// A second replica: its own service over the same store.
			other := service.NewConfirmations(service.New(nil, service.Config{Company: tallysim.DemoCompanyName,
				Store: b.confirmStore.(service.Store)}), b.confirmStore, service.ConfirmConfig{Sender: box})
			var wg sync.WaitGroup
			for _, c := range []*service.Confirmations{b.confirm, other, b.confirm} {
				wg.Go(func() {
					if _, err := c.Dispatch(ctx, ""); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			sent := box.Messages()
			slices.SortFunc(sent, func(a, b service.ReminderMessage) int { return strings.Compare(a.Party, b.Party) })
			if len(sent) != 2 {
				t.Fatalf("%d confirmations sent: %+v; want 2 (Priya Textiles' order, Rajesh Enterprises' invoice)", len(sent), sent)
			}
			priya, rajesh := sent[0], sent[1]
			if priya.Party != "Priya Textiles" || priya.WhatsAppID != "919820123456" || priya.Fields["amount"] != "2,625" ||
				!strings.Contains(priya.Text, "dated 23 June 2026 for ₹2,625.00 is entered in our books. - ABC Traders") {
				t.Errorf("order's confirmation %+v", priya)
			}
			if rajesh.Party != "Rajesh Enterprises" || rajesh.WhatsAppID != "919820012345" || rajesh.Fields["number"] != keyed.Number ||
				rajesh.Fields["date"] != "23 June 2026" || rajesh.Fields["amount"] != "11,800" ||
				!strings.HasPrefix(rajesh.Text, "Dear Rajesh Enterprises, thank you for your purchase. ") {
				t.Errorf("keyed invoice's confirmation %+v", rajesh)
			}
			all, err := b.confirmStore.ListConfirmations(ctx, tallysim.DemoCompanyName, 100)
			if err != nil {
				t.Fatal(err)
			}
			statuses := map[string]string{}
			for _, c := range all {
				statuses[c.Party] = c.Status
			}
			want := map[string]string{"Rajesh Enterprises": service.ConfirmSent, "Priya Textiles": service.ConfirmSent,
				`Kumar "KK" Stores`: service.ConfirmNoMobile}
			if len(all) != 3 || statuses["Rajesh Enterprises"] != want["Rajesh Enterprises"] || statuses["Priya Textiles"] != want["Priya Textiles"] ||
				statuses[`Kumar "KK" Stores`] != want[`Kumar "KK" Stores`] {
				t.Errorf("confirmations %+v; want %v", all, want)
			}
		})
	}
}

// TestInvoiceConfirmationsLeaveWhatsAppOrders: with both confirmations on,
// a WhatsApp order's customer gets the order's own confirmation when it
// posts, and its invoice, appearing in the books, is recorded as already
// told instead of a second message. On both stores.
func TestInvoiceConfirmationsLeaveWhatsAppOrders(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, store string) {
		invoices, orders := &api.SentBox{}, &api.SentBox{}
		five := decimal.NewFromInt(5)
		b := setup(t, setupOpts{mirror: true, durable: store, confirm: invoices, whatsAppSecret: mirrorWASecret,
			whatsApp: service.WhatsAppConfig{Confirm: orders,
				Catalog: service.Catalog{"saree-cotton": {Item: "Cotton saree", GSTRate: &five, Unit: "NOS"}}}})
		body, err := os.ReadFile(filepath.Join("testdata", "whatsapp", "order_rajesh.json"))
		if err != nil {
			t.Fatal(err)
		}
		b.deliverWhatsApp(t, body)
		if o := b.waitOrders(t, 1)[0]; o.State != "posted" {
			t.Fatalf("order %+v; want posted", o)
		}
		ctx := t.Context()
		if _, err := b.books.Sync(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.confirm.Dispatch(ctx, ""); err != nil {
			t.Fatal(err)
		}
		if sent := orders.Messages(); len(sent) != 1 || sent[0].Party != "Rajesh Enterprises" {
			t.Errorf("order confirmations %+v; want one to Rajesh Enterprises", sent)
		}
		if sent := invoices.Messages(); len(sent) != 0 {
			t.Errorf("invoice confirmations sent %+v; want none", sent)
		}
		all, err := b.confirmStore.ListConfirmations(ctx, tallysim.DemoCompanyName, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Party != "Rajesh Enterprises" || all[0].Status != service.ConfirmAlreadySent {
			t.Errorf("confirmations %+v; want Rajesh Enterprises' invoice, already_sent", all)
		}
	})
}
