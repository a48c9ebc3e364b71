package service

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Paise is an exact rupee amount in paise (1/100 rupee). It is the money type
// of the service layer: never float64, because a float cannot hold 0.10 and
// Tally rejects a voucher whose entries differ by one paisa
// (tally-protocol.md §11 item 7, "Voucher totals do not match!").
//
// Sign is the caller's business. Where a Paise carries a Tally balance it
// follows Tally's convention (debit negative, credit positive); see Balance.
// The usable range is ±math.MaxInt64 paise; math.MinInt64 is never produced by
// ParsePaise or PriceOrder.
type Paise int64

// String returns the plain form used in JSON and in Tally XML: "48500.00",
// "-12.05", always with exactly two decimals and no grouping.
func (p Paise) String() string {
	neg, u := p.split()
	var b []byte
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/100, 10)
	return string(appendCents(append(b, '.'), u%100))
}

// Indian returns the amount with Indian digit grouping, as Tally and Indian
// invoices print it: the last three digits, then pairs (lakh, crore), so
// 1,23,45,678.90 rather than 12,345,678.90. A negative amount gets a leading
// "-".
func (p Paise) Indian() string {
	neg, u := p.split()
	digits := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if len(digits) > 3 {
		head, tail := digits[:len(digits)-3], digits[len(digits)-3:]
		// The head is grouped in pairs from the right; an odd length leaves
		// one leading digit on its own.
		first := len(head) % 2
		b.WriteString(head[:first])
		for i := first; i < len(head); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(head[i : i+2])
		}
		b.WriteByte(',')
		b.WriteString(tail)
	} else {
		b.WriteString(digits)
	}
	b.WriteByte('.')
	b.Write(appendCents(nil, u%100))
	return b.String()
}

// Rupees returns the amount for people: "₹48,500.00", and "-₹48,500.00" for
// a negative amount (the sign before the symbol, as Indian banks print it).
func (p Paise) Rupees() string {
	s := p.Indian()
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return "-₹" + rest
	}
	return "₹" + s
}

// Abs returns the absolute value. It panics for math.MinInt64, whose absolute
// value does not fit; no constructor in this package produces it, so reaching
// it is a bug, and a wrong amount must never be returned silently.
func (p Paise) Abs() Paise {
	if p == math.MinInt64 {
		panic("service: Paise.Abs of math.MinInt64")
	}
	if p < 0 {
		return -p
	}
	return p
}

// split returns the sign and the magnitude; the magnitude is correct even for
// math.MinInt64, so formatting never panics.
func (p Paise) split() (neg bool, u uint64) {
	if p < 0 {
		return true, uint64(-p) // -MinInt64 wraps to itself; uint64 of it is 2^63, the right magnitude
	}
	return false, uint64(p)
}

func appendCents(b []byte, c uint64) []byte {
	return append(b, byte('0'+c/10), byte('0'+c%10))
}

// maxAmountLen bounds the text ParsePaise will look at: int64 paise have at
// most 17 rupee digits, so anything far longer is garbage, and the bound keeps
// big-number parsing of hostile input cheap.
const maxAmountLen = 64

// ParsePaise parses a decimal rupee amount as people and chatbot platforms
// send it: "48500", "48500.5", "48500.50", "-10.00". Surrounding white space is
// ignored. It rejects, rather than rounds, anything that is not exact to the
// paisa ("1.005"; trailing zeros such as "1.500" are fine), and it rejects
// exponent forms ("4.85e4"), a leading "+", digit grouping ("48,500", which is
// ambiguous between Indian and Western grouping and the European decimal
// comma), inner spaces, and values beyond ±math.MaxInt64 paise.
//
// Every failure is an *Error with Kind Invalid and Code "invalid_amount".
func ParsePaise(s string) (Paise, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, amountError(s, "is empty")
	}
	if len(t) > maxAmountLen {
		return 0, amountError(s, "is too long")
	}
	if why := checkAmountSyntax(t); why != "" {
		return 0, amountError(s, why)
	}
	// The syntax check leaves only [-]digits[.digits], which NewFromString
	// parses exactly; decimal does the exactness and range arithmetic.
	d, err := decimal.NewFromString(t)
	if err != nil {
		return 0, amountError(s, "is not a number")
	}
	p := d.Shift(2)
	if !p.IsInteger() {
		return 0, amountError(s, "has more than two decimals; money is never rounded")
	}
	v := p.BigInt()
	if !v.IsInt64() || v.Int64() == math.MinInt64 {
		return 0, amountError(s, "is out of range")
	}
	return Paise(v.Int64()), nil
}

