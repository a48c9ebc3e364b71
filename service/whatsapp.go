package service

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// WhatsAppConfig configures the WhatsApp Cloud API webhook that turns a
// customer's catalog order into a stored order (ecosystem.md §1).
type WhatsAppConfig struct {
	// VerifyToken is the string of our choosing that Meta echoes in the
	// GET handshake's hub.verify_token (WHATSAPP_VERIFY_TOKEN). Empty turns
	// the handshake off.
	VerifyToken string
	// AppSecret is the Meta app secret, the HMAC-SHA256 key of
	// X-Hub-Signature-256 (WHATSAPP_APP_SECRET). Empty turns notifications
	// off: an unsigned webhook would let anyone book sales.
	AppSecret string
	// Catalog maps the catalog's product retailer ids to Tally items.
	Catalog Catalog
	// Confirm, when set, tells the customer once an order from WhatsApp is
	// in Tally: "Order WA-… received, invoice amount ₹…". It must send
	// plain text (the customer has just written, so the 24-hour service
	// window is open and no template is needed).
	Confirm Sender
}

// CatalogProduct is what one WhatsApp catalog product becomes on an order line.
type CatalogProduct struct {
	// Item is the stock item name as in Tally.
	Item string `json:"item"`
	// GSTRate is the GST percent; nil means Config.DefaultGSTRate.
	GSTRate *decimal.Decimal `json:"gst_rate,omitempty"`
	// SalesLedger is credited with the line; empty means Config.SalesLedger.
	SalesLedger string `json:"sales_ledger,omitempty"`
	// Unit is the unit of measure ("NOS"); carried through.
	Unit string `json:"unit,omitempty"`
}

// Catalog maps a WhatsApp catalog's product_retailer_id (the "content id"
// set in Commerce Manager) to what the line is in Tally. An id that is not
// here makes the order a visible rejection, never a guess.
type Catalog map[string]CatalogProduct

