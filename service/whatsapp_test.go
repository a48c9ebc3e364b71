package service_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

// waStore is memStore with an inbox, and a switch to make the database fail.
type waStore struct {
	*memStore
	inMu    sync.Mutex
	inbound map[string]service.InboundMessage
	fail    error
}

func newWAStore() *waStore {
	return &waStore{memStore: newMemStore(), inbound: map[string]service.InboundMessage{}}
}

func (w *waStore) RecordInboundMessage(ctx context.Context, m service.InboundMessage) (bool, error) {
	w.inMu.Lock()
	defer w.inMu.Unlock()
	if w.fail != nil {
		return false, w.fail
	}
	if _, ok := w.inbound[m.ID]; ok {
		return false, nil
	}
	w.inbound[m.ID] = m
	return true, nil
}

func (w *waStore) CreateOrder(ctx context.Context, o service.OrderRecord) (service.OrderRecord, bool, error) {
	w.inMu.Lock()
	fail := w.fail
	w.inMu.Unlock()
	if fail != nil {
		return service.OrderRecord{}, false, fail
	}
	return w.memStore.CreateOrder(ctx, o)
}

func (w *waStore) ordersList(t *testing.T) []service.OrderRecord {
	t.Helper()
	out, err := w.ListOrders(t.Context(), service.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var waCatalog = service.Catalog{
	"saree-cotton": {Item: "Cotton saree", GSTRate: ptr("5"), Unit: "NOS"},
	"kurta-m":      {Item: "Kurta (M)", GSTRate: ptr("12")},
}

func newWAService(f *fakeGateway, st service.Store) *service.Service {
	return service.New(f, service.Config{Company: "ABC Traders", Store: st,
		Queue:    service.QueueConfig{MaxAttempts: 3, RetryBase: time.Second, RetryMax: 4 * time.Second},
		Now:      func() time.Time { return today.Add(10 * time.Hour) },
		WhatsApp: service.WhatsAppConfig{Catalog: waCatalog}})
}

// waOrderMsg is an order message as api decodes it from Meta's webhook
// (api/whatsapp), sent on 22 June 2026 from the number from, whose profile
// name is profile.
func waOrderMsg(id, from, profile string, items ...service.WhatsAppOrderItem) service.WhatsAppMessage {
	return service.WhatsAppMessage{ID: id, From: from, Profile: profile, Type: "order", SentAt: time.Unix(1782158400, 0),
		Order: &service.WhatsAppOrder{Text: "Please deliver by Friday", Items: items}, Payload: []byte("payload of " + id)}
}

// waItem is an order line: quantity and price as the digits Meta sent.
func waItem(retailerID, quantity, price, currency string) service.WhatsAppOrderItem {
	return service.WhatsAppOrderItem{RetailerID: retailerID, Quantity: quantity, Price: price, Currency: currency}
}

// waResult counts outcomes as the webhook answers them.
type waResult struct{ Orders, Duplicates, Ignored int }

// deliver hands messages, then statuses, to svc as the webhook does, and
// counts what each became; the first error stops it.
func deliver(svc *service.Service, msgs []service.WhatsAppMessage, statuses ...service.WhatsAppStatus) (waResult, error) {
	n := map[service.WhatsAppOutcome]int{}
	result := func() waResult {
		return waResult{Orders: n[service.WhatsAppOrderStored], Duplicates: n[service.WhatsAppDuplicate], Ignored: n[service.WhatsAppIgnored]}
	}
	for _, m := range msgs {
		o, err := svc.HandleWhatsAppMessage(context.Background(), m)
		if err != nil {
			return result(), err
		}
		n[o]++
	}
	for _, st := range statuses {
		o, err := svc.HandleWhatsAppStatus(context.Background(), st)
		if err != nil {
			return result(), err
		}
		n[o]++
	}
	return result(), nil
}

func msgs(m ...service.WhatsAppMessage) []service.WhatsAppMessage { return m }

func TestNewCatalog(t *testing.T) {
	t.Parallel()
	got, err := service.NewCatalog(map[string]service.CatalogProduct{
		"saree-cotton": {Item: "Cotton saree", GSTRate: ptr("5"), SalesLedger: " Sales ", Unit: "NOS"},
		"kurta-m":      {Item: " Kurta (M) ", GSTRate: ptr("12")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := service.Catalog{
		"saree-cotton": {Item: "Cotton saree", GSTRate: ptr("5"), SalesLedger: "Sales", Unit: "NOS"},
		"kurta-m":      {Item: "Kurta (M)", GSTRate: ptr("12")},
	}
	// decimal.Decimal has unexported fields: rates compare as text.
	if diff := cmp.Diff(want, got, cmp.Transformer("rate", func(d *decimal.Decimal) string { return d.String() })); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	for name, bad := range map[string]service.CatalogProduct{
		"not a slab":   {Item: "X", GSTRate: ptr("7")},
		"no item":      {GSTRate: ptr("5")},
		"control char": {Item: "X\u0007"},
		"bad ledger":   {Item: "X", SalesLedger: "Sales\u0000"},
		"long unit":    {Item: "X", Unit: strings.Repeat("u", 21)},
		"control unit": {Item: "X", Unit: "N\nOS"},
	} {
		if _, err := service.NewCatalog(map[string]service.CatalogProduct{"a": bad}); service.KindOf(err) != service.Invalid {
			t.Errorf("%s: err = %v, want invalid_catalog", name, err)
		}
	}
	if _, err := service.NewCatalog(map[string]service.CatalogProduct{" ": {Item: "X"}}); service.KindOf(err) != service.Invalid {
		t.Errorf("empty id: err = %v, want invalid_catalog", err)
	}
}

// postAll runs the queue over every stored order, as the store's worker would.
func postAll(t *testing.T, svc *service.Service, st *waStore) {
	t.Helper()
	for _, o := range st.ordersList(t) {
		if o.State == service.OrderReceived {
			if err := svc.PostOrder(t.Context(), o.ID); err != nil {
				t.Fatalf("PostOrder(%s): %v", o.ID, err)
			}
		}
	}
}

func TestWhatsAppOrderFromAKnownMobile(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	// Rajesh Enterprises has 9820012345 in Tally, typed without +91.
	body := msgs(waOrderMsg("wamid.ORDER1", "919820012345", "Rajesh Shah",
		waItem("saree-cotton", "2", "1250.00", "INR"), waItem("kurta-m", "1", "799.99", "INR")))
	res, err := deliver(svc, body)
	if err != nil || res != (waResult{Orders: 1}) {
		t.Fatalf("deliver = %+v, %v; want one order", res, err)
	}
	if f.calls["Ledgers"]+f.calls["Parties"]+f.calls["PostVoucher"] != 0 {
		t.Fatalf("the webhook called Tally: %v", f.calls)
	}
	// Meta redelivers: nothing new.
	res, err = deliver(svc, body)
	if err != nil || res != (waResult{Duplicates: 1}) {
		t.Fatalf("redelivery = %+v, %v; want one duplicate", res, err)
	}
	orders := st.ordersList(t)
	if len(orders) != 1 || orders[0].Source != "whatsapp" || orders[0].Ref != service.WhatsAppOrderRef("wamid.ORDER1") {
		t.Fatalf("orders %+v; want one whatsapp order with ref %s", orders, service.WhatsAppOrderRef("wamid.ORDER1"))
	}
	if in := st.inbound["wamid.ORDER1"]; in.Type != "order" || in.From != "919820012345" || string(in.Payload) != "payload of wamid.ORDER1" {
		t.Fatalf("inbound message %+v", in)
	}
	postAll(t, svc, st)
	got, _ := st.GetOrder(t.Context(), orders[0].ID)
	res2, ok := service.OrderResultOf(got)
	if !ok || res2.Party != "Rajesh Enterprises" || res2.PartyCreated || got.Party != "Rajesh Enterprises" {
		t.Fatalf("order %+v; want posted to Rajesh Enterprises", got)
	}
	// 2 × 1,250.00 at 5% + 1 × 799.99 at 12%: 2,500.00 + 125.00 + 799.99 + 96.00 (95.9988 rounded).
	if res2.Pricing.Taxable != 329999 || res2.Pricing.Total != 329999+12500+9600 {
		t.Fatalf("pricing %+v", res2.Pricing)
	}
	v := f.vouchers[res2.RemoteID]
	if v.Party != "Rajesh Enterprises" || !v.Date.Equal(today) || v.Reference != service.WhatsAppOrderRef("wamid.ORDER1") ||
		!strings.Contains(v.Narration, "Please deliver by Friday") {
		t.Fatalf("voucher %+v", v)
	}
	// Without a mirror the lookup reads the parties from Tally: one
	// request per party group (Sundry Debtors, Sundry Creditors).
	if len(f.created) != 0 || f.calls["Parties"] != 2 {
		t.Fatalf("created %v, calls %v; want no party created and one Parties read per party group", f.created, f.calls)
	}
}

func TestWhatsAppOrderFromANewMobile(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	item := waItem("saree-cotton", "1", "1000", "INR")
	res, err := deliver(svc, msgs(
		waOrderMsg("wamid.NEW1", "919876543210", "Sheena  Nelson\u0007", item),
		waOrderMsg("wamid.NEW2", "919876543210", "Sheena  Nelson\u0007", item), // same customer, second order: one party
		waOrderMsg("wamid.CLASH", "919811122233", "Rajesh Enterprises", item),  // a profile name an existing party has
		waOrderMsg("wamid.NONAME", "919822233344", "", item)))
	if err != nil || res.Orders != 4 {
		t.Fatalf("deliver = %+v, %v", res, err)
	}
	postAll(t, svc, st)
	parties := map[string]string{}
	for _, o := range st.ordersList(t) {
		r, ok := service.OrderResultOf(o)
		if !ok {
			t.Fatalf("order %+v not posted", o)
		}
		parties[r.Party] = f.ledgers[strings.ToLower(r.Party)].Mobile.E164
	}
	want := map[string]string{
		"Sheena Nelson":             "+919876543210",
		"Rajesh Enterprises (2233)": "+919811122233",
		"WhatsApp +919822233344":    "+919822233344",
	}
	if diff := cmp.Diff(want, parties); diff != "" {
		t.Fatalf("parties (-want +got):\n%s", diff)
	}
	if len(f.created) != 3 {
		t.Fatalf("created %d parties, want 3: %+v", len(f.created), f.created)
	}
	for _, p := range f.created {
		if p.Group != "Sundry Debtors" {
			t.Errorf("party %s created under %s", p.Name, p.Group)
		}
	}
}

func TestWhatsAppRejections(t *testing.T) {
	t.Parallel()
	saree := waItem("saree-cotton", "1", "10", "INR")
	for _, tc := range []struct {
		name, from   string
		order        *service.WhatsAppOrder
		code, reason string
	}{
		{"unknown product", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{saree, waItem("di9ozbzfi4", "2", "30", "INR")}}, "unknown_product", `"di9ozbzfi4"`},
		{"currency", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{waItem("saree-cotton", "2", "30", "USD")}}, "unsupported_currency", `"USD"`},
		{"three decimals", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{waItem("saree-cotton", "1", "7.999", "INR")}}, "invalid_amount", "item_price"},
		{"exponent", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{waItem("saree-cotton", "1", "1e3", "INR")}}, "invalid_amount", "exponent"},
		{"zero quantity", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{waItem("saree-cotton", "0", "10", "INR")}}, "invalid_quantity", "quantity"},
		{"fractional quantity", "919820012345", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{waItem("saree-cotton", "1.5", "10", "INR")}}, "invalid_quantity", "quantity"},
		{"no items", "919820012345", &service.WhatsAppOrder{}, "order_no_lines", "no product_items"},
		{"bad sender", "12", &service.WhatsAppOrder{Items: []service.WhatsAppOrderItem{saree}}, "unknown_sender", "not a usable mobile"},
		{"unreadable order", "919820012345", nil, "invalid_order", "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newFake(), newWAStore()
			svc := newWAService(f, st)
			m := waOrderMsg("wamid."+tc.name, tc.from, "Someone")
			m.Order = tc.order
			res, err := deliver(svc, msgs(m))
			if err != nil || res != (waResult{Orders: 1}) {
				t.Fatalf("deliver = %+v, %v; want the order stored", res, err)
			}
			postAll(t, svc, st)
			o := st.ordersList(t)[0]
			if o.State != service.OrderRejected || o.LastErrorCode != tc.code || !strings.Contains(o.LastError, tc.reason) {
				t.Fatalf("order %s %s %q; want rejected %s mentioning %s", o.State, o.LastErrorCode, o.LastError, tc.code, tc.reason)
			}
			if len(f.vouchers) != 0 || f.calls["Ledgers"] != 0 {
				t.Fatalf("a rejected order reached Tally: %v", f.calls)
			}
		})
	}
}

