package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// WhatsAppConfig configures how WhatsApp catalog orders become stored orders
// (ecosystem.md §1). The webhook itself (Meta's handshake, its signature and
// its JSON) is the api package's: service sees typed messages only.
type WhatsAppConfig struct {
	// Catalog maps the catalog's product retailer ids to Tally items.
	Catalog Catalog
	// Confirm, when set, tells the customer once an order from WhatsApp is
	// in Tally: "Order WA-… received, invoice amount ₹…". It must send
	// plain text (the customer has just written, so the 24-hour service
	// window is open and no template is needed).
	Confirm Sender
}

// SourceWhatsApp is the OrderRecord.Source of an order that came in a
// WhatsApp message.
const SourceWhatsApp = "whatsapp"

// serviceWindow is how long after a customer's message a business may
// answer with free-form text: Meta refuses it after that, and only an
// approved template goes (docs/ecosystem.md §1; api/sender). A WhatsApp
// order that posts (or is rejected) later than this, say after a day with
// the Tally PC off, is not answered with text.
const serviceWindow = 24 * time.Hour

// inServiceWindow reports whether the customer of WhatsApp order rec may
// still be sent text at at: the order was stored when their message came.
func inServiceWindow(rec OrderRecord, at time.Time) bool {
	return at.Sub(rec.CreatedAt) < serviceWindow
}

// CatalogProduct is what one WhatsApp catalog product becomes on an order line.
type CatalogProduct struct {
	// Item is the item's name as in Tally.
	Item string
	// StockItem says Item is a Tally stock item: the product posts as a
	// stock line of an item invoice (with TALLY_ORDER_MODE auto, when every
	// product of the order is one), and an order naming a stock item Tally
	// does not have is rejected, stock_item_not_found.
	StockItem bool
	// GSTRate is the GST percent; nil means Config.DefaultGSTRate.
	GSTRate *decimal.Decimal
	// SalesLedger is credited with the line; empty means Config.SalesLedger.
	SalesLedger string
	// Unit is the unit of measure ("NOS"); carried through.
	Unit string
}

// Catalog maps a WhatsApp catalog's product_retailer_id (the "content id"
// set in Commerce Manager) to what the line is in Tally. An id that is not
// here makes the order a visible rejection, never a guess.
type Catalog map[string]CatalogProduct

