package service

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Batches: real Tally takes about half a second per import request whatever
// it carries, and about 16 ms more per voucher (tally-protocol.md §12: one
// voucher a request ran at 2 a second, 100 a request at 48 a second). So
// when several sales orders wait for one company, the queue's attempt at
// one of them posts up to QueueConfig.BatchSize in one import request, each
// keeping its own REMOTEID, after one read of every ledger they need.
//
// Tally commits each voucher of a batch it accepts and counts the others as
// exceptions, with LINEERRORs that do not name the voucher (§9.4; issue
// #14: CREATED 49, EXCEPTIONS 1). So unless every voucher was committed,
// the batch is read back, and each order is settled by what Tally holds:
// found, posted; not found after Tally answered, rejected with Tally's text;
// not found after an answer that never came, back in the queue, due at
// once: nothing is resent before the read-back. Each order keeps its own
// state, attempts and audit record.

// voucherBatcher is the Gateway's batch import; a Gateway without it posts
// every order alone.
type voucherBatcher interface {
	// PostVouchers creates (or replaces, by REMOTEID) vouchers in one
	// import request. Its outcome is the request's; its error is a
	// rejection whenever a voucher was not committed.
	PostVouchers(ctx context.Context, company string, vs []Voucher) (ImportOutcome, error)
	// CreateParties creates party ledgers in one masters import. Its error
	// says that not every ledger was created; which were is read back.
	CreateParties(ctx context.Context, company string, ps []NewParty) (ImportOutcome, error)
}

// batchMember is one order of a batch, prepared.
type batchMember struct {
	rec     OrderRecord
	job     *salesJob
	res     OrderResult
	voucher Voucher
	// partyCreated: the batch's masters import created this order's party.
	partyCreated bool
}

// postBatch posts first (a sales order the queue is attempting, in
// posting) together with the other sales orders of its company waiting in
// the queue, when there are any and the Gateway can import a batch. done is
// false when first is to be posted alone (nothing else waits); otherwise
// every order of the batch is settled and err is what the queue should do
// with first's job.
func (s *Service) postBatch(ctx context.Context, first *salesJob, q QueueConfig) (done bool, err error) {
	batcher, ok := s.gw.(voucherBatcher) // NotifyWrites keeps it visible
	if !ok || q.BatchSize < 2 {
		return false, nil
	}
	members := s.claimBatch(ctx, first, q.BatchSize)
	if len(members) < 2 {
		return false, nil
	}
	company := first.plan.Company

	// One read of every ledger the batch names, then each order prepared
	// as executeOrder prepares it, its ledgers served from that read (a
	// name it did not ask, or a party created since, is read again). A
	// missing party is created then, before the batch's vouchers go.
	asked := map[string]bool{}
	var names []string
	for _, m := range members {
		for _, n := range nonEmpty(s.orderLedgerNames(m.job.plan.Order)) {
			if !asked[n] {
				asked[n] = true
				names = append(names, n)
			}
		}
	}
	known, readErr := s.gw.Ledgers(ctx, company, names)
	read := func(ctx context.Context, company string, names []string) (map[string]Party, error) {
		if readErr == nil && !slices.ContainsFunc(names, func(n string) bool { return !asked[n] }) {
			return known, nil
		}
		return s.gw.Ledgers(ctx, company, names)
	}
	if readErr == nil {
		// The new parties first, in one masters import; their orders then
		// find them as existing ledgers (read serves the merged read).
		for i := range s.createBatchParties(ctx, batcher, company, members, read, known) {
			members[i].partyCreated = true
		}
	}
	// The stock items, when an order needs them, are read once too.
	readItems := onceItems(s.readItems)
	var ready []batchMember
	var result error
	for _, m := range members {
		h := s.hooks(m.rec, m.job.target())
		res, v, err := s.prepareOrder(ctx, m.job.plan, h, read, readItems)
		res.PartyCreated = res.PartyCreated || m.partyCreated
		if res.PartyCreated {
			delete(asked, res.Party)
			delete(asked, m.job.plan.Order.Party.Name)
		}
		if err != nil {
			if e := s.settleFailure(ctx, m.rec, q, err); m.rec.ID == first.rec.ID {
				result = e
			}
			continue
		}
		m.res, m.voucher = res, v
		ready = append(ready, m)
	}
	if len(ready) == 0 {
		return true, result
	}
	vs := make([]Voucher, len(ready))
	for i, m := range ready {
		vs[i] = m.voucher
	}
	start := time.Now()
	out, postErr := batcher.PostVouchers(ctx, company, vs)
	took := time.Since(start)
	for i, m := range ready {
		// Each order its own audit record; the exchange's text, the same
		// for all, is kept with the first only.
		o := out
		if i > 0 {
			o.Request, o.Response, o.Truncated = nil, nil, false
		}
		s.recordImport(ctx, m.rec, m.job.target(), "vouchers", m.res.Party, o, postErr, took)
	}
	for _, m := range s.settleBatch(ctx, company, ready, out, postErr, q) {
		if m.rec.ID == first.rec.ID {
			result = m.err
		}
	}
	return true, result
}

