package whatsapp_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/api/whatsapp"
	"github.com/tallyfacade/tallyfacade/service"
)

const secret = "app-secret-for-tests"

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// envelope wraps contacts and messages (and statuses) in the Cloud API
// envelope of ecosystem.md §1.2.
func envelope(contacts, messages, statuses string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
		"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
		"contacts":[%s],"messages":[%s],"statuses":[%s]},"field":"messages"}]}]}`, contacts, messages, statuses)
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	good := sign(secret, body)
	for _, tc := range []struct {
		name, secret, header string
		body                 []byte
		want                 bool
	}{
		{"good", secret, good, body, true},
		{"upper-case hex", secret, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body, true},
		{"other secret", "other", good, body, false},
		{"empty secret", "", sign("", body), body, false},
		{"body changed", secret, good, append([]byte(" "), body...), false},
		{"missing", secret, "", body, false},
		{"no prefix", secret, strings.TrimPrefix(good, "sha256="), body, false},
		{"sha1", secret, "sha1=" + strings.TrimPrefix(good, "sha256="), body, false},
		{"not hex", secret, "sha256=zz", body, false},
		{"truncated", secret, good[:len(good)-2], body, false},
	} {
		if got := whatsapp.VerifySignature(tc.secret, tc.body, tc.header); got != tc.want {
			t.Errorf("%s: VerifySignature = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestVerifyToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want, got string
		ok        bool
	}{
		{"verify-me", "verify-me", true},
		{"verify-me", "verify-m", false},
		{"verify-me", "", false},
		{"", "", false}, // none configured: nothing matches
	} {
		if ok := whatsapp.VerifyToken(tc.want, tc.got); ok != tc.ok {
			t.Errorf("VerifyToken(%q, %q) = %v, want %v", tc.want, tc.got, ok, tc.ok)
		}
	}
}

// TestDecode: an order with its profile name, numbers kept as their digits
// (a number or a string, never through float64), the timestamp, the payload
// compacted; other messages and statuses typed; what is not ours counted.
func TestDecode(t *testing.T) {
	t.Parallel()
	body := envelope(`{"profile":{"name":"Rajesh Shah"},"wa_id":"919820012345"}, 5`,
		`{"from":"919820012345","id":"wamid.ORDER1","timestamp":"1782158400","type":"order",
		  "order":{"catalog_id":"194836987003835","text":"Please deliver by Friday","product_items":[
		    {"product_retailer_id":"saree-cotton","quantity":2,"item_price":1250.00,"currency":"INR"},
		    {"product_retailer_id":"kurta-m","quantity":"1","item_price":"799.99","currency":"INR"},
		    {"product_retailer_id":"odd","quantity":1.5,"item_price":1e3,"currency":"INR"}]}},
		 {"from":"16505551234","id":"wamid.TEXT1","timestamp":1749416383,"type":"text","text":{"body":"hi"}},
		 {"from":"919820012345","id":"wamid.BAD","type":"order","order":"x"},
		 {"id": 5}, null, "a"`,
		`{"id":"wamid.OUT1","status":"read","timestamp":"1751142888","recipient_id":"16505551234"}, []`)
	got, err := whatsapp.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	want := whatsapp.Notification{
		Messages: []service.WhatsAppMessage{
			{ID: "wamid.ORDER1", From: "919820012345", Profile: "Rajesh Shah", Type: "order", SentAt: time.Unix(1782158400, 0),
				Order: &service.WhatsAppOrder{Text: "Please deliver by Friday", Items: []service.WhatsAppOrderItem{
					{RetailerID: "saree-cotton", Quantity: "2", Price: "1250.00", Currency: "INR"},
					{RetailerID: "kurta-m", Quantity: "1", Price: "799.99", Currency: "INR"},
					{RetailerID: "odd", Quantity: "1.5", Price: "1e3", Currency: "INR"},
				}}},
			{ID: "wamid.TEXT1", From: "16505551234", Type: "text", SentAt: time.Unix(1749416383, 0)},
			{ID: "wamid.BAD", From: "919820012345", Profile: "Rajesh Shah", Type: "order"}, // Order nil: unreadable
			{}, // null: no id, which service ignores
		},
		Statuses: []service.WhatsAppStatus{{MessageID: "wamid.OUT1", Status: "read", RecipientID: "16505551234"}},
		Ignored:  3, // {"id": 5}, "a" and the status []
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Payload" }, cmp.Ignore())); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	if p := string(got.Messages[1].Payload); p != `{"from":"16505551234","id":"wamid.TEXT1","timestamp":1749416383,"type":"text","text":{"body":"hi"}}` {
		t.Errorf("payload %s; want the message compacted", p)
	}
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty":      ``,
		"not json":   `{"object":`,
		"array":      `[]`,
		"string":     `"hello"`,
		"other":      `{"object":"page","entry":[]}`,
		"entry type": `{"object":"whatsapp_business_account","entry":{}}`,
	} {
		_, err := whatsapp.Decode([]byte(body))
		if e, ok := service.AsError(err); !ok || e.Kind != service.Invalid || e.Code != "malformed_webhook" {
			t.Errorf("%s: err = %v, want malformed_webhook", name, err)
		}
	}
	n, err := whatsapp.Decode([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update","value":{}}]}]}`))
	if err != nil || n.Ignored != 1 || len(n.Messages)+len(n.Statuses) != 0 {
		t.Errorf("other field: %+v, %v; want it ignored", n, err)
	}
}

// FuzzDecode: whatever a (signed) body holds, Decode returns a notification
// or malformed_webhook, never panics, and every order item keeps the digits
// it was sent with (never a float's).
func FuzzDecode(f *testing.F) {
	item := `{"product_retailer_id":"saree-cotton","quantity":2,"item_price":1250.00,"currency":"INR"}`
	order := func(id, from, items string) string {
		return fmt.Sprintf(`{"from":%q,"id":%q,"timestamp":"1782158400","type":"order","order":{"product_items":[%s]}}`, from, id, items)
	}
	f.Add(envelope(`{"profile":{"name":"Rajesh"},"wa_id":"919820012345"}`, order("wamid.1", "919820012345", item), ""))
	f.Add(envelope("", order("wamid.2", "16505551234", `{"product_retailer_id":"di9ozbzfi4","quantity":"2","item_price":"7.99","currency":"USD"}`), `{"id":"wamid.3","status":"read"}`))
	f.Add(envelope(`{"wa_id":1}`, `{"id":"x","type":"order","order":{"product_items":[{"quantity":{},"item_price":[]}]}}`, `{}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[null,1,"a"]}}]}]}`))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":null}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"messages":[{"id":"\u0000","from":"+91\u00a09820012345","type":"order","timestamp":99999999999999,"order":{"text":"\ud800","product_items":[{"product_retailer_id":"kurta-m","quantity":99999999999999999999,"item_price":-1,"currency":"inr"}]}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := whatsapp.Decode(body)
		if err != nil {
			if e, ok := service.AsError(err); !ok || e.Code != "malformed_webhook" {
				t.Fatalf("Decode: %v; only malformed_webhook is allowed", err)
			}
			return
		}
		for _, m := range n.Messages {
			if m.Order == nil {
				continue
			}
			for _, it := range m.Order.Items {
				if strings.ContainsAny(it.Price+it.Quantity, " \t\n") {
					t.Fatalf("item %+v: digits with white space", it)
				}
			}
		}
	})
}
