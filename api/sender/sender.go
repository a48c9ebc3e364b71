// Package sender holds the outbound senders of payment reminders
// (service.Sender): the WhatsApp Cloud API and a generic webhook for chatbot
// platforms. It imports only service, so cmd picks one from configuration.
//
// Both classify failures the same way: a 4xx from the provider is final
// (service.Upstream: a bad token, an unknown template, a number not on
// WhatsApp; sending again cannot help), a 5xx, 429, timeout or network error
// is service.Unavailable, which the dispatch retries with backoff.
package sender

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// DefaultTimeout bounds one send when no HTTPClient is given.
const DefaultTimeout = 10 * time.Second

// maxResponse bounds how much of a provider's answer is read (and kept).
const maxResponse = service.MaxAuditBody

func client(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{Timeout: DefaultTimeout}
	}
	return c
}

// post sends body and reads the answer; err is classified.
func post(ctx context.Context, hc *http.Client, url string, body []byte, header http.Header, provider string) (service.SendResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return service.SendResult{}, &service.Error{Kind: service.Invalid, Code: "sender_misconfigured",
			Message: provider + ": the URL is not usable", Err: err}
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := client(hc).Do(req)
	if err != nil {
		// The URL (a token may be in its query) stays out of the error,
		// and so out of every log line.
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			// Never connected: nothing went out, a retry is safe.
			return service.SendResult{}, &service.Error{Kind: service.Unavailable, Code: "sender_unreachable",
				Message: provider + " could not be reached", Err: err}
		}
		// The request may have gone out (a timeout waiting for the answer,
		// a connection broken after sending): the message may have been
		// delivered, so it must not be sent again blindly.
		return service.SendResult{}, &service.Error{Kind: service.Unavailable, Code: "sender_outcome_unknown",
			Message: provider + " did not answer; the message may have been delivered", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	res := service.SendResult{Status: resp.StatusCode, Response: raw}
	if err != nil {
		return res, &service.Error{Kind: service.Unavailable, Code: "sender_outcome_unknown",
			Message: provider + " broke off its answer; the message may have been delivered", Err: err}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return res, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		// Refused before doing the work: safe to retry.
		return res, &service.Error{Kind: service.Unavailable, Code: "sender_unavailable",
			Message: fmt.Sprintf("%s answered %d%s", provider, resp.StatusCode, providerText(raw))}
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		// A 500, 502 or 504 can come after the message went out.
		return res, &service.Error{Kind: service.Unavailable, Code: "sender_outcome_unknown",
			Message: fmt.Sprintf("%s answered %d%s; the message may have been delivered", provider, resp.StatusCode, providerText(raw))}
	}
	return res, &service.Error{Kind: service.Upstream, Code: "sender_rejected",
		Message: fmt.Sprintf("%s refused the message (%d%s)", provider, resp.StatusCode, providerText(raw))}
}

// providerText extracts the Graph API's error message, {"error":{"message":
// …,"code":…}}, so a failed party says why ("(#131030) Recipient phone
// number not in allowed list").
func providerText(raw []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Message == "" {
		return ""
	}
	msg := e.Error.Message
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if e.Error.Code != 0 {
		return fmt.Sprintf(": %d %s", e.Error.Code, msg)
	}
	return ": " + msg
}

// CloudAPI sends reminders through the WhatsApp Business Cloud API:
// POST {BaseURL}/{PhoneNumberID}/messages with a Bearer token.
//
// With a TemplateName it sends a template message whose body parameters are
// the reminder's variables in Parameters order. Meta allows a free-form text
// message only inside the 24-hour window after the customer last wrote, so a
// business-initiated reminder needs an approved template (ecosystem.md §1);
// without one it sends the rendered text as a text message, for tests and
// for numbers in an open conversation.
type CloudAPI struct {
	// BaseURL is the Graph API base with its version, e.g.
	// https://graph.facebook.com/v21.0 (WHATSAPP_API_URL); tests point it at
	// a local fake.
	BaseURL       string
	PhoneNumberID string // WHATSAPP_PHONE_NUMBER_ID
	Token         string // WHATSAPP_TOKEN
	// TemplateName is the approved template; "" sends text.
	TemplateName string
	// Language is the template's language code. Default "en".
	Language string
	// Parameters names the reminder variables of the template's body
	// {{1}}, {{2}}, …, in order: "party", "amount", "due_since",
	// "overdue_days", "bills", "company". Default party, amount, due_since,
	// which fits a template worded like the guide's reminder.
	Parameters []string
	// HTTPClient defaults to a client with DefaultTimeout.
	HTTPClient *http.Client
}

// NewCloudAPI returns a CloudAPI after checking the settings it cannot work
// without; the error names the missing setting.
func NewCloudAPI(c CloudAPI) (*CloudAPI, error) {
	var missing []string
	if strings.TrimSpace(c.BaseURL) == "" {
		missing = append(missing, "WHATSAPP_API_URL")
	}
	if strings.TrimSpace(c.PhoneNumberID) == "" {
		missing = append(missing, "WHATSAPP_PHONE_NUMBER_ID")
	}
	if strings.TrimSpace(c.Token) == "" {
		missing = append(missing, "WHATSAPP_TOKEN")
	}
	if len(missing) > 0 {
		return nil, errors.New("sender: WhatsApp Cloud API needs " + strings.Join(missing, ", "))
	}
	for _, p := range c.Parameters {
		if _, ok := variable(service.ReminderMessage{}, p); !ok && !isField(p) {
			return nil, fmt.Errorf("sender: unknown template parameter %q", p)
		}
	}
	return &c, nil
}

// isField tells whether name is a variable of the messages other than
// reminders (service.ReminderMessage.Fields: the daily summary's, an
// invoice confirmation's), for checking a template's parameters.
func isField(name string) bool {
	switch name {
	case "summary", "date", "sales_count", "sales_total", "receipts_total", "number", "amount", "party", "company":
		return true
	}
	return false
}

// variable returns the message variable called name: one of its Fields,
// else a reminder variable.
func variable(m service.ReminderMessage, name string) (string, bool) {
	if v, ok := m.Fields[name]; ok {
		return v, true
	}
	d := m.Vars
	switch name {
	case "party":
		return d.Party, true
	case "amount":
		return d.Amount, true
	case "due_since":
		return d.DueSince, true
	case "overdue_days":
		return fmt.Sprint(d.OverdueDays), true
	case "bills":
		return d.Bills.String(), true
	case "company":
		return d.Company, true
	}
	return "", false
}

type cloudText struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type cloudParam struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type cloudComponent struct {
	Type       string       `json:"type"`
	Parameters []cloudParam `json:"parameters"`
}

type cloudTemplate struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []cloudComponent `json:"components"`
}

