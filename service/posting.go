package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// The posting pipeline: every write to Tally (a sales order, a receipt) is
// submitted (validated, planned and stored with the job that posts it,
// before Tally is touched), then posted by the store's queue one attempt at
// a time (PostOrder): read back first after an attempt whose fate is
// unknown, retried while Tally is away, finished as posted, rejected or
// needs_attention, every Tally write audited. The pipeline is written once;
// each kind supplies what differs (a postingJob): its plan, its execution,
// what a read-back proves, and the codec of its stored request and result
// (codec.go).

// postingJob is one stored posting, decoded and planned, as the pipeline
// attempts it.
type postingJob interface {
	// target is the voucher the job writes, as found in Tally again.
	target() voucherTarget
	// settled reads Tally back after an attempt whose fate is unknown:
	// done, with what was posted, when Tally holds what the job asks for,
	// so the attempt sends nothing. An Internal error says what Tally holds
	// is not what any attempt could have made (the job needs a person).
	settled(ctx context.Context) (res postedResult, done bool, err error)
	// execute makes the Tally requests of one attempt, reporting each step
	// through h.
	execute(ctx context.Context, h postHooks) (postedResult, error)
	// posted runs once the record is stored as posted (a notification); it
	// is best effort and never fails the posting.
	posted(ctx context.Context, res postedResult)
}

// postedResult is what a kind posted.
type postedResult interface {
	// encode is its stored form (codec.go), without the exchange's text,
	// which the import audit log keeps.
	encode() ([]byte, error)
	// ledgerParty is the party posted to, as Tally spells it ("" for none).
	ledgerParty() string
}

// voucherTarget is what finds a posting's voucher in Tally: the company, the
// voucher's date and its REMOTEID (or the narration marker carrying it).
type voucherTarget struct {
	Company  string
	Date     time.Time
	RemoteID string
}

// postHooks let the pipeline record each step of an attempt.
type postHooks struct {
	// partyCreated says the party was already created for this record by
	// an earlier attempt: it is never created twice.
	partyCreated bool
	// onPartyCreated runs right after Tally created the party.
	onPartyCreated func(ctx context.Context) error
	// onPlanned stores what is about to be sent, before the voucher goes:
	// after an ambiguous write Tally's read-back says only that the voucher
	// exists, not how it was made up (a receipt's allocation).
	onPlanned func(ctx context.Context, res postedResult) error
	// onImport runs after every Tally write, whatever its outcome.
	onImport func(ctx context.Context, kind, party string, out ImportOutcome, err error, took time.Duration)
}

// The kinds of stored record (RecordKind).
const (
	KindSales   = kindSales
	KindReceipt = kindReceipt
	KindCancel  = kindCancel
)

// RecordKind says what a stored record posts: KindSales, KindReceipt or
// KindCancel.
func RecordKind(rec OrderRecord) string { return requestKind(rec.Request) }

// loadJob decodes and plans a stored record of any kind. An Internal error
// is a record that cannot be read (needs_attention); any other error is a
// request that can no longer be planned (rejected).
func (s *Service) loadJob(rec OrderRecord) (postingJob, error) {
	switch requestKind(rec.Request) {
	case kindReceipt:
		return s.loadReceiptJob(rec)
	case kindCancel:
		return s.loadCancelJob(rec)
	}
	return s.loadSalesJob(rec)
}

// submit stores a new posting of any kind: build plans the record (it
// validates the request and fixes the REMOTEID for the record's id, which
// derives from dedupe when there is one, so running the same request again
// finds the record already stored), the company is checked, and the record
// is stored in state received with the job that posts it.
func (s *Service) submit(ctx context.Context, idKind, company, source, dedupe string,
	build func(id string) (OrderRecord, error)) (rec OrderRecord, created bool, err error) {
	id := recordID(idKind, dedupe)
	rec, err = build(id)
	if err != nil {
		return OrderRecord{}, false, err
	}
	if err := s.checkWriteCompany(ctx, company); err != nil {
		return OrderRecord{}, false, err
	}
	rec.ID, rec.Source, rec.Key = id, source, dedupeRef(dedupe)
	return s.storeNew(ctx, rec)
}

