package service

import (
	"context"
	"errors"
	"time"
)

// A party's statement (its ledger account for a period) from the mirror:
// the opening balance, every voucher that touched the ledger with its
// running balance, and the closing balance, figured as Tally figures the
// ledger's own balance (the opening balance of the books plus every voucher
// that is neither cancelled nor optional, tally-protocol.md §9.4), so the
// closing balance of a statement to today is the party's closing balance.

// StatementStore reads a ledger's account from the mirror.
type StatementStore interface {
	// MirrorStatement reads the ledger keyed q.Key: its balance at the
	// start of q.From (the opening balance of the books plus every counted
	// voucher dated before it) and the vouchers dated q.From..q.To that
	// touch it, by date then MasterID. NotFound when there is no such
	// ledger.
	MirrorStatement(ctx context.Context, q StatementQuery) (opening Paise, lines []StatementLine, err error)
}

// StatementQuery selects a ledger's account for a period. Key is the
// ledger's folded name (NameKey); From and To are calendar dates (UTC
// midnight), both included.
type StatementQuery struct {
	Company string
	Key     string
	From    time.Time
	To      time.Time
}

// StatementLine is one voucher of a ledger's account. Amount is the
// ledger's net in the voucher, Tally's sign (a debit negative); Bills are
// the references it was allocated to, in the voucher's order.
type StatementLine struct {
	VoucherID int64 // the voucher's MasterID
	Date      time.Time
	Type      string
	Number    string
	Narration string
	Amount    Paise
	Bills     []string
	// Balance is the running balance after this voucher (filled by the
	// service, not the store).
	Balance Balance
}

// Debit is the line's debit column (positive), zero for a credit.
func (l StatementLine) Debit() Paise { return max(-l.Amount, 0) }

// Credit is the line's credit column (positive), zero for a debit.
func (l StatementLine) Credit() Paise { return max(l.Amount, 0) }

// Statement is a party's account for a period.
type Statement struct {
	Party   Party
	Period  Period
	Opening Balance
	Lines   []StatementLine
	Closing Balance
	// TotalDebit and TotalCredit are the sums of the two columns (positive).
	TotalDebit, TotalCredit Paise
	// SyncedAt is, for a stale statement, when the books were last synced,
	// in the service's zone; zero otherwise.
	SyncedAt time.Time
}

// Statement reads the account of the party name for the period p (the
// financial year to date by default). Only parties have statements (the
// party rule of GetParty): any other ledger is NotFound party_not_found.
// A company the mirror has not loaded yet is Unavailable books_not_synced:
// reading a ledger's vouchers live would queue behind Tally for seconds.
func (b *Books) Statement(ctx context.Context, company, name string, p Period, force bool) (Statement, Freshness, error) {
	if err := ValidateName("name", name); err != nil {
		return Statement{}, Freshness{}, err
	}
	p, err := period(p, b.svc.Today())
	if err != nil {
		return Statement{}, Freshness{}, err
	}
	st, f, err := mirrorOnly(ctx, b, company, force, func(company string) (Statement, error) {
		party, err := b.read.readParty(ctx, company, name)
		if err != nil {
			return Statement{}, err
		}
		opening, lines, err := b.st.MirrorStatement(ctx, StatementQuery{Company: company, Key: NameKey(party.Name), From: p.From, To: p.To})
		if err != nil {
			return Statement{}, err
		}
		return newStatement(party, p, opening, lines), nil
	})
	if f.Stale {
		st.SyncedAt = f.AsOf.In(b.svc.cfg.Location)
	}
	return st, f, err
}

// newStatement runs the balance through the lines.
func newStatement(party Party, p Period, opening Paise, lines []StatementLine) Statement {
	st := Statement{Party: party, Period: p, Opening: NewBalance(opening), Lines: lines}
	if st.Lines == nil {
		st.Lines = []StatementLine{}
	}
	run := opening
	for i := range st.Lines {
		l := &st.Lines[i]
		run += l.Amount
		l.Balance = NewBalance(run)
		st.TotalDebit += l.Debit()
		st.TotalCredit += l.Credit()
	}
	st.Closing = NewBalance(run)
	return st
}

// mirrorOnly answers fn from the mirror of company, with how fresh it is.
// Unlike readWith it never falls back to Tally: what it serves (statements,
// ageing, the day book) would take a live Tally many requests or seconds.
func mirrorOnly[T any](ctx context.Context, b *Books, company string, force bool, fn func(company string) (T, error)) (T, Freshness, error) {
	company = b.svc.company(company)
	f, err := b.fresh(ctx, company, force)
	if errors.Is(err, errNotLoaded) {
		err = &Error{Kind: Unavailable, Code: "books_not_synced",
			Message: "the books of company " + quote(company) + " have not been read from Tally yet",
			Hint:    "Retry once the first sync of the books has finished; Tally must be on with the company loaded."}
	}
	if err != nil {
		var zero T
		return zero, f, err
	}
	v, err := fn(company)
	return v, f, err
}

// StatementByMobile is the statement of the one party whose mobile is the
// number given (PartyByMobile), for "send me my statement" from WhatsApp.
func (b *Books) StatementByMobile(ctx context.Context, company, mobile string, p Period, force bool) (Statement, Freshness, error) {
	party, _, err := b.PartyByMobile(ctx, company, mobile, force)
	if err != nil {
		return Statement{}, Freshness{}, err
	}
	// The lookup made the mirror fresh: the statement need not probe again.
	return b.Statement(ctx, company, party.Name, p, false)
}

// Local is t in the service's zone (Asia/Kolkata by default), as answers
// to people write times.
func (s *Service) Local(t time.Time) time.Time { return t.In(s.cfg.Location) }