func TestWhatsAppOtherMessagesAndStatuses(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	status := func(s string) service.WhatsAppStatus {
		return service.WhatsAppStatus{MessageID: "wamid.OUT1", Status: s, RecipientID: "16505551234", Payload: []byte(s)}
	}
	body := msgs(
		service.WhatsAppMessage{ID: "wamid.TEXT1", From: "16505551234", Profile: "Sheena Nelson", Type: "text", Payload: []byte("text")},
		service.WhatsAppMessage{ID: "wamid.BTN1", From: "16505551234", Profile: "Sheena Nelson", Type: "interactive", Payload: []byte("button")},
		service.WhatsAppMessage{From: "16505551234", Type: "text"}, // no id: cannot be recorded once
	)
	statuses := []service.WhatsAppStatus{status("sent"), status("delivered"), status("read"), {Status: "read"}}
	res, err := deliver(svc, body, statuses...)
	if want := (waResult{Ignored: 7}); err != nil || res != want {
		t.Fatalf("deliver = %+v, %v; want %+v", res, err, want)
	}
	if len(st.ordersList(t)) != 0 {
		t.Fatal("an order was stored")
	}
	if st.inbound["wamid.TEXT1"].Type != "text" || st.inbound["status:wamid.OUT1:read"].Type != "status" || len(st.inbound) != 5 {
		t.Fatalf("inbound %v", st.inbound)
	}
	res, err = deliver(svc, body, statuses...)
	if want := (waResult{Duplicates: 5, Ignored: 2}); err != nil || res != want {
		t.Fatalf("redelivery = %+v, %v; want %+v", res, err, want)
	}
}

