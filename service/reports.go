package service

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Reports read from Tally: receivables (bills outstanding, by party) and the trial balance.

// ReceivablesQuery selects outstanding bills.
type ReceivablesQuery struct {
	Company     string
	AsOf        time.Time // default today
	Party       string    // exact party name (Tally's folding), empty for all
	OverdueOnly bool
	MinAmount   Paise // bills owing less than this are left out
	// Ageing are the bounds of the ageing buckets (AgeingBucket) to
	// total the bills in; nil for no ageing.
	Ageing []int
}

// Receivable is one outstanding bill. Amount is what the party owes us
// (positive); a negative amount is a credit in our books, such as an advance.
type Receivable struct {
	Party       string
	Ref         string
	Date        time.Time
	Due         time.Time
	Amount      Paise
	OverdueDays int // days past due as of AsOf; 0 when not yet due
}

// PartyReceivables groups one party's bills.
type PartyReceivables struct {
	Party   string
	Bills   []Receivable
	Total   Paise
	Overdue Paise
	Ageing  []AgeingBucket // when the query asked for ageing
}

// Receivables is the outstanding-bills answer.
type Receivables struct {
	AsOf         time.Time
	Parties      []PartyReceivables
	Total        Paise
	OverdueTotal Paise
	Bills        int
	// Ageing is over every bill the query selects, when it asked for it.
	Ageing []AgeingBucket
}

// Receivables reads Bills Receivable and recomputes overdue days from each
// bill's due date and AsOf: Tally's BILLOVERDUE is computed against its own
// period date and ignores the ageing setting (tally-protocol.md §9.3 D).
func (s *Service) Receivables(ctx context.Context, q ReceivablesQuery) (Receivables, error) {
	if q.AsOf.IsZero() {
		q.AsOf = s.Today()
	}
	if q.Ageing != nil {
		if err := CheckAgeing(q.Ageing); err != nil {
			return Receivables{}, err
		}
	}
	company := s.company(q.Company)
	bills, err := s.gw.Receivables(ctx, company, q.AsOf)
	if err != nil {
		return Receivables{}, err
	}
	if q.Party != "" && slices.ContainsFunc(bills, func(b Bill) bool { return foldName(b.Party) == foldName(q.Party) }) {
		// Bills Receivable scopes by balance sign, not by group
		// (tally-protocol.md §9.3 D): a bill-wise loan or deposit ledger
		// is listed too. A per-party read answers parties only, and a
		// ledger that is not one reads as a party without bills.
		switch _, err := s.readParty(ctx, company, q.Party); {
		case KindOf(err) == NotFound:
			bills = nil
		case err != nil:
			return Receivables{}, err
		}
	}
	out := Receivables{AsOf: q.AsOf, Parties: []PartyReceivables{}}
	byParty := map[string]int{}
	for _, b := range bills {
		if q.Party != "" && foldName(b.Party) != foldName(q.Party) {
			continue
		}
		r := Receivable{Party: b.Party, Ref: b.Ref, Date: b.Date, Due: b.Due, Amount: -b.Pending.Signed}
		due := b.Due
		if due.IsZero() {
			due = b.Date
		}
		if d := daysBetween(due, q.AsOf); d > 0 {
			r.OverdueDays = d
		}
		// MinAmount filters what is owed; a credit (an advance) is kept
		// unless a minimum was asked for.
		if q.OverdueOnly && r.OverdueDays == 0 || q.MinAmount > 0 && r.Amount < q.MinAmount {
			continue
		}
		i, ok := byParty[foldName(b.Party)]
		if !ok {
			i = len(out.Parties)
			byParty[foldName(b.Party)] = i
			out.Parties = append(out.Parties, PartyReceivables{Party: b.Party})
		}
		pr := &out.Parties[i]
		pr.Bills = append(pr.Bills, r)
		pr.Total += r.Amount
		out.Total += r.Amount
		if r.OverdueDays > 0 {
			pr.Overdue += r.Amount
			out.OverdueTotal += r.Amount
		}
		out.Bills++
	}
	slices.SortFunc(out.Parties, func(a, b PartyReceivables) int { return cmp.Compare(foldName(a.Party), foldName(b.Party)) })
	for _, p := range out.Parties {
		slices.SortStableFunc(p.Bills, func(a, b Receivable) int { return a.Due.Compare(b.Due) })
	}
	agePage(&out, q.Ageing)
	return out, nil
}

// TrialBalance is the trial balance with its totals: TotalDebit and
// TotalCredit are the sums of Tally's debit and credit columns, the totals
// Tally prints under them.
type TrialBalance struct {
	AsOf        time.Time
	LedgerWise  bool
	Rows        []TrialBalanceRow
	TotalDebit  Paise
	TotalCredit Paise
}

// TrialBalance reads the trial balance as of a date (default today).
func (s *Service) TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) (TrialBalance, error) {
	if asOf.IsZero() {
		asOf = s.Today()
	}
	rows, err := s.gw.TrialBalance(ctx, s.company(company), asOf, ledgerWise)
	if err != nil {
		return TrialBalance{}, err
	}
	tb := TrialBalance{AsOf: asOf, LedgerWise: ledgerWise, Rows: rows}
	for _, r := range rows {
		tb.TotalDebit += r.Debit
		tb.TotalCredit += r.Credit
	}
	return tb, nil
}
