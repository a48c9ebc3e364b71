package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// contractCall is one request of TestContract: the operation it exercises
// (its method and path template in the spec) and the request sent.
type contractCall struct {
	name    string
	method  string
	path    string // the spec's path template
	target  string
	body    string
	headers map[string]string
	noKey   bool
	// fault is the simulator's fault while the request runs.
	fault tallysim.Fault
	// want is the status the request is meant to get, so the test knows it
	// exercised what it means to.
	want int
}

// TestContract sends real requests to the real server (embedded store, its
// queue, the simulator as Tally) and validates every answer, status, content
// type and body, errors included, against the OpenAPI 3 document the server
// serves, with kin-openapi's openapi3filter.ValidateResponse. It fails when
// an operation of the document is not exercised, and logs the documented
// statuses it did not reach.
func TestContract(t *testing.T) {
	b := waSetupOn(t, "sqlite", func(cfg *service.Config) {
		cfg.Receipts = service.ReceiptsConfig{BankLedger: "HDFC Bank", CashLedger: "Cash"}
	})
	b.srv.ready = b.srv.svc.Readiness
	doc := servedOpenAPI3(t, b)

	waOrder, err := os.ReadFile(filepath.Join("testdata", "whatsapp", "order_rajesh.json"))
	if err != nil {
		t.Fatal(err)
	}
	order := `{"order_ref": "CT-1", "party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Steel rod 12mm", "quantity": "2", "rate": "4500.00"}]}`
	receipt := `{"receipt_ref": "CT-P1", "party": "Rajesh Enterprises", "amount": "1000.00", "mode": "cash"}`
	text := map[string]string{"Content-Type": "text/plain"}
	async := map[string]string{"Prefer": "respond-async"}
	// Over the server's 4 MB limit (waSetup), and the webhook's 3 MB.
	huge := `{"name": "` + strings.Repeat("x", 5<<20) + `"}`
	calls := []contractCall{
		{name: "liveness", method: "GET", path: "/healthz", target: "/healthz", noKey: true, want: 200},
		{name: "ready", method: "GET", path: "/readyz", target: "/readyz", noKey: true, want: 200},
		{name: "not ready", method: "GET", path: "/readyz", target: "/readyz", noKey: true, fault: tallysim.Refuse, want: 503},
		{name: "liveness by HEAD", method: "HEAD", path: "/healthz", target: "/healthz", noKey: true, want: 200},
		{name: "ready by HEAD", method: "HEAD", path: "/readyz", target: "/readyz", noKey: true, want: 200},
		{name: "not ready by HEAD", method: "HEAD", path: "/readyz", target: "/readyz", noKey: true, fault: tallysim.Refuse, want: 503},
		{name: "metrics", method: "GET", path: "/metrics", target: "/metrics", noKey: true, want: 200},
		{name: "swagger 2.0", method: "GET", path: "/openapi/swagger.json", target: "/openapi/swagger.json", noKey: true, want: 200},
		{name: "openapi 3", method: "GET", path: "/openapi/openapi.json", target: "/openapi/openapi.json", noKey: true, want: 200},

		{name: "companies", method: "GET", path: "/companies", target: "/companies", want: 200},
		{name: "companies without a key", method: "GET", path: "/companies", target: "/companies", noKey: true, want: 401},
		{name: "companies, Tally down", method: "GET", path: "/companies", target: "/companies", fault: tallysim.Refuse, want: 503},
		{name: "tally status", method: "GET", path: "/tally/status", target: "/tally/status", want: 200},
		{name: "tally status without a key", method: "GET", path: "/tally/status", target: "/tally/status", noKey: true, want: 401},
		{name: "tally status, Tally down", method: "GET", path: "/tally/status", target: "/tally/status", fault: tallysim.Refuse, want: 503},

		{name: "parties", method: "GET", path: "/parties", target: "/parties?search=raj", want: 200},
		{name: "parties without a key", method: "GET", path: "/parties", target: "/parties", noKey: true, want: 401},
		{name: "parties of an unknown company", method: "GET", path: "/parties", target: "/parties?company=XYZ%20Ltd", want: 404},
		{name: "parties of a group that is not a party group", method: "GET", path: "/parties", target: "/parties?group=Bank%20Accounts", want: 422},
		{name: "parties, malformed query", method: "GET", path: "/parties", target: "/parties?search=%zz", want: 400},
		{name: "parties, Tally down", method: "GET", path: "/parties", target: "/parties", fault: tallysim.Refuse, want: 503},
		{name: "party", method: "GET", path: "/parties/{name}", target: "/parties/Rajesh%20Enterprises", want: 200},
		{name: "another party", method: "GET", path: "/parties/{name}", target: "/parties/Nair%20Agencies", want: 200},
		{name: "missing party", method: "GET", path: "/parties/{name}", target: "/parties/Nobody", want: 404},
		{name: "party name with U+200B", method: "GET", path: "/parties/{name}", target: "/parties/Rajesh%E2%80%8B", want: 422},
		{name: "party, malformed query", method: "GET", path: "/parties/{name}", target: "/parties/Nobody?company=%zz", want: 400},
		{name: "party without a key", method: "GET", path: "/parties/{name}", target: "/parties/Nobody", noKey: true, want: 401},
		{name: "party, Tally down", method: "GET", path: "/parties/{name}", target: "/parties/Nobody", fault: tallysim.Refuse, want: 503},
		{name: "balance", method: "GET", path: "/parties/{name}/balance", target: "/parties/Rajesh%20Enterprises/balance", want: 200},
		{name: "balance of a missing party", method: "GET", path: "/parties/{name}/balance", target: "/parties/Nobody/balance", want: 404},
		{name: "balance, name with U+200B", method: "GET", path: "/parties/{name}/balance", target: "/parties/Rajesh%E2%80%8B/balance", want: 422},
		{name: "balance without a key", method: "GET", path: "/parties/{name}/balance", target: "/parties/Nobody/balance", noKey: true, want: 401},
		{name: "balance, malformed query", method: "GET", path: "/parties/{name}/balance", target: "/parties/Nobody/balance?company=%zz", want: 400},
		{name: "balance, Tally down", method: "GET", path: "/parties/{name}/balance", target: "/parties/Nobody/balance", fault: tallysim.Refuse, want: 503},
		{name: "create party", method: "POST", path: "/parties", target: "/parties", body: `{"name": "Contract Traders", "mobile": "9820099999"}`, want: 201},
		{name: "create an existing party", method: "POST", path: "/parties", target: "/parties", body: `{"name": "rajesh  enterprises"}`, want: 409},
		{name: "create party, malformed JSON", method: "POST", path: "/parties", target: "/parties", body: `{"name": `, want: 400},
		{name: "create party, not JSON", method: "POST", path: "/parties", target: "/parties", body: `name=X`, headers: text, want: 415},
		{name: "create party, invalid", method: "POST", path: "/parties", target: "/parties", body: `{"name": "X", "email": "nope"}`, want: 422},
		{name: "create party, too large", method: "POST", path: "/parties", target: "/parties", body: huge, want: 413},
		{name: "create party without a key", method: "POST", path: "/parties", target: "/parties", body: `{"name": "X"}`, noKey: true, want: 401},
		{name: "create party in an unknown company", method: "POST", path: "/parties", target: "/parties?company=XYZ%20Ltd", body: `{"name": "Contract Two"}`, want: 404},
		{name: "create party, Tally down", method: "POST", path: "/parties", target: "/parties", body: `{"name": "Contract Three"}`, fault: tallysim.Refuse, want: 503},

		{name: "balance by mobile, mirror off", method: "GET", path: "/parties/by-mobile/{mobile}/balance", target: "/parties/by-mobile/9820012345/balance", want: 404},
		{name: "balance by mobile without a key", method: "GET", path: "/parties/by-mobile/{mobile}/balance", target: "/parties/by-mobile/9820012345/balance", noKey: true, want: 401},
		{name: "balance by mobile, malformed query", method: "GET", path: "/parties/by-mobile/{mobile}/balance", target: "/parties/by-mobile/9820012345/balance?company=%zz", want: 400},
		{name: "sync, mirror off", method: "GET", path: "/sync", target: "/sync", want: 404},
		{name: "statement, mirror off", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement", want: 404},
		{name: "statement without a key", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement", noKey: true, want: 401},
		{name: "statement, malformed query", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement?company=%zz", want: 400},
		{name: "statement, bad date", method: "GET", path: "/parties/{name}/statement", target: "/parties/Rajesh%20Enterprises/statement?from=2026-02-30", want: 422},
		{name: "statement by mobile, mirror off", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9820012345/statement", want: 404},
		{name: "statement by mobile without a key", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9820012345/statement", noKey: true, want: 401},
		{name: "statement by mobile, malformed query", method: "GET", path: "/parties/by-mobile/{mobile}/statement", target: "/parties/by-mobile/9820012345/statement?company=%zz", want: 400},
		{name: "outstanding, mirror off", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Rajesh%20Enterprises/outstanding", want: 404},
		{name: "outstanding without a key", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Rajesh%20Enterprises/outstanding", noKey: true, want: 401},
		{name: "outstanding, malformed query", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Rajesh%20Enterprises/outstanding?company=%zz", want: 400},
		{name: "outstanding, bad ageing", method: "GET", path: "/parties/{name}/outstanding", target: "/parties/Rajesh%20Enterprises/outstanding?ageing=30,30", want: 422},
		{name: "payables, mirror off", method: "GET", path: "/payables", target: "/payables", want: 404},
		{name: "payables without a key", method: "GET", path: "/payables", target: "/payables", noKey: true, want: 401},
		{name: "payables, malformed query", method: "GET", path: "/payables", target: "/payables?party=%zz", want: 400},
		{name: "payables, bad ageing", method: "GET", path: "/payables", target: "/payables?ageing=yes", want: 422},
		{name: "day book, mirror off", method: "GET", path: "/vouchers", target: "/vouchers", want: 404},
		{name: "day book without a key", method: "GET", path: "/vouchers", target: "/vouchers", noKey: true, want: 401},
		{name: "day book, malformed query", method: "GET", path: "/vouchers", target: "/vouchers?party=%zz", want: 400},
		{name: "day book, bad cursor", method: "GET", path: "/vouchers", target: "/vouchers?cursor=x", want: 422},
		{name: "voucher, mirror off", method: "GET", path: "/vouchers/{id}", target: "/vouchers/1", want: 404},
		{name: "voucher without a key", method: "GET", path: "/vouchers/{id}", target: "/vouchers/1", noKey: true, want: 401},
		{name: "voucher, malformed query", method: "GET", path: "/vouchers/{id}", target: "/vouchers/1?company=%zz", want: 400},
		{name: "voucher, bad id", method: "GET", path: "/vouchers/{id}", target: "/vouchers/x", want: 422},
		{name: "sync without a key", method: "GET", path: "/sync", target: "/sync", noKey: true, want: 401},
		{name: "items", method: "GET", path: "/items", target: "/items?q=steel", want: 200},
		{name: "items, malformed query", method: "GET", path: "/items", target: "/items?q=%zz", want: 400},
		{name: "items without a key", method: "GET", path: "/items", target: "/items", noKey: true, want: 401},
		{name: "items of an unknown company", method: "GET", path: "/items", target: "/items?company=XYZ%20Ltd", want: 404},
		{name: "items, bad page", method: "GET", path: "/items", target: "/items?limit=0", want: 422},
		{name: "items, Tally down", method: "GET", path: "/items", target: "/items", fault: tallysim.Refuse, want: 503},
		{name: "receivables", method: "GET", path: "/receivables", target: "/receivables", want: 200},
		{name: "receivables, malformed query", method: "GET", path: "/receivables", target: "/receivables?party=%zz", want: 400},
		{name: "receivables without a key", method: "GET", path: "/receivables", target: "/receivables", noKey: true, want: 401},
		{name: "receivables of an unknown company", method: "GET", path: "/receivables", target: "/receivables?company=XYZ%20Ltd", want: 404},
		{name: "receivables, bad date", method: "GET", path: "/receivables", target: "/receivables?as_of=2026-13-01", want: 422},
		{name: "receivables, Tally down", method: "GET", path: "/receivables", target: "/receivables", fault: tallysim.Refuse, want: 503},
		{name: "trial balance", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance", want: 200},
		{name: "trial balance by ledger", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance?ledger_wise=true", want: 200},
		{name: "trial balance, malformed query", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance?as_of=%zz", want: 400},
		{name: "trial balance without a key", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance", noKey: true, want: 401},
		{name: "trial balance of an unknown company", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance?company=XYZ%20Ltd", want: 404},
		{name: "trial balance, bad date", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance?as_of=yesterday", want: 422},
		{name: "trial balance, Tally down", method: "GET", path: "/reports/trial-balance", target: "/reports/trial-balance", fault: tallysim.Refuse, want: 503},

		{name: "balance sheet", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?as_of=2026-06-23", want: 200},
		{name: "balance sheet, Tally down: the copy kept", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?as_of=2026-06-23", fault: tallysim.Refuse, want: 200},
		{name: "balance sheet, Tally down, none kept", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?as_of=2026-01-01", fault: tallysim.Refuse, want: 503},
		{name: "balance sheet, malformed query", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?as_of=%zz", want: 400},
		{name: "balance sheet without a key", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet", noKey: true, want: 401},
		{name: "balance sheet of an unknown company", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?company=XYZ%20Ltd", want: 404},
		{name: "balance sheet, bad date", method: "GET", path: "/reports/balance-sheet", target: "/reports/balance-sheet?as_of=yesterday", want: 422},
		{name: "profit and loss", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?as_of=2026-06-23", want: 200},
		{name: "profit and loss, Tally down: the copy kept", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?as_of=2026-06-23", fault: tallysim.Refuse, want: 200},
		{name: "profit and loss, Tally down, none kept", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?as_of=2026-01-01", fault: tallysim.Refuse, want: 503},
		{name: "profit and loss, malformed query", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?as_of=%zz", want: 400},
		{name: "profit and loss without a key", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss", noKey: true, want: 401},
		{name: "profit and loss of an unknown company", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?company=XYZ%20Ltd", want: 404},
		{name: "profit and loss, bad date", method: "GET", path: "/reports/profit-and-loss", target: "/reports/profit-and-loss?as_of=yesterday", want: 422},

		{name: "sales summary, mirror off", method: "GET", path: "/reports/sales-summary", target: "/reports/sales-summary", want: 404},
		{name: "sales summary, malformed query", method: "GET", path: "/reports/sales-summary", target: "/reports/sales-summary?date=%zz", want: 400},
		{name: "sales summary without a key", method: "GET", path: "/reports/sales-summary", target: "/reports/sales-summary", noKey: true, want: 401},
		{name: "sales summary, bad date", method: "GET", path: "/reports/sales-summary", target: "/reports/sales-summary?date=yesterday", want: 422},

		{name: "order", method: "POST", path: "/orders", target: "/orders", body: order, want: 201},
		{name: "order, respond-async", method: "POST", path: "/orders", target: "/orders", headers: async,
			body: `{"order_ref": "CT-2", "party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Steel rod 12mm", "quantity": "1", "rate": "4500.00"}]}`, want: 202},
		{name: "order_ref with other content", method: "POST", path: "/orders", target: "/orders",
			body: strings.Replace(order, `"quantity": "2"`, `"quantity": "3"`, 1), want: 409},
		{name: "order, malformed JSON", method: "POST", path: "/orders", target: "/orders", body: `{`, want: 400},
		{name: "order, not JSON", method: "POST", path: "/orders", target: "/orders", body: `x`, headers: text, want: 415},
		{name: "order, invalid", method: "POST", path: "/orders", target: "/orders", body: `{"party": {"name": "X"}, "lines": []}`, want: 422},
		{name: "order, too large", method: "POST", path: "/orders", target: "/orders", body: huge, want: 413},
		{name: "order without a key", method: "POST", path: "/orders", target: "/orders", body: order, noKey: true, want: 401},
		{name: "order for an unknown company", method: "POST", path: "/orders", target: "/orders?company=XYZ%20Ltd", body: order, want: 404},
		{name: "orders", method: "GET", path: "/orders", target: "/orders", want: 200},
		{name: "orders, malformed query", method: "GET", path: "/orders", target: "/orders?party=%zz", want: 400},
		{name: "orders, bad state", method: "GET", path: "/orders", target: "/orders?state=lost", want: 422},
		{name: "orders without a key", method: "GET", path: "/orders", target: "/orders", noKey: true, want: 401},
		{name: "order by id", method: "GET", path: "/orders/{id}", target: "/orders/{order}", want: 200},
		{name: "missing order", method: "GET", path: "/orders/{id}", target: "/orders/00000000-0000-0000-0000-000000000000", want: 404},
		{name: "order by id without a key", method: "GET", path: "/orders/{id}", target: "/orders/{order}", noKey: true, want: 401},
		{name: "retry a posted order", method: "POST", path: "/orders/{id}/retry", target: "/orders/{order}/retry", want: 409},
		{name: "retry a parked order", method: "POST", path: "/orders/{id}/retry", target: "/orders/{parked}/retry", want: 202},
		{name: "retry a missing order", method: "POST", path: "/orders/{id}/retry", target: "/orders/00000000-0000-0000-0000-000000000000/retry", want: 404},
		{name: "retry without a key", method: "POST", path: "/orders/{id}/retry", target: "/orders/{order}/retry", noKey: true, want: 401},

		{name: "receipt", method: "POST", path: "/receipts", target: "/receipts", body: receipt, want: 201},
		{name: "receipt, respond-async", method: "POST", path: "/receipts", target: "/receipts", headers: async,
			body: `{"receipt_ref": "CT-P2", "party": "Rajesh Enterprises", "amount": "500.00", "mode": "upi"}`, want: 202},
		{name: "receipt, malformed JSON", method: "POST", path: "/receipts", target: "/receipts", body: `{`, want: 400},
		{name: "receipt, not JSON", method: "POST", path: "/receipts", target: "/receipts", body: `x`, headers: text, want: 415},
		{name: "receipt, invalid", method: "POST", path: "/receipts", target: "/receipts", body: `{"party": "Rajesh Enterprises", "amount": "-1", "mode": "card"}`, want: 422},
		{name: "receipt, too large", method: "POST", path: "/receipts", target: "/receipts", body: huge, want: 413},
		{name: "receipt without a key", method: "POST", path: "/receipts", target: "/receipts", body: receipt, noKey: true, want: 401},
		{name: "receipt for an unknown company", method: "POST", path: "/receipts", target: "/receipts?company=XYZ%20Ltd", body: receipt, want: 404},

		{name: "cancel an order", method: "POST", path: "/orders/{id}/cancel", target: "/orders/{order}/cancel", want: 201},
		{name: "cancel a cancellation", method: "POST", path: "/orders/{id}/cancel", target: "/orders/{cancellation}/cancel", want: 422},
		{name: "cancel a receipt, respond-async", method: "POST", path: "/orders/{id}/cancel", target: "/orders/{receipt}/cancel", headers: async, want: 202},
		{name: "cancel a missing order", method: "POST", path: "/orders/{id}/cancel", target: "/orders/00000000-0000-0000-0000-000000000000/cancel", want: 404},
		{name: "cancel without a key", method: "POST", path: "/orders/{id}/cancel", target: "/orders/{order}/cancel", noKey: true, want: 401},

		{name: "reminders", method: "GET", path: "/reminders", target: "/reminders", want: 200},
		{name: "reminders, malformed query", method: "GET", path: "/reminders", target: "/reminders?group=%zz", want: 400},
		{name: "reminders without a key", method: "GET", path: "/reminders", target: "/reminders", noKey: true, want: 401},
		{name: "reminders of an unknown company", method: "GET", path: "/reminders", target: "/reminders?company=XYZ%20Ltd", want: 404},
		{name: "reminders of a group that is not a party group", method: "GET", path: "/reminders", target: "/reminders?group=Bank%20Accounts", want: 422},
		{name: "reminders, Tally down", method: "GET", path: "/reminders", target: "/reminders", fault: tallysim.Refuse, want: 503},
		{name: "dispatch, dry run", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", body: `{"dry_run": true}`, want: 200},
		{name: "dispatch without a sender", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", want: 503},
		{name: "dispatch without a key", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", noKey: true, want: 401},
		{name: "dispatch for an unknown company", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch?dry_run=true&company=XYZ%20Ltd", want: 404},
		{name: "dispatch, not JSON", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", body: `x`, headers: text, want: 415},
		{name: "dispatch, malformed JSON", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", body: `{`, want: 400},
		{name: "dispatch, invalid", method: "POST", path: "/reminders/dispatch", target: "/reminders/dispatch", body: `{"as_of": "soon"}`, want: 422},

		{name: "imports", method: "GET", path: "/imports", target: "/imports", want: 200},
		{name: "imports, malformed query", method: "GET", path: "/imports", target: "/imports?party=%zz", want: 400},
		{name: "imports, bad result", method: "GET", path: "/imports", target: "/imports?result=maybe", want: 422},
		{name: "imports without a key", method: "GET", path: "/imports", target: "/imports", noKey: true, want: 401},
		{name: "import by id", method: "GET", path: "/imports/{id}", target: "/imports/{import}", want: 200},
		{name: "missing import", method: "GET", path: "/imports/{id}", target: "/imports/999999", want: 404},
		{name: "import by id without a key", method: "GET", path: "/imports/{id}", target: "/imports/{import}", noKey: true, want: 401},

		{name: "webhook handshake", method: "GET", path: "/webhooks/whatsapp", noKey: true, want: 200,
			target: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=" + waTestToken + "&hub.challenge=1158201444"},
		{name: "webhook handshake, wrong token", method: "GET", path: "/webhooks/whatsapp", noKey: true, want: 403,
			target: "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"},
		{name: "webhook notification", method: "POST", path: "/webhooks/whatsapp", target: "/webhooks/whatsapp", noKey: true,
			body: string(waOrder), headers: map[string]string{"X-Hub-Signature-256": waSign(waOrder)}, want: 200},
		{name: "webhook notification, bad signature", method: "POST", path: "/webhooks/whatsapp", target: "/webhooks/whatsapp", noKey: true,
			body: string(waOrder), headers: map[string]string{"X-Hub-Signature-256": "sha256=00"}, want: 401},
		{name: "webhook notification, too large", method: "POST", path: "/webhooks/whatsapp", target: "/webhooks/whatsapp", noKey: true,
			body: huge, headers: map[string]string{"X-Hub-Signature-256": "sha256=00"}, want: 413},
		{name: "webhook notification, malformed", method: "POST", path: "/webhooks/whatsapp", target: "/webhooks/whatsapp", noKey: true,
			body: `{"object": `, headers: map[string]string{"X-Hub-Signature-256": waSign([]byte(`{"object": `))}, want: 400},
	}

	ids := map[string]string{}
	exercised := map[string]map[int]bool{} // "METHOD path" → statuses seen
	for _, c := range calls {
		if c.name == "retry a parked order" {
			ids["{parked}"] = parkOrder(t, b)
		}
		target := c.target
		for k, v := range ids {
			target = strings.ReplaceAll(target, k, v)
		}
		if strings.Contains(target, "{") {
			t.Fatalf("%s: %s needs an id no earlier call gave", c.name, target)
		}
		b.sim.SetFault(c.fault)
		req, rep := contractDo(b, c, target)
		b.sim.SetFault(tallysim.NoFault)
		if rep.status != c.want {
			t.Errorf("%s: %s %s answered %d, want %d: %s", c.name, c.method, target, rep.status, c.want, rep.body)
		}
		if err := validateAnswer(t.Context(), doc, c.method, c.path, req, rep); err != nil {
			t.Errorf("%s: %s %s → %d %s does not match the spec: %v\n%s", c.name, c.method, target, rep.status,
				rep.header.Get("Content-Type"), err, rep.body)
		}
		op := c.method + " " + c.path
		if exercised[op] == nil {
			exercised[op] = map[int]bool{}
		}
		exercised[op][rep.status] = true
		switch {
		case c.name == "order" && rep.status == http.StatusCreated:
			ids["{order}"] = strings.TrimPrefix(rep.header.Get("Location"), "/orders/")
		case c.name == "receipt" && rep.status == http.StatusCreated:
			ids["{receipt}"] = strings.TrimPrefix(rep.header.Get("Location"), "/orders/")
		case c.name == "cancel an order" && rep.status == http.StatusCreated:
			ids["{cancellation}"] = strings.TrimPrefix(rep.header.Get("Location"), "/orders/")
		case c.name == "imports" && rep.status == http.StatusOK:
			var list ImportListResponse
			if err := json.Unmarshal(rep.body, &list); err != nil || len(list.Imports) == 0 {
				t.Fatalf("imports: %v %s", err, rep.body)
			}
			ids["{import}"] = fmt.Sprint(list.Imports[0].ID)
		}
	}

	var missing, unreached []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			seen := exercised[method+" "+path]
			if seen == nil {
				missing = append(missing, method+" "+path)
				continue
			}
			for status := range op.Responses.Map() {
				var code int
				if _, err := fmt.Sscan(status, &code); err == nil && !seen[code] {
					unreached = append(unreached, method+" "+path+" "+status)
				}
			}
		}
	}
	slices.Sort(missing)
	slices.Sort(unreached)
	if len(missing) > 0 {
		t.Errorf("operations of the spec no call exercised: %s", strings.Join(missing, ", "))
	}
	t.Logf("%d operations exercised by %d calls; documented answers not reached: %s", len(exercised), len(calls), strings.Join(unreached, ", "))
}

// servedOpenAPI3 loads the OpenAPI 3 document the server serves.
func servedOpenAPI3(t *testing.T, b *waBundle) *openapi3.T {
	t.Helper()
	rep := b.do(http.MethodGet, "/openapi/openapi.json", nil, nil)
	doc, err := openapi3.NewLoader().LoadFromData(rep.body)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// contractDo sends one call and returns the request (for the validator) and
// the answer.
func contractDo(b *waBundle, c contractCall, target string) (*http.Request, waReply) {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, target, body)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if !c.noKey {
		req.Header.Set("X-API-Key", waTestAPIKey)
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	b.srv.Handler().ServeHTTP(rec, req)
	return req, waReply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// validateAnswer checks an answer against the operation at method and path
// in doc: its status must be documented, its Content-Type one the status
// lists, and its body valid against that media type's schema.
func validateAnswer(ctx context.Context, doc *openapi3.T, method, path string, req *http.Request, rep waReply) error {
	item := doc.Paths.Find(path)
	if item == nil || item.GetOperation(method) == nil {
		return fmt.Errorf("the spec has no %s %s", method, path)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	if rep.header.Get("Content-Type") == mimePDF {
		// A document: the spec's binary string says nothing of its bytes
		// beyond being one (kin-openapi has no decoder for it); the status
		// and the media type are still checked against the spec.
		if !bytes.HasPrefix(rep.body, []byte("%PDF-")) {
			return fmt.Errorf("an application/pdf answer that is not a PDF")
		}
		opts.ExcludeResponseBody = true
	}
	in := &openapi3filter.RequestValidationInput{Request: req, Options: opts,
		Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)}}
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: rep.status, Header: rep.header, Body: io.NopCloser(bytes.NewReader(rep.body)), Options: opts})
}

// parkOrder stores an order while Tally refuses connections and waits until
// the queue gives up on it (needs_attention), so it can be retried; it
// returns the order's id.
func parkOrder(t *testing.T, b *waBundle) string {
	t.Helper()
	b.sim.SetFault(tallysim.Refuse)
	defer b.sim.SetFault(tallysim.NoFault)
	_, rep := contractDo(b, contractCall{method: http.MethodPost, headers: map[string]string{"Prefer": "respond-async"},
		body: `{"order_ref": "CT-PARK", "party": {"name": "Rajesh Enterprises"}, "lines": [{"item": "Steel rod 12mm", "quantity": "1", "rate": "100.00"}]}`},
		"/orders")
	if rep.status != http.StatusAccepted {
		t.Fatalf("parking an order: %d %s", rep.status, rep.body)
	}
	id := strings.TrimPrefix(rep.header.Get("Location"), "/orders/")
	// The test's queue tries 3 times, 50 to 200 ms apart.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rec, err := b.srv.svc.GetOrder(t.Context(), id); err == nil && rec.State == service.OrderNeedsAttention {
			return id
		}
	}
	t.Fatalf("order %s never reached needs_attention", id)
	return ""
}

// TestContractCatchesDrift shows that validateAnswer can fail: answers that
// break the spec in each way TestContract looks for are refused.
func TestContractCatchesDrift(t *testing.T) {
	b := waSetup(t)
	doc := servedOpenAPI3(t, b)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	problemCT := http.Header{"Content-Type": {"application/problem+json"}}
	for _, tc := range []struct {
		name, method, path string
		rep                waReply
	}{
		{"undocumented status", "GET", "/healthz", waReply{status: 418, header: jsonCT, body: []byte(`{"status": "ok"}`)}},
		{"a success as problem+json", "GET", "/healthz", waReply{status: 200, header: problemCT, body: []byte(`{"status": "ok"}`)}},
		{"an error as plain JSON", "GET", "/orders/{id}", waReply{status: 404, header: jsonCT,
			body: []byte(`{"type": "urn:tallyfacade:problem:order_not_found", "title": "Not Found", "status": 404, "detail": "x", "instance": "/orders/x", "code": "order_not_found"}`)}},
		{"a required field missing", "GET", "/healthz", waReply{status: 200, header: jsonCT, body: []byte(`{}`)}},
		{"money without two decimals", "GET", "/parties/{name}/balance", waReply{status: 200, header: jsonCT,
			body: []byte(`{"party": "P", "balance": "10", "side": "Dr", "signed": "10", "display": "₹10.00", "balance_known": true, "as_of": "2026-06-23", "mobile_e164": "", "message": "m"}`)}},
		{"a 202 that says posted", "POST", "/orders", waReply{status: 202, header: jsonCT,
			body: []byte(`{"id": "x", "state": "posted", "company": "c", "bill_ref": "b", "remote_id": "r", "party": "p", "source": "api", "attempts": 1, "created_at": "2026-06-23T10:00:00+05:30", "updated_at": "2026-06-23T10:00:00+05:30", "message": "m"}`)}},
	} {
		req := httptest.NewRequest(tc.method, "/", nil)
		if err := validateAnswer(t.Context(), doc, tc.method, tc.path, req, tc.rep); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}
