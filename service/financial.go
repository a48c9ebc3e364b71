package service

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Tally's own financial reports (Balance Sheet, Profit & Loss), relayed row
// for row. Unlike balances and bills they are not computed from the mirror:
// Tally computes them (stock valuation, its own grouping and ordering), so
// every read asks Tally. What the mirror's rules give them is an answer while
// Tally is off: each report Tally gives is kept in the store (a few dozen
// rows), and when Tally cannot answer the last one kept for that date or an
// earlier one is served marked stale, with the time Tally gave it.

// ReportKind names one of Tally's reports.
type ReportKind string

// The reports relayed.
const (
	ReportBalanceSheet  ReportKind = "balance-sheet"
	ReportProfitAndLoss ReportKind = "profit-and-loss"
)

// Title is the report's name as Tally shows it.
func (k ReportKind) Title() string {
	if k == ReportProfitAndLoss {
		return "Profit & Loss A/c"
	}
	return "Balance Sheet"
}

// ReportRow is one line of Tally's Balance Sheet or Profit & Loss, with
// Tally's two columns: Sub, the inner one (a sub-total or a line within a
// block, BSSUBAMT/PLSUBAMT), and Main, the outer one (BSMAINAMT). Amounts
// keep Tally's sign (a debit is negative). A column Tally left empty has its
// Set flag false: an empty cell is not a zero (tally-protocol.md §9.3 (E)).
type ReportRow struct {
	Name    string
	Sub     Paise
	SubSet  bool
	Main    Paise
	MainSet bool
}

// ReportGateway reads Tally's reports (tallyxml implements it).
type ReportGateway interface {
	// BalanceSheet reads the Balance Sheet as of a date.
	BalanceSheet(ctx context.Context, company string, asOf time.Time) ([]ReportRow, error)
	// ProfitAndLoss reads the Profit & Loss account for from..to.
	ProfitAndLoss(ctx context.Context, company string, from, to time.Time) ([]ReportRow, error)
}

// ReportSnapshot is a report as Tally gave it, kept for when Tally is off.
type ReportSnapshot struct {
	Company string
	Kind    ReportKind
	From    time.Time // the period's first day (Profit & Loss); zero for the Balance Sheet
	AsOf    time.Time
	Rows    []ReportRow
	// FetchedAt is when Tally gave it.
	FetchedAt time.Time
}

// ReportStore keeps the last report Tally gave per company, kind and date.
type ReportStore interface {
	// SaveReport stores a report, replacing the one of the same company,
	// kind and date.
	SaveReport(ctx context.Context, r ReportSnapshot) error
	// LastReport returns the stored report of company and kind with the
	// latest date not after asOf; NotFound when there is none.
	LastReport(ctx context.Context, company string, kind ReportKind, asOf time.Time) (ReportSnapshot, error)
}

// ReportsConfig tunes Reports.
type ReportsConfig struct {
	// Wait is how long a read waits for Tally before answering the stored
	// report marked stale, when there is one. Tally takes seconds for a
	// report of big books (tally-protocol.md §12), so it is longer than the
	// mirror's StaleAfter, and inside a chatbot's ~10 s. Default 5s.
	Wait time.Duration
}

// Reports relays Tally's Balance Sheet and Profit & Loss with the mirror's
// freshness rules (see the top of this file).
type Reports struct {
	svc   *Service
	gw    ReportGateway
	st    ReportStore
	books *Books // nil without a mirror: then Tally's failing state is not known ahead
	cfg   ReportsConfig

	flight singleflight.Group
	wg     sync.WaitGroup
}

// NewReports returns the reports of svc's companies, read through gw and
// kept in st. books, when set, tells ahead that Tally is failing, so a read
// answers the stored report at once instead of waiting.
func NewReports(svc *Service, gw ReportGateway, st ReportStore, books *Books, cfg ReportsConfig) *Reports {
	if cfg.Wait <= 0 {
		cfg.Wait = 5 * time.Second
	}
	return &Reports{svc: svc, gw: gw, st: st, books: books, cfg: cfg}
}

