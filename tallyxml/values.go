package tallyxml

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Amount is a Tally money value, exact to the paisa.
//
// Tally's sign convention is kept as-is: a debit is negative and a credit is
// positive (ISDEEMEDPOSITIVE Yes goes with the negative line). The zero value is
// an *empty* amount: Tally writes `<CLOSINGBALANCE></CLOSINGBALANCE>` or
// `<DSPCLDRAMTA></DSPCLDRAMTA>` when a figure is zero or not applicable, and at
// some SVTODATE values a ledger's closing balance renders empty
// (tally-protocol.md §7(b)), so empty must never be silently read as 0.00.
type Amount struct {
	paise int64
	set   bool
}

// Paise returns an Amount holding p paise (negative for a debit).
func Paise(p int64) Amount { return Amount{paise: p, set: true} }

// Paise returns the signed amount in paise; 0 for an empty amount.
func (a Amount) Paise() int64 { return a.paise }

// IsSet reports whether the amount was present (an empty tag is not set).
func (a Amount) IsSet() bool { return a.set }

// IsDebit reports whether the amount is a debit (negative in Tally's convention).
func (a Amount) IsDebit() bool { return a.paise < 0 }

// Neg returns the amount with its side flipped.
func (a Amount) Neg() Amount { return Amount{paise: -a.paise, set: a.set} }

// Add returns a+b; the sum is set if either operand is.
func (a Amount) Add(b Amount) Amount {
	return Amount{paise: a.paise + b.paise, set: a.set || b.set}
}

// String returns the form Tally writes and accepts in XML: "-1180.00",
// "1500.00", or "" for an empty amount.
func (a Amount) String() string {
	if !a.set {
		return ""
	}
	return formatPaise(a.paise)
}

// DrCr returns the display form "1,500.00 Dr" / "1,500.00 Cr" with Indian
// (lakh/crore) digit grouping, as Tally shows it on screen. Zero has no side.
func (a Amount) DrCr() string {
	if !a.set {
		return ""
	}
	p := a.paise
	switch {
	case p < 0:
		return GroupIndian(-p) + " Dr"
	case p > 0:
		return GroupIndian(p) + " Cr"
	}
	return GroupIndian(0)
}

// MarshalText implements encoding.TextMarshaler (used by encoding/xml).
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseAmount.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// ErrInexactAmount is returned for an amount with non-zero digits below the paisa.
var ErrInexactAmount = errors.New("amount is not exact to the paisa")

// ParseAmount parses every amount form Tally is known to emit:
//
//	"-1180.00", " 1500", "1,500.00 Dr", "1,500.00 Cr", "(1,500.00)", "(-)1500.00",
//	"₹ 1,500.00", "Rs. 1,500.00", "$ 100.00 @ ₹ 81.20/$ = ₹ 8120.00"
//
// Dr makes the result a debit (negative) and Cr a credit (positive), whatever
// sign the digits carry; parentheses and "(-)" (what $$String renders for a
// negative number) mean negative. A forex amount is read as its base-currency
// value after the last "=". Empty input gives an empty Amount and no error.
// Digits below the paisa are accepted only when they are zeros.
func ParseAmount(s string) (Amount, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Amount{}, nil
	}
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		s = strings.TrimSpace(s[i+1:])
	}
	side := 0 // -1 Dr, +1 Cr, 0 from the digits
	if n := len(s); n >= 2 {
		switch strings.ToLower(s[n-2:]) {
		case "dr":
			side, s = -1, strings.TrimSpace(s[:n-2])
		case "cr":
			side, s = 1, strings.TrimSpace(s[:n-2])
		}
	}
	neg := false
	if strings.HasPrefix(s, "(-)") {
		neg, s = true, strings.TrimSpace(s[3:])
	} else if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	// The sign may stand before the currency ("-₹ 1,500.00") or after it
	// ("₹ -1,500.00").
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, strings.TrimSpace(s[1:])
	}
	for _, cur := range []string{"₹", "Rs.", "Rs", "INR"} {
		if strings.HasPrefix(s, cur) {
			s = strings.TrimSpace(s[len(cur):])
			break
		}
	}
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = !neg, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	p, err := parsePaise(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		return Amount{}, fmt.Errorf("tallyxml: amount %q: %w", orig, err)
	}
	switch {
	case side < 0:
		p = -p
	case side == 0 && neg:
		p = -p
	}
	return Amount{paise: p, set: true}, nil
}

