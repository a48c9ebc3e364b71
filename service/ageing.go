package service

import (
	"context"
	"strconv"
	"strings"
)

// Ageing of outstanding bills: how much is past due by how long, in
// buckets of days past due (0–30, 31–60, 61–90, over 90 by default). A bill
// not yet due is in the first bucket, so the buckets always add up to the
// outstanding total.

// DefaultAgeing returns the default bucket bounds: 0–30, 31–60, 61–90 and
// over 90 days past due.
func DefaultAgeing() []int { return []int{30, 60, 90} }

// maxAgeingBounds bounds the buckets one query asks for.
const maxAgeingBounds = 12

// CheckAgeing checks bucket bounds: 1 to 12 day counts from 1 to 36500,
// strictly increasing.
func CheckAgeing(bounds []int) error {
	if len(bounds) == 0 || len(bounds) > maxAgeingBounds {
		return Errorf(Invalid, "invalid_ageing", "ageing must be 1 to %d day counts, such as 30,60,90", maxAgeingBounds)
	}
	for i, d := range bounds {
		if d < 1 || d > 36500 || i > 0 && d <= bounds[i-1] {
			return Errorf(Invalid, "invalid_ageing", "ageing must be increasing day counts from 1 to 36500, such as 30,60,90")
		}
	}
	return nil
}

// AgeingBucket is the bills From..To days past due (To 0: over From-1
// days, the last bucket), their number and what is outstanding on them.
type AgeingBucket struct {
	From, To int
	Bills    int
	Amount   Paise
}

// Label is how a bucket is written: "0-30", "31-60", "over 90".
func (a AgeingBucket) Label() string {
	if a.To == 0 {
		return "over " + strconv.Itoa(a.From-1)
	}
	return strconv.Itoa(a.From) + "-" + strconv.Itoa(a.To)
}

// AgeingIndex is the bucket of a bill days past due: the number of bounds
// below days (a bill not yet due, days ≤ 0, is in the first). The stores'
// ageing queries count the same way.
func AgeingIndex(days int, bounds []int) int {
	n := 0
	for _, b := range bounds {
		if b < days {
			n++
		}
	}
	return n
}

// NewAgeing returns the empty buckets of bounds.
func NewAgeing(bounds []int) []AgeingBucket {
	out := make([]AgeingBucket, len(bounds)+1)
	from := 0
	for i, b := range bounds {
		out[i] = AgeingBucket{From: from, To: b}
		from = b + 1
	}
	out[len(bounds)] = AgeingBucket{From: from}
	return out
}

// AgeBills puts bills into the buckets of bounds by their OverdueDays.
func AgeBills(bills []Receivable, bounds []int) []AgeingBucket {
	out := NewAgeing(bounds)
	for _, b := range bills {
		k := &out[AgeingIndex(b.OverdueDays, bounds)]
		k.Bills++
		k.Amount += b.Amount
	}
	return out
}

// ageingKey is bounds as text, a comparable cache key.
func ageingKey(bounds []int) string {
	s := make([]string, len(bounds))
	for i, b := range bounds {
		s[i] = strconv.Itoa(b)
	}
	return strings.Join(s, ",")
}

// BillSide selects outstanding bills by which way they are owed.
type BillSide int

// The sides: Receivable bills (a debit pending: the party owes us, Bills
// Receivable), Payable ones (a credit pending: we owe, Bills Payable), or
// both (a party's outstanding bills, Tally's Ledger Outstandings).
const (
	ReceivableSide BillSide = iota
	PayableSide
	AnySide
)

// Sign is the sign of the pending amounts of the side's bills in Tally's
// sign (a debit negative): -1 receivable, 1 payable, 0 either.
func (s BillSide) Sign() int {
	switch s {
	case ReceivableSide:
		return -1
	case PayableSide:
		return 1
	}
	return 0
}

// Payables answers Bills Payable from the mirror, as Receivables answers
// Bills Receivable: the credit bills (what we owe), by party keyset, as of
// today. Amounts are positive when we owe. Only the mirror answers it.
func (b *Books) Payables(ctx context.Context, q ReceivablesQuery, after string, limit int, force bool) (ReceivablesPage, Freshness, error) {
	if err := b.checkBillsQuery(&q); err != nil {
		return ReceivablesPage{}, Freshness{}, err
	}
	return mirrorOnly(ctx, b, q.Company, force, func(company string) (ReceivablesPage, error) {
		q.Company = company
		return b.billsPage(ctx, q, PayableSide, after, limit)
	})
}

// Outstanding is every outstanding bill of the party name, either way, as
// Tally's Ledger Outstandings lists them, with their ageing: amounts
// positive when the party owes us, negative when we owe it. Parties only
// (party_not_found otherwise); only the mirror answers it.
func (b *Books) Outstanding(ctx context.Context, company, name string, bounds []int, force bool) (PartyReceivables, Receivables, Freshness, error) {
	if err := ValidateName("name", name); err != nil {
		return PartyReceivables{}, Receivables{}, Freshness{}, err
	}
	q := ReceivablesQuery{Company: company, Party: name, Ageing: bounds}
	if err := b.checkBillsQuery(&q); err != nil {
		return PartyReceivables{}, Receivables{}, Freshness{}, err
	}
	type answer struct {
		party PartyReceivables
		all   Receivables
	}
	a, f, err := mirrorOnly(ctx, b, company, force, func(company string) (answer, error) {
		p, err := b.read.readParty(ctx, company, name)
		if err != nil {
			return answer{}, err
		}
		q.Company, q.Party = company, p.Name
		page, err := b.billsPage(ctx, q, AnySide, "", 0)
		if err != nil {
			return answer{}, err
		}
		out := answer{party: PartyReceivables{Party: p.Name, Bills: []Receivable{}, Ageing: NewAgeing(q.Ageing)}, all: page.Receivables}
		if len(page.Parties) > 0 {
			out.party = page.Parties[0]
			out.party.Party = p.Name
		}
		return out, nil
	})
	return a.party, a.all, f, err
}

// checkBillsQuery checks a mirror-only bills query: today's bills (the
// mirror holds no other day's), and the ageing bounds when asked for.
func (b *Books) checkBillsQuery(q *ReceivablesQuery) error {
	today := b.svc.Today()
	if !q.AsOf.IsZero() && !q.AsOf.Equal(today) {
		return Errorf(Invalid, "invalid_date", "only today's outstanding bills can be read here (as_of %s)", today.Format("2006-01-02"))
	}
	q.AsOf = today
	if q.Ageing != nil {
		return CheckAgeing(q.Ageing)
	}
	return nil
}

// agePage fills in the ageing of each party on a page from its bills.
func agePage(r *Receivables, bounds []int) {
	if bounds == nil {
		return
	}
	for i := range r.Parties {
		r.Parties[i].Ageing = AgeBills(r.Parties[i].Bills, bounds)
	}
	if r.Ageing == nil {
		var all []Receivable
		for _, p := range r.Parties {
			all = append(all, p.Bills...)
		}
		r.Ageing = AgeBills(all, bounds)
	}
}