type cloudMessage struct {
	MessagingProduct string         `json:"messaging_product"`
	RecipientType    string         `json:"recipient_type"`
	To               string         `json:"to"`
	Type             string         `json:"type"`
	Text             *cloudText     `json:"text,omitempty"`
	Template         *cloudTemplate `json:"template,omitempty"`
}

// Send implements service.Sender.
func (c *CloudAPI) Send(ctx context.Context, m service.ReminderMessage) (service.SendResult, error) {
	if m.WhatsAppID == "" {
		return service.SendResult{}, &service.Error{Kind: service.Invalid, Code: "no_mobile", Message: "no WhatsApp number"}
	}
	msg := cloudMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: m.WhatsAppID}
	if c.TemplateName == "" {
		msg.Type, msg.Text = "text", &cloudText{Body: m.Text}
	} else {
		names := c.Parameters
		if len(names) == 0 {
			names = []string{"party", "amount", "due_since"}
		}
		params := make([]cloudParam, 0, len(names))
		for _, n := range names {
			v, _ := variable(m, n)
			params = append(params, cloudParam{Type: "text", Text: v})
		}
		t := &cloudTemplate{Name: c.TemplateName, Components: []cloudComponent{{Type: "body", Parameters: params}}}
		t.Language.Code = c.Language
		if t.Language.Code == "" {
			t.Language.Code = "en"
		}
		msg.Type, msg.Template = "template", t
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return service.SendResult{}, err
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.Token)
	url := strings.TrimRight(c.BaseURL, "/") + "/" + c.PhoneNumberID + "/messages"
	res, err := post(ctx, c.HTTPClient, url, body, h, "the WhatsApp Cloud API")
	if err != nil {
		return res, err
	}
	// {"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid…"}]}
	var ok struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if json.Unmarshal(res.Response, &ok) == nil && len(ok.Messages) > 0 {
		res.MessageID = ok.Messages[0].ID
	}
	return res, nil
}

