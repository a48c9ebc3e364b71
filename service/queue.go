package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/shopspring/decimal"
)

// QueueConfig tunes durable order posting.
type QueueConfig struct {
	// MaxAttempts is how many times an order is tried while Tally is
	// unreachable or busy before it is needs_attention. Default 50.
	MaxAttempts int
	// RetryBase and RetryMax bound the capped exponential backoff between
	// attempts. Defaults 5s and 5m: a Tally PC switched back on is noticed
	// within five minutes.
	RetryBase, RetryMax time.Duration
	// AuditRetry bounds how long recording one Tally import in the audit
	// log is retried while the store fails (a PostgreSQL restart), with
	// backoff from AuditRetryBase (default 50ms) doubling up to 2s.
	// Default 30s: longer than a database restart or failover usually
	// takes, short enough that a worker is not held much longer than the
	// outage.
	AuditRetry, AuditRetryBase time.Duration
}

func (q QueueConfig) withDefaults() QueueConfig {
	if q.MaxAttempts <= 0 {
		q.MaxAttempts = 50
	}
	if q.RetryBase <= 0 {
		q.RetryBase = 5 * time.Second
	}
	if q.RetryMax <= 0 {
		q.RetryMax = 5 * time.Minute
	}
	if q.AuditRetry <= 0 {
		q.AuditRetry = 30 * time.Second
	}
	if q.AuditRetryBase <= 0 {
		q.AuditRetryBase = 50 * time.Millisecond
	}
	return q
}

// backoff is the delay before attempt n+1 (n ≥ 1): base·2^(n-1), capped.
func (q QueueConfig) backoff(n int) time.Duration {
	d := q.RetryBase
	for i := 1; i < n && d < q.RetryMax; i++ {
		d *= 2
	}
	return min(d, q.RetryMax)
}

// storedOrder is how an order is kept in OrderRecord.Request: the validated
// order, in plain JSON the service owns (the store treats it as opaque).
type storedOrder struct {
	// Kind says what the request is, so PostOrder knows how to post it:
	// empty (every sales order, and every order stored before receipts
	// existed) is a sales order; kindReceipt is a storedReceipt.
	Kind        string       `json:"kind,omitempty"`
	Company     string       `json:"company"`
	Ref         string       `json:"ref,omitempty"`
	Date        string       `json:"date"`
	Party       NewParty     `json:"party"`
	Lines       []storedLine `json:"lines"`
	SalesLedger string       `json:"sales_ledger"`
	Narration   string       `json:"narration,omitempty"`
	CreditDays  *int         `json:"credit_days,omitempty"`
	// WhatsApp orders (whatsapp.go): resolve the party by mobile; or
	// stored as rejected, with the reason.
	PartyByMobile bool   `json:"party_by_mobile,omitempty"`
	Reject        string `json:"reject,omitempty"`
	RejectCode    string `json:"reject_code,omitempty"`
	// Content is what tells a resend of the order_ref from a change
	// (orderContent); empty on orders stored before it existed. Amended
	// says the order replaced earlier content, so a read-back cannot tell
	// which content Tally holds (PostOrder).
	Content string `json:"content,omitempty"`
	Amended bool   `json:"amended,omitempty"`
}

type storedLine struct {
	Item     string           `json:"item"`
	Quantity decimal.Decimal  `json:"quantity"`
	Rate     Paise            `json:"rate"`
	GSTRate  *decimal.Decimal `json:"gst_rate,omitempty"`
	Unit     string           `json:"unit,omitempty"`
}

// The kinds of stored request (storedOrder.Kind).
const (
	kindSales   = "sales"
	kindReceipt = "receipt"
)

// requestKind reads the kind of a stored request; anything without a kind
// is a sales order.
func requestKind(b []byte) string {
	var k struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(b, &k) == nil && k.Kind == kindReceipt {
		return kindReceipt
	}
	return kindSales
}

