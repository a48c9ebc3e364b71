package service

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"
)

// Reads from the mirror. Every read first makes sure the mirror is fresh
// (fresh): when the last probe of Tally's counters is younger than
// Freshness it answers at once; otherwise one probe (and the sync it
// starts) serves every concurrent reader. When Tally cannot answer within
// StaleAfter, the read answers from the mirror marked stale, as of the last
// sync. Only a company the mirror never loaded is read live from Tally.
//
// The business rules are the live service's own: b.read is a Service over
// mirrorGateway, which answers its gateway reads from the store, so party
// groups, receivables and reminders are computed by the same code either way.

// fresh makes sure the mirror of company is fresh enough to read, or says
// why it is stale. errNotLoaded: the company was never loaded.
func (b *Books) fresh(ctx context.Context, company string, force bool) (Freshness, error) {
	key := NameKey(company)
	now := b.svc.cfg.Now()
	b.mu.Lock()
	st, known := b.known[key]
	force = force || b.dirty[key] > 0
	b.mu.Unlock()
	if known && st.Loaded && !force && st.LastError == "" && now.Sub(st.LastProbe) < b.cfg.Freshness {
		return Freshness{AsOf: st.LastSync}, nil
	}
	fkey := key
	if force {
		fkey += "\x00force"
	}
	ch := b.flight.DoChan(fkey, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.SyncTimeout)
		defer cancel()
		return b.syncOnce(ctx, company, force)
	})
	wait := b.cfg.StaleAfter
	if known && st.Loaded && st.LastError != "" && !force {
		// The last probe failed: Tally is off or hung. Answer from the
		// mirror at once; the probe just started tells the next reader.
		wait = 0
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.Err == nil {
			st, _ := r.Val.(SyncState)
			if !st.Loaded {
				return Freshness{}, errNotLoaded
			}
			return Freshness{AsOf: st.LastSync}, nil
		}
	case <-timer.C:
	case <-ctx.Done():
		return Freshness{}, ctx.Err()
	}
	if !known {
		var err error
		if st, err = b.st.SyncState(ctx, company); err != nil {
			if KindOf(err) == NotFound {
				return Freshness{}, errNotLoaded
			}
			return Freshness{}, err
		}
	}
	if !st.Loaded {
		return Freshness{}, errNotLoaded
	}
	return Freshness{AsOf: st.LastSync, Stale: true}, nil
}

// readWith answers fn from the mirror (b.read) when it holds company, else
// live from Tally (b.svc), with how fresh the answer is.
func readWith[T any](ctx context.Context, b *Books, company string, force bool, fn func(*Service, string) (T, error)) (T, Freshness, error) {
	company = b.svc.company(company)
	f, err := b.fresh(ctx, company, force)
	switch {
	case errors.Is(err, errNotLoaded):
		v, err := fn(b.svc, company)
		return v, Freshness{Live: true, AsOf: b.svc.cfg.Now()}, err
	case err != nil:
		var zero T
		return zero, f, err
	}
	v, err := fn(b.read, company)
	return v, f, err
}

// PartyBalance is Service.PartyBalance from the mirror. A stale balance is
// as of the last sync.
func (b *Books) PartyBalance(ctx context.Context, company, name string, force bool) (PartyBalance, Freshness, error) {
	pb, f, err := readWith(ctx, b, company, force, func(s *Service, company string) (PartyBalance, error) {
		return s.PartyBalance(ctx, company, name)
	})
	if err == nil && f.Stale {
		pb.AsOf = f.AsOf.In(b.svc.cfg.Location)
	}
	return pb, f, err
}

// GetParty is Service.GetParty from the mirror.
func (b *Books) GetParty(ctx context.Context, company, name string, force bool) (Party, Freshness, error) {
	return readWith(ctx, b, company, force, func(s *Service, company string) (Party, error) {
		return s.GetParty(ctx, company, name)
	})
}

// Reminders is Service.Reminders from the mirror.
func (b *Books) Reminders(ctx context.Context, q ReminderQuery, force bool) ([]Reminder, Freshness, error) {
	return readWith(ctx, b, q.Company, force, func(s *Service, company string) ([]Reminder, error) {
		q.Company = company
		return s.Reminders(ctx, q)
	})
}

