package service

import (
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// OrderLine is one item of a sales order, as the API hands it to PriceOrder.
type OrderLine struct {
	Item     string          // stock item name as in Tally
	Quantity decimal.Decimal // positive, at most 4 decimals (Tally stores quantities with 4)
	Rate     Paise           // price per unit, before tax
	// GSTRate is the GST percent for this line (18 means 18%); nil means
	// PricingInput.DefaultGSTRate. It must be one of GSTSlabs.
	GSTRate *decimal.Decimal
	Unit    string // unit of measure as in Tally ("NOS"); carried through, not checked
	// StockItem says Item must be a Tally stock item (a WhatsApp catalog
	// product mapped to one): an order whose stock item Tally does not
	// have is refused, stock_item_not_found, rather than posted as an
	// accounting voucher (items.go).
	StockItem bool
}

// TaxLedgers names the GST duty ledgers of the company. Companies name them
// freely ("CGST", "Output CGST", "CGST @9%"), so they are configuration.
type TaxLedgers struct {
	CGST, SGST, IGST string
}

// PricingInput is everything PriceOrder needs; it does no I/O.
type PricingInput struct {
	Lines []OrderLine
	// PartyState and CompanyState are state names as Tally keeps them
	// (LEDSTATENAME, the company's STATENAME), compared case-insensitively
	// with surrounding and repeated spaces ignored. An empty PartyState is
	// taken as the company's state: a customer with no state on file is
	// treated as a local walk-in, the usual case for a party created from a
	// chat without an address. CompanyState must be set.
	PartyState, CompanyState string
	// DefaultGSTRate applies to lines whose GSTRate is nil. Its zero value
	// is 0%, so a caller that forgets it gets untaxed lines: set it.
	DefaultGSTRate decimal.Decimal
	Tax            TaxLedgers
	SalesLedger    string // the ledger credited with the taxable value; must be set
}

// PricedLine is an OrderLine with its money worked out.
type PricedLine struct {
	Item     string
	Quantity decimal.Decimal
	Unit     string
	Rate     Paise
	Taxable  Paise           // Quantity × Rate, rounded half-up to the paisa
	GSTRate  decimal.Decimal // the rate applied (the line's or the default)
	GST      Paise           // Taxable × GSTRate / 100, rounded half-up to the paisa
	CGST     Paise           // intra-state: round(Taxable × GSTRate / 200)
	SGST     Paise           // intra-state: round(Taxable × GSTRate / 200), equal to CGST
	IGST     Paise           // inter-state: GST
}

// TaxEntry is one tax ledger's credit on the voucher.
type TaxEntry struct {
	Ledger string
	Amount Paise // positive
}

// Pricing is a priced order: the figures of a sales voucher that balances to
// the paisa. The party is debited Total, SalesLedger is credited Taxable, and
// each TaxEntry ledger is credited its Amount; Total == Taxable + the sum of
// TaxEntries exactly, so the debits equal the credits.
type Pricing struct {
	Lines       []PricedLine
	Taxable     Paise      // sum of the lines' Taxable
	TaxEntries  []TaxEntry // merged per ledger, in CGST, SGST, IGST order; no zero entries
	Total       Paise      // Taxable + all tax: what the party is debited
	Interstate  bool       // IGST rather than CGST+SGST
	SalesLedger string     // PricingInput.SalesLedger, for the voucher builder
}

// Tax returns the total tax of the order (the sum of TaxEntries).
func (p Pricing) Tax() Paise {
	var t Paise
	for _, e := range p.TaxEntries {
		t += e.Amount // cannot overflow: PriceOrder checked Total
	}
	return t
}

// gstSlabBasisPoints is the one place that lists India's GST rates, in
// hundredths of a percent so that comparison is exact integer arithmetic:
// 0, 0.1 (supplies to merchant exporters), 0.25 (rough precious stones), 1.5,
// 3 (gold and jewellery), 5, 6, 7.5, 12, 18, 28, and 40, the demerit slab
// introduced by the GST rate rationalisation of 2025. 12 and 28 stay because
// earlier orders and some goods still carry them.
var gstSlabBasisPoints = [...]int64{0, 10, 25, 150, 300, 500, 600, 750, 1200, 1800, 2800, 4000}

// GSTSlabs returns the GST rates (in percent) that PriceOrder accepts, in
// ascending order. The slice is a fresh copy.
func GSTSlabs() []decimal.Decimal {
	out := make([]decimal.Decimal, len(gstSlabBasisPoints))
	for i, bp := range gstSlabBasisPoints {
		out[i] = decimal.New(bp, -2)
	}
	return out
}

// IsGSTSlab reports whether rate (in percent) is one of GSTSlabs; "18" and
// "18.00" are the same rate.
func IsGSTSlab(rate decimal.Decimal) bool {
	bp := rate.Shift(2)
	// The exponent test comes first so that a hostile 1e999999999 is refused
	// without materialising its digits.
	if bp.Exponent() > 4 || !bp.IsInteger() {
		return false
	}
	v := bp.BigInt()
	if !v.IsInt64() {
		return false
	}
	for _, s := range gstSlabBasisPoints {
		if v.Int64() == s {
			return true
		}
	}
	return false
}

func gstSlabList() string {
	parts := make([]string, len(gstSlabBasisPoints))
	for i, r := range GSTSlabs() {
		parts[i] = r.String()
	}
	return strings.Join(parts, ", ")
}

// The error codes of PriceOrder. All have Kind Invalid.
const (
	codeNoLines             = "order_no_lines"
	codeInvalidItem         = "invalid_item"
	codeInvalidQuantity     = "invalid_quantity"
	codeInvalidRate         = "invalid_rate"
	codeInvalidGSTRate      = "invalid_gst_rate"
	codeAmountTooLarge      = "amount_too_large"
	codeStateNotConfigured  = "company_state_not_configured"
	codeSalesNotConfigured  = "sales_ledger_not_configured"
	codeLedgerNotConfigured = "tax_ledger_not_configured"
)

// maxQuantityDecimals is the precision of a Tally quantity (" 1.0000 NOS").
const maxQuantityDecimals = 4

// PriceOrder prices a sales order into the figures of a balanced GST sales
// voucher, exact to the paisa.
//
// Rounding, all with decimal arithmetic and half-up to the paisa (amounts are
// never negative here, so half-up and half-away-from-zero agree):
//   - a line's Taxable is round(Quantity × Rate);
//   - per line, so a line's figures do not change when other lines are added:
//     inter-state, IGST = round(Taxable × GSTRate / 100); intra-state, Tally
//     computes the CGST and SGST ledgers each at half the rate and rounds each
//     on its own, so CGST = SGST = round(Taxable × GSTRate / 200) and the
//     line's GST is their sum (it can differ by a paisa from the IGST figure);
//   - tax is merged per ledger by adding the lines' paise, never by
//     recomputing on the total, so Total == Taxable + Σ TaxEntries exactly.
//
// Intra- or inter-state is decided by comparing PartyState with CompanyState
// (see PricingInput). Lines whose tax is zero contribute no tax entry, and a
// ledger whose merged amount is zero has no entry, so a zero-rated order needs
// no tax ledgers configured; an entry that is needed but whose ledger name is
// empty is an error naming the ledger.
//
// Errors are *Error with Kind Invalid and a stable Code: order_no_lines,
// invalid_item, invalid_quantity, invalid_rate, invalid_gst_rate,
// amount_too_large, company_state_not_configured, sales_ledger_not_configured,
// tax_ledger_not_configured. Messages name the line by its 0-based index, as a
// JSON path would: "lines[2].quantity must be positive".
func PriceOrder(in PricingInput) (Pricing, error) {
	if len(in.Lines) == 0 {
		return Pricing{}, Errorf(Invalid, codeNoLines, "an order needs at least one line")
	}
	if strings.TrimSpace(in.CompanyState) == "" {
		return Pricing{}, &Error{Kind: Invalid, Code: codeStateNotConfigured,
			Message: "the company's state is not configured, so intra- and inter-state supply cannot be told apart",
			Hint:    "set the company's state as Tally shows it (e.g. Maharashtra)"}
	}
	if strings.TrimSpace(in.SalesLedger) == "" {
		return Pricing{}, &Error{Kind: Invalid, Code: codeSalesNotConfigured,
			Message: "the sales ledger is not configured", Hint: "set the name of the Tally sales ledger"}
	}
	p := Pricing{
		Lines:       make([]PricedLine, 0, len(in.Lines)),
		Interstate:  isInterstate(in.PartyState, in.CompanyState),
		SalesLedger: in.SalesLedger,
	}
	var cgst, sgst, igst Paise
	for i, l := range in.Lines {
		pl, err := priceLine(i, l, in.DefaultGSTRate, p.Interstate)
		if err != nil {
			return Pricing{}, err
		}
		var ok1, ok2, ok3, ok4 bool
		p.Taxable, ok1 = addPaise(p.Taxable, pl.Taxable)
		cgst, ok2 = addPaise(cgst, pl.CGST)
		sgst, ok3 = addPaise(sgst, pl.SGST)
		igst, ok4 = addPaise(igst, pl.IGST)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return Pricing{}, Errorf(Invalid, codeAmountTooLarge, "the order total is too large")
		}
		p.Lines = append(p.Lines, pl)
	}
	p.Total = p.Taxable
	for _, t := range []struct {
		head, ledger string
		amount       Paise
	}{{"CGST", in.Tax.CGST, cgst}, {"SGST", in.Tax.SGST, sgst}, {"IGST", in.Tax.IGST, igst}} {
		if t.amount == 0 {
			continue
		}
		if strings.TrimSpace(t.ledger) == "" {
			return Pricing{}, &Error{Kind: Invalid, Code: codeLedgerNotConfigured,
				Message: fmt.Sprintf("the %s ledger is not configured, and this order needs %s", t.head, t.head),
				Hint:    fmt.Sprintf("set the name of the Tally duty ledger for %s", t.head)}
		}
		var ok bool
		if p.Total, ok = addPaise(p.Total, t.amount); !ok {
			return Pricing{}, Errorf(Invalid, codeAmountTooLarge, "the order total is too large")
		}
		p.TaxEntries = mergeTax(p.TaxEntries, t.ledger, t.amount)
	}
	return p, nil
}