// TestWhatsAppStoreDown: a storage failure is returned as it is, so the
// webhook answers 5xx and Meta delivers again.
func TestWhatsAppStoreDown(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	dbDown := &service.Error{Kind: service.Unavailable, Code: "store_unavailable", Message: "database down"}
	st.fail = dbDown
	for name, m := range map[string]service.WhatsAppMessage{
		"order": waOrderMsg("wamid.X", "919820012345", "R", waItem("saree-cotton", "1", "10", "INR")),
		"text":  {ID: "wamid.T", From: "919820012345", Type: "text"},
	} {
		if _, err := svc.HandleWhatsAppMessage(t.Context(), m); !errors.Is(err, dbDown) {
			t.Errorf("%s with the store down: err = %v, want the store's error", name, err)
		}
	}
	if _, err := svc.HandleWhatsAppStatus(t.Context(), service.WhatsAppStatus{MessageID: "wamid.S", Status: "sent"}); !errors.Is(err, dbDown) {
		t.Errorf("status with the store down: err = %v, want the store's error", err)
	}
}

// TestWhatsAppOrderDate: the order is dated by the message's timestamp in
// India, not by when it arrives (a redelivery days later keeps its day).
func TestWhatsAppOrderDate(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	// 1782071999 is 22 June 2026, 01:29:59 IST (21 June, 19:59:59 UTC).
	m := waOrderMsg("wamid.D", "919820012345", "", waItem("saree-cotton", "1", "100", "INR"))
	m.SentAt = time.Unix(1782071999, 0)
	if _, err := deliver(svc, msgs(m)); err != nil {
		t.Fatal(err)
	}
	postAll(t, svc, st)
	r, ok := service.OrderResultOf(st.ordersList(t)[0])
	if want := time.Date(2026, time.June, 22, 0, 0, 0, 0, time.UTC); !ok || !r.Date.Equal(want) {
		t.Fatalf("order date %v, want %v", r.Date, want)
	}
}