// NewCatalog checks a catalog mapping as read from wherever the operator
// keeps it (cmd reads a file): names trimmed, every item a usable Tally
// name, every GST rate a slab, units short. A mistake refuses the whole
// catalog (Invalid, code invalid_catalog), so a misspelt product cannot
// silently price at the default rate or post under a wrong name.
func NewCatalog(products map[string]CatalogProduct) (Catalog, error) {
	out := Catalog{}
	for id, p := range products {
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

// WhatsAppMessage is one message a customer sent the business on WhatsApp,
// as the transport (api) decoded it from Meta's notification.
type WhatsAppMessage struct {
	// ID is Meta's message id ("wamid.…"): the key every redelivery of the
	// message carries.
	ID string
	// From is the sender's WhatsApp number as Meta sends it (digits with
	// the country code, no "+").
	From string
	// Profile is the sender's WhatsApp profile name; may be empty.
	Profile string
	// Type is Meta's message type: "order", "text", "interactive"…
	Type string
	// SentAt is when the customer sent it; zero when the transport could
	// not read it.
	SentAt time.Time
	// Order is the order of a message of type "order"; nil when it could
	// not be read.
	Order *WhatsAppOrder
	// Payload is the message as received, recorded with it.
	Payload []byte
}

// WhatsAppOrder is what a customer ordered from the catalog (ecosystem.md §1.3).
type WhatsAppOrder struct {
	// Text is the customer's note with the order.
	Text  string
	Items []WhatsAppOrderItem
}

// WhatsAppOrderItem is one product of a WhatsApp order. Quantity and Price
// are the literal digits sent, never a float64: the price must be read
// exactly, and rules on them (whole quantities, two decimals) are ours.
type WhatsAppOrderItem struct {
	RetailerID string
	Quantity   string
	Price      string
	Currency   string
}

// WhatsAppStatus is a delivery status of a message the business sent
// (sent, delivered, read, failed).
type WhatsAppStatus struct {
	MessageID   string
	Status      string
	RecipientID string
	// Payload is the status as received, recorded with it.
	Payload []byte
}

// WhatsAppOutcome is what handling one message or status did.
type WhatsAppOutcome int

// The outcomes.
const (
	// WhatsAppIgnored is recorded (or unusable) and not acted on: other
	// message types, statuses, entries without a storable id.
	WhatsAppIgnored WhatsAppOutcome = iota
	// WhatsAppOrderStored is an order message seen for the first time, now
	// a stored order (a rejected one when it cannot be posted as sent).
	WhatsAppOrderStored
	// WhatsAppDuplicate is a message or status already recorded: Meta
	// redelivers.
	WhatsAppDuplicate
)

// HandleWhatsAppMessage stores one message of a WhatsApp notification whose
// signature the transport has verified. An order message becomes a stored
// order, posted later by the queue (Tally is never called here, so the
// webhook answers fast); every message is recorded once by its id, so a
// redelivery is a duplicate and changes nothing.
//
// A storage failure is returned as it is: the webhook must then answer
// 5xx, so that Meta delivers again. Everything done before the failure is
// idempotent, so the redelivery completes the batch.
func (s *Service) HandleWhatsAppMessage(ctx context.Context, m WhatsAppMessage) (WhatsAppOutcome, error) {
	if m.ID == "" || !storableField(m.ID) || !storableField(m.From) || !storableField(m.Type) {
		// Without a usable id a message cannot be stored once; Meta always
		// sends one. A NUL, invalid UTF-8 or an absurd length would make the
		// database refuse the row, and a 5xx would have Meta redeliver the
		// whole batch for days: such a message is ignored instead.
		return WhatsAppIgnored, nil
	}
	in := InboundMessage{ID: m.ID, From: m.From, Type: m.Type, Payload: m.Payload, ReceivedAt: s.cfg.Now()}
	if m.Type != "order" {
		return s.recordInbound(ctx, in, WhatsAppIgnored)
	}

	o := s.whatsAppOrder(m)
	// The order first, then the message: the order's id derives from the
	// message id, so a redelivery after a failure between the two finds
	// the same order instead of storing a second one.
	dedupe := "whatsapp:" + m.ID
	_, _, err := s.SubmitOrder(ctx, o, SourceWhatsApp, dedupe)
	if e, ok := AsError(err); ok && e.Kind == Invalid && o.Reject == "" {
		// Our own checks refused the order (a zero quantity, a price with
		// three decimals…): keep it, visibly rejected, rather than drop a
		// customer's order on the floor.
		o.Reject, o.RejectCode, o.Lines = e.Message, e.Code, nil
		_, _, err = s.SubmitOrder(ctx, o, SourceWhatsApp, dedupe)
	}
	if err != nil && KindOf(err) != Invalid {
		return WhatsAppIgnored, err
	}
	stored := WhatsAppOrderStored
	if err != nil {
		// Not even a rejected order can be stored (the sender is unusable
		// as a party): keep the message itself, which is all we have.
		s.log.WarnContext(ctx, "a WhatsApp order could not be stored", "message_id", m.ID, "error", err)
		stored = WhatsAppIgnored
	}
	return s.recordInbound(ctx, in, stored)
}

// HandleWhatsAppStatus records one delivery status, once.
func (s *Service) HandleWhatsAppStatus(ctx context.Context, st WhatsAppStatus) (WhatsAppOutcome, error) {
	if st.MessageID == "" || !storableField(st.MessageID) || !storableField(st.Status) || !storableField(st.RecipientID) {
		return WhatsAppIgnored, nil
	}
	// One message goes through sent, delivered and read under one id, so
	// each (id, status) is recorded once rather than the id alone.
	return s.recordInbound(ctx, InboundMessage{ID: "status:" + st.MessageID + ":" + st.Status,
		From: st.RecipientID, Type: "status", Payload: st.Payload, ReceivedAt: s.cfg.Now()}, WhatsAppIgnored)
}

// recordInbound records in once: first is the outcome when it is new.
func (s *Service) recordInbound(ctx context.Context, in InboundMessage, first WhatsAppOutcome) (WhatsAppOutcome, error) {
	inserted, err := s.cfg.Store.RecordInboundMessage(ctx, in)
	switch {
	case err != nil:
		return WhatsAppIgnored, err
	case !inserted:
		return WhatsAppDuplicate, nil
	}
	return first, nil
}

// storableField reports whether a webhook identifier can be stored as a key:
// present for ids, short, valid UTF-8 and without NUL (which PostgreSQL text
// refuses). Meta's ids are a few dozen ASCII characters.
func storableField(v string) bool {
	return len(v) <= 512 && utf8.ValidString(v) && !strings.ContainsRune(v, 0)
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
func (s *Service) whatsAppOrder(m WhatsAppMessage) Order {
	ref := WhatsAppOrderRef(m.ID)
	o := Order{Ref: ref, Date: s.messageDay(m.SentAt)}
	from := strings.TrimPrefix(m.From, "+")
	o.Party.Name = cleanName(m.Profile, 100)
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

	if m.Order == nil {
		o.Reject, o.RejectCode = "the order in the message could not be read", "invalid_order"
		return o
	}
	if t := cleanText(m.Order.Text, 500); t != "" {
		o.Narration += ": " + t
	}
	var unknown, currencies []string
	ledger := ""
	for i, it := range m.Order.Items {
		p, ok := s.cfg.WhatsApp.Catalog[it.RetailerID]
		if !ok {
			unknown = append(unknown, strconv.Quote(truncate(it.RetailerID, 40)))
			continue
		}
		if c := strings.TrimSpace(it.Currency); !strings.EqualFold(c, "INR") {
			currencies = append(currencies, strconv.Quote(truncate(c, 10)))
			continue
		}
		price, err := ParsePaise(it.Price)
		if err != nil {
			o.Reject, o.RejectCode = fmt.Sprintf("product_items[%d].item_price: %s", i, errMessage(err)), "invalid_amount"
			continue
		}
		qty, err := strconv.ParseInt(it.Quantity, 10, 64)
		if err != nil || qty <= 0 {
			o.Reject, o.RejectCode = fmt.Sprintf("product_items[%d].quantity must be a whole number above 0", i), "invalid_quantity"
			continue
		}
		sl := cmp.Or(p.SalesLedger, s.cfg.SalesLedger)
		if ledger != "" && foldName(ledger) != foldName(sl) {
			o.Reject, o.RejectCode = fmt.Sprintf("the products map to two sales ledgers, %s and %s; one voucher credits one", quote(ledger), quote(sl)), "mixed_sales_ledgers"
		}
		ledger = sl
		o.Lines = append(o.Lines, OrderLine{Item: p.Item, Quantity: decimal.NewFromInt(qty), Rate: price, GSTRate: p.GSTRate, Unit: p.Unit,
			StockItem: p.StockItem})
	}
	o.SalesLedger = ledger
	switch {
	case len(unknown) > 0:
		// Reported before anything else: it is the one the catalog's
		// keeper can fix.
		o.Reject, o.RejectCode = "product_retailer_id "+strings.Join(unknown, ", ")+" not in the catalog mapping", "unknown_product"
	case len(currencies) > 0:
		o.Reject, o.RejectCode = "currency "+strings.Join(currencies, ", ")+" is not supported; only INR", "unsupported_currency"
	case len(m.Order.Items) == 0 && o.Reject == "":
		o.Reject, o.RejectCode = "the order has no product_items", "order_no_lines"
	}
	if o.Reject != "" {
		o.Lines = nil // what was ordered stays in the recorded message
	}
	return o
}

// messageDay is the order's date from when the message was sent, where the
// business is, so an order redelivered days later keeps its day. An unknown
// or absurd time means today.
func (s *Service) messageDay(t time.Time) time.Time {
	if y := t.Year(); t.IsZero() || y < 2000 || y > 2099 {
		return time.Time{}
	}
	return Day(t, s.cfg.Location)
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

// rejection is the error of an order stored as rejected (Order.Reject).
func (o Order) rejection() *Error {
	return &Error{Kind: Invalid, Code: cmp.Or(o.RejectCode, "order_rejected"), Message: o.Reject,
		Hint:   "The order was stored as it came; it cannot be posted as sent. Fix the catalog mapping and ask the customer to order again, or post the order directly.",
		Remedy: RemedyPostOrder}
}

// resolvePartyByMobile finds the party of an order placed from a mobile
// (Order.PartyByMobile) with the one lookup by mobile (partiesByMobile: the
// mirror's when there is one, Books.PartiesByMobile). When there
// is none it returns the names a new party may take, best first: the
// profile name; the profile name with the number's last four digits,
// "Sheena Nelson (1234)"; the profile name with the whole number. The
// caller takes the first that no ledger has yet: a ledger of that name
// with another (or no) mobile is another customer, or at least not
// provably this one, and must not be debited.
func (s *Service) resolvePartyByMobile(ctx context.Context, company string, p NewParty) (name string, candidates []string, err error) {
	matches, err := s.partiesByMobile(ctx, company, p.Mobile)
	if err != nil {
		return "", nil, err
	}
	switch len(matches) {
	case 1:
		return matches[0].Name, nil, nil
	case 0:
	default:
		// Two customers share the number: debiting either is a guess.
		names := make([]string, len(matches))
		for i, m := range matches {
			names[i] = m.Name
		}
		return "", nil, &Error{Kind: Invalid, Code: "ambiguous_party_mobile",
			Message: fmt.Sprintf("the mobile %s belongs to several parties: %s", p.Mobile, strings.Join(names, ", ")),
			Hint:    "Keep the number on one ledger in Tally, then retry the order, or post the order directly naming the party.",
			Remedy:  RemedyPostOrder}
	}
	digits := strings.TrimPrefix(p.Mobile, "+")
	last4 := digits[max(0, len(digits)-4):]
	return "", []string{p.Name, p.Name + " (" + last4 + ")", p.Name + " (" + p.Mobile + ")"}, nil
}