// mergeTax adds amount to ledger's entry, or appends one. Two heads can share
// a ledger name only by misconfiguration, but the voucher still balances.
func mergeTax(entries []TaxEntry, ledger string, amount Paise) []TaxEntry {
	for i := range entries {
		if entries[i].Ledger == ledger {
			entries[i].Amount += amount // bounded by the checked Total
			return entries
		}
	}
	return append(entries, TaxEntry{Ledger: ledger, Amount: amount})
}

func isInterstate(party, company string) bool {
	party = strings.Join(strings.Fields(party), " ")
	if party == "" {
		return false // a local walk-in customer; see PricingInput
	}
	return !strings.EqualFold(party, strings.Join(strings.Fields(company), " "))
}

func priceLine(i int, l OrderLine, defaultRate decimal.Decimal, interstate bool) (PricedLine, error) {
	if strings.TrimSpace(l.Item) == "" {
		return PricedLine{}, Errorf(Invalid, codeInvalidItem, "lines[%d].item must not be empty", i)
	}
	if why := checkQuantity(l.Quantity); why != "" {
		return PricedLine{}, Errorf(Invalid, codeInvalidQuantity, "lines[%d].quantity %s", i, why)
	}
	if l.Rate < 0 {
		return PricedLine{}, Errorf(Invalid, codeInvalidRate, "lines[%d].rate must not be negative", i)
	}
	rate := defaultRate
	if l.GSTRate != nil {
		rate = *l.GSTRate
	}
	if !IsGSTSlab(rate) {
		if l.GSTRate == nil {
			return PricedLine{}, Errorf(Invalid, codeInvalidGSTRate,
				"the default GST rate %s (used by lines[%d]) is not a GST rate; allowed: %s", shortDecimal(rate), i, gstSlabList())
		}
		return PricedLine{}, Errorf(Invalid, codeInvalidGSTRate,
			"lines[%d].gst_rate %s is not a GST rate; allowed: %s", i, shortDecimal(rate), gstSlabList())
	}
	taxable, ok := roundToPaise(l.Quantity.Mul(decimal.NewFromInt(int64(l.Rate))))
	if !ok {
		return PricedLine{}, Errorf(Invalid, codeAmountTooLarge, "lines[%d] amount (quantity × rate) is too large", i)
	}
	// Shift(-2) divides by 100 exactly; no Div, whose precision is a global.
	pl := PricedLine{
		Item: l.Item, Quantity: l.Quantity, Unit: l.Unit, Rate: l.Rate,
		Taxable: taxable, GSTRate: rate,
	}
	base := decimal.NewFromInt(int64(taxable))
	if interstate {
		// Shift(-2) divides by 100 exactly; no Div, whose precision is a global.
		igst, ok := roundToPaise(base.Mul(rate).Shift(-2))
		if !ok {
			return PricedLine{}, Errorf(Invalid, codeAmountTooLarge, "lines[%d] tax is too large", i)
		}
		pl.IGST, pl.GST = igst, igst
		return pl, nil
	}
	// Intra-state, Tally computes each half on its own: the CGST ledger at
	// rate/2 and the SGST ledger at rate/2, each rounded. So the halves are
	// always equal (as GST returns expect) and GST is their sum, which can
	// differ by a paisa from rounding the full rate once.
	half, ok := roundToPaise(base.Mul(rate).Shift(-2).Div(decimal.NewFromInt(2)))
	if !ok {
		return PricedLine{}, Errorf(Invalid, codeAmountTooLarge, "lines[%d] tax is too large", i)
	}
	pl.CGST, pl.SGST, pl.GST = half, half, 2*half
	return pl, nil
}