// createBatchParties creates, in one masters import, the parties that two
// or more orders of the batch need and Tally does not have (real Tally
// takes about half a second per import request, §12: a backlog of orders
// for new customers would otherwise cost one request each). Each party's
// orders are resolved as prepareOrder resolves them, and an order that its
// checks will refuse creates nothing. WhatsApp orders, whose party is found
// by mobile, still create theirs one by one (see the loop). The ledgers are read back, merged into known, and the indexes of
// the members whose party now exists are returned, each record marked as
// having created its party (as ensureParty does) before its voucher goes.
// With fewer than two parties to create, or on any failure, nothing is
// marked: prepareOrder creates what is still missing, one by one, as it
// always has.
func (s *Service) createBatchParties(ctx context.Context, batcher voucherBatcher, company string, members []batchMember,
	read ledgerReader, known map[string]Party) map[int]bool {
	var parties []NewParty
	owners := map[string][]int{} // by folded name
	for i, m := range members {
		p, o := m.job.plan, m.job.plan.Order
		if o.Reject != "" || m.rec.PartyCreated || o.PartyByMobile {
			// Refused before Tally; created by an earlier attempt
			// (ensureParty's rule); or found by mobile, which prepareOrder
			// resolves again: until the mirror holds the new ledger, that
			// second lookup would miss it and pick the next free name, a
			// second party for one customer.
			continue
		}
		rp, err := s.resolveParty(ctx, company, o, read)
		if err != nil || rp.exists {
			continue
		}
		o.Party.Name = rp.name
		pricing, err := s.priceFor(ctx, company, o, rp.state(o.Party))
		if err != nil || s.checkLedgers(ctx, company, o, rp, pricing) != nil {
			continue
		}
		key := foldName(rp.name)
		if owners[key] == nil {
			parties = append(parties, s.newCustomer(o.Party, p.Credit, o.Date))
		}
		owners[key] = append(owners[key], i)
	}
	if len(parties) < 2 {
		return nil
	}
	start := time.Now()
	out, err := batcher.CreateParties(ctx, company, parties)
	took := time.Since(start)
	for j, p := range parties {
		// Each order whose party was in the request gets the audit record;
		// the exchange's text, the same for all, is kept with the first.
		for k, i := range owners[foldName(p.Name)] {
			o := out
			if j > 0 || k > 0 {
				o.Request, o.Response, o.Truncated = nil, nil, false
			}
			s.recordImport(ctx, members[i].rec, members[i].job.target(), "masters", p.Name, o, err, took)
		}
	}
	names := make([]string, len(parties))
	for j, p := range parties {
		names[j] = p.Name
	}
	// Read back whatever the answer: Tally may have created some (§9.4).
	held, rerr := s.gw.Ledgers(ctx, company, names)
	if rerr != nil {
		return nil
	}
	created := map[int]bool{}
	for _, n := range names {
		ledger, ok := held[n]
		if !ok {
			continue
		}
		known[n] = ledger
		for _, i := range owners[foldName(n)] {
			h := s.hooks(members[i].rec, members[i].job.target())
			if h.onPartyCreated(ctx) == nil {
				created[i] = true
			}
		}
	}
	return created
}