func TestWhatsAppOrderRef(t *testing.T) {
	t.Parallel()
	a, b := service.WhatsAppOrderRef("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="), service.WhatsAppOrderRef("wamid.other")
	if len(a) != 11 || !strings.HasPrefix(a, "WA-") || a == b || a != service.WhatsAppOrderRef("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=") {
		t.Fatalf("refs %q %q", a, b)
	}
}

// FuzzWhatsAppMessage: whatever a decoded message holds, handling it stores
// it or ignores it (never an error with a working store, never a panic), and
// every order it stores can be attempted without panicking either. Meta's
// JSON is fuzzed where it is decoded (api/whatsapp).
func FuzzWhatsAppMessage(f *testing.F) {
	f.Add("wamid.1", "919820012345", "Rajesh", "order", "note", "saree-cotton", "2", "1250.00", "INR", int64(1782158400), true)
	f.Add("wamid.2", "16505551234", "", "order", "", "di9ozbzfi4", "2", "7.99", "USD", int64(0), true)
	f.Add("x", "1", "", "order", "", "", "", "", "", int64(-1), false)
	f.Add("\x00", "+91\u00a09820012345", "\u202e", "order", "\xed\xa0\x80", "kurta-m", "99999999999999999999", "-1", "inr", int64(99999999999999), true)
	f.Add("wamid.3", "919820012345", "R", "text", "", "", "", "", "", int64(1782158400), false)
	f.Fuzz(func(t *testing.T, id, from, profile, typ, text, retailerID, qty, price, currency string, secs int64, hasOrder bool) {
		fg, st := newFake(), newWAStore()
		svc := newWAService(fg, st)
		m := service.WhatsAppMessage{ID: id, From: from, Profile: profile, Type: typ, SentAt: time.Unix(secs, 0), Payload: []byte(text)}
		if hasOrder {
			m.Order = &service.WhatsAppOrder{Text: text, Items: []service.WhatsAppOrderItem{waItem(retailerID, qty, price, currency)}}
		}
		if _, err := svc.HandleWhatsAppMessage(context.Background(), m); err != nil {
			t.Fatalf("HandleWhatsAppMessage: %v; nothing fails with a working store", err)
		}
		for _, o := range st.ordersList(t) {
			_ = svc.PostOrder(context.Background(), o.ID)
		}
	})
}

