package api

// These tests are in package api (not api_test): they use the webhook's
// path and body limit.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/openapi"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

const (
	waTestSecret = "meta-app-secret-for-tests"
	waTestToken  = "verify-token-for-tests"
	waTestAPIKey = "test-key-0123456789abcdef"
)

type waBundle struct {
	sim *tallysim.Server
	srv *Server
}

// waSetup is the real stack (simulator, Tally client, embedded store with
// its queue, service, server) with the WhatsApp webhook configured.
func waSetup(t testing.TB) *waBundle { return waSetupOn(t, "sqlite") }

// waSetupOn is waSetup on a given store: "sqlite" or "postgres"
// (TEST_DATABASE_URL; skipped without, failed under CI=true); tweaks change the service's configuration before it is built.
func waSetupOn(t testing.TB, store string, tweaks ...func(*service.Config)) *waBundle {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, time.June, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL(), Timeout: 3 * time.Second, QueueWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var st interface {
		service.Store
		runQueue(ctx context.Context, p service.OrderPoster) error
	}
	switch store {
	case "postgres":
		pg, err := pgstore.New(context.Background(), pgtest.New(t), pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st = pgQueue{pg}
	default:
		lite, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = lite.Close() })
		st = liteQueue{lite}
	}
	five, twelve := decimal.NewFromInt(5), decimal.NewFromInt(12)
	now := time.Date(2026, time.June, 23, 10, 0, 0, 0, time.FixedZone("IST", 5*3600+1800))
	cfg := service.Config{Company: tallysim.DemoCompanyName, Store: st,
		Now:   func() time.Time { return now },
		Queue: service.QueueConfig{MaxAttempts: 3, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond},
		WhatsApp: service.WhatsAppConfig{Catalog: service.Catalog{
			"saree-cotton": {Item: "Cotton saree", GSTRate: &five, Unit: "NOS"},
			"kurta-m":      {Item: "Kurta (M)", GSTRate: &twelve, SalesLedger: "Sales"},
		}}}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	gw := tallyxml.NewGateway(client)
	svc := service.New(gw, cfg)
	reports := service.NewReports(svc, gw, st.(service.ReportStore), nil, service.ReportsConfig{})
	t.Cleanup(reports.Wait)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = st.runQueue(ctx, svc)
	}()
	t.Cleanup(func() { cancel(); <-done })
	// 4M: the server-wide limit must let Meta's 3 MB through to the
	// webhook's own limit.
	srv, err := New(svc, Config{APIKeys: []string{waTestAPIKey}, BodyLimit: "4M", Spec: openapi.SwaggerJSON,
		WhatsApp: WhatsAppConfig{VerifyToken: waTestToken, AppSecret: waTestSecret}, Reports: reports})
	if err != nil {
		t.Fatal(err)
	}
	return &waBundle{sim: sim, srv: srv}
}

