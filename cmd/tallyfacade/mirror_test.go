package main

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// mirrorRig is the whole read path: simulator, Tally client, SQLite store,
// service and its mirror, on a clock the test moves.
type mirrorRig struct {
	sim   *tallysim.Server
	co    *tallysim.Company
	svc   *service.Service
	books *service.Books
	clock atomic.Int64 // unix nanoseconds
}

func (r *mirrorRig) now() time.Time          { return time.Unix(0, r.clock.Load()).UTC() }
func (r *mirrorRig) advance(d time.Duration) { r.clock.Add(int64(d)) }

func newMirrorRig(t *testing.T, cfg service.BooksConfig) *mirrorRig {
	t.Helper()
	return newMirrorRigOn(t, cfg, "sqlite")
}

// newMirrorRigOn is newMirrorRig on a given store: "sqlite" or "postgres"
// (TEST_DATABASE_URL; skipped without, failed under CI=true).
func newMirrorRigOn(t *testing.T, cfg service.BooksConfig, store string) *mirrorRig {
	t.Helper()
	r := &mirrorRig{}
	r.clock.Store(time.Date(2026, 6, 23, 6, 30, 0, 0, time.UTC).UnixNano()) // noon in Asia/Kolkata
	r.sim = tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := r.sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sim.Close() })
	r.co, _ = r.sim.Company(tallysim.DemoCompanyName)
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: r.sim.URL(), Timeout: 3 * time.Second, QueueWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var db interface {
		service.Store
		service.BooksStore
	}
	if store == "postgres" {
		pg, err := pgstore.New(t.Context(), pgtest.New(t), pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db = pg
	} else {
		lite, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lite.Close() })
		db = lite
	}
	gw := tallyxml.NewGateway(client)
	r.svc = service.New(service.NotifyWrites(gw, func(c string) { r.books.Changed(c) }),
		service.Config{Company: tallysim.DemoCompanyName, Store: db, Now: r.now})
	r.books = service.NewBooks(r.svc, gw, db, cfg)
	return r
}