// checkQuantity returns why q is not a usable Tally quantity, or "".
func checkQuantity(q decimal.Decimal) string {
	if q.Sign() <= 0 {
		return "must be positive"
	}
	// Bound the magnitude before any arithmetic that rescales: a hostile
	// exponent (1e999999999) would otherwise make decimal build a number with
	// a billion digits. No real quantity has more than 15 integer digits.
	digits := int64(q.NumDigits())
	exp := int64(q.Exponent())
	if digits+exp > 15 {
		return "is too large"
	}
	if exp < -maxQuantityDecimals {
		// More decimal places than Tally keeps are fine only as trailing
		// zeros ("1.50000"); if there are more places to drop than digits,
		// some dropped digit is non-zero.
		if -exp-maxQuantityDecimals > digits || !q.Truncate(maxQuantityDecimals).Equal(q) {
			return fmt.Sprintf("has more than %d decimals (Tally keeps %d)", maxQuantityDecimals, maxQuantityDecimals)
		}
	}
	return ""
}

// roundToPaise rounds a non-negative paise value half-up to a whole paisa and
// reports whether it fits in Paise.
func roundToPaise(d decimal.Decimal) (Paise, bool) {
	v := d.Round(0).BigInt()
	if !v.IsInt64() || v.Int64() == math.MinInt64 {
		return 0, false
	}
	return Paise(v.Int64()), true
}

