package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// BooksConfig tunes the mirror of Tally's books.
type BooksConfig struct {
	// Freshness is how old the last probe of Tally's change counters may be
	// before a read probes again. Default 10s.
	Freshness time.Duration
	// StaleAfter is how long a read waits for a probe (and the sync it
	// starts) before it answers from the mirror marked stale: a hung Tally
	// (a modal dialog on the Tally PC, tally-protocol.md §9.1.4) must not
	// hold a chatbot past its budget. Default 800ms.
	StaleAfter time.Duration
	// SyncTimeout bounds one sync run (probe, fetches, writes), and each
	// step of an initial load (the masters, one date window of vouchers,
	// the balances): the whole load of a large book may take longer, and
	// goes on while Tally answers each step in time. Default 10m: an
	// initial load of a large book takes minutes (§2.3 #15).
	SyncTimeout time.Duration
	// BatchSize is the number of vouchers the initial load aims at per
	// request: tally-database-loader defaults to 5,000 and warns that above
	// 10,000 Tally can stall (§2.1, §2.4). Default 5000.
	BatchSize int
	// ReconcileEvery is how often the ids in Tally are diffed against the
	// mirror's, to find deletions (the counters do not reveal them, §2.1).
	// Default 15m.
	ReconcileEvery time.Duration
	// CheckEvery is how often the mirror's balances and bills are compared
	// with Tally's own closing balances and Bills Receivable. Default 1h.
	CheckEvery time.Duration
	// Observe, when set, is told of every sync run (for metrics).
	Observe func(SyncRun)
	// Watch, when set, is told of each batch of vouchers an incremental
	// sync is about to write (invoice confirmations, confirm.go).
	Watch VoucherWatcher
}

// SyncRun is one sync run, for metrics.
type SyncRun struct {
	Company  string
	Kind     string // "initial", "incremental", "probe", "reconcile", "check"
	Duration time.Duration
	Err      error
	// Lag is how old the mirror is after the run: now minus its last sync.
	Lag time.Duration
}

