package service

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The cancellation kind of the posting pipeline (posting.go): cancelling the
// voucher of a posted order (or receipt) in Tally, durably, idempotently and
// audited like any posting.
//
// What Tally does with a cancel differs by build (tally-protocol.md §9.4):
// licensed TallyPrime 7.1 cancels by REMOTEID and answers ALTERED=1,
// CANCELLED=0; the EDU Edit Log build answered a Cancel by creating a
// duplicate and leaving the voucher as it was. So an answer proves nothing:
// the voucher is read back, and the cancellation is posted only when the
// voucher is found cancelled and no live voucher carries its REMOTEID or
// marker. Anything else is needs_attention, with what was seen.

// CancelResult is what a cancellation did in Tally.
type CancelResult struct {
	Company     string
	OrderID     string // the order (or receipt) whose voucher was cancelled
	Party       string
	VoucherType string
	Ref         string // the order's bill reference
	RemoteID    string // the cancelled voucher's REMOTEID
	Date        time.Time
	// VoucherID is the cancelled voucher's MASTERID, as read back.
	VoucherID int
	Outcome   ImportOutcome
}

// cancelPlan is a stored cancellation: the voucher to cancel.
type cancelPlan struct {
	OrderID     string
	Company     string
	Party       string
	Ref         string
	VoucherType string
	RemoteID    string
	Date        time.Time
}

// cancelRecordID is the id of the cancellation of the order with this id:
// one order has at most one, so a repeated cancel finds it.
func cancelRecordID(orderID string) string { return recordID("cancel-request", orderID) }

// CancelOrder stores the cancellation of a posted order's (or receipt's)
// voucher, with the job that sends it to Tally, and returns the
// cancellation's own record (listed with the orders, kind cancel). A
// cancellation already stored for the order is returned with created false,
// so sending the cancel again never does more. Only a posted record can be
// cancelled (Conflict, order_not_posted); a cancellation cannot be.
func (s *Service) CancelOrder(ctx context.Context, id, source string) (rec OrderRecord, created bool, err error) {
	orig, err := s.cfg.Store.GetOrder(ctx, id)
	if err != nil {
		return OrderRecord{}, false, err
	}
	p := cancelPlan{OrderID: orig.ID, Company: orig.Company, Party: orig.Party, Ref: orig.Ref, RemoteID: orig.RemoteID}
	switch {
	case requestKind(orig.Request) == kindCancel:
		return OrderRecord{}, false, Errorf(Invalid, "not_cancellable", "%s is a cancellation, not an order", id)
	case orig.State != OrderPosted:
		return OrderRecord{}, false, &Error{Kind: Conflict, Code: "order_not_posted", Subject: orig,
			Message: fmt.Sprintf("order %s is %s; only a posted order can be cancelled", quote(orig.Ref), orig.State)}
	}
	if r, ok := ReceiptResultOf(orig); ok {
		p.VoucherType, p.Date = r.VoucherType, r.Date
	} else if r, ok := OrderResultOf(orig); ok {
		p.VoucherType, p.Date = r.VoucherType, r.Date
	} else {
		return OrderRecord{}, false, &Error{Kind: Internal, Code: "order_unreadable", Message: "the stored order cannot be read"}
	}
	req, err := encodeCancel(p)
	if err != nil {
		return OrderRecord{}, false, fmt.Errorf("encode cancellation: %w", err)
	}
	return s.submit(ctx, "cancel-request", orig.Company, source, orig.ID, func(string) (OrderRecord, error) {
		// Its own REMOTEID (the store's key for it); the voucher it
		// cancels is the order's, in its request.
		return OrderRecord{Company: p.Company, Ref: p.Ref, RemoteID: RemoteID(RemoteIDNamespace, "cancel\x00"+orig.RemoteID),
			Party: p.Party, Request: req}, nil
	})
}

// checkNotCancelled refuses to post an order again (an amendment) once its
// voucher is cancelled or being cancelled: resending its REMOTEID would
// un-cancel it in Tally (§9.4).
func (s *Service) checkNotCancelled(ctx context.Context, orderID string) error {
	c, err := s.cfg.Store.GetOrder(ctx, cancelRecordID(orderID))
	switch {
	case KindOf(err) == NotFound:
		return nil
	case err != nil:
		return err
	case c.State == OrderRejected:
		return nil // the cancel never reached the voucher
	}
	return &Error{Kind: Conflict, Code: "order_cancelled", Subject: c,
		Message: fmt.Sprintf("order %s is cancelled (%s)", quote(c.Ref), c.State),
		Hint:    "Send a new order with another order_ref."}
}

// cancelJob is a stored cancellation as the pipeline attempts it.
type cancelJob struct {
	s    *Service
	plan cancelPlan
}