// LoadCatalog reads a catalog mapping file. The format (for README):
//
//	The WhatsApp catalog mapping is a JSON file (TALLY_WHATSAPP_CATALOG) that
//	maps each product's retailer id (the "Content ID" of the product in
//	Commerce Manager, sent by WhatsApp as product_retailer_id) to the stock
//	item it is in Tally:
//
//	  {"products": {
//	    "saree-cotton-red": {"item": "Cotton saree", "gst_rate": "5", "sales_ledger": "Sales", "unit": "NOS"},
//	    "kurta-m":          {"item": "Kurta (M)", "gst_rate": "12"}
//	  }}
//
//	item is required. gst_rate is the GST percent as a string (or number),
//	one of the GST slabs; omitted means TALLY_DEFAULT_GST_RATE. sales_ledger
//	is the ledger credited (default TALLY_SALES_LEDGER); all lines of one
//	order must share one sales ledger, because one Sales voucher credits one.
//	unit is the unit of measure (optional). Unknown fields are refused, so a
//	misspelt "gst" cannot silently price a product at the default rate. An
//	order naming a retailer id that is not in the file, or priced in a
//	currency other than INR, is stored as a rejected order with the reason
//	(GET /orders?state=rejected), never posted.
func LoadCatalog(r io.Reader) (Catalog, error) {
	var f struct {
		Products map[string]CatalogProduct `json:"products"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, Errorf(Invalid, "invalid_catalog", "catalog: %v", err)
	}
	if dec.More() {
		return nil, Errorf(Invalid, "invalid_catalog", "catalog: more than one JSON value")
	}
	if f.Products == nil {
		return nil, Errorf(Invalid, "invalid_catalog", `catalog: no "products" object`)
	}
	out := Catalog{}
	for id, p := range f.Products {
		p.Item, p.SalesLedger, p.Unit = strings.TrimSpace(p.Item), strings.TrimSpace(p.SalesLedger), strings.TrimSpace(p.Unit)
		switch {
		case strings.TrimSpace(id) == "" || strings.IndexFunc(id, unicode.IsControl) >= 0:
			return nil, Errorf(Invalid, "invalid_catalog", "catalog: product id %q is empty or has control characters", id)
		case ValidateName("item", p.Item) != nil:
			return nil, Errorf(Invalid, "invalid_catalog", "catalog: product %q: item must be a Tally item name (%v)", id, ValidateName("item", p.Item))
		case p.GSTRate != nil && !IsGSTSlab(*p.GSTRate):
			return nil, Errorf(Invalid, "invalid_catalog", "catalog: product %q: gst_rate %s is not a GST slab (%s)", id, p.GSTRate, gstSlabList())
		case p.SalesLedger != "" && ValidateName("sales_ledger", p.SalesLedger) != nil:
			return nil, Errorf(Invalid, "invalid_catalog", "catalog: product %q: %v", id, ValidateName("sales_ledger", p.SalesLedger))
		case strings.IndexFunc(p.Unit, unicode.IsControl) >= 0 || utf8.RuneCountInString(p.Unit) > 20:
			return nil, Errorf(Invalid, "invalid_catalog", "catalog: product %q: unit must be at most 20 characters", id)
		}
		out[id] = p
	}
	return out, nil
}

// VerifyWebhookSignature reports whether header (X-Hub-Signature-256, of the
// form "sha256=<hex>") is the HMAC-SHA256 of body under secret. body must be
// the raw request bytes as received: Meta signs its own serialisation (with
// \u-escaped non-ASCII), so re-encoding decoded JSON would not match
// (ecosystem.md §1.2). An empty secret verifies nothing.
func VerifyWebhookSignature(secret string, body []byte, header string) bool {
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

// WhatsAppHandshakeEnabled reports whether a verify token is configured.
func (s *Service) WhatsAppHandshakeEnabled() bool { return s.cfg.WhatsApp.VerifyToken != "" }

// WhatsAppNotificationsEnabled reports whether an app secret is configured.
func (s *Service) WhatsAppNotificationsEnabled() bool { return s.cfg.WhatsApp.AppSecret != "" }

// WhatsAppVerifyToken reports, in constant time, whether token is the
// configured verify token; always false when none is configured.
func (s *Service) WhatsAppVerifyToken(token string) bool {
	want := s.cfg.WhatsApp.VerifyToken
	if want == "" {
		return false
	}
	// Digests have equal lengths, so the comparison leaks not even the length.
	a, b := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// WhatsAppSignatureValid checks X-Hub-Signature-256 against the configured
// app secret (VerifyWebhookSignature).
func (s *Service) WhatsAppSignatureValid(body []byte, header string) bool {
	return VerifyWebhookSignature(s.cfg.WhatsApp.AppSecret, body, header)
}

// WebhookResult counts what one webhook delivery held.
type WebhookResult struct {
	// Orders is order messages seen for the first time, each now a stored
	// order (a rejected one when it cannot be posted as sent).
	Orders int
	// Duplicates is messages and statuses already recorded: Meta redelivers.
	Duplicates int
	// Ignored is everything else: other message types and statuses
	// (recorded, not acted on), and entries without an id.
	Ignored int
}

// The Cloud API envelope (ecosystem.md §1.2). Messages, statuses and
// contacts stay raw until each is decoded on its own, so one odd message
// cannot fail a batch of a thousand updates.
type waEnvelope struct {
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

type waContact struct {
	WaID    string `json:"wa_id"`
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
}

type waMessage struct {
	ID        string          `json:"id"`
	From      string          `json:"from"`
	Type      string          `json:"type"`
	Timestamp json.RawMessage `json:"timestamp"`
}

type waStatus struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	RecipientID string `json:"recipient_id"`
}

// waOrder is a type "order" message's order (ecosystem.md §1.3). quantity
// and item_price stay raw: Meta documents numbers, an older sample shows
// strings, and the price must be read from its digits, never a float64.
type waOrder struct {
	CatalogID    string `json:"catalog_id"`
	Text         string `json:"text"`
	ProductItems []struct {
		ProductRetailerID string          `json:"product_retailer_id"`
		Quantity          json.RawMessage `json:"quantity"`
		ItemPrice         json.RawMessage `json:"item_price"`
		Currency          string          `json:"currency"`
	} `json:"product_items"`
}

// HandleWhatsAppWebhook stores what a signed Cloud API notification holds;
// the caller has verified the signature. Each order message becomes a
// stored order, posted later by the queue (Tally is never called here, so
// the webhook answers fast); every message and status is recorded once by
// its id, so a redelivery is counted as a duplicate and changes nothing.
//
// A body that is not a Cloud API envelope is Invalid (code
// malformed_webhook). A storage failure is returned as it is: the webhook
// must then answer 5xx, so that Meta delivers again. Everything done before
// the failure is idempotent, so the redelivery completes the batch.
func (s *Service) HandleWhatsAppWebhook(ctx context.Context, body []byte) (WebhookResult, error) {
	var res WebhookResult
	var env waEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return res, Errorf(Invalid, "malformed_webhook", "the body is not a WhatsApp Cloud API notification: %v", err)
	}
	if env.Object != "whatsapp_business_account" {
		return res, Errorf(Invalid, "malformed_webhook", "object is %q, want whatsapp_business_account", truncate(env.Object, 40))
	}
	for _, e := range env.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" && ch.Field != "" {
				res.Ignored++ // account or template updates: not ours
				continue
			}
			v := ch.Value
			names := map[string]string{}
			for _, raw := range v.Contacts {
				var c waContact
				if json.Unmarshal(raw, &c) == nil && c.WaID != "" {
					names[c.WaID] = c.Profile.Name
				}
			}
			for _, raw := range v.Messages {
				if err := s.handleWhatsAppMessage(ctx, raw, names, &res); err != nil {
					return res, err
				}
			}
			for _, raw := range v.Statuses {
				if err := s.handleWhatsAppStatus(ctx, raw, &res); err != nil {
					return res, err
				}
			}
		}
	}
	return res, nil
}

func (s *Service) handleWhatsAppMessage(ctx context.Context, raw json.RawMessage, names map[string]string, res *WebhookResult) error {
	var m waMessage
	if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" || !storableField(m.ID) || !storableField(m.From) || !storableField(m.Type) {
		// Without a usable id a message cannot be stored once; Meta always
		// sends one. A NUL, invalid UTF-8 or an absurd length would make the
		// database refuse the row, and a 5xx would have Meta redeliver the
		// whole batch for days: such a message is ignored instead.
		res.Ignored++
		return nil
	}
	in := InboundMessage{ID: m.ID, From: m.From, Type: m.Type, Payload: compactJSON(raw), ReceivedAt: s.cfg.Now()}
	if m.Type != "order" {
		inserted, err := s.cfg.Store.RecordInboundMessage(ctx, in)
		if err != nil {
			return err
		}
		if inserted {
			res.Ignored++
		} else {
			res.Duplicates++
		}
		return nil
	}

	o := s.whatsAppOrder(raw, m, names[m.From])
	// The order first, then the message: the order's id derives from the
	// message id, so a redelivery after a failure between the two finds
	// the same order instead of storing a second one.
	dedupe := "whatsapp:" + m.ID
	_, _, err := s.SubmitOrder(ctx, o, "whatsapp", dedupe)
	if e, ok := AsError(err); ok && e.Kind == Invalid && o.Reject == "" {
		// Our own checks refused the order (a zero quantity, a price with
		// three decimals…): keep it, visibly rejected, rather than drop a
		// customer's order on the floor.
		o.Reject, o.RejectCode, o.Lines = e.Message, e.Code, nil
		_, _, err = s.SubmitOrder(ctx, o, "whatsapp", dedupe)
	}
	stored := err == nil
	if err != nil && KindOf(err) != Invalid {
		return err
	}
	if err != nil {
		// Not even a rejected order can be stored (the sender is unusable
		// as a party): keep the message itself, which is all we have.
		s.log.WarnContext(ctx, "a WhatsApp order could not be stored", "message_id", m.ID, "error", err)
	}
	inserted, err := s.cfg.Store.RecordInboundMessage(ctx, in)
	switch {
	case err != nil:
		return err
	case !inserted:
		res.Duplicates++
	case stored:
		res.Orders++
	default:
		res.Ignored++
	}
	return nil
}

// storableField reports whether a webhook identifier can be stored as a key:
// present for ids, short, valid UTF-8 and without NUL (which PostgreSQL text
// refuses). Meta's ids are a few dozen ASCII characters.
func storableField(v string) bool {
	return len(v) <= 512 && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
}

func (s *Service) handleWhatsAppStatus(ctx context.Context, raw json.RawMessage, res *WebhookResult) error {
	var st waStatus
	if err := json.Unmarshal(raw, &st); err != nil || st.ID == "" || !storableField(st.ID) || !storableField(st.Status) || !storableField(st.RecipientID) {
		res.Ignored++
		return nil
	}
	// One message goes through sent, delivered and read under one id, so
	// each (id, status) is recorded once rather than the id alone.
	inserted, err := s.cfg.Store.RecordInboundMessage(ctx, InboundMessage{ID: "status:" + st.ID + ":" + st.Status,
		From: st.RecipientID, Type: "status", Payload: compactJSON(raw), ReceivedAt: s.cfg.Now()})
	if err != nil {
		return err
	}
	if inserted {
		res.Ignored++
	} else {
		res.Duplicates++
	}
	return nil
}

// WhatsAppOrderRef is the bill reference of the order in WhatsApp message
// messageID: "WA-" and the first 8 hex digits (upper case) of the SHA-256
// of the id. Message ids ("wamid.HBgL…", 60 characters and more) are too
// long for a bill name people read; the hash keeps the reference the same
// on every redelivery, and 32 bits make a clash between two orders of one
// party (bill names are per party) negligible.
func WhatsAppOrderRef(messageID string) string {
	sum := sha256.Sum256([]byte(messageID))
	return "WA-" + strings.ToUpper(hex.EncodeToString(sum[:4]))
}

// whatsAppOrder turns an order message into an Order. What cannot be
// posted as sent (an unknown product, another currency, an unreadable
// item) sets Reject, so the order is stored and shows as rejected.
func (s *Service) whatsAppOrder(raw json.RawMessage, m waMessage, profile string) Order {
	ref := WhatsAppOrderRef(m.ID)
	o := Order{Ref: ref, Date: s.messageDay(m.Timestamp)}
	from := strings.TrimPrefix(m.From, "+")
	o.Party.Name = cleanName(profile, 100)
	if o.Party.Name == "" {
		o.Party.Name = "WhatsApp +" + cleanName(from, 20)
	}
	mobile := NormalizeMobile("+" + from)
	if !mobile.Valid {
		o.Reject, o.RejectCode = fmt.Sprintf("the sender %q is not a usable mobile number (%s)", truncate(m.From, 20), mobile.Reason), "unknown_sender"
		return o
	}
	o.Party.Mobile, o.PartyByMobile = mobile.E164, true
	o.Narration = "WhatsApp order " + ref + " from " + mobile.E164

	var body struct {
		Order waOrder `json:"order"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		o.Reject, o.RejectCode = "the order in the message could not be read", "invalid_order"
		return o
	}
	if t := cleanText(body.Order.Text, 500); t != "" {
		o.Narration += ": " + t
	}
	var unknown, currencies []string
	ledger := ""
	for i, it := range body.Order.ProductItems {
		p, ok := s.cfg.WhatsApp.Catalog[it.ProductRetailerID]
		if !ok {
			unknown = append(unknown, strconv.Quote(truncate(it.ProductRetailerID, 40)))
			continue
		}
		if c := strings.TrimSpace(it.Currency); !strings.EqualFold(c, "INR") {
			currencies = append(currencies, strconv.Quote(truncate(c, 10)))
			continue
		}
		price, err := ParsePaise(numberText(it.ItemPrice))
		if err != nil {
			o.Reject, o.RejectCode = fmt.Sprintf("product_items[%d].item_price: %s", i, errMessage(err)), "invalid_amount"
			continue
		}
		qty, err := strconv.ParseInt(numberText(it.Quantity), 10, 64)
		if err != nil || qty <= 0 {
			o.Reject, o.RejectCode = fmt.Sprintf("product_items[%d].quantity must be a whole number above 0", i), "invalid_quantity"
			continue
		}
		sl := cmp.Or(p.SalesLedger, s.cfg.SalesLedger)
		if ledger != "" && foldName(ledger) != foldName(sl) {
			o.Reject, o.RejectCode = fmt.Sprintf("the products map to two sales ledgers, %s and %s; one voucher credits one", quote(ledger), quote(sl)), "mixed_sales_ledgers"
		}
		ledger = sl
		o.Lines = append(o.Lines, OrderLine{Item: p.Item, Quantity: decimal.NewFromInt(qty), Rate: price, GSTRate: p.GSTRate, Unit: p.Unit})
	}
	o.SalesLedger = ledger
	switch {
	case len(unknown) > 0:
		// Reported before anything else: it is the one the catalog's
		// keeper can fix.
		o.Reject, o.RejectCode = "product_retailer_id "+strings.Join(unknown, ", ")+" not in the catalog mapping", "unknown_product"
	case len(currencies) > 0:
		o.Reject, o.RejectCode = "currency "+strings.Join(currencies, ", ")+" is not supported; only INR", "unsupported_currency"
	case len(body.Order.ProductItems) == 0 && o.Reject == "":
		o.Reject, o.RejectCode = "the order has no product_items", "order_no_lines"
	}
	if o.Reject != "" {
		o.Lines = nil // what was ordered stays in the recorded message
	}
	return o
}

