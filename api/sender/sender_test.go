package sender_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/api/sender"
	"github.com/tallyfacade/tallyfacade/service"
)

var msg = service.ReminderMessage{Key: "reminder:2026-06-30:abc", Party: "Rajesh Enterprises", Mobile: "+919820012345",
	WhatsAppID: "919820012345", Text: "Dear Rajesh Enterprises, …",
	Vars: service.ReminderData{Party: "Rajesh Enterprises", Amount: "48,500", DueSince: "10 June 2026", OverdueDays: 20,
		Bills: service.ReminderBills{{Ref: "ABC/S/101", Date: "11 May 2026", Due: "10 June 2026", Amount: "48,500"}}, Company: "ABC Traders"}}

// capture is a fake provider that records the request and answers status/body.
func capture(t *testing.T, status int, body string) (*httptest.Server, *http.Request, *[]byte) {
	t.Helper()
	var (
		got  = new(http.Request)
		data = new([]byte)
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = *r.Clone(context.Background())
		*data, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, got, data
}

func TestCloudAPITemplate(t *testing.T) {
	srv, req, body := capture(t, 200, `{"messaging_product":"whatsapp","contacts":[{"input":"919820012345","wa_id":"919820012345"}],"messages":[{"id":"wamid.HBgM"}]}`)
	c, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: srv.URL + "/v21.0/", PhoneNumberID: "106540352242922", Token: "tok",
		TemplateName: "payment_reminder", Language: "en_US"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Send(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID != "wamid.HBgM" || res.Status != 200 {
		t.Errorf("result = %+v", res)
	}
	if req.URL.Path != "/v21.0/106540352242922/messages" || req.Header.Get("Authorization") != "Bearer tok" || req.Method != "POST" {
		t.Errorf("request = %s %s auth %q", req.Method, req.URL.Path, req.Header.Get("Authorization"))
	}
	want := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919820012345", "type": "template",
		"template": map[string]any{"name": "payment_reminder", "language": map[string]any{"code": "en_US"},
			"components": []any{map[string]any{"type": "body", "parameters": []any{
				map[string]any{"type": "text", "text": "Rajesh Enterprises"},
				map[string]any{"type": "text", "text": "48,500"},
				map[string]any{"type": "text", "text": "10 June 2026"}}}}}}
	var got map[string]any
	if err := json.Unmarshal(*body, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestCloudAPIText(t *testing.T) {
	srv, _, body := capture(t, 200, `{"messages":[{"id":"wamid.T"}]}`)
	c, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: srv.URL, PhoneNumberID: "1", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(*body, &got)
	want := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919820012345", "type": "text",
		"text": map[string]any{"preview_url": false, "body": msg.Text}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestClassification(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		kind   service.Kind
		msg    string
	}{
		{"bad token", 401, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`, service.Upstream,
			"the WhatsApp Cloud API refused the message (401: 190 Invalid OAuth access token.)"},
		{"not allowed", 400, `{"error":{"message":"(#131030) Recipient phone number not in allowed list","code":131030}}`, service.Upstream,
			"the WhatsApp Cloud API refused the message (400: 131030 (#131030) Recipient phone number not in allowed list)"},
		{"server error: may have been delivered", 500, `oops`, service.Unavailable, "the WhatsApp Cloud API answered 500; the message may have been delivered"},
		{"unavailable: refused before the work", 503, `{}`, service.Unavailable, "the WhatsApp Cloud API answered 503"},
		{"rate limited", 429, `{}`, service.Unavailable, "the WhatsApp Cloud API answered 429"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _, _ := capture(t, tc.status, tc.body)
			c, _ := sender.NewCloudAPI(sender.CloudAPI{BaseURL: srv.URL, PhoneNumberID: "1", Token: "tok"})
			res, err := c.Send(t.Context(), msg)
			e, ok := service.AsError(err)
			if !ok || e.Kind != tc.kind || e.Message != tc.msg {
				t.Fatalf("err = %v (kind %v), want kind %v %q", err, service.KindOf(err), tc.kind, tc.msg)
			}
			if string(res.Response) != tc.body {
				t.Errorf("response kept = %q, want %q", res.Response, tc.body)
			}
		})
	}
}

func TestTimeoutAndUnreachable(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	t.Cleanup(func() { close(block); slow.Close() })
	c, _ := sender.NewCloudAPI(sender.CloudAPI{BaseURL: slow.URL, PhoneNumberID: "1", Token: "tok",
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
	if _, err := c.Send(t.Context(), msg); service.KindOf(err) != service.Unavailable {
		t.Errorf("timeout: err = %v, want Unavailable", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	w, _ := sender.NewWebhook(sender.Webhook{URL: closed.URL, Secret: "s"})
	if _, err := w.Send(t.Context(), msg); service.KindOf(err) != service.Unavailable {
		t.Errorf("unreachable: err = %v, want Unavailable", err)
	}
}

func TestWebhook(t *testing.T) {
	srv, req, body := capture(t, 202, `{"message_id":"plat-1"}`)
	w, err := sender.NewWebhook(sender.Webhook{URL: srv.URL + "/hook", Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Send(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID != "plat-1" {
		t.Errorf("message id = %q", res.MessageID)
	}
	if got, want := req.Header.Get(sender.SignatureHeader), sender.Sign("s3cret", *body); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	// The known HMAC-SHA256 of "abc" with key "key", so Sign is not only self-consistent.
	if got := sender.Sign("key", []byte("abc")); got != "sha256=9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab" {
		t.Errorf("Sign = %s", got)
	}
	var p sender.WebhookPayload
	if err := json.Unmarshal(*body, &p); err != nil {
		t.Fatal(err)
	}
	want := sender.WebhookPayload{Key: msg.Key, Party: "Rajesh Enterprises", Mobile: "+919820012345", WaID: "919820012345", Message: msg.Text,
		Variables: map[string]string{"party": "Rajesh Enterprises", "amount": "48,500", "due_since": "10 June 2026", "overdue_days": "20",
			"bills": "ABC/S/101 of 11 May 2026: Rs. 48,500", "company": "ABC Traders"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

func TestConstructorsNameMissingSettings(t *testing.T) {
	if _, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: "http://x"}); err == nil ||
		err.Error() != "sender: WhatsApp Cloud API needs WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_TOKEN" {
		t.Errorf("NewCloudAPI: %v", err)
	}
	if _, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: "http://x", PhoneNumberID: "1", Token: "t", Parameters: []string{"amt"}}); err == nil {
		t.Error("NewCloudAPI accepted an unknown parameter")
	}
	if _, err := sender.NewWebhook(sender.Webhook{}); err == nil ||
		err.Error() != "sender: the reminder webhook needs REMINDER_WEBHOOK_URL, REMINDER_WEBHOOK_SECRET" {
		t.Errorf("NewWebhook: %v", err)
	}
}

// TestTimeoutIsUnknownAndKeepsTheURLOut: a provider that takes the message
// and answers too late gives sender_outcome_unknown (never retried), and
// the error carries no URL (a webhook URL may hold a token).
func TestTimeoutIsUnknownAndKeepsTheURLOut(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	wh, err := sender.NewWebhook(sender.Webhook{URL: slow.URL + "/hook?token=SUPERSECRET", Secret: "s",
		HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wh.Send(t.Context(), service.ReminderMessage{Party: "P", Mobile: "+919820012345", WhatsAppID: "919820012345", Text: "x"})
	e, ok := service.AsError(err)
	if !ok || e.Code != "sender_outcome_unknown" {
		t.Fatalf("err = %v; want sender_outcome_unknown", err)
	}
	if strings.Contains(err.Error(), "SUPERSECRET") {
		t.Fatalf("the error leaks the URL: %v", err)
	}
	refused, _ := sender.NewWebhook(sender.Webhook{URL: "http://127.0.0.1:1/hook?token=SUPERSECRET", Secret: "s"})
	_, err = refused.Send(t.Context(), service.ReminderMessage{Party: "P", Mobile: "+919820012345", WhatsAppID: "919820012345", Text: "x"})
	if e, ok := service.AsError(err); !ok || e.Code != "sender_unreachable" || strings.Contains(err.Error(), "SUPERSECRET") {
		t.Fatalf("refused: err = %v; want sender_unreachable without the URL", err)
	}
}

// TestCloudAPITemplateFields: a message other than a reminder (an invoice
// confirmation) fills its template's parameters from its Fields, and a
// webhook gets them among its variables.
func TestCloudAPITemplateFields(t *testing.T) {
	confirm := service.ReminderMessage{Key: "confirm-invoice:abc traders:27", Party: "Rajesh Enterprises", Mobile: "+919820012345",
		WhatsAppID: "919820012345", Text: "Dear Rajesh Enterprises, …",
		Fields: map[string]string{"party": "Rajesh Enterprises", "number": "ABC/S/123", "date": "23 June 2026", "amount": "11,800"}}
	srv, _, body := capture(t, 200, `{"messages":[{"id":"wamid.C"}]}`)
	c, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: srv.URL, PhoneNumberID: "1", Token: "tok", TemplateName: "invoice_entered",
		Parameters: []string{"party", "number", "date", "amount"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(t.Context(), confirm); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Template struct {
			Components []struct {
				Parameters []struct {
					Text string `json:"text"`
				} `json:"parameters"`
			} `json:"components"`
		} `json:"template"`
	}
	if err := json.Unmarshal(*body, &got); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, p := range got.Template.Components[0].Parameters {
		texts = append(texts, p.Text)
	}
	if want := []string{"Rajesh Enterprises", "ABC/S/123", "23 June 2026", "11,800"}; !cmp.Equal(texts, want) {
		t.Errorf("parameters %q; want %q", texts, want)
	}
	if _, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: "x", PhoneNumberID: "1", Token: "t", Parameters: []string{"numbr"}}); err == nil {
		t.Error("an unknown parameter was accepted")
	}
	hook, _, hookBody := capture(t, 200, `{}`)
	w, err := sender.NewWebhook(sender.Webhook{URL: hook.URL, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Send(t.Context(), confirm); err != nil {
		t.Fatal(err)
	}
	var p sender.WebhookPayload
	if err := json.Unmarshal(*hookBody, &p); err != nil || p.Variables["number"] != "ABC/S/123" || p.Variables["amount"] != "11,800" {
		t.Errorf("webhook payload %s (%v)", *hookBody, err)
	}
}