// claimBatch returns first and the other sales orders of its company
// waiting in the queue (oldest first, up to size in all), each moved to
// posting as an attempt of its own. An order that needs a read-back first
// (ambiguous), or another kind, is left to its own job.
func (s *Service) claimBatch(ctx context.Context, first *salesJob, size int) []batchMember {
	members := []batchMember{{rec: first.rec, job: first}}
	waiting, err := s.cfg.Store.ListOrders(ctx, OrderFilter{State: OrderReceived, OldestFirst: true, Limit: 2 * size})
	if err != nil {
		return members // posted alone; the others keep their jobs
	}
	company := foldName(first.plan.Company)
	var ids []string
	for _, w := range waiting {
		if len(ids) == size-1 {
			break
		}
		if w.ID == first.rec.ID || w.Ambiguous || foldName(w.Company) != company || requestKind(w.Request) != kindSales {
			continue
		}
		ids = append(ids, w.ID)
	}
	if len(ids) == 0 {
		return members
	}
	// One claim for all, in one commit: the orders any other worker took
	// meanwhile are left out.
	claimed, err := s.cfg.Store.StartAttempts(ctx, ids, s.cfg.Now())
	if err != nil {
		return members
	}
	for _, rec := range claimed {
		if rec.Ambiguous {
			// Its attempt in flight died half-way: its own job reads back.
			s.releaseClaim(ctx, rec)
			continue
		}
		job, err := s.loadJob(rec)
		sj, ok := job.(*salesJob)
		if err != nil || !ok || foldName(sj.plan.Company) != company {
			s.releaseClaim(ctx, rec)
			continue
		}
		members = append(members, batchMember{rec: rec, job: sj})
	}
	return members
}

// releaseClaim puts an order claimBatch moved to posting back in the queue
// as it was, for its own job.
func (s *Service) releaseClaim(ctx context.Context, rec OrderRecord) {
	now := s.cfg.Now()
	if _, err := s.cfg.Store.TransitionOrder(ctx, rec.ID, []OrderState{OrderPosting},
		OrderTransition{To: OrderReceived, Now: now, NextAttemptAt: &now}); err != nil {
		s.log.WarnContext(ctx, "releasing an order from a batch failed; it is rescued", "order_id", rec.ID, "error", err)
	}
}

// settled is how one order of a batch ended: err is what its job is told.
type settled struct {
	rec OrderRecord
	err error
}

// settleBatch settles each order of a batch by Tally's answer (out, err):
// all committed, each posted; otherwise by reading Tally back (settleByReadBack).
// A batch that never reached Tally is retried as any attempt is.
func (s *Service) settleBatch(ctx context.Context, company string, ready []batchMember, out ImportOutcome, postErr error, q QueueConfig) []settled {
	var done []settled
	switch {
	case postErr == nil:
		for i, m := range ready {
			res := m.res
			// Counters are the request's: whether this voucher replaced
			// one is known from the order (an amendment).
			res.Outcome, res.Replaced = batchOutcome(out, i == len(ready)-1), m.job.amended
			done = append(done, settled{m.rec, s.postedMember(ctx, m, res)})
		}
		return done
	case KindOf(postErr) == Invalid:
		// Refused before it was sent (a voucher the envelope cannot
		// carry): each order is sent alone, so only that one is refused.
		for _, m := range ready {
			start := time.Now()
			out, err := s.gw.PostVoucher(ctx, company, m.voucher)
			s.recordImport(ctx, m.rec, m.job.target(), "vouchers", m.res.Party, out, err, time.Since(start))
			res, err := postedOrder(m.res, out, err)
			if err != nil {
				done = append(done, settled{m.rec, s.settleFailure(ctx, m.rec, q, err)})
				continue
			}
			done = append(done, settled{m.rec, s.postedMember(ctx, m, res)})
		}
		return done
	case KindOf(postErr) == Unavailable && !isAmbiguous(postErr):
		// Never sent (refused, busy): nothing landed.
		for _, m := range ready {
			done = append(done, settled{m.rec, s.retryOrder(ctx, m.rec, q, postErr)})
		}
		return done
	}
	return s.settleByReadBack(ctx, company, ready, out, postErr, q)
}