// PostOrder makes one attempt at posting a stored record (an order or a
// receipt); it implements OrderPoster for the store's queue.
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
	q := s.cfg.Queue.withDefaults()
	rec, ok, err := s.startAttempt(ctx, id)
	if err != nil || !ok {
		return err
	}
	job, err := s.loadJob(rec)
	if err != nil {
		to := OrderRejected
		if KindOf(err) == Internal {
			to = OrderNeedsAttention
		}
		return s.finish(ctx, rec, to, nil, err)
	}
	if sj, ok := job.(*salesJob); ok && !rec.Ambiguous {
		if done, err := s.postBatch(ctx, sj, q); done {
			return err
		}
	}
	if rec.Ambiguous {
		res, done, err := job.settled(ctx)
		switch {
		case err != nil && KindOf(err) == Internal:
			return s.finish(ctx, rec, OrderNeedsAttention, nil, err)
		case err != nil:
			return s.retryOrder(ctx, rec, q, err)
		case done:
			return s.finish(ctx, rec, OrderPosted, res, nil)
		}
	}
	res, err := job.execute(ctx, s.hooks(rec, job.target()))
	if err != nil {
		return s.settleFailure(ctx, rec, q, err)
	}
	if err := s.finish(ctx, rec, OrderPosted, res, nil); err != nil {
		return err
	}
	job.posted(ctx, res)
	return nil
}

// startAttempt moves a record to posting and counts the attempt; ok is false
// when the queue has nothing to do (the record is final already).
func (s *Service) startAttempt(ctx context.Context, id string) (rec OrderRecord, ok bool, err error) {
	st := s.cfg.Store
	start := OrderTransition{To: OrderPosting, Now: s.cfg.Now(), AddAttempt: true}
	rec, err = st.TransitionOrder(ctx, id, []OrderState{OrderReceived}, start)
	if KindOf(err) == Conflict {
		// Still posting: the attempt before this one stopped half-way (the
		// process died between Tally's answer and our update), which is an
		// outcome as unknown as a timeout.
		yes := true
		start.Ambiguous = &yes
		rec, err = st.TransitionOrder(ctx, id, []OrderState{OrderPosting}, start)
		if KindOf(err) == Conflict {
			return rec, false, nil // posted, rejected or parked meanwhile: nothing to do
		}
	}
	return rec, err == nil, err
}

// hooks records the steps of an attempt at rec: the party created, the plan
// about to be sent, and every Tally write in the audit log.
func (s *Service) hooks(rec OrderRecord, t voucherTarget) postHooks {
	st := s.cfg.Store
	posting := func(ctx context.Context, tr OrderTransition) error {
		tr.To, tr.Now = OrderPosting, s.cfg.Now()
		_, err := st.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting}, tr)
		return err
	}
	return postHooks{
		partyCreated: rec.PartyCreated,
		onPartyCreated: func(ctx context.Context) error {
			yes := true
			return posting(ctx, OrderTransition{PartyCreated: &yes})
		},
		onPlanned: func(ctx context.Context, res postedResult) error {
			b, err := res.encode()
			if err != nil {
				return fmt.Errorf("encode the plan: %w", err)
			}
			return posting(ctx, OrderTransition{Result: b})
		},
		onImport: func(ctx context.Context, kind, party string, out ImportOutcome, err error, took time.Duration) {
			s.recordImport(ctx, rec, t, kind, party, out, err, took)
		},
	}
}

// settleFailure decides what a failed attempt means for a stored record:
// retried while Tally is unavailable, rejected when the request can never
// succeed as stored, parked for a person otherwise.
func (s *Service) settleFailure(ctx context.Context, rec OrderRecord, q QueueConfig, err error) error {
	switch KindOf(err) {
	case Unavailable:
		return s.retryOrder(ctx, rec, q, err)
	case Invalid, Upstream, NotFound, Conflict:
		return s.finish(ctx, rec, OrderRejected, nil, err)
	}
	return s.finish(ctx, rec, OrderNeedsAttention, nil, err)
}