func encodeOrder(o Order, content string, amended bool) ([]byte, error) {
	so := storedOrder{Company: o.Company, Ref: o.Ref, Date: o.Date.Format(time.DateOnly), Party: o.Party,
		SalesLedger: o.SalesLedger, Narration: o.Narration, CreditDays: o.CreditDays,
		PartyByMobile: o.PartyByMobile, Reject: o.Reject, RejectCode: o.RejectCode, Content: content, Amended: amended}
	for _, l := range o.Lines {
		so.Lines = append(so.Lines, storedLine{Item: l.Item, Quantity: l.Quantity, Rate: l.Rate, GSTRate: l.GSTRate, Unit: l.Unit})
	}
	return json.Marshal(so)
}

func decodeOrder(b []byte) (Order, error) {
	o, _, err := decodeStoredOrder(b)
	return o, err
}

// decodeStoredOrder decodes a stored order with what was stored about it.
func decodeStoredOrder(b []byte) (Order, storedOrder, error) {
	var so storedOrder
	if err := json.Unmarshal(b, &so); err != nil {
		return Order{}, so, err
	}
	d, err := time.Parse(time.DateOnly, so.Date)
	if err != nil {
		return Order{}, so, err
	}
	o := Order{Company: so.Company, Ref: so.Ref, Date: d, Party: so.Party, SalesLedger: so.SalesLedger,
		Narration: so.Narration, CreditDays: so.CreditDays,
		PartyByMobile: so.PartyByMobile, Reject: so.Reject, RejectCode: so.RejectCode}
	for _, l := range so.Lines {
		o.Lines = append(o.Lines, OrderLine{Item: l.Item, Quantity: l.Quantity, Rate: l.Rate, GSTRate: l.GSTRate, Unit: l.Unit})
	}
	return o, so, nil
}

// newOrderID returns a random UUID (version 4).
func newOrderID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

// SubmitOrder validates an order and stores it, with the job that posts it,
// before Tally is touched. An order whose REMOTEID is already stored (the
// same order_ref, for the same company and party, sent again) is that order:
// with the same content (orderContent) it is returned with created false and
// nothing new is queued; with other content it is a Conflict,
// order_ref_conflict, whose Subject is the stored OrderRecord, unless
// o.Amend, when the stored order takes the new content and is posted again
// through the queue, replacing the same voucher (amendOrder). So an answer
// never carries figures the caller did not send.
//
// dedupe, when not empty, identifies the request (its Idempotency-Key and
// scope): the order's id derives from it, so running the same request again
// (after a crash, or a 5xx that released the key) finds the order already
// stored instead of storing a second one with a second REMOTEID.
func (s *Service) SubmitOrder(ctx context.Context, o Order, source, dedupe string) (rec OrderRecord, created bool, err error) {
	id := recordID("order-request", dedupe)
	dateGiven := !o.Date.IsZero()
	p, err := s.planOrder(o, id)
	if err != nil {
		return OrderRecord{}, false, err
	}
	if err := s.checkWriteCompany(ctx, o.Company); err != nil {
		return OrderRecord{}, false, err
	}
	p.Order.Company = p.Company
	content := orderContent(p, dateGiven)
	req, err := encodeOrder(p.Order, content, false)
	if err != nil {
		return OrderRecord{}, false, fmt.Errorf("encode order: %w", err)
	}
	rec, created, err = s.storeNew(ctx, OrderRecord{ID: id, Company: p.Company, Source: source, Ref: p.Ref,
		RemoteID: p.RemoteID, Party: p.Order.Party.Name, Request: req, Key: dedupeRef(dedupe)})
	if err != nil || created || IsReceipt(rec) || s.storedContent(rec) == content {
		return rec, created, err
	}
	if !o.Amend {
		return OrderRecord{}, false, &Error{Kind: Conflict, Code: "order_ref_conflict", Subject: rec,
			Message: fmt.Sprintf("order %s of %s is stored with other content", quote(rec.Ref), quote(rec.Party)),
			Hint:    `Send "amend": true to replace the order (the same voucher in Tally), or use another order_ref for a new order.`}
	}
	if req, err = encodeOrder(p.Order, content, true); err != nil {
		return OrderRecord{}, false, fmt.Errorf("encode order: %w", err)
	}
	rec, err = s.amendOrder(ctx, rec, req)
	return rec, false, err
}