func (c BooksConfig) withDefaults() BooksConfig {
	if c.Freshness <= 0 {
		c.Freshness = 10 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 800 * time.Millisecond
	}
	if c.SyncTimeout <= 0 {
		c.SyncTimeout = 10 * time.Minute
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.ReconcileEvery <= 0 {
		c.ReconcileEvery = 15 * time.Minute
	}
	if c.CheckEvery <= 0 {
		c.CheckEvery = time.Hour
	}
	return c
}

// Books is the mirror of Tally's books: it syncs the store from Tally
// (this file) and answers reads from the store (books.go). It is safe for
// concurrent use; one process may serve many readers, and several replicas
// share the store (the sync lock keeps one syncer per company).
type Books struct {
	svc  *Service // the live service: its configuration, clock and gateway
	bgw  BooksGateway
	st   BooksStore
	cfg  BooksConfig
	log  *slog.Logger
	read *Service // the same rules over the mirror (mirrorGateway)

	flight singleflight.Group
	// runs serialises this process's sync runs per company (a forced run
	// waits for the one in flight instead of skipping it); the store's
	// sync lock does the same across replicas.
	runs sync.Map // company key → *sync.Mutex

	mu    sync.Mutex
	known map[string]SyncState // company key → the last state seen
	trees map[string]mirrorTree
	// dirty counts writes through the façade per company; it is cleared by
	// a forced sync that began after the last of them, so until then every
	// read probes first and sees the write.
	dirty map[string]int
	// totals caches receivables totals per query and books version, so a
	// page after the first costs its own rows only.
	totals map[totalsKey]BillTotals
	// items are the stock item lists, read through Tally (items.go).
	items itemCaches
}

// totalsKey is a receivables query over one version of a company's books.
type totalsKey struct {
	company, party    string
	side              BillSide
	ageing            string // the ageing bounds (ageingKey)
	dueBefore, asOf   time.Time
	minOwed           Paise
	masters, vouchers int64
	change, reconcile time.Time
}

// NewBooks returns the mirror for svc's companies, synced through bgw into
// st. svc's gateway serves what the mirror cannot (a company never synced,
// dates in the past) and the checks against Tally's own figures. svc finds
// a WhatsApp order's party through the mirror from then on.
func NewBooks(svc *Service, bgw BooksGateway, st BooksStore, cfg BooksConfig) *Books {
	b := &Books{svc: svc, bgw: bgw, st: st, cfg: cfg.withDefaults(), log: svc.log,
		known: map[string]SyncState{}, trees: map[string]mirrorTree{}, dirty: map[string]int{}, totals: map[totalsKey]BillTotals{}}
	b.read = New(mirrorGateway{b: b, live: svc.gw}, svc.cfg)
	// The order pipeline finds a WhatsApp customer's party with the
	// mirror's lookup by mobile (Books.PartiesByMobile).
	svc.mu.Lock()
	svc.books = b
	svc.mu.Unlock()
	return b
}

// Freshness is how current a read from the mirror is.
type Freshness struct {
	// AsOf is when the mirror was last known to equal Tally.
	AsOf time.Time
	// Stale is set when Tally could not be asked just now (unreachable,
	// hung, busy): the answer is the mirror as of AsOf.
	Stale bool
	// Live is set when the answer came from Tally itself, because the
	// mirror has never synced this company.
	Live bool
}

// errNotLoaded says the mirror holds nothing for a company yet.
var errNotLoaded = errors.New("the mirror has not loaded this company yet")

// Sync brings the mirror of company up to date with Tally now, whatever
// its freshness, and returns the state after it. Concurrent calls for one
// company share one run.
func (b *Books) Sync(ctx context.Context, company string) (SyncState, error) {
	company = b.svc.company(company)
	ch := b.flight.DoChan(NameKey(company)+"\x00force", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.SyncTimeout)
		defer cancel()
		return b.syncOnce(ctx, company, true)
	})
	select {
	case r := <-ch:
		st, _ := r.Val.(SyncState)
		return st, r.Err
	case <-ctx.Done():
		return SyncState{}, ctx.Err()
	}
}

// syncOnce probes Tally's counters and fetches what moved, under the
// company's sync lock. Another replica holding the lock is not an error:
// it is syncing, and its result is in the store.
func (b *Books) syncOnce(ctx context.Context, company string, force bool) (SyncState, error) {
	key := NameKey(company)
	m, _ := b.runs.LoadOrStore(key, &sync.Mutex{})
	run := m.(*sync.Mutex)
	run.Lock()
	defer run.Unlock()
	b.mu.Lock()
	writes := b.dirty[key]
	b.mu.Unlock()
	st, err := b.syncLocked(ctx, company, force)
	if err == nil && writes > 0 {
		b.mu.Lock()
		if b.dirty[key] == writes {
			delete(b.dirty, key)
		}
		b.mu.Unlock()
	}
	return st, err
}

func (b *Books) syncLocked(ctx context.Context, company string, force bool) (SyncState, error) {
	unlock, ok, err := b.st.TrySyncLock(ctx, company)
	if err != nil {
		return SyncState{}, err
	}
	if !ok {
		st, err := b.st.SyncState(ctx, company)
		if KindOf(err) == NotFound {
			return SyncState{Company: company}, nil
		}
		return st, err
	}
	defer unlock()
	start := b.svc.cfg.Now()
	st, err := b.st.SyncState(ctx, company)
	switch {
	case KindOf(err) == NotFound:
		st = SyncState{Company: company}
	case err != nil:
		return SyncState{}, err
	}
	if !force && start.Sub(st.LastProbe) < b.cfg.Freshness && st.Loaded && st.LastError == "" {
		// Another replica probed a moment ago.
		b.remember(company, st)
		return st, nil
	}
	kind, err := b.pull(ctx, company, &st, start)
	end := b.svc.cfg.Now()
	if err != nil {
		st.LastError, st.LastErrorAt = errorSummary(err), end
	} else {
		st.LastError, st.LastErrorAt = "", time.Time{}
	}
	if kind != "probe" {
		st.SyncDuration = end.Sub(start)
	}
	// The run's context may have run out (that may be its error): the
	// state, and the error, are saved all the same.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if serr := b.st.SaveSyncState(sctx, st); serr != nil && err == nil {
		err = serr
	}
	b.remember(company, st)
	b.observe(company, kind, end.Sub(start), err, st)
	return st, err
}