// findVoucher returns the voucher of t when Tally already holds it.
func (s *Service) findVoucher(ctx context.Context, t voucherTarget) (VoucherSummary, bool, error) {
	vs, err := s.gw.Vouchers(ctx, t.Company, t.Date, t.Date)
	if err != nil {
		return VoucherSummary{}, false, err
	}
	v, found := t.find(vs)
	return v, found, nil
}

// find returns t's voucher among vs (read back from Tally): the live one
// with its REMOTEID, or with its narration marker, which survives builds
// that rewrite the REMOTEID (§9.4).
func (t voucherTarget) find(vs []VoucherSummary) (VoucherSummary, bool) {
	marker := narrationMarker(t.RemoteID)
	for _, v := range vs {
		if !v.Cancelled && (v.RemoteID == t.RemoteID || strings.Contains(v.Narration, marker)) {
			return v, true
		}
	}
	return VoucherSummary{}, false
}

// retryOrder schedules another attempt, or parks the record when it has had
// MaxAttempts. An attempt whose fate is unknown marks the record ambiguous,
// so the next attempt reads back first.
func (s *Service) retryOrder(ctx context.Context, rec OrderRecord, q QueueConfig, cause error) error {
	if rec.Attempts >= q.MaxAttempts {
		return s.finish(ctx, rec, OrderNeedsAttention, nil, cause)
	}
	now := s.cfg.Now()
	delay := q.backoff(rec.Attempts)
	next := now.Add(delay)
	msg, code := errorText(cause)
	t := OrderTransition{To: OrderReceived, Now: now, LastError: &msg, LastErrorCode: &code, NextAttemptAt: &next, Deferrable: true}
	if code == "tally_outcome_unknown" {
		yes := true
		t.Ambiguous = &yes
	}
	if _, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting}, t); err != nil {
		return err
	}
	if KindOf(cause) == Unavailable {
		s.tallyAway() // WatchTally posts it as soon as Tally answers
	}
	return &RetryLater{After: delay, Err: cause}
}

// finish moves a record to a final state for the queue, with what was
// posted (res, when not nil) and why it did not post (cause).
func (s *Service) finish(ctx context.Context, rec OrderRecord, to OrderState, res postedResult, cause error) error {
	t := OrderTransition{To: to, Now: s.cfg.Now(), Deferrable: true}
	if res != nil {
		b, err := res.encode()
		if err != nil {
			return fmt.Errorf("encode the result: %w", err)
		}
		no := false
		t.Result, t.Ambiguous = b, &no
		if p := res.ledgerParty(); p != "" && p != rec.Party {
			// The ledger posted to, as Tally spells it: a WhatsApp order
			// is stored under the sender's profile name until it is posted.
			t.Party = &p
		}
	}
	if cause != nil {
		msg, code := errorText(cause)
		t.LastError, t.LastErrorCode = &msg, &code
	}
	_, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting}, t)
	if err == nil && to == OrderRejected {
		s.tellRejected(ctx, rec, cause)
	}
	return err
}

// errorText is what a record keeps of an error: the client-safe message
// (Tally's own text for a rejection) and the code.
func errorText(err error) (msg, code string) {
	var e *Error
	if errors.As(err, &e) {
		return e.Message, e.Code
	}
	return "internal error", "internal"
}

// recordImport appends a Tally write to the audit log. A failure to record
// is not a reason to fail the posting: Tally has already been written to.
func (s *Service) recordImport(ctx context.Context, rec OrderRecord, t voucherTarget, kind, party string, out ImportOutcome, err error, took time.Duration) {
	ir := ImportRecord{OrderID: rec.ID, Company: t.Company, Kind: kind, Party: party, Request: out.Request,
		Response: out.Response, Truncated: out.Truncated, Outcome: out, Result: "ok", Duration: took,
		CreatedAt: s.cfg.Now()}
	if kind == "vouchers" {
		ir.RemoteID = t.RemoteID
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
		// Tally has been written to whatever the store says; the record's
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