// orderContent is a canonical digest of what an order asks for, after
// defaults are applied (a line at the default GST rate and one that names
// that rate are the same order; "2" and "2.0" the same quantity), so that a
// resend can be told from a change. A date the caller left to default is not
// part of it: a retry after midnight is not a change.
func orderContent(p orderPlan, dateGiven bool) string {
	o := p.Order
	type line struct {
		Item, Quantity, Unit, GSTRate string
		Rate                          Paise
	}
	c := struct {
		Company, Ref, Date, SalesLedger, Narration string
		Party                                      NewParty
		Credit                                     int
		Lines                                      []line
		ByMobile                                   bool
		Reject                                     string
	}{Company: foldName(p.Company), Ref: o.Ref, SalesLedger: foldName(o.SalesLedger), Narration: o.Narration,
		Party: o.Party, Credit: p.Credit, ByMobile: o.PartyByMobile, Reject: o.RejectCode + "\x00" + o.Reject}
	c.Party.Name, c.Party.ApplicableFrom = foldName(o.Party.Name), time.Time{}
	if dateGiven {
		c.Date = o.Date.Format(time.DateOnly)
	}
	for _, l := range o.Lines {
		rate := "default"
		if l.GSTRate != nil {
			rate = l.GSTRate.String()
		}
		c.Lines = append(c.Lines, line{Item: l.Item, Quantity: l.Quantity.String(), Unit: l.Unit, GSTRate: rate, Rate: l.Rate})
	}
	b, _ := json.Marshal(c) // strings, numbers and a NewParty cannot fail to encode
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// storedContent is orderContent of a stored order: as stored, or, for an
// order stored before the digest was kept, worked out from its request with
// its date as given.
func (s *Service) storedContent(rec OrderRecord) string {
	o, so, err := decodeStoredOrder(rec.Request)
	if err != nil {
		return ""
	}
	if so.Content != "" {
		return so.Content
	}
	p, err := s.planOrder(o, rec.ID)
	if err != nil {
		return ""
	}
	return orderContent(p, true)
}

// amendOrder gives a stored order new content (req) and puts it through the
// queue again, so the same voucher (same REMOTEID) is replaced in Tally as
// durably as any order is posted. An order still waiting for its first
// post simply takes the new content (its job is queued already); a posted,
// rejected or parked one is queued again. One being posted right now is a
// Conflict: what Tally will hold is not known until that attempt ends.
func (s *Service) amendOrder(ctx context.Context, rec OrderRecord, req []byte) (OrderRecord, error) {
	now, empty, no := s.cfg.Now(), "", false
	t := OrderTransition{To: OrderReceived, Now: now, Request: req, Ambiguous: &no,
		LastError: &empty, LastErrorCode: &empty, NextAttemptAt: &now}
	from := []OrderState{OrderReceived}
	if rec.State.Final() {
		from, t.Enqueue = []OrderState{OrderPosted, OrderRejected, OrderNeedsAttention}, true
	}
	amended, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, from, t)
	if KindOf(err) == Conflict {
		return OrderRecord{}, &Error{Kind: Conflict, Code: "order_posting", Err: err,
			Message: fmt.Sprintf("order %s is being posted to Tally right now", quote(rec.Ref)),
			Hint:    "Send the amendment again in a few seconds."}
	}
	return amended, err
}

// checkWriteCompany refuses a write for a company the caller named, other
// than the configured one, that Tally does not have loaded, before anything
// is stored: such an order could never post, and reads answer the same
// (checkLoaded). The configured company is not checked, and neither is any
// company while Tally cannot be asked: storing the write so the queue posts
// it once Tally is back is the point of the store.
func (s *Service) checkWriteCompany(ctx context.Context, requested string) error {
	if strings.TrimSpace(requested) == "" || foldName(requested) == foldName(s.cfg.Company) {
		return nil
	}
	err := s.checkLoaded(ctx, s.company(requested))
	if e, ok := AsError(err); ok && e.Code != "company_not_loaded" && e.Kind == Unavailable {
		return nil
	}
	return err
}