// messageDay is the order's date from the message's timestamp (Unix seconds,
// a string; a number in older payloads) where the business is, so an order
// redelivered days later keeps its day. Anything unreadable means today.
func (s *Service) messageDay(raw json.RawMessage) time.Time {
	secs, err := strconv.ParseInt(numberText(raw), 10, 64)
	if err != nil {
		return time.Time{}
	}
	t := time.Unix(secs, 0)
	if y := t.Year(); y < 2000 || y > 2099 {
		return time.Time{}
	}
	return Day(t, s.cfg.Location)
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

// cleanName makes a profile name fit for a Tally master name: valid UTF-8,
// invisible and text-direction characters removed (the customer typed the
// profile name for WhatsApp, not for us, so it is cleaned rather than
// refused as ValidateName refuses such a name sent to the API), control
// characters and runs of spaces folded to one space, at most max runes.
func cleanName(s string, max int) string {
	s = stripInvisible(strings.ToValidUTF8(s, ""))
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return s
}

// cleanText is cleanName for a customer's free text.
func cleanText(s string, max int) string { return cleanName(s, max) }

func truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) > max {
		return string([]rune(s)[:max]) + "…"
	}
	return s
}

func errMessage(err error) string {
	if e, ok := AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

// compactJSON is raw without insignificant white space, for storage.
func compactJSON(raw json.RawMessage) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append([]byte(nil), raw...)
	}
	return b.Bytes()
}