type waReply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; key adds the API key (the webhook needs none).
func (b *waBundle) do(method, target string, body []byte, header map[string]string) waReply {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	b.srv.Handler().ServeHTTP(rec, req)
	return waReply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func waSign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(waTestSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (b *waBundle) deliver(body []byte) waReply {
	return b.do(http.MethodPost, "/webhooks/whatsapp", body, map[string]string{"X-Hub-Signature-256": waSign(body)})
}

func waFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "whatsapp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// orders lists stored orders through the API.
func (b *waBundle) orders(t *testing.T, state string) []OrderStatusResponse {
	t.Helper()
	r := b.do(http.MethodGet, "/orders?state="+state, nil, map[string]string{"X-API-Key": waTestAPIKey})
	var list OrderListResponse
	if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("GET /orders: %d %s", r.status, r.body)
	}
	return list.Orders
}

// waitFinal polls GET /orders until every order has left the queue.
func (b *waBundle) waitFinal(t *testing.T, want int) []OrderStatusResponse {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := b.orders(t, "")
		final := 0
		for _, o := range list {
			if o.State == "posted" || o.State == "rejected" || o.State == "needs_attention" {
				final++
			}
		}
		if len(list) == want && final == want {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("orders did not settle: %+v", list)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waResponse(t *testing.T, r waReply) WhatsAppWebhookResponse {
	t.Helper()
	var res WhatsAppWebhookResponse
	if r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil || res.Status != "ok" {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	return res
}

func (b *waBundle) vouchers(remoteID string) []tallysim.Voucher {
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	var out []tallysim.Voucher
	for _, v := range demo.Vouchers() {
		if v.RemoteID == remoteID {
			out = append(out, v)
		}
	}
	return out
}

// partyAmount is the party's entry on a voucher, in paise (debit negative).
func partyAmount(v tallysim.Voucher) int64 {
	for _, e := range v.Entries {
		if e.Ledger == v.Party {
			return e.Amount.Paise()
		}
	}
	return 0
}

// pgQueue and liteQueue give both stores one queue-running method for the
// tests.
type pgQueue struct{ *pgstore.Store }

func (q pgQueue) runQueue(ctx context.Context, p service.OrderPoster) error {
	return q.RunQueue(ctx, p, pgstore.QueueConfig{PollInterval: 20 * time.Millisecond, LockRetry: 20 * time.Millisecond})
}

type liteQueue struct{ *sqlitestore.Store }

func (q liteQueue) runQueue(ctx context.Context, p service.OrderPoster) error {
	return q.RunQueue(ctx, p, sqlitestore.QueueConfig{PollInterval: 20 * time.Millisecond})
}

// TestWhatsAppWebhookOrder: a signed order from Rajesh Enterprises' mobile
// posts one voucher to Rajesh Enterprises; Meta's redelivery posts nothing.
// On both stores: the embedded one and PostgreSQL.
func TestWhatsAppWebhookOrder(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testWhatsAppWebhookOrder(t, store)
		})
	}
}

func testWhatsAppWebhookOrder(t *testing.T, store string) {
	b := waSetupOn(t, store)
	body := waFixture(t, "order_rajesh.json")
	if res := waResponse(t, b.deliver(body)); res.Orders != 1 || res.Duplicates != 0 {
		t.Fatalf("first delivery: %+v", res)
	}
	list := b.waitFinal(t, 1)
	o := list[0]
	if o.State != "posted" || o.Source != "whatsapp" || o.Result == nil || o.Result.Party != "Rajesh Enterprises" ||
		o.BillRef != service.WhatsAppOrderRef("wamid.HBgMOTE5ODIwMDEyMzQ1FQIAEhgUM0FBREY4NDQxMzQ3RTg1NzFDMTAA") {
		t.Fatalf("order %+v", o)
	}
	vs := b.vouchers(o.RemoteID)
	if len(vs) != 1 || vs[0].Party != "Rajesh Enterprises" || partyAmount(vs[0]) != -262500 || vs[0].Type != "Sales" {
		t.Fatalf("vouchers %+v; want one Sales voucher debiting Rajesh Enterprises 2,625.00", vs)
	}
	if !strings.Contains(vs[0].Narration, "Deliver by Friday please") {
		t.Errorf("narration %q lacks the customer's text", vs[0].Narration)
	}
	// Meta redelivers, twice.
	for range 2 {
		if res := waResponse(t, b.deliver(body)); res.Orders != 0 || res.Duplicates != 1 {
			t.Fatalf("redelivery: %+v", res)
		}
	}
	time.Sleep(100 * time.Millisecond) // five queue polls: a second job would have run
	if got := b.waitFinal(t, 1); got[0].Attempts != 1 || len(b.vouchers(o.RemoteID)) != 1 {
		t.Fatalf("after redelivery: %+v, %d vouchers", got, len(b.vouchers(o.RemoteID)))
	}
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	if n := len(demo.Vouchers()); n == 0 {
		t.Fatal("no vouchers")
	}
}

// TestWhatsAppWebhookNewParty: an unknown number creates a party named from
// the profile, with the number as its mobile, under Sundry Debtors, bill-wise
// with the credit period, so the order's bill is receivable (Tally drops a
// bill allocation on a ledger that is not bill-wise, tally-protocol.md §9.4).
func TestWhatsAppWebhookNewParty(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testWhatsAppWebhookNewParty(t, store)
		})
	}
}