// recordID is a new stored record's id: random, or derived from the
// request's dedupe key (its Idempotency-Key and scope) when there is one.
func recordID(kind, dedupe string) string {
	if dedupe == "" {
		return newOrderID()
	}
	return RemoteID(RemoteIDNamespace, kind+"\x00"+dedupe)
}

// storeNew stores a record (an order or a receipt) in state received, with
// the job that posts it. A record whose REMOTEID is already stored is that
// record: it is returned with created false, and nothing new is queued.
func (s *Service) storeNew(ctx context.Context, rec OrderRecord) (OrderRecord, bool, error) {
	now := s.cfg.Now()
	rec.State, rec.CreatedAt, rec.UpdatedAt = OrderReceived, now, now
	stored, err := s.cfg.Store.CreateOrder(ctx, rec)
	if err != nil {
		if e, ok := AsError(err); ok && e.Kind == Conflict {
			if existing, ok := e.Subject.(OrderRecord); ok {
				return existing, false, nil
			}
		}
		return OrderRecord{}, false, err
	}
	return stored, true, nil
}

// GetOrder reads a stored order.
func (s *Service) GetOrder(ctx context.Context, id string) (OrderRecord, error) {
	return s.cfg.Store.GetOrder(ctx, id)
}

// ListOrders lists stored orders, newest first.
func (s *Service) ListOrders(ctx context.Context, f OrderFilter) ([]OrderRecord, error) {
	return s.cfg.Store.ListOrders(ctx, f)
}

// RetryOrder puts an order that needs attention (or was rejected, once the
// cause is fixed in Tally) back in the queue.
func (s *Service) RetryOrder(ctx context.Context, id string) (OrderRecord, error) {
	empty := ""
	now := s.cfg.Now()
	return s.cfg.Store.TransitionOrder(ctx, id, []OrderState{OrderNeedsAttention, OrderRejected}, OrderTransition{
		To: OrderReceived, Now: now, LastError: &empty, LastErrorCode: &empty, NextAttemptAt: &now, Enqueue: true})
}

// PostOrder makes one attempt at posting a stored order; it implements
// OrderPoster for the store's queue.
//
// Outcomes: posted; rejected when Tally (or our own checks against Tally's
// ledgers) refuses it, never retried as it is; back to received with a
// RetryLater while Tally is unreachable or busy; needs_attention after
// MaxAttempts such attempts. After an attempt whose fate is unknown (a
// timeout after the voucher was sent), the next attempt first reads back
// whether Tally has the voucher, and only posts when it does not (posting
// again would be safe, the REMOTEID makes it an update, but reading back is
// what tells us the first one landed).
func (s *Service) PostOrder(ctx context.Context, id string) error {
	st := s.cfg.Store
	q := s.cfg.Queue.withDefaults()
	start := OrderTransition{To: OrderPosting, Now: s.cfg.Now(), AddAttempt: true}
	rec, err := st.TransitionOrder(ctx, id, []OrderState{OrderReceived}, start)
	if KindOf(err) == Conflict {
		// Still posting: the attempt before this one stopped half-way (the
		// process died between Tally's answer and our update), which is an
		// outcome as unknown as a timeout.
		yes := true
		start.Ambiguous = &yes
		rec, err = st.TransitionOrder(ctx, id, []OrderState{OrderPosting}, start)
		if KindOf(err) == Conflict {
			return nil // posted, rejected or parked meanwhile: nothing to do
		}
	}
	if err != nil {
		return err
	}
	if requestKind(rec.Request) == kindReceipt {
		return s.postReceipt(ctx, rec, q)
	}
	o, so, err := decodeStoredOrder(rec.Request)
	if err != nil {
		return s.finishOrder(ctx, rec, OrderNeedsAttention, nil, &Error{Kind: Internal, Code: "order_unreadable",
			Message: "the stored order cannot be read", Err: err})
	}
	p, err := s.planOrder(o, rec.ID)
	if err != nil {
		return s.finishOrder(ctx, rec, OrderRejected, nil, err)
	}
	p.RemoteID, p.Ref = rec.RemoteID, rec.Ref

	// An amended order's voucher is in Tally with its old content or its
	// new one, and the read-back cannot tell which: post again, which
	// replaces the voucher of this REMOTEID either way (§9.4).
	if rec.Ambiguous && !so.Amended {
		v, found, err := s.readBack(ctx, p)
		if err == nil && found {
			var res OrderResult
			if res, err = s.readBackResult(ctx, rec, p, v); err == nil {
				return s.finishOrder(ctx, rec, OrderPosted, &res, nil)
			}
		}
		if err != nil {
			return s.retryOrder(ctx, rec, q, err)
		}
	}

	hooks := orderHooks{
		partyCreated: rec.PartyCreated,
		onPartyCreated: func(ctx context.Context) error {
			yes := true
			_, err := st.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting},
				OrderTransition{To: OrderPosting, Now: s.cfg.Now(), PartyCreated: &yes})
			return err
		},
		onImport: func(ctx context.Context, kind, party string, out ImportOutcome, err error, took time.Duration) {
			s.recordImport(ctx, rec, p, kind, party, out, err, took)
		},
	}
	res, err := s.executeOrder(ctx, p, hooks)
	if err == nil {
		if err := s.finishOrder(ctx, rec, OrderPosted, &res, nil); err != nil {
			return err
		}
		s.confirmOrder(ctx, rec, o, res)
		return nil
	}
	return s.settleFailure(ctx, rec, q, err)
}