// parsePaise parses an unsigned decimal with at most two significant fraction
// digits into paise, rejecting overflow.
func parsePaise(s string) (int64, error) {
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, errors.New("no digits")
	}
	if intPart == "" {
		intPart = "0"
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("unexpected character %q", r)
		}
	}
	if len(frac) > 2 {
		if strings.Trim(frac[2:], "0") != "" {
			return 0, ErrInexactAmount
		}
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	rupees, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || rupees > (math.MaxInt64-99)/100 {
		return 0, errors.New("out of range")
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return rupees*100 + f, nil
}

func formatPaise(p int64) string {
	sign := ""
	u := uint64(p)
	if p < 0 {
		sign, u = "-", uint64(-p)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// GroupIndian formats a non-negative paise value with Indian digit grouping:
// the last three digits, then pairs (lakh, crore): 4850000 -> "48,500.00",
// 1234567890 -> "1,23,45,678.90". A negative value gets a leading "-".
func GroupIndian(paise int64) string {
	sign := ""
	u := uint64(paise)
	if paise < 0 {
		sign, u = "-", uint64(-paise)
	}
	digits := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	b.WriteString(sign)
	if len(digits) > 3 {
		head, tail := digits[:len(digits)-3], digits[len(digits)-3:]
		first := len(head) % 2
		if first > 0 {
			b.WriteString(head[:first])
		}
		for i := first; i < len(head); i += 2 {
			if b.Len() > len(sign) {
				b.WriteByte(',')
			}
			b.WriteString(head[i : i+2])
		}
		b.WriteByte(',')
		b.WriteString(tail)
	} else {
		b.WriteString(digits)
	}
	fmt.Fprintf(&b, ".%02d", u%100)
	return b.String()
}

// Date is a calendar date as Tally knows it (no time, no zone). The zero value
// is an empty date.
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the date y-m-d, normalised as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) Date { return NewDate(t.Year(), t.Month(), t.Day()) }

// IsZero reports whether the date is empty.
func (d Date) IsZero() bool { return d.y == 0 && d.m == 0 && d.d == 0 }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return NewDate(d.y, d.m, d.d+n) }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// DaysSince returns the whole days from e to d (negative when d is earlier).
func (d Date) DaysSince(e Date) int { return int(d.Time().Sub(e.Time()).Hours() / 24) }

// String returns YYYYMMDD, the form Tally uses in object and collection
// fields and accepts everywhere; "" for an empty date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d%02d%02d", d.y, int(d.m), d.d)
}

// Long returns the d-Mmm-yyyy form ("1-Apr-2026") that SVFROMDATE/SVTODATE
// take in the widest range of clients and Tally versions.
func (d Date) Long() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("2-Jan-2006")
}

// Short returns the d-Mmm-yy form ("1-Apr-26") that report fields such as
// BILLDATE and BILLDUE use.
func (d Date) Short() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("2-Jan-06")
}

// ISO returns YYYY-MM-DD.
func (d Date) ISO() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalText implements encoding.TextMarshaler (YYYYMMDD).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// dateLayouts are the forms real Tally emits or accepts: YYYYMMDD in object
// and collection fields, d-Mmm-yy in report fields, d-Mmm-yyyy and dd-mm-yyyy
// in static variables (tally-protocol.md §9.2), and ISO from TDL formulae.
var dateLayouts = []string{"20060102", "2-Jan-06", "2-Jan-2006", "02-01-2006", "2006-01-02"}

// ParseDate parses a Tally date in any of the forms Tally uses. Month names are
// matched case-insensitively. Empty input gives an empty Date and no error.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	// Fast paths for the two forms that fill large exports (YYYYMMDD in
	// collections, d-Mmm-yy in Bills Receivable); time.Parse trying
	// layouts in turn was a visible share of decoding a big report.
	if d, ok := parseDateFast(s); ok {
		return d, nil
	}
	norm := s
	// time.Parse wants "Apr", Tally writes "Apr" but people type "APR"/"apr".
	if parts := strings.Split(s, "-"); len(parts) == 3 && len(parts[1]) == 3 {
		m := strings.ToLower(parts[1])
		parts[1] = strings.ToUpper(m[:1]) + m[1:]
		norm = strings.Join(parts, "-")
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return DateOf(t), nil
		}
	}
	return Date{}, fmt.Errorf("tallyxml: date %q: not YYYYMMDD, d-Mmm-yy or d-Mmm-yyyy", s)
}

var monthAbbr = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April, "may": time.May, "jun": time.June,
	"jul": time.July, "aug": time.August, "sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseDateFast parses YYYYMMDD and d-Mmm-yy / d-Mmm-yyyy without time.Parse;
// ok is false for anything else, or for a date that does not exist.
func parseDateFast(s string) (Date, bool) {
	num := func(t string) (int, bool) {
		if t == "" {
			return 0, false
		}
		n := 0
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return 0, false
			}
			n = n*10 + int(t[i]-'0')
		}
		return n, true
	}
	var y, d int
	var m time.Month
	if len(s) == 8 {
		v, ok := num(s)
		if !ok {
			return Date{}, false
		}
		y, m, d = v/10000, time.Month(v/100%100), v%100
	} else {
		ds, rest, ok1 := strings.Cut(s, "-")
		ms, ys, ok2 := strings.Cut(rest, "-")
		if !ok1 || !ok2 || len(ds) > 2 || len(ms) != 3 || (len(ys) != 2 && len(ys) != 4) {
			return Date{}, false
		}
		var ok bool
		if d, ok = num(ds); !ok {
			return Date{}, false
		}
		if m, ok = monthAbbr[strings.ToLower(ms)]; !ok {
			return Date{}, false
		}
		if y, ok = num(ys); !ok {
			return Date{}, false
		}
		if len(ys) == 2 { // time.Parse's two-digit rule: 69-99 → 19xx, 00-68 → 20xx
			if y >= 69 {
				y += 1900
			} else {
				y += 2000
			}
		}
	}
	if y == 0 || m < time.January || m > time.December || d < 1 || d > 31 {
		return Date{}, false
	}
	out := NewDate(y, m, d)
	if out.d != d || out.m != m { // 31-Feb normalised away: not a date
		return Date{}, false
	}
	return out, true
}