// settleByReadBack reads the batch's dates back from Tally: an order whose
// voucher is there is posted; one whose voucher is not was refused, when
// Tally answered (rejected with Tally's text: the batch's LINEERRORs in
// order, one each, when there are as many as refused vouchers, else all of
// them), or was not committed, when the answer was lost (due again at once,
// now that the read-back says it is safe to send). When the read-back
// fails, each order keeps the batch's unknown outcome and reads back alone.
func (s *Service) settleByReadBack(ctx context.Context, company string, ready []batchMember, out ImportOutcome, postErr error, q QueueConfig) []settled {
	var done []settled
	from, to := ready[0].voucher.Date, ready[0].voucher.Date
	for _, m := range ready {
		from, to = minTime(from, m.voucher.Date), maxTime(to, m.voucher.Date)
	}
	vs, err := s.gw.Vouchers(ctx, company, from, to)
	if err != nil {
		cause := postErr
		if !isAmbiguous(postErr) {
			cause = &Error{Kind: Unavailable, Code: "tally_outcome_unknown", Err: err,
				Message: "Tally refused part of a batch and could not be read back; the order is read back before it is sent again"}
		}
		for _, m := range ready {
			done = append(done, settled{m.rec, s.retryOrder(ctx, m.rec, q, cause)})
		}
		return done
	}
	var refused []batchMember
	for _, m := range ready {
		v, found := m.job.target().find(vs)
		if found {
			res := m.res
			res.Outcome, res.Replaced = ImportOutcome{LastVoucherID: v.MasterID}, m.job.amended
			done = append(done, settled{m.rec, s.postedMember(ctx, m, res)})
			continue
		}
		refused = append(refused, m)
	}
	if isAmbiguous(postErr) {
		now := s.cfg.Now()
		for _, m := range refused {
			_, err := s.cfg.Store.TransitionOrder(ctx, m.rec.ID, []OrderState{OrderPosting},
				OrderTransition{To: OrderReceived, Now: now, NextAttemptAt: &now})
			if err == nil {
				err = &RetryLater{Err: postErr}
			}
			done = append(done, settled{m.rec, err})
		}
		return done
	}
	texts := out.LineErrors
	for i, m := range refused {
		msg := strings.Join(texts, "; ")
		if len(texts) == len(refused) {
			msg = texts[i]
		}
		if msg == "" {
			msg = "Tally did not commit the voucher (no reason given)"
		}
		rej := &Error{Kind: Upstream, Code: "tally_rejected", Message: msg, Err: postErr}
		done = append(done, settled{m.rec, s.finish(ctx, m.rec, OrderRejected, nil, rej)})
	}
	return done
}

// batchOutcome is what one order of a committed batch keeps of Tally's
// answer: the request's counters (the audit log has them per order too),
// and LASTVCHID only for the last voucher, which it names.
func batchOutcome(out ImportOutcome, last bool) ImportOutcome {
	if !last {
		out.LastVoucherID = 0
	}
	return out
}

// postedMember records a batch's order as posted and runs its notification.
func (s *Service) postedMember(ctx context.Context, m batchMember, res OrderResult) error {
	if err := s.finish(ctx, m.rec, OrderPosted, res, nil); err != nil {
		return err
	}
	m.job.posted(ctx, res)
	return nil
}

// isAmbiguous reports whether err left a write's fate unknown.
func isAmbiguous(err error) bool {
	_, code := errorText(err)
	return code == "tally_outcome_unknown"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