// errorSummary is what /sync shows of a failure: the code and message of a
// service error, never a wrapped internal cause.
func errorSummary(err error) string {
	if se, ok := AsError(err); ok {
		return se.Code + ": " + se.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout: the sync ran out of time"
	}
	return "internal: the sync failed"
}

func (b *Books) observe(company, kind string, d time.Duration, err error, st SyncState) {
	if b.cfg.Observe == nil {
		return
	}
	var lag time.Duration
	if !st.LastSync.IsZero() {
		lag = b.svc.cfg.Now().Sub(st.LastSync)
	}
	b.cfg.Observe(SyncRun{Company: company, Kind: kind, Duration: d, Err: err, Lag: lag})
}

func (b *Books) remember(company string, st SyncState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := NameKey(company)
	if old, ok := b.known[key]; ok && old.Masters != st.Masters {
		delete(b.trees, key) // the group tree may have changed
	}
	for k := range b.totals {
		if k.company == key && (k.vouchers != st.Vouchers || k.masters != st.Masters || !k.change.Equal(st.LastChange) ||
			!k.reconcile.Equal(st.LastReconcile)) {
			delete(b.totals, k) // an older version of the books
		}
	}
	b.known[key] = st
}

// pull probes and fetches; st is updated in place. kind says what ran.
func (b *Books) pull(ctx context.Context, company string, st *SyncState, now time.Time) (kind string, err error) {
	ids, err := b.bgw.AlterIDs(ctx, company)
	if err != nil {
		return "probe", err
	}
	if st.Loaded && st.GUID != "" && ids.GUID != "" && ids.GUID != st.GUID {
		// Another company now answers to this name (restored, recreated):
		// nothing the mirror holds is its.
		b.log.Warn("mirror: the company's GUID changed; loading it again", "company", company)
		if err := b.st.ResetBooks(ctx, company); err != nil {
			return "initial", err
		}
		*st = SyncState{Company: company}
	}
	st.GUID = ids.GUID
	if !st.Loaded {
		if err := b.initialLoad(ctx, company, ids); err != nil {
			return "initial", err
		}
		st.Loaded, st.Masters, st.Vouchers = true, ids.Masters, ids.Vouchers
		st.LastProbe, st.LastSync, st.LastChange = now, now, now
		return "initial", nil
	}
	kind = "probe"
	if ids.Masters > st.Masters {
		kind = "incremental"
		if err := b.pullMasters(ctx, company, st.Masters); err != nil {
			return kind, err
		}
		st.Masters = ids.Masters
	}
	if ids.Vouchers > st.Vouchers {
		kind = "incremental"
		if err := b.pullVouchers(ctx, company, VoucherRange{AfterAlterID: st.Vouchers}, true); err != nil {
			return kind, err
		}
		st.Vouchers = ids.Vouchers
	}
	st.LastProbe, st.LastSync = now, now
	if kind == "incremental" {
		st.LastChange = now
	}
	return kind, nil
}

// masterBatch bounds how many masters are written per transaction.
const masterBatch = 1000

