package api_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

const mirrorWASecret = "meta-app-secret-for-mirror-tests"

// TestMirrorWhatsAppOrderParty: with the mirror, a WhatsApp order finds its
// party with the mirror's lookup by mobile, the one GET /parties?mobile=
// uses, under the same freshness rule: within the freshness interval the
// mirror answers and Tally's party list is never read; once the mirror has
// synced, a number two parties share rejects the order naming both. On both
// stores.
func TestMirrorWhatsAppOrderParty(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testMirrorWhatsAppOrderParty(t, store)
		})
	}
}

func testMirrorWhatsAppOrderParty(t *testing.T, store string) {
	five := decimal.NewFromInt(5)
	b := setup(t, setupOpts{mirror: true, durable: store, whatsAppSecret: mirrorWASecret,
		whatsApp: service.WhatsAppConfig{Catalog: service.Catalog{"saree-cotton": {Item: "Cotton saree", GSTRate: &five, Unit: "NOS"}}}})
	body, err := os.ReadFile(filepath.Join("testdata", "whatsapp", "order_rajesh.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Mehta Hardware takes Rajesh's number in Tally, and the mirror has
	// not synced since: within the freshness interval the mirror is the
	// answer, so the order goes to Rajesh Enterprises alone (Tally's own
	// party list would have named both).
	co, _ := b.sim.Company(tallysim.DemoCompanyName)
	if err := co.AlterLedger("Mehta Hardware", func(l *tallysim.Ledger) { l.Mobile = "+91 98200 12345" }); err != nil {
		t.Fatal(err)
	}
	b.deliverWhatsApp(t, body)
	orders := b.waitOrders(t, 1)
	if o := orders[0]; o.State != "posted" || o.Result.Party != "Rajesh Enterprises" {
		t.Fatalf("order %+v; want posted to Rajesh Enterprises", o)
	}
	for _, r := range b.sim.Requests() {
		if strings.Contains(r.Kind, "TallyFacade Parties") {
			t.Fatalf("Tally was asked %s: the order's party must come from the mirror", r.Kind)
		}
	}

	// Once the mirror holds Tally's change, the number is ambiguous.
	if _, err := b.books.Sync(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	b.deliverWhatsApp(t, bytes.ReplaceAll(body, []byte("wamid.HBgM"), []byte("wamid.SECOND")))
	orders = b.waitOrders(t, 2)
	var second mirrorOrder
	for _, o := range orders {
		if o.State != "posted" {
			second = o
		}
	}
	if second.State != "rejected" || second.LastErrorCode != "ambiguous_party_mobile" ||
		!strings.Contains(second.LastError, "Mehta Hardware, Rajesh Enterprises") {
		t.Fatalf("orders %+v; want the second rejected as ambiguous_party_mobile naming both parties", orders)
	}
	if r := b.do(t, call{target: "/parties?mobile=9820012345"}); field(t, r.body, "total") != 2.0 {
		t.Fatalf("GET /parties?mobile= disagrees: %d %s", r.status, r.body)
	}
}

// mirrorOrder is the part of an order's status these tests read.
type mirrorOrder struct {
	State         string `json:"state"`
	LastError     string `json:"last_error"`
	LastErrorCode string `json:"last_error_code"`
	Result        struct {
		Party string `json:"party"`
	} `json:"result"`
}

func (b *testBundle) deliverWhatsApp(t *testing.T, body []byte) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(mirrorWASecret))
	mac.Write(body)
	r := b.do(t, call{method: http.MethodPost, target: "/webhooks/whatsapp", body: string(body), noKey: true,
		headers: map[string]string{"X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}})
	if r.status != http.StatusOK {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
}

// waitOrders polls GET /orders until want orders have left the queue.
func (b *testBundle) waitOrders(t *testing.T, want int) []mirrorOrder {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list struct {
			Orders []mirrorOrder `json:"orders"`
		}
		r := b.do(t, call{target: "/orders"})
		if r.status != http.StatusOK || json.Unmarshal(r.body, &list) != nil {
			t.Fatalf("GET /orders: %d %s", r.status, r.body)
		}
		final := 0
		for _, o := range list.Orders {
			if o.State == "posted" || o.State == "rejected" || o.State == "needs_attention" {
				final++
			}
		}
		if len(list.Orders) == want && final == want {
			return list.Orders
		}
		if time.Now().After(deadline) {
			t.Fatalf("orders did not settle: %+v", list.Orders)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
