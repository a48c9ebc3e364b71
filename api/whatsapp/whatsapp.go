// Package whatsapp is the WhatsApp Cloud API webhook's transport: it checks
// Meta's X-Hub-Signature-256 and verify token, and decodes Meta's JSON
// notifications into the typed messages service handles
// (service.WhatsAppMessage, service.WhatsAppStatus). Nothing here decides
// what a message means for the books; that is service's.
package whatsapp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tallyfacade/tallyfacade/service"
)

// VerifySignature reports whether header (X-Hub-Signature-256, of the form
// "sha256=<hex>") is the HMAC-SHA256 of body under secret. body must be the
// raw request bytes as received: Meta signs its own serialisation (with
// \u-escaped non-ASCII), so re-encoding decoded JSON would not match
// (ecosystem.md §1.2). An empty secret verifies nothing.
func VerifySignature(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	h, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(h)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// VerifyToken reports, in constant time, whether token is the configured
// verify token want; always false when none is configured.
func VerifyToken(want, token string) bool {
	if want == "" {
		return false
	}
	// Digests have equal lengths, so the comparison leaks not even the length.
	a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// Notification is what one webhook delivery holds, decoded.
type Notification struct {
	Messages []service.WhatsAppMessage
	Statuses []service.WhatsAppStatus
	// Ignored counts what is not ours or could not be decoded: changes of
	// other fields (account or template updates), messages and statuses
	// that are not objects of the documented shape.
	Ignored int
}

// The Cloud API envelope (ecosystem.md §1.2). Messages, statuses and
// contacts stay raw until each is decoded on its own, so one odd message
// cannot fail a batch of a thousand updates.
type envelope struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Contacts []json.RawMessage `json:"contacts"`
				Messages []json.RawMessage `json:"messages"`
				Statuses []json.RawMessage `json:"statuses"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type contact struct {
	WaID    string `json:"wa_id"`
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
}

type message struct {
	ID        string          `json:"id"`
	From      string          `json:"from"`
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
}

type status struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	RecipientID string `json:"recipient_id"`
}

// order is a type "order" message's order (ecosystem.md §1.3). quantity
// and item_price stay raw: Meta documents numbers, an older sample shows
// strings, and the price must be read from its digits, never a float64.
type order struct {
	CatalogID    string `json:"catalog_id"`
	Text         string `json:"text"`
	ProductItems []struct {
		ProductRetailerID string          `json:"product_retailer_id"`
		Quantity          json.RawMessage `json:"quantity"`
		ItemPrice         json.RawMessage `json:"item_price"`
		Currency          string          `json:"currency"`
	} `json:"product_items"`
}

// Decode reads a Cloud API notification. A body that is not an envelope is
// service.Invalid with code malformed_webhook: sending it again cannot help.
// Inside a good envelope nothing fails the batch: what cannot be read is
// counted in Ignored (or, for an order, left nil for service to reject).
func Decode(body []byte) (Notification, error) {
	var n Notification
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return n, service.Errorf(service.Invalid, "malformed_webhook", "the body is not a WhatsApp Cloud API notification: %v", err)
	}
	if env.Object != "whatsapp_business_account" {
		return n, service.Errorf(service.Invalid, "malformed_webhook", "object is %q, want whatsapp_business_account", truncate(env.Object, 40))
	}
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" && ch.Field != "" {
				n.Ignored++ // account or template updates: not ours
				continue
			}
			v := ch.Value
			names := map[string]string{}
			for _, raw := range v.Contacts {
				var c contact
				if json.Unmarshal(raw, &c) == nil && c.WaID != "" {
					names[c.WaID] = c.Profile.Name
				}
			}
			for _, raw := range v.Messages {
				var m message
				if err := json.Unmarshal(raw, &m); err != nil {
					n.Ignored++
					continue
				}
				n.Messages = append(n.Messages, decodeMessage(raw, m, names[m.From]))
			}
			for _, raw := range v.Statuses {
				var st status
				if err := json.Unmarshal(raw, &st); err != nil {
					n.Ignored++
					continue
				}
				n.Statuses = append(n.Statuses, service.WhatsAppStatus{MessageID: st.ID, Status: st.Status,
					RecipientID: st.RecipientID, Payload: compact(raw)})
			}
		}
	}
	return n, nil
}

func decodeMessage(raw json.RawMessage, m message, profile string) service.WhatsAppMessage {
	out := service.WhatsAppMessage{ID: m.ID, From: m.From, Profile: profile, Type: m.Type, Payload: compact(raw)}
	// The timestamp is Unix seconds, a string (a number in older payloads).
	if secs, err := strconv.ParseInt(numberText(m.Timestamp), 10, 64); err == nil {
		out.SentAt = time.Unix(secs, 0)
	}
	if m.Type != "order" {
		return out
	}
	var body struct {
		Order order `json:"order"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return out // Order nil: service rejects it as unreadable
	}
	o := &service.WhatsAppOrder{Text: body.Order.Text}
	for _, it := range body.Order.ProductItems {
		o.Items = append(o.Items, service.WhatsAppOrderItem{RetailerID: it.ProductRetailerID,
			Quantity: numberText(it.Quantity), Price: numberText(it.ItemPrice), Currency: it.Currency})
	}
	out.Order = o
	return out
}

// numberText is the literal text of a JSON number or of a string holding
// one, never passing through float64.
func numberText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return ""
	}
	return n.String()
}

// compact is raw without insignificant white space, for storage.
func compact(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append([]byte(nil), raw...)
	}
	return b.Bytes()
}

func truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) > max {
		return string([]rune(s)[:max]) + "…"
	}
	return s
}