// checkPartyQuery fills in a party query's defaults (the configured group
// and company, DefaultPageSize a page) and checks it: limit 1..MaxPageSize,
// offset not negative, a party group or a sub-group of one.
func (s *Service) checkPartyQuery(ctx context.Context, q *PartyQuery) error {
	if q.Group == "" {
		q.Group = s.cfg.PartyGroup
	}
	if err := ValidateName("group", q.Group); err != nil {
		return err
	}
	if q.Limit > MaxPageSize || q.Offset < 0 {
		return Errorf(Invalid, "invalid_page", "limit must be 1..%d and offset not negative", MaxPageSize)
	}
	q.Limit = PageLimit(q.Limit)
	q.Company = s.company(q.Company)
	return s.checkPartyGroup(ctx, q.Company, q.Group)
}

// PartyKeysetPage is one page of parties by keyset: Next is the cursor of
// the following page, "" on the last.
type PartyKeysetPage struct {
	PartyPage
	Next string
}

// ListParties lists parties from the mirror. With Offset 0 it pages by
// keyset (after is the cursor the previous page gave), so every page costs
// one indexed query whatever its number; an Offset pages as
// Service.ListParties does.
func (b *Books) ListParties(ctx context.Context, q PartyQuery, after string, force bool) (PartyKeysetPage, Freshness, error) {
	return readWith(ctx, b, q.Company, force, func(s *Service, company string) (PartyKeysetPage, error) {
		q.Company = company
		if s == b.svc || q.Offset > 0 {
			page, err := s.ListParties(ctx, q)
			return PartyKeysetPage{PartyPage: page}, err
		}
		return b.partiesKeyset(ctx, q, after)
	})
}

func (b *Books) partiesKeyset(ctx context.Context, q PartyQuery, after string) (PartyKeysetPage, error) {
	if err := b.read.checkPartyQuery(ctx, &q); err != nil {
		return PartyKeysetPage{}, err
	}
	groups, err := b.subtree(ctx, q.Company, q.Group)
	if err != nil {
		return PartyKeysetPage{}, err
	}
	rows, total, err := b.st.MirrorParties(ctx, MirrorPartyQuery{Company: q.Company, Groups: groups,
		Search: strings.ToLower(strings.TrimSpace(q.Search)), After: after, Limit: q.Limit})
	if err != nil {
		return PartyKeysetPage{}, err
	}
	out := PartyKeysetPage{PartyPage: PartyPage{Total: total, Limit: q.Limit, Parties: make([]Party, 0, len(rows))}}
	for _, r := range rows {
		out.Parties = append(out.Parties, r.party())
	}
	if len(rows) == q.Limit {
		out.Next = NameKey(rows[len(rows)-1].Name)
	}
	return out, nil
}

// ReceivablesPage is one page of receivables by party keyset; Next is the
// cursor of the following page, "" on the last. The totals are over every
// page.
type ReceivablesPage struct {
	Receivables
	Next string
}

// Receivables answers Service.Receivables from the mirror, a page of
// parties at a time (limit parties after the cursor after; limit 0 is every
// party). A date before today is read live from Tally: the mirror holds
// today's bills only.
func (b *Books) Receivables(ctx context.Context, q ReceivablesQuery, after string, limit int, force bool) (ReceivablesPage, Freshness, error) {
	today := b.svc.Today()
	if !q.AsOf.IsZero() && q.AsOf.Before(today) {
		rec, err := b.svc.Receivables(ctx, q)
		return ReceivablesPage{Receivables: rec}, Freshness{Live: true, AsOf: b.svc.cfg.Now()}, err
	}
	return readWith(ctx, b, q.Company, force, func(s *Service, company string) (ReceivablesPage, error) {
		q.Company = company
		if s == b.svc {
			rec, err := s.Receivables(ctx, q)
			return ReceivablesPage{Receivables: rec}, err
		}
		return b.receivablesPage(ctx, q, after, limit)
	})
}

func (b *Books) receivablesPage(ctx context.Context, q ReceivablesQuery, after string, limit int) (ReceivablesPage, error) {
	if q.AsOf.IsZero() {
		q.AsOf = b.svc.Today()
	}
	if q.Ageing != nil {
		if err := CheckAgeing(q.Ageing); err != nil {
			return ReceivablesPage{}, err
		}
	}
	return b.billsPage(ctx, q, ReceivableSide, after, limit)
}