func testWhatsAppWebhookNewParty(t *testing.T, store string) {
	b := waSetupOn(t, store)
	waResponse(t, b.deliver(waFixture(t, "order_new_party.json")))
	o := b.waitFinal(t, 1)[0]
	if o.State != "posted" || o.Result == nil || o.Result.Party != "Sheena Nelson" || !o.Result.PartyCreated {
		t.Fatalf("order %+v", o)
	}
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	l, ok := demo.Ledger("Sheena Nelson")
	if !ok || l.Parent != "Sundry Debtors" || service.NormalizeMobile(l.Mobile).E164 != "+919876543210" {
		t.Fatalf("ledger %+v, %v", l, ok)
	}
	// 999.50 at 5% (49.98) + 3 × 450.00 at 12% (162.00).
	if vs := b.vouchers(o.RemoteID); len(vs) != 1 || partyAmount(vs[0]) != -256148 {
		t.Fatalf("vouchers %+v; want one for 2,561.48", vs)
	}
	if !l.BillWise || l.CreditPeriodDays != 30 {
		t.Errorf("ledger bill-wise %v, credit %d days; want bill-wise with 30 days", l.BillWise, l.CreditPeriodDays)
	}
	r := b.do(http.MethodGet, "/receivables?party=Sheena%20Nelson", nil, map[string]string{"X-API-Key": waTestAPIKey})
	if r.status != http.StatusOK || !strings.Contains(string(r.body), o.BillRef) || !strings.Contains(string(r.body), "2561.48") {
		t.Fatalf("GET /receivables: %d %s; want the order's bill %s for 2561.48", r.status, r.body, o.BillRef)
	}
}

// TestWhatsAppWebhookRejection: an unknown retailer id is stored and shows
// as rejected with the reason; Tally is not written.
func TestWhatsAppWebhookRejection(t *testing.T) {
	t.Parallel()
	b := waSetup(t)
	demo, _ := b.sim.Company(tallysim.DemoCompanyName)
	before := len(demo.Vouchers())
	waResponse(t, b.deliver(waFixture(t, "order_unknown_product.json")))
	b.waitFinal(t, 1)
	rejected := b.orders(t, "rejected")
	if len(rejected) != 1 || rejected[0].LastErrorCode != "unknown_product" || !strings.Contains(rejected[0].LastError, `"di9ozbzfi4"`) {
		t.Fatalf("rejected orders %+v", rejected)
	}
	if len(demo.Vouchers()) != before {
		t.Fatal("a rejected order wrote a voucher")
	}
}

// TestWhatsAppWebhookIgnored: text messages and statuses are accepted,
// recorded once, and make no order.
func TestWhatsAppWebhookIgnored(t *testing.T) {
	t.Parallel()
	b := waSetup(t)
	body := waFixture(t, "text_and_statuses.json")
	if res := waResponse(t, b.deliver(body)); res != (WhatsAppWebhookResponse{Status: "ok", Ignored: 3}) {
		t.Fatalf("delivery: %+v", res)
	}
	if res := waResponse(t, b.deliver(body)); res != (WhatsAppWebhookResponse{Status: "ok", Duplicates: 3}) {
		t.Fatalf("redelivery: %+v", res)
	}
	if list := b.orders(t, ""); len(list) != 0 {
		t.Fatalf("orders %+v", list)
	}
}