// confirmOrder tells a WhatsApp customer that their order is in Tally. It is
// best effort and sent once: after the order is recorded as posted (a
// redelivered job finds it posted and stops before this), and a failure is
// logged, never retried into a second message.
func (s *Service) confirmOrder(ctx context.Context, rec OrderRecord, o Order, res OrderResult) {
	c := s.cfg.WhatsApp.Confirm
	if c == nil || rec.Source != "whatsapp" {
		return
	}
	to := WhatsAppID(o.Party.Mobile)
	if to == "" {
		return
	}
	text := fmt.Sprintf("Order %s received, invoice amount %s. Thank you!", res.Ref, res.Pricing.Total.Rupees())
	if _, err := c.Send(ctx, ReminderMessage{Key: "confirm:" + rec.ID, Party: res.Party, Mobile: o.Party.Mobile, WhatsAppID: to, Text: text}); err != nil {
		s.log.WarnContext(ctx, "order confirmation not sent", "order_id", rec.ID, "error", err)
	}
}

// settleFailure decides what a failed attempt means for a stored order (or
// receipt): retried while Tally is unavailable, rejected when the request
// can never succeed as stored, parked for a person otherwise.
func (s *Service) settleFailure(ctx context.Context, rec OrderRecord, q QueueConfig, err error) error {
	switch KindOf(err) {
	case Unavailable:
		return s.retryOrder(ctx, rec, q, err)
	case Invalid, Upstream, NotFound, Conflict:
		return s.finishOrder(ctx, rec, OrderRejected, nil, err)
	}
	return s.finishOrder(ctx, rec, OrderNeedsAttention, nil, err)
}

// readBack returns the order's voucher when Tally already holds it.
func (s *Service) readBack(ctx context.Context, p orderPlan) (VoucherSummary, bool, error) {
	vs, err := s.gw.Vouchers(ctx, p.Company, p.Order.Date, p.Order.Date)
	if err != nil {
		return VoucherSummary{}, false, err
	}
	marker := narrationMarker(p.RemoteID)
	for _, v := range vs {
		if !v.Cancelled && (v.RemoteID == p.RemoteID || strings.Contains(v.Narration, marker)) {
			return v, true, nil
		}
	}
	return VoucherSummary{}, false, nil
}