// billsPage reads a page of the outstanding bills of side from the mirror,
// as of q.AsOf. Amounts are positive when owed the usual way round: by the
// party for ReceivableSide and AnySide, by us for PayableSide.
func (b *Books) billsPage(ctx context.Context, q ReceivablesQuery, side BillSide, after string, limit int) (ReceivablesPage, error) {
	mq := MirrorBillQuery{Company: q.Company, Side: side, MinOwed: q.MinAmount, After: after, Limit: limit, Ageing: q.Ageing}
	if q.OverdueOnly {
		mq.DueBefore = q.AsOf
	}
	if q.Party != "" {
		// Receivables of a ledger that is not a party are none (the party rule).
		switch _, err := b.read.readParty(ctx, q.Company, q.Party); {
		case KindOf(err) == NotFound:
			out := Receivables{AsOf: q.AsOf, Parties: []PartyReceivables{}}
			agePage(&out, q.Ageing)
			return ReceivablesPage{Receivables: out}, nil
		case err != nil:
			return ReceivablesPage{}, err
		}
		mq.Party = NameKey(q.Party)
	}
	b.mu.Lock()
	st := b.known[NameKey(q.Company)]
	tk := totalsKey{company: NameKey(q.Company), party: mq.Party, side: side, ageing: ageingKey(q.Ageing),
		dueBefore: mq.DueBefore, asOf: q.AsOf, minOwed: mq.MinOwed,
		masters: st.Masters, vouchers: st.Vouchers, change: st.LastChange, reconcile: st.LastReconcile}
	cached, hit := b.totals[tk]
	b.mu.Unlock()
	mq.NoTotals = hit
	rows, tot, err := b.st.MirrorBills(ctx, mq, q.AsOf)
	if err != nil {
		return ReceivablesPage{}, err
	}
	if hit {
		tot = cached
	} else {
		b.mu.Lock()
		b.totals[tk] = tot
		b.mu.Unlock()
	}
	// Amounts owed the usual way round are positive: Tally's sign flipped
	// for what parties owe us.
	sign := Paise(-1)
	if side == PayableSide {
		sign = 1
	}
	out := ReceivablesPage{Receivables: Receivables{AsOf: q.AsOf, Parties: []PartyReceivables{},
		Total: sign * tot.Total, OverdueTotal: sign * tot.OverdueTotal, Bills: tot.Bills}}
	if q.Ageing != nil {
		out.Ageing = make([]AgeingBucket, len(tot.Ageing))
		for i, a := range tot.Ageing {
			a.Amount *= sign
			out.Ageing[i] = a
		}
	}
	for _, r := range rows {
		rec := Receivable{Party: r.Party, Ref: r.Ref, Date: r.Date, Due: r.Due, Amount: sign * r.Pending}
		due := r.Due
		if due.IsZero() {
			due = r.Date
		}
		if d := daysBetween(due, q.AsOf); d > 0 {
			rec.OverdueDays = d
		}
		n := len(out.Parties)
		if n == 0 || NameKey(out.Parties[n-1].Party) != r.Key {
			out.Parties = append(out.Parties, PartyReceivables{Party: r.Party})
			n++
		}
		pr := &out.Parties[n-1]
		pr.Bills = append(pr.Bills, rec)
		pr.Total += rec.Amount
		if rec.OverdueDays > 0 {
			pr.Overdue += rec.Amount
		}
	}
	agePage(&out.Receivables, q.Ageing)
	if limit > 0 && len(out.Parties) == limit {
		out.Next = NameKey(out.Parties[limit-1].Party)
	}
	return out, nil
}