// rejection is the error of an order stored as rejected (Order.Reject).
func (o Order) rejection() *Error {
	return &Error{Kind: Invalid, Code: cmp.Or(o.RejectCode, "order_rejected"), Message: o.Reject,
		Hint:   "The order was stored as it came; it cannot be posted as sent. Fix the catalog mapping and ask the customer to order again, or post the order directly.",
		Remedy: RemedyPostOrder}
}

// resolvePartyByMobile finds the party of an order placed from a mobile
// (Order.PartyByMobile): the first party under the party group, by name,
// whose mobile normalises to the same E.164 number, with one Tally request.
// When there is none it returns the names a new party may take, best first:
// the profile name; the profile name with the number's last four digits,
// "Sheena Nelson (1234)"; the profile name with the whole number. The
// caller takes the first that no ledger has yet: a ledger of that name
// with another (or no) mobile is another customer, or at least not
// provably this one, and must not be debited.
func (s *Service) resolvePartyByMobile(ctx context.Context, company string, p NewParty) (name string, candidates []string, err error) {
	all, err := s.gw.Parties(ctx, company, s.cfg.PartyGroup)
	if err != nil {
		return "", nil, err
	}
	if len(all) == 0 {
		// Zero rows may mean the company is not loaded (§9.5 of
		// tally-protocol.md); creating a party then would be wrong.
		if err := s.checkLoaded(ctx, company); err != nil {
			return "", nil, err
		}
	}
	slices.SortFunc(all, func(a, b Party) int { return cmp.Compare(foldName(a.Name), foldName(b.Name)) })
	var matches []string
	for _, party := range all {
		if party.Mobile.Valid && party.Mobile.E164 == p.Mobile {
			matches = append(matches, party.Name)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil, nil
	case 0:
	default:
		// Two customers share the number: debiting either is a guess.
		return "", nil, &Error{Kind: Invalid, Code: "ambiguous_party_mobile",
			Message: fmt.Sprintf("the mobile %s belongs to several parties: %s", p.Mobile, strings.Join(matches, ", ")),
			Hint:    "Keep the number on one ledger in Tally, then retry the order, or post the order directly naming the party.",
			Remedy:  RemedyPostOrder}
	}
	digits := strings.TrimPrefix(p.Mobile, "+")
	last4 := digits[max(0, len(digits)-4):]
	return "", []string{p.Name, p.Name + " (" + last4 + ")", p.Name + " (" + p.Mobile + ")"}, nil
}