// Report is a report with where it came from.
type Report struct {
	ReportSnapshot
	// Stale is set when Tally could not answer and this is the report it
	// gave at FetchedAt (for AsOf, which may be before the date asked).
	Stale bool
	// Message is the sentence a chatbot can send (see message).
	Message string
}

// message is the sentence a chatbot can send: the net profit or loss of a
// Profit & Loss, or the Balance Sheet's main figures; a stale report says
// when Tally gave it.
func (r Report) message(loc *time.Location) string {
	var b strings.Builder
	period := "as of " + r.AsOf.Format("2 Jan 2006")
	if r.Kind == ReportProfitAndLoss && !r.From.IsZero() {
		period = "from " + r.From.Format("2 Jan 2006") + " to " + r.AsOf.Format("2 Jan 2006")
	}
	switch net, ok := r.net(); {
	case r.Kind == ReportProfitAndLoss && ok:
		word := "profit"
		if net < 0 { // a debit: more expense than income
			word = "loss"
		}
		b.WriteString(r.Company + " made a net " + word + " of " + net.Abs().Rupees() + " " + period + ".")
	default:
		b.WriteString(r.Kind.Title() + " of " + r.Company + " " + period + ": ")
		n := 0
		for _, row := range r.Rows {
			if !row.MainSet {
				continue
			}
			if n > 0 {
				b.WriteString("; ")
			}
			n++
			b.WriteString(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(row.Name), ":")) + " " + rupeesDrCr(row.Main))
		}
		if n == 0 {
			b.WriteString("no balances")
		}
		b.WriteString(".")
	}
	if r.Stale {
		b.WriteString(" (As Tally gave it on " + r.FetchedAt.In(loc).Format("2 Jan 2006, 15:04") + "; Tally cannot be reached now.)")
	}
	return b.String()
}

// net finds the Nett Profit or Nett Loss line of a Profit & Loss (Tally
// spells it "Nett"; "Net" is accepted), in Tally's sign: a profit is a
// credit, positive.
func (r Report) net() (Paise, bool) {
	for _, row := range r.Rows {
		n := strings.ToLower(strings.Join(strings.Fields(row.Name), " "))
		if strings.HasPrefix(n, "nett profit") || strings.HasPrefix(n, "nett loss") ||
			strings.HasPrefix(n, "net profit") || strings.HasPrefix(n, "net loss") {
			if row.MainSet {
				return row.Main, true
			}
			return row.Sub, row.SubSet
		}
	}
	return 0, false
}

// BalanceSheet is Tally's Balance Sheet as of a date (default today).
func (r *Reports) BalanceSheet(ctx context.Context, company string, asOf time.Time) (Report, error) {
	return r.read(ctx, company, ReportBalanceSheet, asOf)
}

// ProfitAndLoss is Tally's Profit & Loss account from the start of the
// financial year (1 April) to a date (default today).
func (r *Reports) ProfitAndLoss(ctx context.Context, company string, asOf time.Time) (Report, error) {
	return r.read(ctx, company, ReportProfitAndLoss, asOf)
}

// FYStart is 1 April of the Indian financial year holding d.
func FYStart(d time.Time) time.Time {
	y := d.Year()
	if d.Month() < time.April {
		y--
	}
	return time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC)
}

func (r *Reports) read(ctx context.Context, company string, kind ReportKind, asOf time.Time) (Report, error) {
	rep, err := r.answer(ctx, company, kind, asOf)
	if err == nil {
		rep.Message = rep.message(r.svc.cfg.Location)
	}
	return rep, err
}