// PartiesByMobile finds the parties whose mobile, read as E.164, is the
// number given in any common form (all the ways people type numbers,
// phone.go). Only ledgers under the party groups count. It is the one
// lookup by mobile: the parties of a number, the balance by mobile and the
// WhatsApp order's party (Service.partiesByMobile) all use it.
func (b *Books) PartiesByMobile(ctx context.Context, company, mobile string, force bool) ([]Party, Freshness, error) {
	m := NormalizeMobile(mobile)
	if !m.Valid {
		return nil, Freshness{}, &Error{Kind: Invalid, Code: "invalid_mobile",
			Message: "the mobile " + quote(mobile) + " is not a usable mobile number (" + m.Reason + ")"}
	}
	return readWith(ctx, b, company, force, func(s *Service, company string) ([]Party, error) {
		if s == b.svc {
			return s.livePartiesByMobile(ctx, company, m.E164)
		}
		rows, err := b.st.MirrorPartiesByMobile(ctx, company, m.E164)
		if err != nil {
			return nil, err
		}
		candidates := make([]Party, len(rows))
		for i, r := range rows {
			candidates[i] = r.party()
		}
		return s.partiesWithMobile(ctx, company, m.E164, candidates)
	})
}

// BalanceByMobile is the balance of the one party whose mobile is the
// number given (PartyByMobile).
func (b *Books) BalanceByMobile(ctx context.Context, company, mobile string, force bool) (PartyBalance, Freshness, error) {
	p, f, err := b.PartyByMobile(ctx, company, mobile, force)
	if err != nil {
		return PartyBalance{}, f, err
	}
	asOf := b.svc.Today()
	if f.Stale {
		asOf = f.AsOf.In(b.svc.cfg.Location)
	}
	return PartyBalance{Party: p, Balance: p.Closing, Known: p.ClosingKnown, AsOf: asOf}, f, nil
}

// PartyByMobile is the one party whose mobile is the number given: none is
// NotFound party_not_found, several are Conflict ambiguous_party_mobile
// with their names as Subject ([]string), because answering for either
// would be a guess.
func (b *Books) PartyByMobile(ctx context.Context, company, mobile string, force bool) (Party, Freshness, error) {
	parties, f, err := b.PartiesByMobile(ctx, company, mobile, force)
	if err != nil {
		return Party{}, f, err
	}
	switch len(parties) {
	case 0:
		return Party{}, f, &Error{Kind: NotFound, Code: "party_not_found",
			Message: "no party has the mobile " + quote(mobile)}
	case 1:
		return parties[0], f, nil
	}
	names := make([]string, len(parties))
	for i, p := range parties {
		names[i] = p.Name
	}
	return Party{}, f, &Error{Kind: Conflict, Code: "ambiguous_party_mobile",
		Message: "the mobile " + quote(mobile) + " belongs to several parties: " + strings.Join(names, ", "),
		Hint:    "Keep the number on one ledger in Tally, or ask by the party's name.", Subject: names}
}

// SyncStatus is what GET /sync shows of one company's mirror.
type SyncStatus struct {
	State  SyncState
	Counts MirrorCounts
	// Lag is how long ago the mirror was last known to equal Tally.
	Lag       time.Duration
	Freshness time.Duration
}

// Status reports the mirror of company, without asking Tally.
func (b *Books) Status(ctx context.Context, company string) (SyncStatus, error) {
	company = b.svc.company(company)
	out := SyncStatus{Freshness: b.cfg.Freshness}
	st, err := b.st.SyncState(ctx, company)
	switch {
	case KindOf(err) == NotFound:
		out.State = SyncState{Company: company}
		return out, nil
	case err != nil:
		return out, err
	}
	out.State = st
	if !st.LastSync.IsZero() {
		out.Lag = b.svc.cfg.Now().Sub(st.LastSync)
	}
	out.Counts, err = b.st.MirrorCounts(ctx, company)
	return out, err
}

// Changed tells the mirror that the façade wrote to company in Tally and
// Tally confirmed it: the next read probes, and a sync starts now, so the
// write shows in reads as soon as that sync ends.
func (b *Books) Changed(company string) {
	company = b.svc.company(company)
	b.mu.Lock()
	b.dirty[NameKey(company)]++
	b.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), b.cfg.SyncTimeout)
		defer cancel()
		if _, err := b.Sync(ctx, company); err != nil {
			b.log.Warn("mirror: sync after a write failed", "company", company, "err", err)
		}
	}()
}

// mirrorTree is a company's groups from the mirror: each group's parent, by
// key.
type mirrorTree struct {
	parent map[string]string
	name   map[string]string
}