// SignatureHeader carries the webhook's HMAC: "sha256=" and the lower-case
// hex HMAC-SHA256 of the body with the shared secret, as Meta signs its own
// webhooks (X-Hub-Signature-256), so platforms can verify it the same way.
const SignatureHeader = "X-Tallyfacade-Signature"

// Webhook posts each reminder as JSON to a chatbot platform's URL, which
// sends it on its own WhatsApp number:
//
//	{"party": "…", "mobile": "+91…", "wa_id": "91…", "message": "…",
//	 "variables": {"party": "…", "amount": "48,500", "due_since": "10 June 2026", …},
//	 "key": "reminder:2026-06-30:…"}
//
// signed with SignatureHeader. key is the same for a resend of the same
// reminder, for a platform that deduplicates.
type Webhook struct {
	URL        string // REMINDER_WEBHOOK_URL
	Secret     string // REMINDER_WEBHOOK_SECRET
	HTTPClient *http.Client
}

// NewWebhook returns a Webhook after checking its settings.
func NewWebhook(w Webhook) (*Webhook, error) {
	var missing []string
	if strings.TrimSpace(w.URL) == "" {
		missing = append(missing, "REMINDER_WEBHOOK_URL")
	}
	if w.Secret == "" {
		missing = append(missing, "REMINDER_WEBHOOK_SECRET")
	}
	if len(missing) > 0 {
		return nil, errors.New("sender: the reminder webhook needs " + strings.Join(missing, ", "))
	}
	return &w, nil
}

// WebhookPayload is the body the Webhook sender posts.
type WebhookPayload struct {
	Key       string            `json:"key"`
	Party     string            `json:"party"`
	Mobile    string            `json:"mobile"`
	WaID      string            `json:"wa_id"`
	Message   string            `json:"message"`
	Variables map[string]string `json:"variables"`
}

// Send implements service.Sender. The platform's answer is kept; its
// "message_id" or "id", when it gives one, is the provider message id.
func (w *Webhook) Send(ctx context.Context, m service.ReminderMessage) (service.SendResult, error) {
	vars := map[string]string{}
	for _, n := range []string{"party", "amount", "due_since", "overdue_days", "bills", "company"} {
		vars[n], _ = variable(m, n)
	}
	for n, v := range m.Fields {
		vars[n] = v
	}
	body, err := json.Marshal(WebhookPayload{Key: m.Key, Party: m.Party, Mobile: m.Mobile, WaID: m.WhatsAppID, Message: m.Text, Variables: vars})
	if err != nil {
		return service.SendResult{}, err
	}
	h := http.Header{}
	h.Set(SignatureHeader, Sign(w.Secret, body))
	res, err := post(ctx, w.HTTPClient, w.URL, body, h, "the reminder webhook")
	if err != nil {
		return res, err
	}
	var ok struct {
		MessageID string `json:"message_id"`
		ID        string `json:"id"`
	}
	if json.Unmarshal(res.Response, &ok) == nil {
		res.MessageID = ok.MessageID
		if res.MessageID == "" {
			res.MessageID = ok.ID
		}
	}
	return res, nil
}

// Sign returns the SignatureHeader value of body: "sha256=<hex HMAC-SHA256>".
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