func (s *Service) loadCancelJob(rec OrderRecord) (postingJob, error) {
	p, err := decodeCancel(rec.Request)
	if err != nil {
		return nil, &Error{Kind: Internal, Code: "cancel_unreadable", Message: "the stored cancellation cannot be read", Err: err}
	}
	return &cancelJob{s: s, plan: p}, nil
}

func (j *cancelJob) target() voucherTarget {
	return voucherTarget{Company: j.plan.Company, Date: j.plan.Date, RemoteID: j.plan.RemoteID}
}

// settled: done when the read-back proves the voucher cancelled; still live
// and alone, the cancel is sent (again); anything else needs a person.
func (j *cancelJob) settled(ctx context.Context) (postedResult, bool, error) {
	seen, err := j.read(ctx)
	if err != nil {
		return nil, false, err
	}
	if seen.proven() {
		return j.result(seen, ImportOutcome{}), true, nil
	}
	if len(seen.live) == 1 && seen.cancelled == nil {
		return nil, false, nil
	}
	return nil, false, seen.unproven(nil)
}

func (j *cancelJob) execute(ctx context.Context, h postHooks) (postedResult, error) {
	p := j.plan
	start := time.Now()
	out, err := j.s.gw.CancelVoucher(ctx, p.Company, VoucherRef{Type: p.VoucherType, RemoteID: p.RemoteID, Date: p.Date})
	if h.onImport != nil {
		h.onImport(ctx, "vouchers", p.Party, out, err, time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	seen, err := j.read(ctx)
	if err != nil {
		// Tally answered; what it did is known only by reading back,
		// which the next attempt does first.
		return nil, &Error{Kind: Unavailable, Code: "tally_outcome_unknown", Err: err,
			Message: "Tally answered the cancel, but reading the voucher back failed"}
	}
	if !seen.proven() {
		return nil, seen.unproven(&out)
	}
	return j.result(seen, out), nil
}

func (j *cancelJob) posted(context.Context, postedResult) {}

func (j *cancelJob) result(seen cancelSeen, out ImportOutcome) CancelResult {
	p := j.plan
	return CancelResult{Company: p.Company, OrderID: p.OrderID, Party: p.Party, VoucherType: p.VoucherType, Ref: p.Ref,
		RemoteID: p.RemoteID, Date: p.Date, VoucherID: seen.cancelled.MasterID, Outcome: out}
}

// cancelSeen is what reading back the voucher's date found: the vouchers
// carrying its REMOTEID or narration marker, cancelled or live.
type cancelSeen struct {
	remoteID  string
	cancelled *VoucherSummary
	live      []VoucherSummary
}

func (j *cancelJob) read(ctx context.Context) (cancelSeen, error) {
	t := j.target()
	vs, err := j.s.gw.Vouchers(ctx, t.Company, t.Date, t.Date)
	if err != nil {
		return cancelSeen{}, err
	}
	seen := cancelSeen{remoteID: t.RemoteID}
	marker := narrationMarker(t.RemoteID)
	for _, v := range vs {
		if v.RemoteID != t.RemoteID && !strings.Contains(v.Narration, marker) {
			continue
		}
		if v.Cancelled {
			seen.cancelled = &v
		} else {
			seen.live = append(seen.live, v)
		}
	}
	return seen, nil
}

func (c cancelSeen) proven() bool { return c.cancelled != nil && len(c.live) == 0 }

// unproven is a cancellation the read-back does not prove, saying what was
// seen (and Tally's answer, when the cancel was just sent); Internal, so the
// record needs attention and is never reported done.
func (c cancelSeen) unproven(out *ImportOutcome) *Error {
	var saw []string
	if c.cancelled != nil {
		saw = append(saw, fmt.Sprintf("the voucher cancelled (id %d)", c.cancelled.MasterID))
	}
	for _, v := range c.live {
		saw = append(saw, fmt.Sprintf("a live %s voucher %s (id %d)", v.Type, v.Number, v.MasterID))
	}
	if len(saw) == 0 {
		saw = append(saw, "no voucher with its REMOTEID")
	}
	msg := "reading the voucher back found " + strings.Join(saw, " and ")
	if out != nil {
		msg = fmt.Sprintf("Tally answered the cancel (CREATED=%d ALTERED=%d CANCELLED=%d), but %s",
			out.Created, out.Altered, out.Cancelled, msg)
	}
	return &Error{Kind: Internal, Code: "cancel_not_proven", Message: msg,
		Hint: "Look at the voucher in Tally (Day Book of its date); cancel it there by hand if it is live, delete any duplicate, then retry."}
}

func (r CancelResult) ledgerParty() string { return "" }

// CancelResultOf returns what a posted cancellation did.
func CancelResultOf(rec OrderRecord) (CancelResult, bool) {
	if rec.State != OrderPosted || len(rec.Result) == 0 || requestKind(rec.Request) != kindCancel {
		return CancelResult{}, false
	}
	res, err := decodeCancelResult(rec.Result)
	return res, err == nil
}
