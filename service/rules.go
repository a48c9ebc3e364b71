package service

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Rules that more than one use case (and the api's field checks) apply, each
// decided here once.

// Tally keeps dates from 1900 to 2099: a date outside is refused before any
// request.
const firstYear, lastYear = 1900, 2099

// InDateRange reports whether Tally can keep the date d.
func InDateRange(d time.Time) bool { return d.Year() >= firstYear && d.Year() <= lastYear }

// DateRangeText is the range as a message says it: "between 1900 and 2099".
func DateRangeText() string { return fmt.Sprintf("between %d and %d", firstYear, lastYear) }

// checkDate is the Invalid error (invalid_date) of a date Tally cannot keep.
func checkDate(d time.Time) error {
	if !InDateRange(d) {
		return Errorf(Invalid, "invalid_date", "date must be %s", DateRangeText())
	}
	return nil
}

// Every list is read a page at a time: Limit from 1 to MaxPageSize, and
// DefaultPageSize when a caller gives none.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageLimit bounds a requested page size: DefaultPageSize for none (n ≤ 0),
// at most MaxPageSize.
func PageLimit(n int) int {
	if n <= 0 {
		return DefaultPageSize
	}
	return min(n, MaxPageSize)
}

// Stored records are identified by UUIDs in their canonical form (8-4-4-4-12,
// lower-case hex when the service makes them).

// newOrderID returns a random UUID (version 4).
func newOrderID() string { return uuid.NewString() }

// ValidID reports whether s is a UUID in its canonical 8-4-4-4-12 form: the
// only form that can name a stored record (the stores answer any other
// with NotFound, or Invalid on create, without asking the database).
func ValidID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// Statements and the day book default to the financial year to date. The
// Indian financial year runs from 1 April to 31 March (Tally's own default
// period when a company is created in India).

// FinancialYearStart is 1 April of the financial year the calendar date d
// falls in.
func FinancialYearStart(d time.Time) time.Time {
	y := d.Year()
	if d.Month() < time.April {
		y--
	}
	return time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC)
}

// Period is a range of calendar dates, both ends included.
type Period struct{ From, To time.Time }

// period fills in a period's defaults, the financial year to date (To
// today, From the start of To's financial year), and checks it: both dates
// ones Tally can keep, From not after To.
func period(p Period, today time.Time) (Period, error) {
	if p.To.IsZero() {
		p.To = today
	}
	if p.From.IsZero() {
		p.From = FinancialYearStart(p.To)
	}
	for _, d := range []time.Time{p.From, p.To} {
		if err := checkDate(d); err != nil {
			return p, err
		}
	}
	if p.From.After(p.To) {
		return p, Errorf(Invalid, "invalid_period", "from (%s) is after to (%s)", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	}
	return p, nil
}