// pullMasters fetches the groups and ledgers altered after AlterID after.
func (b *Books) pullMasters(ctx context.Context, company string, after int64) error {
	var groups []MirrorGroup
	if err := b.bgw.GroupsSince(ctx, company, after, func(g MirrorGroup) error {
		groups = append(groups, g)
		return nil
	}); err != nil {
		return err
	}
	if err := b.st.ApplyMasters(ctx, company, groups, nil, nil, nil); err != nil {
		return err
	}
	var ledgers []MirrorLedger
	err := b.bgw.LedgersSince(ctx, company, after, func(l MirrorLedger) error {
		ledgers = append(ledgers, l)
		if len(ledgers) < masterBatch {
			return nil
		}
		err := b.st.ApplyMasters(ctx, company, nil, ledgers, nil, nil)
		ledgers = ledgers[:0]
		return err
	})
	if err != nil {
		return err
	}
	return b.st.ApplyMasters(ctx, company, nil, ledgers, nil, nil)
}

// pullVouchers fetches the vouchers of r, written BatchSize at a time as
// they are decoded, so memory holds one batch whatever the book's size,
// each batch's balances and bills recomputed. With watch, BooksConfig.Watch
// sees each batch before it is written (new vouchers after the first load).
func (b *Books) pullVouchers(ctx context.Context, company string, r VoucherRange, watch bool) error {
	_, err := b.pullVoucherCount(ctx, company, r, true, watch)
	return err
}

// pullVoucherCount is pullVouchers returning how many it read.
func (b *Books) pullVoucherCount(ctx context.Context, company string, r VoucherRange, recompute, watch bool) (int, error) {
	n := 0
	batch := make([]MirrorVoucher, 0, min(b.cfg.BatchSize, 1024))
	apply := func() error {
		if watch && b.cfg.Watch != nil && len(batch) > 0 {
			if err := b.cfg.Watch.Appearing(ctx, company, batch); err != nil {
				return err
			}
		}
		return b.st.ApplyVouchers(ctx, company, batch, nil, recompute)
	}
	err := b.bgw.VouchersIn(ctx, company, r, func(v MirrorVoucher) error {
		n++
		batch = append(batch, v)
		if len(batch) < b.cfg.BatchSize {
			return nil
		}
		err := apply()
		clear(batch)
		batch = batch[:0]
		return err
	})
	if err != nil {
		return n, err
	}
	return n, apply()
}

// initialLoad reads the whole book: every master, then the vouchers in
// date windows from the books' first day, sized to about BatchSize
// vouchers a request (a very large request can stall Tally, §2.3 #44/#49),
// then the balances and bills once. The window adapts to what the last one
// held: halved toward BatchSize when it held more, doubled when it held
// under half. The last window is open-ended, for vouchers dated ahead.
func (b *Books) initialLoad(ctx context.Context, company string, ids AlterIDs) error {
	// The run's deadline would cut a load of a million vouchers short, and
	// the next run would start it again from nothing: each step gets
	// SyncTimeout of its own instead.
	ctx = context.WithoutCancel(ctx)
	step := func(fn func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(ctx, b.cfg.SyncTimeout)
		defer cancel()
		return fn(ctx)
	}
	if err := step(func(ctx context.Context) error {
		if err := b.st.ResetBooks(ctx, company); err != nil {
			return err
		}
		return b.pullMasters(ctx, company, 0)
	}); err != nil {
		return err
	}
	var from time.Time
	if err := step(func(ctx context.Context) (err error) {
		from, err = b.booksFrom(ctx, company)
		return err
	}); err != nil {
		return err
	}
	today := b.svc.Today()
	window := firstWindow(from, today, ids.Vouchers, b.cfg.BatchSize)
	for {
		to := from.AddDate(0, 0, window-1)
		r := VoucherRange{From: from, To: to}
		if !to.Before(today) {
			r.To = time.Time{} // the rest, including vouchers dated ahead
		}
		var n int
		if err := step(func(ctx context.Context) (err error) {
			n, err = b.pullVoucherCount(ctx, company, r, false, false)
			return err
		}); err != nil {
			return err
		}
		if r.To.IsZero() {
			break
		}
		from = to.AddDate(0, 0, 1)
		switch {
		case n > b.cfg.BatchSize:
			window = max(1, window*b.cfg.BatchSize/n)
		case n < b.cfg.BatchSize/2:
			window = min(366, window*2)
		}
	}
	return step(func(ctx context.Context) error { return b.st.RecomputeAll(ctx, company) })
}