func (b *Books) tree(ctx context.Context, company string) (mirrorTree, error) {
	key := NameKey(company)
	b.mu.Lock()
	t, ok := b.trees[key]
	b.mu.Unlock()
	if ok {
		return t, nil
	}
	groups, err := b.st.MirrorGroups(ctx, company)
	if err != nil {
		return mirrorTree{}, err
	}
	t = mirrorTree{parent: map[string]string{}, name: map[string]string{}}
	for _, g := range groups {
		t.parent[NameKey(g.Name)] = NameKey(g.Parent)
		t.name[NameKey(g.Name)] = g.Name
	}
	b.mu.Lock()
	b.trees[key] = t
	b.mu.Unlock()
	return t, nil
}

// subtree lists group and every group below it, by name.
func (b *Books) subtree(ctx context.Context, company, group string) ([]string, error) {
	t, err := b.tree(ctx, company)
	if err != nil {
		return nil, err
	}
	root := NameKey(group)
	out := []string{group}
	for k, name := range t.name {
		if k == root {
			continue
		}
		for p, i := t.parent[k], 0; p != "" && i < 64; p, i = t.parent[p], i+1 {
			if p == root {
				out = append(out, name)
				break
			}
		}
	}
	return out, nil
}

// allParties lists the ledgers of group and its sub-groups from the mirror.
func (b *Books) allParties(ctx context.Context, company, group string) ([]MirrorPartyRow, error) {
	groups, err := b.subtree(ctx, company, group)
	if err != nil {
		return nil, err
	}
	rows, _, err := b.st.MirrorParties(ctx, MirrorPartyQuery{Company: company, Groups: groups, Limit: math.MaxInt32})
	return rows, err
}

func (r MirrorPartyRow) party() Party {
	return Party{Name: r.Name, Group: r.Parent, Mobile: r.Mobile, Email: r.Email, Address: r.Address, State: r.State,
		Country: r.Country, Pincode: r.Pincode, GSTIN: r.GSTIN, GSTRegistrationType: r.GSTRegistrationType,
		BillWise: r.BillWise, CreditPeriod: r.CreditPeriod, Closing: NewBalance(r.Closing), ClosingKnown: true}
}

// mirrorGateway is the Gateway b.read runs on: reads from the mirror,
// writes and what the mirror does not hold (trial balance, ledger names for
// creating parties, read-backs) from Tally.
type mirrorGateway struct {
	b    *Books
	live Gateway
}

func (g mirrorGateway) Status(ctx context.Context) (TallyStatus, error) { return g.live.Status(ctx) }

// Companies answers the companies the mirror holds, so "is it loaded?"
// needs no Tally while Tally is off.
func (g mirrorGateway) Companies(ctx context.Context) ([]Company, error) {
	g.b.mu.Lock()
	defer g.b.mu.Unlock()
	var out []Company
	for _, st := range g.b.known {
		if st.Loaded {
			out = append(out, Company{Name: st.Company, GUID: st.GUID})
		}
	}
	return out, nil
}

func (g mirrorGateway) Parties(ctx context.Context, company, group string) ([]Party, error) {
	rows, err := g.b.allParties(ctx, company, group)
	if err != nil {
		return nil, err
	}
	out := make([]Party, len(rows))
	for i, r := range rows {
		out[i] = r.party()
	}
	return out, nil
}

func (g mirrorGateway) Party(ctx context.Context, company, name string) (Party, error) {
	l, closing, err := g.b.st.MirrorLedger(ctx, company, NameKey(name))
	if KindOf(err) == NotFound {
		return Party{}, &Error{Kind: NotFound, Code: "party_not_found",
			Message: "party " + quote(name) + " does not exist in company " + quote(company)}
	}
	if err != nil {
		return Party{}, err
	}
	return MirrorPartyRow{MirrorLedger: l, Closing: closing}.party(), nil
}

func (g mirrorGateway) Groups(ctx context.Context, company string) ([]Master, error) {
	groups, err := g.b.st.MirrorGroups(ctx, company)
	if err != nil {
		return nil, err
	}
	out := make([]Master, len(groups))
	for i, gr := range groups {
		out[i] = Master{Name: gr.Name, Parent: gr.Parent}
	}
	return out, nil
}

func (g mirrorGateway) LedgerNames(ctx context.Context, company string) ([]Master, error) {
	return g.live.LedgerNames(ctx, company)
}