// shortDecimal renders a decimal for an error message without letting a
// hostile value (1e999999999) expand into a billion digits.
func shortDecimal(d decimal.Decimal) string {
	if e := d.Exponent(); e > 20 || e < -20 {
		return d.ScientificNotationString()
	}
	s := d.String()
	if len(s) > 24 {
		s = s[:24] + "…"
	}
	return s
}

// RemoteIDNamespace is tallyfacade's namespace for RemoteID: a random UUID
// fixed once, so that our REMOTEIDs never collide with another integration's
// name-based ids for the same keys.
const RemoteIDNamespace = "b8aa6802-0540-4765-8f19-a1f920e391bc"

// remoteIDKey is how a company or party name enters a REMOTEID: lower-cased
// and trimmed. It is frozen, apart from foldName (which follows Tally's name
// matching and may learn more of it): a REMOTEID derived differently for the
// same order_ref would make a resend of an order stored before the change a
// second voucher instead of the same one.
func remoteIDKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// RemoteID returns a deterministic REMOTEID for a voucher: the name-based
// (version 5, SHA-1) UUID of key in namespace, RFC 9562 §5.5, formatted
// 8-4-4-4-12 in lower case.
//
// Tally upserts a voucher imported with ACTION="Create" and a REMOTEID it
// already has, where without one a resend creates a duplicate
// (tally-protocol.md §9.4), so the same order must always map to the same
// REMOTEID. Key should include every scope that makes the order unique (for
// an Idempotency-Key, the client too: "client-7/key-abc"), because equal
// keys give equal ids.
//
// namespace must be a UUID in its text form (normally RemoteIDNamespace); any
// other value is a programming error and panics, like regexp.MustCompile.
func RemoteID(namespace, key string) string {
	ns, err := uuid.Parse(namespace)
	if err != nil || !ValidID(namespace) {
		panic(fmt.Sprintf("service.RemoteID: namespace %q is not a UUID", namespace))
	}
	return uuid.NewSHA1(ns, []byte(key)).String()
}