// firstWindow is the initial load's first date window, in days: about
// batch vouchers if they were spread evenly from the books' first day to
// today. ALTVCHID stands for their number: every voucher took an AlterID of
// its own, so it is at least the count and the window errs small; the
// load doubles it from there. A fixed first window of a month would ask a
// book of 2,000 vouchers a day for 60,000 at once, the size that stalls
// Tally (§2.3 #44/#49).
func firstWindow(from, today time.Time, vouchers int64, batch int) int {
	days := int64(today.Sub(from).Hours()/24) + 1
	if vouchers <= 0 || days <= 0 {
		return 31
	}
	return int(min(366, max(1, int64(batch)*days/vouchers)))
}

// booksFrom is the company's first day of books (vouchers cannot be dated
// before it, §9.4), or ten years back when Tally does not say.
func (b *Books) booksFrom(ctx context.Context, company string) (time.Time, error) {
	companies, err := b.svc.gw.Companies(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if err := b.saveCompany(ctx, company, companies); err != nil {
		return time.Time{}, err
	}
	for _, c := range companies {
		if NameKey(c.Name) == NameKey(company) && !c.BooksFrom.IsZero() {
			return c.BooksFrom, nil
		}
	}
	return b.svc.Today().AddDate(-10, 0, 0), nil
}

// Reconcile finds what the counters cannot show: masters and vouchers
// deleted in Tally (tally-database-loader diffs GUID lists for the same
// reason, §2.1), and any voucher whose AlterID differs from the mirror's.
// It costs three id-only requests, whatever changed, and one for the
// company's details.
func (b *Books) Reconcile(ctx context.Context, company string) error {
	company = b.svc.company(company)
	unlock, ok, err := b.st.TrySyncLock(ctx, company)
	if err != nil || !ok {
		return err
	}
	defer unlock()
	start := b.svc.cfg.Now()
	err = b.reconcile(ctx, company)
	st, serr := b.st.SyncState(ctx, company)
	if serr == nil {
		if err == nil {
			st.LastReconcile = start
		} else {
			st.LastError, st.LastErrorAt = errorSummary(err), b.svc.cfg.Now()
		}
		serr = b.st.SaveSyncState(ctx, st)
		b.remember(company, st)
	}
	b.observe(company, "reconcile", b.svc.cfg.Now().Sub(start), err, st)
	return errors.Join(err, serr)
}

func (b *Books) reconcile(ctx context.Context, company string) error {
	st, err := b.st.SyncState(ctx, company)
	if err != nil || !st.Loaded {
		return err
	}
	gids, lids, err := b.bgw.MasterIDs(ctx, company)
	if err != nil {
		return err
	}
	// The company's details (for documents) change rarely and move no
	// counter the probe reads: refresh them here, one small request.
	companies, err := b.svc.gw.Companies(ctx)
	if err != nil {
		return err
	}
	if err := b.saveCompany(ctx, company, companies); err != nil {
		return err
	}
	tally := map[int64]int64{}
	if err := b.bgw.VoucherIDs(ctx, company, func(id ObjectID) error {
		tally[id.MasterID] = id.AlterID
		return nil
	}); err != nil {
		return err
	}
	mg, ml, mv, err := b.st.MirrorIDs(ctx, company)
	if err != nil {
		return err
	}
	goneG, goneL := missing(mg, gids), missing(ml, lids)
	if len(goneG)+len(goneL) > 0 {
		if err := b.st.ApplyMasters(ctx, company, nil, nil, goneG, goneL); err != nil {
			return err
		}
	}
	var gone []int64
	var oldest int64 = -1
	for _, v := range mv {
		a, ok := tally[v.MasterID]
		switch {
		case !ok:
			gone = append(gone, v.MasterID)
		case a != v.AlterID && (oldest < 0 || a < oldest):
			oldest = a
		}
		delete(tally, v.MasterID)
	}
	for _, a := range tally { // in Tally, not in the mirror
		if a <= st.Vouchers && (oldest < 0 || a < oldest) {
			oldest = a
		}
	}
	for i := 0; i < len(gone); i += b.cfg.BatchSize {
		if err := b.st.ApplyVouchers(ctx, company, nil, gone[i:min(len(gone), i+b.cfg.BatchSize)], true); err != nil {
			return err
		}
	}
	if oldest >= 0 {
		// Missed alterations (a sync cut short): read again from there.
		b.log.Warn("mirror: vouchers differ from Tally's; reading them again", "company", company, "from_alter_id", oldest)
		// Not watched: what a reconcile finds missing is a voucher the
		// mirror should have held already, not one that just appeared.
		return b.pullVouchers(ctx, company, VoucherRange{AfterAlterID: oldest - 1}, false)
	}
	return nil
}

// missing returns the ids of have that want lacks.
func missing(have, want []int64) []int64 {
	set := make(map[int64]struct{}, len(want))
	for _, id := range want {
		set[id] = struct{}{}
	}
	var out []int64
	for _, id := range have {
		if _, ok := set[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// Check compares the mirror with Tally's own figures: every party's closing
// balance (one request per party group) and Bills Receivable (one request),
// and records the differences in the sync state rather than hiding them.
func (b *Books) Check(ctx context.Context, company string) (MirrorCheck, error) {
	company = b.svc.company(company)
	start := b.svc.cfg.Now()
	chk, err := b.check(ctx, company)
	chk.At = start
	if err != nil {
		chk.Error = errorSummary(err)
	}
	st, serr := b.st.SyncState(ctx, company)
	if serr == nil {
		st.Check = chk
		serr = b.st.SaveSyncState(ctx, st)
		b.remember(company, st)
	}
	b.observe(company, "check", b.svc.cfg.Now().Sub(start), err, st)
	if len(chk.Differences) > 0 {
		b.log.Warn("mirror: balances or bills differ from Tally's", "company", company, "differences", len(chk.Differences),
			"first", chk.Differences[0])
	}
	return chk, errors.Join(err, serr)
}

// maxDifferences bounds what a check keeps: the count says the rest.
const maxDifferences = 50

func (b *Books) check(ctx context.Context, company string) (MirrorCheck, error) {
	var chk MirrorCheck
	// Sync first, so a difference is a real one and not a change in flight.
	if _, err := b.Sync(ctx, company); err != nil {
		return chk, err
	}
	var diffs []string
	add := func(format string, args ...any) {
		if len(diffs) < maxDifferences {
			diffs = append(diffs, fmt.Sprintf(format, args...))
		}
	}
	mirror := map[string]Paise{}
	names := map[string]string{}
	seen := map[string]bool{}
	for _, group := range b.svc.cfg.PartyGroups {
		tallyParties, err := b.svc.gw.Parties(ctx, company, group)
		if err != nil {
			return chk, err
		}
		rows, err := b.allParties(ctx, company, group)
		if err != nil {
			return chk, err
		}
		for _, r := range rows {
			mirror[NameKey(r.Name)], names[NameKey(r.Name)] = r.Closing, r.Name
		}
		for _, p := range tallyParties {
			key := NameKey(p.Name)
			if seen[key] {
				continue
			}
			seen[key] = true
			chk.Parties++
			got, ok := mirror[key]
			switch {
			case !ok:
				add("party %q is in Tally but not in the mirror", p.Name)
			case p.ClosingKnown && got != p.Closing.Signed:
				add("party %q: closing balance %s in Tally, %s in the mirror", p.Name, p.Closing.Signed, got)
			}
		}
	}
	// A party Tally no longer has (deleted, or moved out of the party
	// groups) that the mirror still holds: the reconcile has not run yet.
	var gone []string
	for key, name := range names {
		if !seen[key] {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		add("party %q is in the mirror but not in Tally", name)
	}
	bills, err := b.svc.gw.Receivables(ctx, company, b.svc.Today())
	if err != nil {
		return chk, err
	}
	rows, _, err := b.st.MirrorBills(ctx, MirrorBillQuery{Company: company}, b.svc.Today())
	if err != nil {
		return chk, err
	}
	type billKey struct{ party, ref string }
	have := make(map[billKey]Paise, len(rows))
	for _, r := range rows {
		have[billKey{r.Key, r.Ref}] = r.Pending
	}
	for _, bl := range bills {
		chk.Bills++
		k := billKey{NameKey(bl.Party), bl.Ref}
		got, ok := have[k]
		delete(have, k)
		switch {
		case !ok:
			add("bill %q of %q: %s pending in Tally, not in the mirror", bl.Ref, bl.Party, bl.Pending.Signed)
		case got != bl.Pending.Signed:
			add("bill %q of %q: %s pending in Tally, %s in the mirror", bl.Ref, bl.Party, bl.Pending.Signed, got)
		}
	}
	extra := make([]string, 0, len(have))
	for k, p := range have {
		extra = append(extra, fmt.Sprintf("bill %q of %s: %s pending in the mirror, not in Tally", k.ref, k.party, p))
	}
	slices.Sort(extra)
	for _, e := range extra {
		add("%s", e)
	}
	chk.Differences = diffs
	return chk, nil
}

// Run keeps the mirror of company fresh until ctx ends: a sync every
// Freshness (readers still coalesce onto it), a reconcile of deletions
// every ReconcileEvery, and a check against Tally's figures every
// CheckEvery. Failures are recorded in the sync state and logged once.
func (b *Books) Run(ctx context.Context, company string) {
	company = b.svc.company(company)
	tick := time.NewTicker(b.cfg.Freshness)
	defer tick.Stop()
	// The first reconcile and check come one interval after the start: the
	// first sync has just read the books (or a replica did shortly before).
	lastReconcile, lastCheck := b.svc.cfg.Now(), b.svc.cfg.Now()
	failing := false
	for {
		_, _, err := b.refresh(ctx, company)
		now := b.svc.cfg.Now()
		switch {
		case err != nil && !failing:
			b.log.Warn("mirror: sync failed; reads answer from the mirror, marked stale", "company", company, "err", err)
			failing = true
		case err == nil && failing:
			b.log.Info("mirror: sync works again", "company", company)
			failing = false
		}
		if err == nil && now.Sub(lastReconcile) >= b.cfg.ReconcileEvery {
			lastReconcile = now
			if err := b.Reconcile(ctx, company); err != nil {
				b.log.Warn("mirror: reconcile failed", "company", company, "err", err)
			}
		}
		if err == nil && now.Sub(lastCheck) >= b.cfg.CheckEvery {
			lastCheck = now
			if _, err := b.Check(ctx, company); err != nil {
				b.log.Warn("mirror: check against Tally failed", "company", company, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh is Run's sync: a probe unless another replica probed within
// Freshness, shared with the readers waiting on it.
func (b *Books) refresh(ctx context.Context, company string) (SyncState, bool, error) {
	ch := b.flight.DoChan(NameKey(company), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.SyncTimeout)
		defer cancel()
		return b.syncOnce(ctx, company, false)
	})
	select {
	case r := <-ch:
		st, _ := r.Val.(SyncState)
		return st, r.Shared, r.Err
	case <-ctx.Done():
		return SyncState{}, false, ctx.Err()
	}
}