func (g mirrorGateway) Ledgers(ctx context.Context, company string, names []string) (map[string]Party, error) {
	out := map[string]Party{}
	for _, n := range names {
		p, err := g.Party(ctx, company, n)
		switch {
		case KindOf(err) == NotFound:
			continue
		case err != nil:
			return nil, err
		}
		out[n] = p
	}
	return out, nil
}

// Receivables answers today's bills from the mirror; an earlier date is
// Tally's to answer.
func (g mirrorGateway) Receivables(ctx context.Context, company string, asOf time.Time) ([]Bill, error) {
	if !asOf.IsZero() && asOf.Before(g.b.svc.Today()) {
		return g.live.Receivables(ctx, company, asOf)
	}
	rows, _, err := g.b.st.MirrorBills(ctx, MirrorBillQuery{Company: company}, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]Bill, len(rows))
	for i, r := range rows {
		out[i] = Bill{Party: r.Party, Ref: r.Ref, Date: r.Date, Due: r.Due, Pending: NewBalance(r.Pending)}
	}
	return out, nil
}

func (g mirrorGateway) TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) ([]TrialBalanceRow, error) {
	return g.live.TrialBalance(ctx, company, asOf, ledgerWise)
}

func (g mirrorGateway) CreateParty(ctx context.Context, company string, p NewParty) (ImportOutcome, error) {
	return g.live.CreateParty(ctx, company, p)
}

func (g mirrorGateway) PostVoucher(ctx context.Context, company string, v Voucher) (ImportOutcome, error) {
	return g.live.PostVoucher(ctx, company, v)
}

func (g mirrorGateway) CancelVoucher(ctx context.Context, company string, v VoucherRef) (ImportOutcome, error) {
	return g.live.CancelVoucher(ctx, company, v)
}

// StockItems are read live: the mirror does not hold stock items (items.go,
// Books.ListItems).
func (g mirrorGateway) StockItems(ctx context.Context, company string) ([]StockItem, error) {
	return g.live.StockItems(ctx, company)
}

func (g mirrorGateway) Vouchers(ctx context.Context, company string, from, to time.Time) ([]VoucherSummary, error) {
	return g.live.Vouchers(ctx, company, from, to)
}

// NotifyWrites wraps gw so that every write Tally confirms calls changed
// with the company written to (Books.Changed keeps the mirror current).
func NotifyWrites(gw Gateway, changed func(company string)) Gateway {
	w := writeNotifier{Gateway: gw, changed: changed}
	if b, ok := gw.(voucherBatcher); ok {
		// Keep the batch import visible to the posting pipeline (batch.go
		// asks the gateway for it).
		return batchNotifier{writeNotifier: w, batcher: b}
	}
	return w
}

type batchNotifier struct {
	writeNotifier
	batcher voucherBatcher
}

func (w batchNotifier) PostVouchers(ctx context.Context, company string, vs []Voucher) (ImportOutcome, error) {
	out, err := w.batcher.PostVouchers(ctx, company, vs)
	if err == nil || out.Created+out.Altered > 0 {
		w.changed(company)
	}
	return out, err
}

func (w batchNotifier) CreateParties(ctx context.Context, company string, ps []NewParty) (ImportOutcome, error) {
	out, err := w.batcher.CreateParties(ctx, company, ps)
	if err == nil || out.Created+out.Altered > 0 {
		w.changed(company)
	}
	return out, err
}

type writeNotifier struct {
	Gateway
	changed func(company string)
}

func (w writeNotifier) CreateParty(ctx context.Context, company string, p NewParty) (ImportOutcome, error) {
	out, err := w.Gateway.CreateParty(ctx, company, p)
	if err == nil {
		w.changed(company)
	}
	return out, err
}

func (w writeNotifier) CancelVoucher(ctx context.Context, company string, v VoucherRef) (ImportOutcome, error) {
	out, err := w.Gateway.CancelVoucher(ctx, company, v)
	if err == nil {
		w.changed(company)
	}
	return out, err
}

func (w writeNotifier) PostVoucher(ctx context.Context, company string, v Voucher) (ImportOutcome, error) {
	out, err := w.Gateway.PostVoucher(ctx, company, v)
	if err == nil {
		w.changed(company)
	}
	return out, err
}