// checkAmountSyntax returns why t is not of the form -?[0-9]+(\.[0-9]+)?, or
// "" when it is.
func checkAmountSyntax(t string) string {
	t = strings.TrimPrefix(t, "-")
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || (hasDot && frac == "") {
		return "must have digits on both sides of the decimal point"
	}
	for _, part := range []string{intPart, frac} {
		for _, r := range part {
			switch {
			case r >= '0' && r <= '9':
			case r == 'e' || r == 'E':
				return "must not use an exponent"
			case r == ',':
				return "must not contain digit grouping"
			case r == ' ' || r == '\t' || r == '\u00a0':
				return "must not contain spaces"
			default:
				return "is not a number"
			}
		}
	}
	return ""
}

func amountError(input, why string) *Error {
	const show = 40
	if len(input) > show {
		input = input[:show] + "…"
	}
	return Errorf(Invalid, "invalid_amount", "amount %q %s", input, why)
}

// MarshalJSON writes the amount as a JSON string, "48500.00": a string keeps
// the two decimals and survives JavaScript clients, whose numbers are floats.
func (p Paise) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, p.String()), nil
}

// UnmarshalJSON accepts a JSON string ("48500.50") or a JSON number (48500.5),
// because chatbot platforms send both. A number is read from its literal
// digits, never through float64, with the rules of ParsePaise (so an exponent
// such as 4.85e4 is refused: no platform sends money that way, and a float
// serialiser that does has already lost precision). JSON null leaves the value
// unchanged, as encoding/json does for other types.
func (p *Paise) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch {
	case s == "null":
		return nil
	case strings.HasPrefix(s, `"`):
		if err := json.Unmarshal(b, &s); err != nil {
			return Errorf(Invalid, "invalid_amount", "amount must be a string or a number")
		}
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return Errorf(Invalid, "invalid_amount", "amount must be a string or a number")
		}
		s = n.String()
	}
	v, err := ParsePaise(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Side is the side of a balance as Tally prints it.
type Side string

// The two sides. Tally writes debits negative and credits positive in XML;
// on screen it shows the absolute amount followed by Dr or Cr.
const (
	Debit  Side = "Dr"
	Credit Side = "Cr"
)

// Balance is a Tally balance split for display and for JSON clients, which
// should not have to know Tally's sign convention.
//
// What a side means depends on the ledger's group. For a party under Sundry
// Debtors (a customer) a Dr balance is a receivable: the party owes us, and a
// Cr balance is an advance we hold for them. For a party under Sundry Creditors
// (a supplier) a Cr balance means we owe them, and Dr means we paid ahead.
//
// A zero balance has no side: Side is "" (Tally itself prints a nil balance
// with neither Dr nor Cr, and tallyxml.Amount.DrCr does the same), so a client
// can never read "0.00 Dr" as "owes us nothing, but is a debtor".
type Balance struct {
	Amount Paise // absolute value, never negative
	Side   Side  // Debit, Credit, or "" for zero
	Signed Paise // Tally's signed value: debit negative, credit positive
}

// NewBalance splits a Tally-signed amount (debit negative, credit positive,
// as in CLOSINGBALANCE) into a Balance.
func NewBalance(signed Paise) Balance {
	switch {
	case signed < 0:
		return Balance{Amount: signed.Abs(), Side: Debit, Signed: signed}
	case signed > 0:
		return Balance{Amount: signed, Side: Credit, Signed: signed}
	}
	return Balance{}
}

// String returns the balance as Tally shows it: "48,500.00 Dr", "1,200.00 Cr",
// or "0.00" for zero.
func (b Balance) String() string {
	if b.Side == "" {
		return b.Amount.Indian()
	}
	return b.Amount.Indian() + " " + string(b.Side)
}

// addPaise returns a+b, or false when the sum leaves ±math.MaxInt64.
func addPaise(a, b Paise) (Paise, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) || s == math.MinInt64 {
		return 0, false
	}
	return s, true
}