// readBackResult is what a voucher found by reading Tally back posted: the
// order priced as executeOrder priced it (for the party Tally debited, in
// its state), with the voucher's id in Tally, so the order shows the
// amounts the customer owes, never zero, and which voucher holds them.
// Pricing needs the party's state, hence one more read.
func (s *Service) readBackResult(ctx context.Context, rec OrderRecord, p orderPlan, v VoucherSummary) (OrderResult, error) {
	o := p.Order
	party := cmp.Or(v.Party, rec.Party)
	ledgers, err := s.gw.Ledgers(ctx, p.Company, []string{party})
	if err != nil {
		return OrderResult{}, err
	}
	partyState := o.Party.State
	if l, ok := ledgers[party]; ok {
		party, partyState = l.Name, l.State
	}
	pricing, err := s.priceFor(ctx, p.Company, o, partyState)
	if err != nil {
		return OrderResult{}, err
	}
	return OrderResult{Company: p.Company, Party: party, PartyCreated: rec.PartyCreated, VoucherType: cmp.Or(v.Type, "Sales"),
		Ref: rec.Ref, RemoteID: rec.RemoteID, Date: o.Date, Due: o.Date.AddDate(0, 0, p.Credit), Pricing: pricing,
		Outcome: ImportOutcome{LastVoucherID: v.MasterID}}, nil
}

// retryOrder schedules another attempt, or parks the order when it has had
// MaxAttempts. An attempt whose fate is unknown marks the order ambiguous, so
// the next attempt reads back first.
func (s *Service) retryOrder(ctx context.Context, rec OrderRecord, q QueueConfig, cause error) error {
	if rec.Attempts >= q.MaxAttempts {
		return s.finishOrder(ctx, rec, OrderNeedsAttention, nil, cause)
	}
	now := s.cfg.Now()
	delay := q.backoff(rec.Attempts)
	next := now.Add(delay)
	msg, code := errorText(cause)
	t := OrderTransition{To: OrderReceived, Now: now, LastError: &msg, LastErrorCode: &code, NextAttemptAt: &next}
	if code == "tally_outcome_unknown" {
		yes := true
		t.Ambiguous = &yes
	}
	if _, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting}, t); err != nil {
		return err
	}
	return &RetryLater{After: delay, Err: cause}
}

// finishOrder moves an order to a final state for the queue.
func (s *Service) finishOrder(ctx context.Context, rec OrderRecord, to OrderState, res *OrderResult, cause error) error {
	var result []byte
	if res != nil {
		// The exchange's text lives in the import audit log.
		r := *res
		r.Outcome.Request, r.Outcome.Response = nil, nil
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode order result: %w", err)
		}
		result = b
		if r.Party != "" && r.Party != rec.Party {
			// The ledger debited, as Tally spells it: a WhatsApp order is
			// stored under the sender's profile name until it is posted.
			rec.Party = r.Party
			return s.finishRecordAs(ctx, rec, to, result, cause, &r.Party)
		}
	}
	return s.finishRecord(ctx, rec, to, result, cause)
}

// finishRecord moves a stored order or receipt to a final state; result,
// when not nil, is what was posted, as JSON.
func (s *Service) finishRecord(ctx context.Context, rec OrderRecord, to OrderState, result []byte, cause error) error {
	return s.finishRecordAs(ctx, rec, to, result, cause, nil)
}

// finishRecordAs is finishRecord that also sets the order's party.
func (s *Service) finishRecordAs(ctx context.Context, rec OrderRecord, to OrderState, result []byte, cause error, party *string) error {
	t := OrderTransition{To: to, Now: s.cfg.Now(), Party: party}
	no := false
	if result != nil {
		t.Result = result
		t.Ambiguous = &no
	}
	if cause != nil {
		msg, code := errorText(cause)
		t.LastError, t.LastErrorCode = &msg, &code
	}
	_, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting}, t)
	return err
}

// errorText is what an order keeps of an error: the client-safe message
// (Tally's own text for a rejection) and the code.
func errorText(err error) (msg, code string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Message, e.Code
	}
	return "internal error", "internal"
}