// TestWhatsAppSharedMobileIsNotGuessed: two ledgers carry the sender's number;
// the order is rejected naming both instead of debiting the first by name.
func TestWhatsAppSharedMobileIsNotGuessed(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	f.ledgers["alpha agencies"] = service.Party{Name: "Alpha Agencies", Group: "Sundry Debtors", Mobile: service.NormalizeMobile("98200 12345")}
	svc := newWAService(f, st)
	if _, err := deliver(svc, msgs(waOrderMsg("wamid.SHARED", "919820012345", "Rajesh Shah", waItem("saree-cotton", "1", "100", "INR")))); err != nil {
		t.Fatal(err)
	}
	postAll(t, svc, st)
	orders := st.ordersList(t)
	if len(orders) != 1 || orders[0].State != service.OrderRejected || orders[0].LastErrorCode != "ambiguous_party_mobile" ||
		!strings.Contains(orders[0].LastError, "Alpha Agencies") || !strings.Contains(orders[0].LastError, "Rajesh Enterprises") {
		t.Fatalf("orders %+v; want one rejected as ambiguous_party_mobile naming both parties", orders)
	}
	if len(f.vouchers) != 0 {
		t.Fatalf("posted %d vouchers; want none", len(f.vouchers))
	}
}

// TestWhatsAppUnstorableIDsAreIgnored: ids the database would refuse (a NUL,
// invalid UTF-8, 10,000 characters) are ignored, never a storage error that
// would have Meta redeliver the batch for days.
func TestWhatsAppUnstorableIDsAreIgnored(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	long := strings.Repeat("a", 10000)
	res, err := deliver(svc, msgs(
		service.WhatsAppMessage{ID: "wamid.A\x00B", From: "919820012345", Type: "text"},
		service.WhatsAppMessage{ID: long, From: "919820012345", Type: "text"},
		service.WhatsAppMessage{ID: "wamid.\xff", From: "919820012345", Type: "text"},
		service.WhatsAppMessage{ID: "wamid.OK", From: "9198\x00", Type: "text"}),
		service.WhatsAppStatus{MessageID: "x\x00", Status: "sent", RecipientID: "1"})
	if err != nil || res.Ignored != 5 || len(st.inbound) != 0 {
		t.Fatalf("result %+v, %v, %d stored; want 5 ignored and nothing stored", res, err, len(st.inbound))
	}
}