// TestWhatsAppWebhookSignature: a missing or bad signature is 401 and
// stores nothing (the same body, signed, is then new); no API key is needed.
func TestWhatsAppWebhookSignature(t *testing.T) {
	t.Parallel()
	b := waSetup(t)
	body := waFixture(t, "order_rajesh.json")
	other := hmac.New(sha256.New, []byte("another secret"))
	other.Write(body)
	for name, h := range map[string]map[string]string{
		"missing":       nil,
		"other secret":  {"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(other.Sum(nil))},
		"garbage":       {"X-Hub-Signature-256": "sha256=nothex"},
		"other body":    {"X-Hub-Signature-256": waSign(append(body, ' '))},
		"api key":       {"X-API-Key": waTestAPIKey},
		"sha1 prefixed": {"X-Hub-Signature-256": "sha1=" + strings.TrimPrefix(waSign(body), "sha256=")},
	} {
		r := b.do(http.MethodPost, "/webhooks/whatsapp", body, h)
		if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "invalid_signature") ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if list := b.orders(t, ""); len(list) != 0 {
		t.Fatalf("an unsigned delivery stored orders: %+v", list)
	}
	if res := waResponse(t, b.deliver(body)); res.Orders != 1 {
		t.Fatalf("the signed delivery after the forged ones: %+v (the forged ones stored the message?)", res)
	}
}

// TestWhatsAppWebhookHandshake: Meta's GET verification.
func TestWhatsAppWebhookHandshake(t *testing.T) {
	t.Parallel()
	b := waSetup(t)
	for _, tc := range []struct {
		name, query string
		status      int
		body        string
	}{
		{"good", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + waTestToken, 200, "1158201444"},
		{"bad token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess", 403, "verify_token_mismatch"},
		{"no token", "hub.mode=subscribe&hub.challenge=1158201444", 403, "verify_token_mismatch"},
		{"token prefix", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=" + waTestToken[:5], 403, "verify_token_mismatch"},
		{"other mode", "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=" + waTestToken, 403, "verify_token_mismatch"},
	} {
		r := b.do(http.MethodGet, "/webhooks/whatsapp?"+tc.query, nil, nil)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.body) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
		if tc.status == 200 && (string(r.body) != tc.body || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain")) {
			t.Errorf("%s: body %q, Content-Type %q; want the bare challenge as text/plain", tc.name, r.body, r.header.Get("Content-Type"))
		}
	}
}

// TestWhatsAppWebhookMalformed: signed bodies that are not envelopes, and
// oversized ones, are 4xx; never a 5xx (Meta would retry for days) or a
// panic.
func TestWhatsAppWebhookMalformed(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testWhatsAppWebhookMalformed(t, store)
		})
	}
}

func testWhatsAppWebhookMalformed(t *testing.T, store string) {
	b := waSetupOn(t, store)
	envelope := string(waFixture(t, "text_and_statuses.json"))
	for _, tc := range []struct {
		name   string
		body   string
		status int
	}{
		{"empty", "", 400},
		{"not json", "{", 400},
		{"array", "[]", 400},
		{"string", `"hello"`, 400},
		{"other object", `{"object":"page","entry":[]}`, 400},
		{"entry not a list", `{"object":"whatsapp_business_account","entry":"x"}`, 400},
		{"odd messages", `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[null,1,"a",{"id":7}],"statuses":[[]],"contacts":[5]}}]}]}`, 200},
		{"no entries", `{"object":"whatsapp_business_account"}`, 200},
		// PostgreSQL refuses a NUL in text and a key of 10,000 bytes: such
		// messages are ignored, never a 5xx that Meta would redeliver.
		{"NUL in ids", `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"wamid.\u0000","from":"9\u0000","type":"te\u0000xt"}],"statuses":[{"id":"s\u0000","status":"sent"}]}}]}]}`, 200},
		{"huge id", `{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"` + strings.Repeat("f", 10000) + `","from":"919820012345","type":"text"}]}}]}]}`, 200},
		{"3 MB exactly", envelope + strings.Repeat(" ", maxWhatsAppBody-len(envelope)), 200},
		{"over 3 MB", envelope + strings.Repeat(" ", maxWhatsAppBody-len(envelope)+1), 413},
	} {
		r := b.deliver([]byte(tc.body))
		if r.status != tc.status {
			t.Errorf("%s: %d %.300s; want %d", tc.name, r.status, r.body, tc.status)
		}
	}
	// Unsigned and oversized: refused on the size, before anything is read.
	big := strings.Repeat(" ", maxWhatsAppBody+1)
	if r := b.do(http.MethodPost, "/webhooks/whatsapp", []byte(big), nil); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("unsigned oversized: %d", r.status)
	}
}

// FuzzWhatsAppWebhookAPI: any signed body gets 200 or a 4xx, never a 5xx.
func FuzzWhatsAppWebhookAPI(f *testing.F) {
	for _, name := range []string{"order_rajesh.json", "order_new_party.json", "order_unknown_product.json", "text_and_statuses.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "whatsapp", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"id":"x","from":"1","type":"order","order":{"product_items":[{"quantity":-1,"item_price":1e400}]}}]}}]}]}`))
	f.Add([]byte("\xff\xfe"))
	b := waSetup(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r := b.deliver(body)
		if r.status != http.StatusOK && (r.status < 400 || r.status >= 500) {
			t.Fatalf("%d %s for %q", r.status, r.body, body)
		}
	})
}