// wantAgrees checks the mirror against Tally's own figures.
func (r *mirrorRig) wantAgrees(t *testing.T) {
	t.Helper()
	chk, err := r.books.Check(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("check: %d parties, %d bills agree", chk.Parties, chk.Bills)
	if chk.Parties == 0 || chk.Bills == 0 || len(chk.Differences) > 0 {
		t.Fatalf("check: %d parties, %d bills, differences:\n%s", chk.Parties, chk.Bills, strings.Join(chk.Differences, "\n"))
	}
}

func (r *mirrorRig) probes() int {
	n := 0
	for _, rec := range r.sim.Requests() {
		if strings.Contains(rec.Kind, "TallyFacade Sync Company") {
			n++
		}
	}
	return n
}

// TestMirrorFollowsTally: the initial load in small date windows, then
// alterations, new vouchers, a cancel and a delete keyed into Tally; after
// each sync (and the reconcile, for the delete) the mirror's balances and
// bills equal Tally's closing balances and Bills Receivable.
func TestMirrorFollowsTally(t *testing.T) {
	t.Parallel()
	r := newMirrorRig(t, service.BooksConfig{BatchSize: 3})
	ctx := t.Context()
	st, err := r.books.Sync(ctx, "")
	if err != nil || !st.Loaded || st.Vouchers == 0 {
		t.Fatalf("initial sync: %+v, %v", st, err)
	}
	r.wantAgrees(t)

	if err := r.co.AlterLedger("Priya Textiles", func(l *tallysim.Ledger) { l.Mobile = "98209 99999" }); err != nil {
		t.Fatal(err)
	}
	v, err := r.co.AddVoucher(tallysim.Voucher{Type: "Sales", Date: tallyxml.NewDate(2026, 6, 20), Party: "Priya Textiles",
		Entries: []tallysim.Entry{
			{Ledger: "Priya Textiles", Amount: tallyxml.Paise(-1234500), Bills: []tallysim.BillAllocation{{Name: "MIR/1", Type: tallysim.NewRef, Amount: tallyxml.Paise(-1234500)}}},
			{Ledger: "Sales", Amount: tallyxml.Paise(1234500)}}})
	if err != nil {
		t.Fatal(err)
	}
	vouchers := r.co.Vouchers()
	if err := r.co.CancelVoucher(vouchers[0].MasterID); err != nil {
		t.Fatal(err)
	}
	st, err = r.books.Sync(ctx, "")
	if err != nil || st.Vouchers < v.AlterID {
		t.Fatalf("incremental sync: %+v, %v", st, err)
	}
	r.wantAgrees(t)
	parties, _, err := r.books.PartiesByMobile(ctx, "", "+91 98209 99999", false)
	if err != nil || len(parties) != 1 || parties[0].Name != "Priya Textiles" {
		t.Fatalf("by the altered mobile: %+v, %v", parties, err)
	}

	// A delete does not move ALTVCHID: the reconcile finds it.
	if err := r.co.DeleteVoucher(v.MasterID); err != nil {
		t.Fatal(err)
	}
	if chk, err := r.books.Check(ctx, ""); err != nil || len(chk.Differences) == 0 {
		t.Fatalf("check before the reconcile: %+v, %v; want the deleted voucher's bill reported", chk, err)
	}
	if err := r.books.Reconcile(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.wantAgrees(t)
	status, err := r.books.Status(ctx, "")
	if err != nil || status.Counts.Vouchers != len(r.co.Vouchers()) || status.State.LastReconcile.IsZero() {
		t.Fatalf("status after the reconcile: %+v, %v", status, err)
	}
}

// TestMirrorFreshness: reads within the freshness interval ask Tally
// nothing; after it, a burst of concurrent readers shares one probe.
func TestMirrorFreshness(t *testing.T) {
	t.Parallel()
	r := newMirrorRig(t, service.BooksConfig{Freshness: 10 * time.Second})
	ctx := t.Context()
	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	before := len(r.sim.Requests())
	for range 20 {
		if _, f, err := r.books.PartyBalance(ctx, "", "Rajesh Enterprises", false); err != nil || f.Stale || f.Live {
			t.Fatalf("fresh read: %+v, %v", f, err)
		}
	}
	if n := len(r.sim.Requests()) - before; n != 0 {
		t.Fatalf("%d Tally requests for reads within the freshness interval", n)
	}
	r.advance(11 * time.Second)
	probes := r.probes()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 50 {
		wg.Go(func() {
			if _, _, err := r.books.PartyBalance(ctx, "", "Rajesh Enterprises", false); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 || r.probes()-probes != 1 {
		t.Fatalf("50 concurrent readers after the interval: %d failed, %d probes; want 0 and 1", failed.Load(), r.probes()-probes)
	}
	// fresh=true always probes.
	if _, _, err := r.books.PartyBalance(ctx, "", "Rajesh Enterprises", true); err != nil || r.probes()-probes != 2 {
		t.Fatalf("a forced read: %v, %d probes", err, r.probes()-probes)
	}
}

// TestMirrorStale: with Tally refusing or hanging, reads answer from the
// mirror, stale, as of the last sync, within the stale budget.
func TestMirrorStale(t *testing.T) {
	t.Parallel()
	r := newMirrorRig(t, service.BooksConfig{StaleAfter: 300 * time.Millisecond})
	ctx := t.Context()
	synced, err := r.books.Sync(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.co.ClosingBalance("Rajesh Enterprises", tallyxml.Date{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range []tallysim.Fault{tallysim.Refuse, tallysim.Hang} {
		r.sim.SetFault(fault)
		r.advance(time.Minute)
		pb, f, err := r.books.PartyBalance(ctx, "", "Rajesh Enterprises", false)
		if err != nil || !f.Stale || !f.AsOf.Equal(synced.LastSync) || pb.Balance.Signed != service.Paise(want.Paise()) {
			t.Fatalf("%v: %+v %+v, %v; want the mirror's balance, stale as of %v", fault, pb, f, err, synced.LastSync)
		}
		r.sim.SetFault(tallysim.NoFault)
	}
}

// TestMirrorReadiness: a replica with a mirror is ready while Tally is off
// once the mirror holds the company (reads answer stale), and reports
// Tally's reachability from the mirror's last probe without asking Tally;
// before the initial load it is ready only when Tally answers.
func TestMirrorReadiness(t *testing.T) {
	t.Parallel()
	r := newMirrorRig(t, service.BooksConfig{})
	ctx := t.Context()

	r.sim.SetFault(tallysim.Refuse)
	rd, err := r.svc.Readiness(ctx)
	if service.KindOf(err) != service.Unavailable || !rd.Mirror || rd.MirrorLoaded || rd.TallyReachable || rd.TallyError == "" {
		t.Fatalf("never synced, Tally off: %+v, %v; want not ready, Tally unreachable", rd, err)
	}
	r.sim.SetFault(tallysim.NoFault)
	if rd, err := r.svc.Readiness(ctx); err != nil || rd.MirrorLoaded || !rd.TallyReachable {
		t.Fatalf("never synced, Tally on: %+v, %v; want ready (reads go to Tally)", rd, err)
	}

	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.advance(5 * time.Second)
	before := len(r.sim.Requests())
	rd, err = r.svc.Readiness(ctx)
	if err != nil || !rd.MirrorLoaded || !rd.TallyReachable || rd.MirrorAge != 5*time.Second {
		t.Fatalf("synced: %+v, %v; want ready, Tally reachable, the mirror 5s old", rd, err)
	}
	if n := len(r.sim.Requests()) - before; n != 0 {
		t.Fatalf("readiness with a loaded mirror asked Tally %d times", n)
	}

	r.sim.SetFault(tallysim.Refuse)
	t.Cleanup(func() { r.sim.SetFault(tallysim.NoFault) })
	r.advance(time.Minute)
	if _, err := r.books.Sync(ctx, ""); err == nil {
		t.Fatal("a sync with Tally off succeeded")
	}
	rd, err = r.svc.Readiness(ctx)
	if err != nil || !rd.MirrorLoaded || rd.TallyReachable || rd.TallyError == "" || rd.MirrorAge != 65*time.Second {
		t.Fatalf("Tally off after the load: %+v, %v; want ready from the mirror 65s old, Tally unreachable", rd, err)
	}
}

// TestMirrorReconcileDeletions: what the AlterIDs do not reveal is found by
// the reconcile of ids, on both stores. A cancel moves ALTVCHID, so the
// incremental sync applies it; deleted vouchers, ledgers and groups do not,
// so the reconcile removes them; and a cancel the incremental sync missed
// (a sync cut short) is found by the reconcile's AlterID comparison.
func TestMirrorReconcileDeletions(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			testMirrorReconcileDeletions(t, store)
		})
	}
}

func testMirrorReconcileDeletions(t *testing.T, store string) {
	r := newMirrorRigOn(t, service.BooksConfig{}, store)
	ctx := t.Context()
	if err := r.co.AddGroup(tallysim.Group{Name: "Retail Debtors", Parent: "Sundry Debtors"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []tallysim.Ledger{{Name: "Kiran Stores", Parent: "Retail Debtors", Mobile: "98300 11111"},
		{Name: "Dormant Traders", Parent: "Sundry Debtors"}} {
		if err := r.co.AddLedger(l); err != nil {
			t.Fatal(err)
		}
	}
	sale := func(ref string, paise int64) tallysim.Voucher {
		t.Helper()
		v, err := r.co.AddVoucher(tallysim.Voucher{Type: "Sales", Date: tallyxml.NewDate(2026, 6, 20), Party: "Priya Textiles",
			Entries: []tallysim.Entry{
				{Ledger: "Priya Textiles", Amount: tallyxml.Paise(-paise), Bills: []tallysim.BillAllocation{{Name: ref, Type: tallysim.NewRef, Amount: tallyxml.Paise(-paise)}}},
				{Ledger: "Sales", Amount: tallyxml.Paise(paise)}}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	deleted, cancelled, missed := sale("REC/1", 100000), sale("REC/2", 200000), sale("REC/3", 300000)
	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.wantAgrees(t)
	if ps, _, err := r.books.PartiesByMobile(ctx, "", "9830011111", false); err != nil || len(ps) != 1 {
		t.Fatalf("Kiran Stores by mobile after the load: %+v, %v", ps, err)
	}

	if err := r.co.CancelVoucher(cancelled.MasterID); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{r.co.DeleteVoucher(deleted.MasterID), r.co.DeleteLedger("Kiran Stores"),
		r.co.DeleteLedger("Dormant Traders"), r.co.DeleteGroup("Retail Debtors")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// The check reports what the reconcile has yet to remove: the deleted
	// voucher (Priya's balance and its bill) and the deleted parties; the
	// cancelled voucher's bill is gone already.
	chk, err := r.books.Check(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`party "Priya Textiles": closing balance -26600.00 in Tally, -27600.00 in the mirror`,
		`party "Dormant Traders" is in the mirror but not in Tally`, `party "Kiran Stores" is in the mirror but not in Tally`,
		`bill "REC/1" of priya textiles: -1000.00 pending in the mirror, not in Tally`}
	if d := cmp.Diff(want, chk.Differences); d != "" {
		t.Fatalf("check after the sync, before the reconcile (-want +got):\n%s", d)
	}
	if err := r.books.Reconcile(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.wantAgrees(t)
	wantCounts := func(when string) {
		t.Helper()
		status, err := r.books.Status(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if c := status.Counts; c.Groups != len(r.co.Groups()) || c.Ledgers != len(r.co.Ledgers()) || c.Vouchers != len(r.co.Vouchers()) {
			t.Fatalf("%s: the mirror holds %+v; Tally %d groups, %d ledgers, %d vouchers", when, c,
				len(r.co.Groups()), len(r.co.Ledgers()), len(r.co.Vouchers()))
		}
	}
	wantCounts("after the reconcile")
	if ps, _, err := r.books.PartiesByMobile(ctx, "", "9830011111", false); err != nil || len(ps) != 0 {
		t.Fatalf("the deleted Kiran Stores by mobile: %+v, %v; want none", ps, err)
	}
	if _, _, err := r.books.GetParty(ctx, "", "Dormant Traders", false); service.KindOf(err) != service.NotFound {
		t.Fatalf("the deleted Dormant Traders: %v; want NotFound", err)
	}

	// A cancel the incremental sync never saw: the reconcile sees the
	// voucher's AlterID differ and reads it again.
	if err := r.co.CancelVoucher(missed.MasterID); err != nil {
		t.Fatal(err)
	}
	if err := r.books.Reconcile(ctx, ""); err != nil {
		t.Fatal(err)
	}
	r.wantAgrees(t)
	wantCounts("after the second reconcile")
}

// TestMirrorInitialLoadOutlastsSyncTimeout: SyncTimeout bounds each step of
// an initial load, not the whole load, so books that take longer to read
// than SyncTimeout still load (before, the run's deadline cut the load
// short, and the next run started it again from nothing).
func TestMirrorInitialLoadOutlastsSyncTimeout(t *testing.T) {
	t.Parallel()
	// Ten requests at 300 ms (the company, two masters, the companies list,
	// six voucher windows of about two vouchers) take 3 s, over SyncTimeout;
	// the longest step (groups and ledgers, then their writes) takes 0.6 s
	// of Tally's time, which leaves 1.4 s for the store even on a loaded CI
	// machine (at 1 s and 200 ms, a race-enabled run under load missed it).
	const timeout = 2 * time.Second
	r := newMirrorRig(t, service.BooksConfig{BatchSize: 2, SyncTimeout: timeout})
	r.sim.SetLatency(300 * time.Millisecond)
	start := time.Now()
	st, err := r.books.Sync(t.Context(), "")
	took := time.Since(start)
	if err != nil || !st.Loaded {
		t.Fatalf("initial load: %+v, %v", st, err)
	}
	windows := 0
	for _, rec := range r.sim.Requests() {
		if strings.Contains(rec.Kind, "TallyFacade Sync Vouchers") {
			windows++
		}
	}
	if took < timeout {
		t.Fatalf("the load took %v in %d windows: no longer than SyncTimeout, so this test shows nothing", took, windows)
	}
	r.sim.SetLatency(0)
	r.wantAgrees(t)
}

// TestMirrorStaleWhatsAppOrderWaits: a WhatsApp order whose party is found
// by mobile is not posted on a mirror Tally could not confirm (Tally too
// slow for the stale budget): the attempt ends books_not_current, back in
// the queue with no party created, and once Tally keeps up the next attempt
// posts it to the party with that mobile.
func TestMirrorStaleWhatsAppOrderWaits(t *testing.T) {
	t.Parallel()
	r := newMirrorRig(t, service.BooksConfig{StaleAfter: 300 * time.Millisecond})
	ctx := t.Context()
	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	ledgers := len(r.co.Ledgers())
	o := service.Order{Ref: "WA-STALE", PartyByMobile: true,
		Party: service.NewParty{Name: "Rajesh (WhatsApp profile)", Mobile: "+919820012345"},
		Lines: []service.OrderLine{{Item: "Cotton saree", Quantity: decimal.NewFromInt(1), Rate: 125000}}}
	rec, _, err := r.svc.SubmitOrder(ctx, o, service.SourceWhatsApp, "")
	if err != nil {
		t.Fatal(err)
	}
	// Tally answers, but slower than the stale budget: the mirror's probe
	// of Tally's change counters cannot confirm it in time.
	r.sim.SetLatency(time.Second)
	r.advance(time.Minute)
	err = r.svc.PostOrder(ctx, rec.ID)
	r.sim.SetLatency(0)
	if _, ok := errors.AsType[*service.RetryLater](err); !ok {
		t.Fatalf("the attempt on a stale mirror: %v; want a RetryLater", err)
	}
	got, err := r.svc.GetOrder(ctx, rec.ID)
	if err != nil || got.State != service.OrderReceived || got.LastErrorCode != "books_not_current" {
		t.Fatalf("after the attempt: %+v, %v; want received, books_not_current", got, err)
	}
	if n := len(r.co.Ledgers()); n != ledgers {
		t.Fatalf("Tally has %d ledgers, had %d: a party was created on a stale mirror", n, ledgers)
	}
	// Tally keeps up again; the mirror's next sync (the background one, in
	// production) confirms it.
	r.advance(time.Minute)
	if _, err := r.books.Sync(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.PostOrder(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	posted, err := r.svc.GetOrder(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, ok := service.OrderResultOf(posted)
	if !ok || posted.State != service.OrderPosted || res.Party != "Rajesh Enterprises" {
		t.Fatalf("once Tally answers: %+v; want posted to Rajesh Enterprises", res)
	}
}
