package service_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

const waSecret = "app-secret-for-tests"

var waCatalog = service.Catalog{
	"saree-cotton": {Item: "Cotton saree", GSTRate: ptr("5"), Unit: "NOS"},
	"kurta-m":      {Item: "Kurta (M)", GSTRate: ptr("12")},
}

func newWAService(f *fakeGateway, st service.Store) *service.Service {
	return service.New(f, service.Config{Company: "ABC Traders", Store: st,
		Queue:    service.QueueConfig{MaxAttempts: 3, RetryBase: time.Second, RetryMax: 4 * time.Second},
		Now:      func() time.Time { return today.Add(10 * time.Hour) },
		WhatsApp: service.WhatsAppConfig{VerifyToken: "verify-me", AppSecret: waSecret, Catalog: waCatalog}})
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// waEnvelope wraps contacts and messages (and statuses) in the Cloud API
// envelope of ecosystem.md §1.2.
func waEnvelope(contacts, messages, statuses string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[%s],"messages":[%s],"statuses":[%s]},"field":"messages"}]}]}`, contacts, messages, statuses)
}

func waContact(waID, name string) string {
	n, _ := json.Marshal(name)
	return fmt.Sprintf(`{"profile":{"name":%s},"wa_id":%q}`, n, waID)
}

func waOrderMsg(id, from, items string) string {
	return fmt.Sprintf(`{"from":%q,"id":%q,"timestamp":"1782158400","type":"order",
		"order":{"catalog_id":"194836987003835","text":"Please deliver by Friday","product_items":[%s]}}`, from, id, items)
}

func TestVerifyWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	good := sign(waSecret, body)
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		want                 bool
	}{
		{"good", waSecret, good, body, true},
		{"upper-case hex", waSecret, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body, true},
		{"other secret", "other", good, body, false},
		{"empty secret", "", sign("", body), body, false},
		{"body changed", waSecret, good, append([]byte(" "), body...), false},
		{"missing", waSecret, "", body, false},
		{"no prefix", waSecret, strings.TrimPrefix(good, "sha256="), body, false},
		{"sha1", waSecret, "sha1=" + strings.TrimPrefix(good, "sha256="), body, false},
		{"not hex", waSecret, "sha256=zz", body, false},
		{"truncated", waSecret, good[:len(good)-2], body, false},
	} {
		if got := service.VerifyWebhookSignature(tc.secret, tc.body, tc.header); got != tc.want {
			t.Errorf("%s: VerifyWebhookSignature = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	got, err := service.LoadCatalog(strings.NewReader(`{"products": {
		"saree-cotton": {"item": "Cotton saree", "gst_rate": "5", "sales_ledger": "Sales", "unit": "NOS"},
		"kurta-m": {"item": " Kurta (M) ", "gst_rate": 12}}}`))
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
	for name, bad := range map[string]string{
		"not json":       `{"products":`,
		"no products":    `{}`,
		"unknown field":  `{"products": {"a": {"item": "X", "gst": "5"}}}`,
		"not a slab":     `{"products": {"a": {"item": "X", "gst_rate": "7"}}}`,
		"no item":        `{"products": {"a": {"gst_rate": "5"}}}`,
		"control char":   `{"products": {"a": {"item": "X\u0007"}}}`,
		"empty id":       `{"products": {"": {"item": "X"}}}`,
		"two values":     `{"products": {}} {}`,
		"float exponent": `{"products": {"a": {"item": "X", "gst_rate": "5e0x"}}}`,
	} {
		if _, err := service.LoadCatalog(strings.NewReader(bad)); service.KindOf(err) != service.Invalid {
			t.Errorf("%s: err = %v, want invalid_catalog", name, err)
		}
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
	body := waEnvelope(waContact("919820012345", "Rajesh Shah"),
		waOrderMsg("wamid.ORDER1", "919820012345",
			`{"product_retailer_id":"saree-cotton","quantity":2,"item_price":1250.00,"currency":"INR"},
			 {"product_retailer_id":"kurta-m","quantity":"1","item_price":"799.99","currency":"INR"}`), "")
	res, err := svc.HandleWhatsAppWebhook(t.Context(), body)
	if err != nil || res != (service.WebhookResult{Orders: 1}) {
		t.Fatalf("HandleWhatsAppWebhook = %+v, %v; want one order", res, err)
	}
	if f.calls["Ledgers"]+f.calls["Parties"]+f.calls["PostVoucher"] != 0 {
		t.Fatalf("the webhook called Tally: %v", f.calls)
	}
	// Meta redelivers: nothing new.
	res, err = svc.HandleWhatsAppWebhook(t.Context(), body)
	if err != nil || res != (service.WebhookResult{Duplicates: 1}) {
		t.Fatalf("redelivery = %+v, %v; want one duplicate", res, err)
	}
	orders := st.ordersList(t)
	if len(orders) != 1 || orders[0].Source != "whatsapp" || orders[0].Ref != service.WhatsAppOrderRef("wamid.ORDER1") {
		t.Fatalf("orders %+v; want one whatsapp order with ref %s", orders, service.WhatsAppOrderRef("wamid.ORDER1"))
	}
	if in := st.inbound["wamid.ORDER1"]; in.Type != "order" || in.From != "919820012345" || !strings.Contains(string(in.Payload), "saree-cotton") {
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
	if len(f.created) != 0 || f.calls["Parties"] != 1 {
		t.Fatalf("created %v, calls %v; want no party created and one Parties read", f.created, f.calls)
	}
}

func TestWhatsAppOrderFromANewMobile(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	item := `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":1000,"currency":"INR"}`
	body := waEnvelope(
		waContact("919876543210", "Sheena  Nelson\u0007")+","+waContact("919811122233", "Rajesh Enterprises")+","+waContact("919822233344", ""),
		waOrderMsg("wamid.NEW1", "919876543210", item)+","+
			waOrderMsg("wamid.NEW2", "919876543210", item)+","+ // same customer, second order: one party
			waOrderMsg("wamid.CLASH", "919811122233", item)+","+ // a profile name an existing party has
			waOrderMsg("wamid.NONAME", "919822233344", item), "")
	res, err := svc.HandleWhatsAppWebhook(t.Context(), body)
	if err != nil || res.Orders != 4 {
		t.Fatalf("HandleWhatsAppWebhook = %+v, %v", res, err)
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
	for _, tc := range []struct {
		name, from, items, code, reason string
	}{
		{"unknown product", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":10,"currency":"INR"},
			{"product_retailer_id":"di9ozbzfi4","quantity":2,"item_price":30,"currency":"INR"}`, "unknown_product", `"di9ozbzfi4"`},
		{"currency", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":2,"item_price":30,"currency":"USD"}`, "unsupported_currency", `"USD"`},
		{"three decimals", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":7.999,"currency":"INR"}`, "invalid_amount", "item_price"},
		{"exponent", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":1e3,"currency":"INR"}`, "invalid_amount", "exponent"},
		{"zero quantity", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":0,"item_price":10,"currency":"INR"}`, "invalid_quantity", "quantity"},
		{"fractional quantity", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":1.5,"item_price":10,"currency":"INR"}`, "invalid_quantity", "quantity"},
		{"no items", "919820012345", ``, "order_no_lines", "no product_items"},
		{"bad sender", "12", `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":10,"currency":"INR"}`, "unknown_sender", "not a usable mobile"},
		{"unreadable order", "919820012345", `"x"`, "invalid_order", "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newFake(), newWAStore()
			svc := newWAService(f, st)
			res, err := svc.HandleWhatsAppWebhook(t.Context(), waEnvelope(waContact(tc.from, "Someone"), waOrderMsg("wamid."+tc.name, tc.from, tc.items), ""))
			if err != nil || res != (service.WebhookResult{Orders: 1}) {
				t.Fatalf("HandleWhatsAppWebhook = %+v, %v; want the order stored", res, err)
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
	status := func(s string) string {
		return fmt.Sprintf(`{"id":"wamid.OUT1","status":%q,"timestamp":"1751142888","recipient_id":"16505551234"}`, s)
	}
	body := waEnvelope(waContact("16505551234", "Sheena Nelson"),
		`{"from":"16505551234","id":"wamid.TEXT1","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}},
		 {"from":"16505551234","id":"wamid.BTN1","timestamp":"1750025136","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"x","title":"Cancel"}}},
		 {"from":"16505551234","timestamp":"1750025136","type":"text"},
		 {"id": 5}`,
		status("sent")+","+status("delivered")+","+status("read")+`,{"status":"read"}`)
	res, err := svc.HandleWhatsAppWebhook(t.Context(), body)
	if want := (service.WebhookResult{Ignored: 8}); err != nil || res != want {
		t.Fatalf("HandleWhatsAppWebhook = %+v, %v; want %+v", res, err, want)
	}
	if len(st.ordersList(t)) != 0 {
		t.Fatal("an order was stored")
	}
	if st.inbound["wamid.TEXT1"].Type != "text" || st.inbound["status:wamid.OUT1:read"].Type != "status" || len(st.inbound) != 5 {
		t.Fatalf("inbound %v", st.inbound)
	}
	res, err = svc.HandleWhatsAppWebhook(t.Context(), body)
	if want := (service.WebhookResult{Duplicates: 5, Ignored: 3}); err != nil || res != want {
		t.Fatalf("redelivery = %+v, %v; want %+v", res, err, want)
	}
}

func TestWhatsAppWebhookErrors(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	for name, body := range map[string]string{
		"empty":      ``,
		"not json":   `{"object":`,
		"array":      `[]`,
		"other":      `{"object":"page","entry":[]}`,
		"entry type": `{"object":"whatsapp_business_account","entry":{}}`,
	} {
		if _, err := svc.HandleWhatsAppWebhook(t.Context(), []byte(body)); service.KindOf(err) != service.Invalid {
			t.Errorf("%s: err = %v, want Invalid", name, err)
		}
	}
	dbDown := &service.Error{Kind: service.Unavailable, Code: "store_unavailable", Message: "database down"}
	st.fail = dbDown
	for name, body := range map[string][]byte{
		"order": waEnvelope(waContact("919820012345", "R"), waOrderMsg("wamid.X", "919820012345",
			`{"product_retailer_id":"saree-cotton","quantity":1,"item_price":10,"currency":"INR"}`), ""),
		"text":   waEnvelope("", `{"from":"919820012345","id":"wamid.T","type":"text"}`, ""),
		"status": waEnvelope("", "", `{"id":"wamid.S","status":"sent"}`),
	} {
		if _, err := svc.HandleWhatsAppWebhook(t.Context(), body); !errors.Is(err, dbDown) {
			t.Errorf("%s with the store down: err = %v, want the store's error", name, err)
		}
	}
}

// TestWhatsAppOrderDate: the order is dated by the message's timestamp in
// India, not by when it arrives (a redelivery days later keeps its day).
func TestWhatsAppOrderDate(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newWAStore()
	svc := newWAService(f, st)
	// 1782071999 is 22 June 2026, 01:29:59 IST (21 June, 19:59:59 UTC).
	msg := `{"from":"919820012345","id":"wamid.D","timestamp":"1782071999","type":"order","order":{"product_items":[
		{"product_retailer_id":"saree-cotton","quantity":1,"item_price":100,"currency":"INR"}]}}`
	if _, err := svc.HandleWhatsAppWebhook(t.Context(), waEnvelope("", msg, "")); err != nil {
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

// FuzzWhatsAppWebhook: whatever a (signed) body holds, the handler returns
// a result or an Invalid error, never panics, and every order it stores can
// be attempted without panicking either.
func FuzzWhatsAppWebhook(f *testing.F) {
	item := `{"product_retailer_id":"saree-cotton","quantity":2,"item_price":1250.00,"currency":"INR"}`
	f.Add(waEnvelope(waContact("919820012345", "Rajesh"), waOrderMsg("wamid.1", "919820012345", item), ""))
	f.Add(waEnvelope("", waOrderMsg("wamid.2", "16505551234", `{"product_retailer_id":"di9ozbzfi4","quantity":"2","item_price":"7.99","currency":"USD"}`), `{"id":"wamid.3","status":"read"}`))
	f.Add(waEnvelope(`{"wa_id":1}`, `{"id":"x","type":"order","order":{"product_items":[{"quantity":{},"item_price":[]}]}}`, `{}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[null,1,"a"]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":null}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"\u0000","from":"+91\u00a09820012345","type":"order","timestamp":99999999999999,"order":{"text":"\ud800","product_items":[{"product_retailer_id":"kurta-m","quantity":99999999999999999999,"item_price":-1,"currency":"inr"}]}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fg, st := newFake(), newWAStore()
		svc := newWAService(fg, st)
		_, err := svc.HandleWhatsAppWebhook(context.Background(), body)
		if err != nil && service.KindOf(err) != service.Invalid {
			t.Fatalf("HandleWhatsAppWebhook: %v (kind %v); only Invalid is allowed with a working store", err, service.KindOf(err))
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
	body := waEnvelope(waContact("919820012345", "Rajesh Shah"),
		waOrderMsg("wamid.SHARED", "919820012345", `{"product_retailer_id":"saree-cotton","quantity":1,"item_price":"100","currency":"INR"}`), "")
	if _, err := svc.HandleWhatsAppWebhook(t.Context(), body); err != nil {
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
	body := waEnvelope("", `{"from":"919820012345","id":"wamid.A\u0000B","type":"text","text":{"body":"hi"}},
		{"from":"919820012345","id":"`+long+`","type":"text","text":{"body":"hi"}},
		{"from":"9198\u0000","id":"wamid.OK","type":"text","text":{"body":"hi"}}`, `{"id":"x\u0000","status":"sent","recipient_id":"1"}`)
	res, err := svc.HandleWhatsAppWebhook(t.Context(), body)
	if err != nil || res.Ignored != 4 || len(st.inbound) != 0 {
		t.Fatalf("result %+v, %v, %d stored; want 4 ignored and nothing stored", res, err, len(st.inbound))
	}
}