// recordImport appends a Tally write to the audit log. A failure to record
// is not a reason to fail the order: Tally has already been written to.
func (s *Service) recordImport(ctx context.Context, rec OrderRecord, p orderPlan, kind, party string, out ImportOutcome, err error, took time.Duration) {
	ir := ImportRecord{OrderID: rec.ID, Company: p.Company, Kind: kind, Party: party, Request: out.Request,
		Response: out.Response, Truncated: out.Truncated, Outcome: out, Result: "ok", Duration: took,
		CreatedAt: s.cfg.Now()}
	if kind == "vouchers" {
		ir.RemoteID = p.RemoteID
	}
	if err != nil {
		_, ir.ErrorCode = errorText(err)
		switch {
		case ir.ErrorCode == "tally_outcome_unknown":
			ir.Result = "ambiguous"
		case KindOf(err) == Upstream:
			ir.Result = "rejected"
		default:
			ir.Result = "failed"
		}
	}
	if err := s.storeImport(ctx, ir); err != nil {
		// Tally has been written to whatever the store says; the order's
		// own state still records the outcome, so this is a warning.
		s.log.WarnContext(ctx, "recording a Tally import failed", "order_id", rec.ID, "kind", kind, "error", err)
	}
}

// storeImport records an import, retrying while the store fails: the write
// to Tally has happened, and the audit log must not lose it to a database
// restart. The retries run on a context detached from the caller's (a
// cancelled job or request must not drop the record) and bounded by
// AuditRetry. A refusal that cannot change (Invalid, NotFound, Conflict) is
// not retried.
func (s *Service) storeImport(ctx context.Context, ir ImportRecord) error {
	q := s.cfg.Queue.withDefaults()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), q.AuditRetry)
	defer cancel()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval, b.MaxElapsedTime = q.AuditRetryBase, 2*time.Second, q.AuditRetry
	var last error // the store's own error, not the deadline that ended the retries
	if err := backoff.Retry(func() error {
		_, last = s.cfg.Store.RecordImport(ctx, ir)
		switch KindOf(last) {
		case Invalid, NotFound, Conflict:
			return backoff.Permanent(last)
		}
		return last
	}, backoff.WithContext(b, ctx)); err != nil {
		return cmp.Or(last, err)
	}
	return nil
}

// ListImports lists the Tally import audit log.
func (s *Service) ListImports(ctx context.Context, f ImportFilter) ([]ImportRecord, error) {
	return s.cfg.Store.ListImports(ctx, f)
}

// GetImport reads one audited import.
func (s *Service) GetImport(ctx context.Context, id int64) (ImportRecord, error) {
	return s.cfg.Store.GetImport(ctx, id)
}

// Final reports whether the queue is done with an order in state st.
func (st OrderState) Final() bool {
	return st == OrderPosted || st == OrderRejected || st == OrderNeedsAttention
}

// WaitOrder waits up to wait for an order to leave the queue (posted,
// rejected or needs_attention) and returns the order as last read. It reads
// the order again when it is told the order changed (in this process, or by
// another replica through OrderChanged), and every fallback in case a
// notification was lost. Running out of time is not an error: the caller
// answers with the order as it stands.
func (s *Service) WaitOrder(ctx context.Context, id string, wait, fallback time.Duration) (OrderRecord, error) {
	// Subscribed before the first read, so a change between the read and
	// the wait is not missed.
	changed, cancel := s.waiters.subscribe(id)
	defer cancel()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(fallback)
	defer tick.Stop()
	for {
		rec, err := s.cfg.Store.GetOrder(ctx, id)
		if err != nil || rec.State.Final() {
			return rec, err
		}
		// Not posted yet, and Tally is failing: waiting longer only delays
		// the 202 the caller will get anyway. (An amended order is back in
		// received after its attempts, but with no error.)
		if rec.Attempts > 0 && rec.State == OrderReceived && rec.LastErrorCode != "" {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return rec, nil
		case <-deadline.C:
			return rec, nil
		case <-changed:
		case <-tick.C:
		}
	}
}

// OrderResultOf returns the result of a posted sales order; a receipt has a
// ReceiptResult instead (ReceiptResultOf).
func OrderResultOf(rec OrderRecord) (OrderResult, bool) {
	if rec.State != OrderPosted || len(rec.Result) == 0 || requestKind(rec.Request) == kindReceipt {
		return OrderResult{}, false
	}
	var res OrderResult
	if err := json.Unmarshal(rec.Result, &res); err != nil {
		return OrderResult{}, false
	}
	return res, true
}