func (r *Reports) answer(ctx context.Context, company string, kind ReportKind, asOf time.Time) (Report, error) {
	company = r.svc.company(company)
	if asOf.IsZero() {
		asOf = r.svc.Today()
	}
	if r.books != nil && r.books.failing(company) {
		// The last probe failed: Tally is off or hung. Answer what is kept
		// at once; a request in the background tells whether Tally is back.
		if rep, err := r.stored(ctx, company, kind, asOf); err == nil {
			r.fetchAsync(company, kind, asOf)
			return rep, nil
		}
	}
	ch := r.fetchAsync(company, kind, asOf)
	timer := time.NewTimer(r.cfg.Wait)
	defer timer.Stop()
	var liveErr error
	select {
	case res := <-ch:
		if res.Err == nil {
			return Report{ReportSnapshot: res.Val.(ReportSnapshot)}, nil
		}
		liveErr = res.Err
		if KindOf(liveErr) != Unavailable {
			return Report{}, liveErr // Tally answered: a missing company, a refusal
		}
	case <-timer.C:
		// Tally is slow: answer what is kept, if anything; else wait on.
		if rep, err := r.stored(ctx, company, kind, asOf); err == nil {
			return rep, nil
		}
		select {
		case res := <-ch:
			if res.Err == nil {
				return Report{ReportSnapshot: res.Val.(ReportSnapshot)}, nil
			}
			liveErr = res.Err
		case <-ctx.Done():
			return Report{}, ctx.Err()
		}
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	if KindOf(liveErr) == Unavailable {
		if rep, err := r.stored(ctx, company, kind, asOf); err == nil {
			return rep, nil
		}
	}
	return Report{}, liveErr
}

// stored is the last kept report for the date or before, marked stale.
func (r *Reports) stored(ctx context.Context, company string, kind ReportKind, asOf time.Time) (Report, error) {
	snap, err := r.st.LastReport(ctx, company, kind, asOf)
	if err != nil {
		return Report{}, err
	}
	return Report{ReportSnapshot: snap, Stale: true}, nil
}

// fetchAsync asks Tally for a report once for every concurrent reader of
// the same company, kind and date, and keeps what it gives. The request
// outlives a reader that stops waiting (bounded by the client's timeout),
// so its answer still refreshes the store.
func (r *Reports) fetchAsync(company string, kind ReportKind, asOf time.Time) <-chan singleflight.Result {
	key := NameKey(company) + "\x00" + string(kind) + "\x00" + asOf.Format(time.DateOnly)
	return r.flight.DoChan(key, func() (any, error) {
		r.wg.Add(1)
		defer r.wg.Done()
		ctx := context.Background()
		snap := ReportSnapshot{Company: company, Kind: kind, AsOf: asOf}
		var err error
		if kind == ReportProfitAndLoss {
			snap.From = FYStart(asOf)
			snap.Rows, err = r.gw.ProfitAndLoss(ctx, company, snap.From, asOf)
		} else {
			snap.Rows, err = r.gw.BalanceSheet(ctx, company, asOf)
		}
		if err != nil {
			return nil, err
		}
		snap.FetchedAt = r.svc.cfg.Now()
		if snap.Rows == nil {
			snap.Rows = []ReportRow{}
		}
		if err := r.st.SaveReport(ctx, snap); err != nil {
			r.svc.log.Warn("report not kept for when Tally is off", "report", string(kind), "company", company, "err", err)
		}
		return snap, nil
	})
}

// Wait waits for the report requests still running (for tests and shutdown).
func (r *Reports) Wait() { r.wg.Wait() }

// failing tells whether the mirror's last probe of company failed: Tally
// was off, hung or busy when last asked.
func (b *Books) failing(company string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.known[NameKey(company)]
	return ok && st.LastError != ""
}

// rupeesDrCr writes a Tally-signed amount for people: "₹1,47,200.00 Cr".
func rupeesDrCr(p Paise) string {
	b := NewBalance(p)
	if b.Side == "" {
		return b.Amount.Rupees()
	}
	return b.Amount.Rupees() + " " + string(b.Side)
}
