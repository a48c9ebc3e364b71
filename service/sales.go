package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The sales order kind of the posting pipeline (posting.go): how an order is
// submitted (with its resend and amendment rules), and its job: plan
// (planOrder), execution (executeOrder, orders.go), read-back and the
// WhatsApp confirmation.

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
	var p orderPlan
	var content string
	rec, created, err = s.submit(ctx, "order-request", o.Company, source, dedupe, func(id string) (OrderRecord, error) {
		dateGiven := !o.Date.IsZero()
		var err error
		if p, err = s.planOrder(o, id); err != nil {
			return OrderRecord{}, err
		}
		p.Order.Company = p.Company
		content = orderContent(p, dateGiven)
		req, err := encodeOrder(p.Order, content, false)
		if err != nil {
			return OrderRecord{}, fmt.Errorf("encode order: %w", err)
		}
		return OrderRecord{Company: p.Company, Ref: p.Ref, RemoteID: p.RemoteID, Party: p.Order.Party.Name, Request: req}, nil
	})
	if err != nil || created || requestKind(rec.Request) != kindSales || s.storedContent(rec) == content {
		return rec, created, err
	}
	if !o.Amend {
		return OrderRecord{}, false, &Error{Kind: Conflict, Code: "order_ref_conflict", Subject: rec,
			Message: fmt.Sprintf("order %s of %s is stored with other content", quote(rec.Ref), quote(rec.Party)),
			Hint:    `Send "amend": true to replace the order (the same voucher in Tally), or use another order_ref for a new order.`}
	}
	if err := s.checkNotCancelled(ctx, rec.ID); err != nil {
		return OrderRecord{}, false, err
	}
	req, err := encodeOrder(p.Order, content, true)
	if err != nil {
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
		// Left out when false, so the digest of every line stored before
		// the flag existed is unchanged.
		StockItem bool `json:",omitempty"`
	}
	c := struct {
		Company, Ref, Date, SalesLedger, Narration string
		Party                                      storedParty
		Credit                                     int
		Lines                                      []line
		ByMobile                                   bool
		Reject                                     string
	}{Company: foldName(p.Company), Ref: o.Ref, SalesLedger: foldName(o.SalesLedger), Narration: o.Narration,
		Credit: p.Credit, ByMobile: o.PartyByMobile, Reject: o.RejectCode + "\x00" + o.Reject}
	c.Party = toStoredParty(o.Party)
	c.Party.Name, c.Party.ApplicableFrom = foldName(o.Party.Name), time.Time{}
	if dateGiven {
		c.Date = o.Date.Format(time.DateOnly)
	}
	for _, l := range o.Lines {
		rate := "default"
		if l.GSTRate != nil {
			rate = l.GSTRate.String()
		}
		c.Lines = append(c.Lines, line{Item: l.Item, Quantity: l.Quantity.String(), Unit: l.Unit, GSTRate: rate, Rate: l.Rate, StockItem: l.StockItem})
	}
	b, _ := json.Marshal(c) // strings, numbers and a storedParty cannot fail to encode
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

// salesJob is a stored sales order as the pipeline attempts it.
type salesJob struct {
	s       *Service
	rec     OrderRecord
	plan    orderPlan
	amended bool
}

func (s *Service) loadSalesJob(rec OrderRecord) (postingJob, error) {
	o, so, err := decodeStoredOrder(rec.Request)
	if err != nil {
		return nil, &Error{Kind: Internal, Code: "order_unreadable", Message: "the stored order cannot be read", Err: err}
	}
	p, err := s.planOrder(o, rec.ID)
	if err != nil {
		return nil, err
	}
	p.RemoteID, p.Ref = rec.RemoteID, rec.Ref
	return &salesJob{s: s, rec: rec, plan: p, amended: so.Amended}, nil
}

func (j *salesJob) target() voucherTarget {
	return voucherTarget{Company: j.plan.Company, Date: j.plan.Order.Date, RemoteID: j.plan.RemoteID}
}

// settled: an amended order's voucher is in Tally with its old content or
// its new one, and the read-back cannot tell which, so it is posted again,
// which replaces the voucher of this REMOTEID either way (§9.4).
func (j *salesJob) settled(ctx context.Context) (postedResult, bool, error) {
	if j.amended {
		return nil, false, nil
	}
	v, found, err := j.s.findVoucher(ctx, j.target())
	if err != nil || !found {
		return nil, false, err
	}
	res, err := j.s.readBackResult(ctx, j.rec, j.plan, v)
	if err != nil {
		return nil, false, err
	}
	return res, true, nil
}

func (j *salesJob) execute(ctx context.Context, h postHooks) (postedResult, error) {
	return j.s.executeOrder(ctx, j.plan, h)
}

func (j *salesJob) posted(ctx context.Context, res postedResult) {
	if r, ok := res.(OrderResult); ok {
		j.s.confirmOrder(ctx, j.rec, j.plan.Order, r)
	}
}

func (r OrderResult) ledgerParty() string { return r.Party }

// confirmOrder tells a WhatsApp customer that their order is in Tally. It is
// best effort and sent once: after the order is recorded as posted (a
// redelivered job finds it posted and stops before this), and a failure is
// logged, never retried into a second message.
func (s *Service) confirmOrder(ctx context.Context, rec OrderRecord, o Order, res OrderResult) {
	c := s.cfg.WhatsApp.Confirm
	if c == nil || rec.Source != SourceWhatsApp {
		return
	}
	if !inServiceWindow(rec, s.cfg.Now()) {
		// Meta would refuse the text; with invoice confirmations on, the
		// invoice's (through its template) tells the customer instead.
		s.log.InfoContext(ctx, "order confirmation not sent: WhatsApp's 24-hour window has closed", "order_id", rec.ID)
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
	// The lines as executeOrder priced them: an item invoice takes each
	// item's GST rate and unit, so the stock items are read again.
	items, err := s.matchItems(ctx, p.Company, &o, s.readItems)
	if err != nil {
		return OrderResult{}, err
	}
	pricing, err := s.priceFor(ctx, p.Company, o, partyState)
	if err != nil {
		return OrderResult{}, err
	}
	return OrderResult{Company: p.Company, Party: party, PartyCreated: rec.PartyCreated, VoucherType: cmp.Or(v.Type, s.cfg.SalesVoucherType),
		Ref: rec.Ref, RemoteID: rec.RemoteID, Date: o.Date, Due: o.Date.AddDate(0, 0, p.Credit), Pricing: pricing,
		Invoice: items.invoice, Outcome: ImportOutcome{LastVoucherID: v.MasterID}}, nil
}

// OrderResultOf returns the result of a posted sales order; a receipt has a
// ReceiptResult instead (ReceiptResultOf).
func OrderResultOf(rec OrderRecord) (OrderResult, bool) {
	if rec.State != OrderPosted || len(rec.Result) == 0 || requestKind(rec.Request) != kindSales {
		return OrderResult{}, false
	}
	res, err := decodeOrderResult(rec.Result)
	return res, err == nil
}