// Logical is Tally's Yes/No.
type Logical bool

// MarshalText implements encoding.TextMarshaler ("Yes"/"No").
func (l Logical) MarshalText() ([]byte, error) {
	if l {
		return []byte("Yes"), nil
	}
	return []byte("No"), nil
}

// UnmarshalText accepts Yes/No in any case, and the 1/0 and true/false that
// TDL formulae and the JSON interface produce. Empty is No.
func (l *Logical) UnmarshalText(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(string(b))) {
	case "yes", "1", "true":
		*l = true
	case "no", "0", "false", "":
		*l = false
	default:
		return fmt.Errorf("tallyxml: logical %q: want Yes or No", b)
	}
	return nil
}

// Number is a Tally integer such as ALTERID or LANGUAGEID. Tally pads numbers
// with a leading space (`<ALTERID TYPE="Number"> 210</ALTERID>`).
type Number int64

// UnmarshalText implements encoding.TextUnmarshaler; empty is 0.
func (n *Number) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("tallyxml: number %q: %w", s, err)
	}
	*n = Number(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (n Number) MarshalText() ([]byte, error) { return strconv.AppendInt(nil, int64(n), 10), nil }

// Quantity is an inventory quantity with its unit, as in
// `<ACTUALQTY TYPE="Quantity"> 1.0000 NOS</ACTUALQTY>`. The zero value is empty.
type Quantity struct {
	Value decimal.Decimal
	Unit  string
	set   bool
}

// NewQuantity returns a set quantity.
func NewQuantity(v decimal.Decimal, unit string) Quantity {
	return Quantity{Value: v, Unit: unit, set: true}
}

// IsSet reports whether the quantity was present.
func (q Quantity) IsSet() bool { return q.set }

// String returns "1.0000 NOS" (four decimals, as Tally writes), or "".
func (q Quantity) String() string {
	if !q.set {
		return ""
	}
	if q.Unit == "" {
		return q.Value.StringFixed(4)
	}
	return q.Value.StringFixed(4) + " " + q.Unit
}

// MarshalText implements encoding.TextMarshaler.
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseQuantity.
func (q *Quantity) UnmarshalText(b []byte) error {
	v, err := ParseQuantity(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// ParseQuantity parses " 1.0000 NOS", "-2 Box", "12" and the compound-unit form
// "1 Box = 12 Nos" (the first, main-unit part is taken).
func ParseQuantity(s string) (Quantity, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Quantity{}, nil
	}
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	num, unit, _ := strings.Cut(s, " ")
	v, err := decimal.NewFromString(strings.ReplaceAll(num, ",", ""))
	if err != nil {
		return Quantity{}, fmt.Errorf("tallyxml: quantity %q: %w", s, err)
	}
	return Quantity{Value: v, Unit: strings.TrimSpace(unit), set: true}, nil
}

// Rate is a price per unit, as in `<RATE TYPE="Rate">200.00/NOS</RATE>`.
// The zero value is empty.
type Rate struct {
	Value decimal.Decimal
	Unit  string
	set   bool
}

// NewRate returns a set rate.
func NewRate(v decimal.Decimal, unit string) Rate { return Rate{Value: v, Unit: unit, set: true} }

// IsSet reports whether the rate was present.
func (r Rate) IsSet() bool { return r.set }

// String returns "200.00/NOS", or "".
func (r Rate) String() string {
	if !r.set {
		return ""
	}
	v := r.Value.StringFixed(2)
	if r.Value.Exponent() < -2 {
		v = r.Value.String()
	}
	if r.Unit == "" {
		return v
	}
	return v + "/" + r.Unit
}

// MarshalText implements encoding.TextMarshaler.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; see ParseRate.
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseRate parses "200.00/NOS", "₹ 81.20/$" and a bare "200".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rate{}, nil
	}
	num, unit, _ := strings.Cut(s, "/")
	num = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(num), "₹"))
	v, err := decimal.NewFromString(strings.ReplaceAll(num, ",", ""))
	if err != nil {
		return Rate{}, fmt.Errorf("tallyxml: rate %q: %w", s, err)
	}
	return Rate{Value: v, Unit: strings.TrimSpace(unit), set: true}, nil
}
