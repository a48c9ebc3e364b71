package service

import (
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
)

// decimalComparer lets cmp compare decimals by value ("18" == "18.00").
var decimalComparer = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func pdec(s string) *decimal.Decimal { return new(dec(s)) }

var testLedgers = TaxLedgers{CGST: "Output CGST", SGST: "Output SGST", IGST: "Output IGST"}

func baseInput(lines ...OrderLine) PricingInput {
	return PricingInput{
		Lines:          lines,
		PartyState:     "Maharashtra",
		CompanyState:   "Maharashtra",
		DefaultGSTRate: dec("18"),
		Tax:            testLedgers,
		SalesLedger:    "Sales",
	}
}

func TestPriceOrder(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*PricingInput)
		lines  []OrderLine
		want   Pricing
	}{
		{
			name: "intra-state, two rates, half-up on taxable value",
			lines: []OrderLine{
				{Item: "Widget", Quantity: dec("2"), Rate: 50000, Unit: "NOS"},                     // default 18%
				{Item: "Gadget", Quantity: dec("1.5"), Rate: 9999, GSTRate: pdec("5"), Unit: "KG"}, // 149.985 → 149.99
			},
			want: Pricing{
				Lines: []PricedLine{
					{Item: "Widget", Quantity: dec("2"), Unit: "NOS", Rate: 50000, Taxable: 100000, GSTRate: dec("18"), GST: 18000, CGST: 9000, SGST: 9000},
					{Item: "Gadget", Quantity: dec("1.5"), Unit: "KG", Rate: 9999, Taxable: 14999, GSTRate: dec("5"), GST: 750, CGST: 375, SGST: 375}, // 749.95 → 750
				},
				Taxable:     114999,
				TaxEntries:  []TaxEntry{{"Output CGST", 9375}, {"Output SGST", 9375}},
				Total:       133749,
				SalesLedger: "Sales",
			},
		},
		{
			name:   "inter-state gives IGST of the same total",
			modify: func(in *PricingInput) { in.PartyState = "Karnataka" },
			lines: []OrderLine{
				{Item: "Widget", Quantity: dec("2"), Rate: 50000},
				{Item: "Gadget", Quantity: dec("1.5"), Rate: 9999, GSTRate: pdec("5")},
			},
			want: Pricing{
				Lines: []PricedLine{
					{Item: "Widget", Quantity: dec("2"), Rate: 50000, Taxable: 100000, GSTRate: dec("18"), GST: 18000, IGST: 18000},
					{Item: "Gadget", Quantity: dec("1.5"), Rate: 9999, Taxable: 14999, GSTRate: dec("5"), GST: 750, IGST: 750},
				},
				Taxable:     114999,
				TaxEntries:  []TaxEntry{{"Output IGST", 18750}},
				Total:       133749,
				Interstate:  true,
				SalesLedger: "Sales",
			},
		},
		{
			// Tally computes each half at 2.5%: 0.025 rounds to 0.03 for CGST and
			// for SGST, so GST is 0.06 although 5% of 1.00 is 0.05.
			name:  "halves are computed and rounded on their own, as Tally does",
			lines: []OrderLine{{Item: "Pin", Quantity: dec("1"), Rate: 100, GSTRate: pdec("5")}},
			want: Pricing{
				Lines:       []PricedLine{{Item: "Pin", Quantity: dec("1"), Rate: 100, Taxable: 100, GSTRate: dec("5"), GST: 6, CGST: 3, SGST: 3}},
				Taxable:     100,
				TaxEntries:  []TaxEntry{{"Output CGST", 3}, {"Output SGST", 3}},
				Total:       106,
				SalesLedger: "Sales",
			},
		},
		{
			name:  "halves that round to zero give no tax entries",
			lines: []OrderLine{{Item: "Pin", Quantity: dec("1"), Rate: 5}}, // 0.05 × 9% = 0.0045 → 0.00 each
			want: Pricing{
				Lines:       []PricedLine{{Item: "Pin", Quantity: dec("1"), Rate: 5, Taxable: 5, GSTRate: dec("18")}},
				Taxable:     5,
				Total:       5,
				SalesLedger: "Sales",
			},
		},
		{
			name: "half-up, not banker's rounding, at both steps",
			lines: []OrderLine{
				{Item: "A", Quantity: dec("0.0001"), Rate: 5000, GSTRate: pdec("0")}, // 0.5 paisa → 1
				{Item: "B", Quantity: dec("1"), Rate: 20, GSTRate: pdec("5")},        // each half 0.5 paisa → 1
			},
			want: Pricing{
				Lines: []PricedLine{
					{Item: "A", Quantity: dec("0.0001"), Rate: 5000, Taxable: 1, GSTRate: dec("0")},
					{Item: "B", Quantity: dec("1"), Rate: 20, Taxable: 20, GSTRate: dec("5"), GST: 2, CGST: 1, SGST: 1},
				},
				Taxable:     21,
				TaxEntries:  []TaxEntry{{"Output CGST", 1}, {"Output SGST", 1}},
				Total:       23,
				SalesLedger: "Sales",
			},
		},
		{
			name: "fractional slabs 0.25 and 7.5, trailing-zero quantity",
			lines: []OrderLine{
				{Item: "Diamond", Quantity: dec("1.00000"), Rate: 10000000, GSTRate: pdec("0.25")}, // 25,000 paise tax
				{Item: "Cab", Quantity: dec("3"), Rate: 3333, GSTRate: pdec("7.50")},               // 9999 × 7.5% = 749.925 → 750
			},
			want: Pricing{
				Lines: []PricedLine{
					{Item: "Diamond", Quantity: dec("1"), Rate: 10000000, Taxable: 10000000, GSTRate: dec("0.25"), GST: 25000, CGST: 12500, SGST: 12500},
					{Item: "Cab", Quantity: dec("3"), Rate: 3333, Taxable: 9999, GSTRate: dec("7.5"), GST: 750, CGST: 375, SGST: 375},
				},
				Taxable:     10009999,
				TaxEntries:  []TaxEntry{{"Output CGST", 12875}, {"Output SGST", 12875}},
				Total:       10035749,
				SalesLedger: "Sales",
			},
		},
		{
			name: "zero-rated order needs no tax ledgers",
			modify: func(in *PricingInput) {
				in.Tax = TaxLedgers{}
				in.DefaultGSTRate = decimal.Decimal{} // zero value: 0%
			},
			lines: []OrderLine{{Item: "Rice", Quantity: dec("10"), Rate: 4500}, {Item: "Free sample", Quantity: dec("1"), Rate: 0, GSTRate: pdec("18")}},
			want: Pricing{
				Lines: []PricedLine{
					{Item: "Rice", Quantity: dec("10"), Rate: 4500, Taxable: 45000, GSTRate: dec("0")},
					{Item: "Free sample", Quantity: dec("1"), Rate: 0, Taxable: 0, GSTRate: dec("18")},
				},
				Taxable:     45000,
				Total:       45000,
				SalesLedger: "Sales",
			},
		},
		{
			name:   "CGST and SGST sharing a ledger name are merged",
			modify: func(in *PricingInput) { in.Tax = TaxLedgers{CGST: "GST", SGST: "GST"} },
			lines:  []OrderLine{{Item: "Widget", Quantity: dec("1"), Rate: 1000}},
			want: Pricing{
				Lines:       []PricedLine{{Item: "Widget", Quantity: dec("1"), Rate: 1000, Taxable: 1000, GSTRate: dec("18"), GST: 180, CGST: 90, SGST: 90}},
				Taxable:     1000,
				TaxEntries:  []TaxEntry{{"GST", 180}},
				Total:       1180,
				SalesLedger: "Sales",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(tt.lines...)
			if tt.modify != nil {
				tt.modify(&in)
			}
			got, err := PriceOrder(in)
			if err != nil {
				t.Fatalf("PriceOrder: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, decimalComparer); diff != "" {
				t.Errorf("PriceOrder (-want +got):\n%s", diff)
			}
			if got.Tax()+got.Taxable != got.Total {
				t.Errorf("Tax() %d + Taxable %d != Total %d", got.Tax(), got.Taxable, got.Total)
			}
		})
	}
}

func TestPriceOrderStates(t *testing.T) {
	tests := []struct {
		party, company string
		interstate     bool
	}{
		{"Maharashtra", "Maharashtra", false},
		{" maharashtra ", "MAHARASHTRA", false},
		{"Tamil  Nadu", "tamil nadu", false},
		{"", "Maharashtra", false}, // a walk-in customer with no state on file
		{"   ", "Maharashtra", false},
		{"Karnataka", "Maharashtra", true},
		{"Maharashtra ", "Goa", true},
	}
	for _, tt := range tests {
		in := baseInput(OrderLine{Item: "Widget", Quantity: dec("1"), Rate: 1000})
		in.PartyState, in.CompanyState = tt.party, tt.company
		got, err := PriceOrder(in)
		if err != nil {
			t.Fatalf("PriceOrder(party %q, company %q): %v", tt.party, tt.company, err)
		}
		if got.Interstate != tt.interstate {
			t.Errorf("PriceOrder(party %q, company %q).Interstate = %v, want %v", tt.party, tt.company, got.Interstate, tt.interstate)
		}
	}
}

func TestPriceOrderErrors(t *testing.T) {
	line := func(mod func(*OrderLine)) OrderLine {
		l := OrderLine{Item: "Widget", Quantity: dec("1"), Rate: 1000}
		if mod != nil {
			mod(&l)
		}
		return l
	}
	second := func(mod func(*OrderLine)) func(*PricingInput) {
		return func(in *PricingInput) { in.Lines = []OrderLine{line(nil), line(nil), line(mod)} }
	}
	huge := Paise(math.MaxInt64 / 2)
	tests := []struct {
		name, code, msg string
		modify          func(*PricingInput)
	}{
		{"no lines", "order_no_lines", "at least one line", func(in *PricingInput) { in.Lines = nil }},
		{"empty item", "invalid_item", "lines[2].item must not be empty", second(func(l *OrderLine) { l.Item = "  " })},
		{"zero quantity", "invalid_quantity", "lines[2].quantity must be positive", second(func(l *OrderLine) { l.Quantity = decimal.Decimal{} })},
		{"negative quantity", "invalid_quantity", "lines[2].quantity must be positive", second(func(l *OrderLine) { l.Quantity = dec("-1") })},
		{"five decimals", "invalid_quantity", "lines[2].quantity has more than 4 decimals", second(func(l *OrderLine) { l.Quantity = dec("1.23456") })},
		{"tiny quantity", "invalid_quantity", "more than 4 decimals", second(func(l *OrderLine) { l.Quantity = decimal.New(1, -999999999) })},
		{"hostile exponent", "invalid_quantity", "lines[2].quantity is too large", second(func(l *OrderLine) { l.Quantity = decimal.New(1, 999999999) })},
		{"quantity 1e15", "invalid_quantity", "too large", second(func(l *OrderLine) { l.Quantity = dec("1000000000000000") })},
		{"negative rate", "invalid_rate", "lines[2].rate must not be negative", second(func(l *OrderLine) { l.Rate = -1 })},
		{"rate 13%", "invalid_gst_rate", "lines[2].gst_rate 13 is not a GST rate; allowed: 0, 0.1, 0.25, 1.5, 3, 5, 6, 7.5, 12, 18, 28, 40", second(func(l *OrderLine) { l.GSTRate = pdec("13") })},
		{"rate 18.01%", "invalid_gst_rate", "lines[2].gst_rate 18.01", second(func(l *OrderLine) { l.GSTRate = pdec("18.01") })},
		{"rate -18%", "invalid_gst_rate", "lines[2].gst_rate -18", second(func(l *OrderLine) { l.GSTRate = pdec("-18") })},
		{"bad default", "invalid_gst_rate", "the default GST rate 17 (used by lines[0])", func(in *PricingInput) { in.DefaultGSTRate = dec("17") }},
		{"line overflow", "amount_too_large", "lines[2] amount (quantity × rate) is too large", second(func(l *OrderLine) { l.Quantity = dec("3"); l.Rate = huge })},
		{"order overflow", "amount_too_large", "order total is too large", func(in *PricingInput) {
			in.Lines = []OrderLine{line(func(l *OrderLine) { l.Rate = huge }), line(func(l *OrderLine) { l.Rate = huge }), line(func(l *OrderLine) { l.Rate = huge })}
		}},
		{"tax pushes total over", "amount_too_large", "order total is too large", func(in *PricingInput) {
			in.Lines = []OrderLine{line(func(l *OrderLine) { l.Rate = Paise(math.MaxInt64 / 8 * 7) })} // taxable fits, +18% does not
		}},
		{"no company state", "company_state_not_configured", "company's state is not configured", func(in *PricingInput) { in.CompanyState = " " }},
		{"no sales ledger", "sales_ledger_not_configured", "sales ledger is not configured", func(in *PricingInput) { in.SalesLedger = "" }},
		{"no IGST ledger", "tax_ledger_not_configured", "the IGST ledger is not configured", func(in *PricingInput) {
			in.PartyState, in.Tax.IGST = "Goa", ""
		}},
		{"no SGST ledger", "tax_ledger_not_configured", "the SGST ledger is not configured", func(in *PricingInput) { in.Tax.SGST = "" }},
		{"no CGST ledger", "tax_ledger_not_configured", "the CGST ledger is not configured", func(in *PricingInput) { in.Tax.CGST = " " }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput(line(nil))
			tt.modify(&in)
			got, err := PriceOrder(in)
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("PriceOrder = %+v, %v; want an *Error", got, err)
			}
			if e.Kind != Invalid || e.Code != tt.code || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("error = {%v %q %q}; want {invalid %q …%s…}", e.Kind, e.Code, e.Message, tt.code, tt.msg)
			}
			if diff := cmp.Diff(Pricing{}, got, decimalComparer); diff != "" {
				t.Errorf("a failed PriceOrder returned a partial Pricing:\n%s", diff)
			}
		})
	}
}

// TestPriceOrderProperties prices many generated orders and checks the
// invariants that make the voucher balance, against an independent big.Rat
// computation of each line.
func TestPriceOrderProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(20251122, 1))
	slabs := GSTSlabs()
	for n := range 3000 {
		in := baseInput()
		in.DefaultGSTRate = slabs[rng.IntN(len(slabs))]
		if rng.IntN(2) == 0 {
			in.PartyState = "Karnataka"
		}
		for range 1 + rng.IntN(12) {
			// Quantities with 0 to 4 decimals, rates up to ₹10 lakh.
			q := decimal.New(1+rng.Int64N(1_000_000), -int32(rng.IntN(5)))
			l := OrderLine{Item: "Item", Quantity: q, Rate: Paise(rng.Int64N(100_000_000))}
			if rng.IntN(3) > 0 {
				l.GSTRate = new(slabs[rng.IntN(len(slabs))])
			}
			in.Lines = append(in.Lines, l)
		}
		p, err := PriceOrder(in)
		if err != nil {
			t.Fatalf("order %d: %v", n, err)
		}
		var taxable, cgst, sgst, igst, tax Paise
		for i, pl := range p.Lines {
			l := in.Lines[i]
			rate := in.DefaultGSTRate
			if l.GSTRate != nil {
				rate = *l.GSTRate
			}
			wantTaxable := roundHalfUpRat(new(big.Rat).Mul(l.Quantity.Rat(), big.NewRat(int64(l.Rate), 1)))
			wantGST := roundHalfUpRat(new(big.Rat).Mul(big.NewRat(int64(wantTaxable), 100), rate.Rat()))
			if !p.Interstate { // each half on its own, as Tally computes CGST and SGST
				wantGST = 2 * roundHalfUpRat(new(big.Rat).Mul(big.NewRat(int64(wantTaxable), 200), rate.Rat()))
			}
			if pl.Taxable != wantTaxable || pl.GST != wantGST {
				t.Fatalf("order %d line %d: %s × %d at %s%% = taxable %d, GST %d; want %d, %d", n, i, l.Quantity, l.Rate, rate, pl.Taxable, pl.GST, wantTaxable, wantGST)
			}
			if pl.CGST+pl.SGST+pl.IGST != pl.GST {
				t.Fatalf("order %d line %d: CGST %d + SGST %d + IGST %d != GST %d", n, i, pl.CGST, pl.SGST, pl.IGST, pl.GST)
			}
			if p.Interstate {
				if pl.CGST != 0 || pl.SGST != 0 {
					t.Fatalf("order %d line %d: CGST/SGST on an inter-state order: %+v", n, i, pl)
				}
			} else if pl.IGST != 0 || pl.SGST != pl.CGST {
				t.Fatalf("order %d line %d: bad intra-state split %+v", n, i, pl)
			}
			taxable += pl.Taxable
			cgst += pl.CGST
			sgst += pl.SGST
			igst += pl.IGST
		}
		want := map[string]Paise{}
		for ledger, amount := range map[string]Paise{testLedgers.CGST: cgst, testLedgers.SGST: sgst, testLedgers.IGST: igst} {
			if amount != 0 {
				want[ledger] = amount
			}
		}
		got := map[string]Paise{}
		for _, e := range p.TaxEntries {
			if e.Amount <= 0 {
				t.Fatalf("order %d: non-positive tax entry %+v", n, e)
			}
			if _, dup := got[e.Ledger]; dup {
				t.Fatalf("order %d: ledger %q appears twice", n, e.Ledger)
			}
			got[e.Ledger] = e.Amount
			tax += e.Amount
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("order %d: tax entries (-want +got):\n%s", n, diff)
		}
		if p.Taxable != taxable || p.Total != p.Taxable+tax {
			t.Fatalf("order %d: Taxable %d (lines %d), Total %d, tax %d: the voucher does not balance", n, p.Taxable, taxable, p.Total, tax)
		}
	}
}

// roundHalfUpRat rounds a non-negative rational half-up to an integer.
func roundHalfUpRat(r *big.Rat) Paise {
	half := new(big.Rat).Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(half.Num(), half.Denom())
	return Paise(q.Int64())
}

func TestGSTSlabs(t *testing.T) {
	var got []string
	for _, s := range GSTSlabs() {
		got = append(got, s.String())
	}
	want := []string{"0", "0.1", "0.25", "1.5", "3", "5", "6", "7.5", "12", "18", "28", "40"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GSTSlabs (-want +got):\n%s", diff)
	}
	s := GSTSlabs()
	s[0] = dec("99")
	if !GSTSlabs()[0].IsZero() {
		t.Error("GSTSlabs returned shared state")
	}
	for _, tt := range []struct {
		rate decimal.Decimal
		want bool
	}{
		{dec("18"), true},
		{dec("18.00"), true},
		{dec("0.10"), true},
		{dec("40"), true},
		{decimal.New(4, 1), true},
		{dec("0"), true},
		{dec("18.001"), false},
		{dec("-18"), false},
		{dec("14"), false},
		{dec("400"), false},
		{dec("0.18"), false},
		{decimal.New(18, 999999999), false},
		{decimal.New(18, -999999999), false},
	} {
		if got := IsGSTSlab(tt.rate); got != tt.want {
			t.Errorf("IsGSTSlab(%s) = %v, want %v", shortDecimal(tt.rate), got, tt.want)
		}
	}
}

func TestRemoteID(t *testing.T) {
	// RFC 9562 Appendix A.4: name-based SHA-1 of "www.example.com" in the DNS namespace.
	const dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	if got, want := RemoteID(dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("RemoteID(DNS, www.example.com) = %s, want %s", got, want)
	}
	if got, want := RemoteID(strings.ToUpper(dns), "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("RemoteID with an upper-case namespace = %s, want %s", got, want)
	}

	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]string{}
	for _, ns := range []string{RemoteIDNamespace, dns} {
		for _, key := range []string{"", "order-1", "order-2", "client-7/key-abc", "client-8/key-abc", "Order-1", "order-1 ", "wamid.HBgLOTE5ODIwMDEyMzQ1FQIAEhgg"} {
			id := RemoteID(ns, key)
			if again := RemoteID(ns, key); again != id {
				t.Errorf("RemoteID(%s, %q) is not deterministic: %s then %s", ns, key, id, again)
			}
			if !shape.MatchString(id) {
				t.Errorf("RemoteID(%s, %q) = %s is not a version 5 RFC 9562 UUID", ns, key, id)
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("RemoteID(%s, %q) = %s collides with %s", ns, key, id, prev)
			}
			seen[id] = ns + "|" + key
		}
	}

	for _, bad := range []string{"", "not-a-uuid", "6ba7b8109dad11d180b400c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430cz", "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RemoteID(%q, …) did not panic", bad)
				}
			}()
			RemoteID(bad, "k")
		}()
	}
}

// TestOrderRemoteIDIsFrozen pins the REMOTEID of order_ref orders (and
// receipts) to the key they had when first stored. foldName follows Tally's
// name matching and changed (a hyphen and repeated spaces now match a
// space); had the REMOTEID followed it, a resend of an order stored before
// that change would have become a second voucher.
func TestOrderRemoteIDIsFrozen(t *testing.T) {
	svc := New(nil, Config{Company: "ABC Traders", Now: func() time.Time { return time.Date(2026, 6, 23, 10, 0, 0, 0, time.UTC) }})
	tests := []struct{ company, party, ref, want string }{
		// Values computed by the code as it stood before foldName changed
		// (commit f63ba8a): lower-cased and trimmed, nothing else.
		{"ABC Traders", "Shree-Ganesh  Traders", "WA-7", "9328aa7c-920e-505c-94e5-a4d37b235caf"},
		{" abc traders ", "RAJESH ENTERPRISES ", "1", "d960722c-665b-576c-8a0f-f86f1fd9f80c"},
	}
	for _, tt := range tests {
		p, err := svc.planOrder(Order{Company: tt.company, Ref: tt.ref, Party: NewParty{Name: tt.party},
			Lines: []OrderLine{{Item: "Saree", Quantity: decimal.NewFromInt(1), Rate: 100_00}}}, "id-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.RemoteID != tt.want {
			t.Errorf("order %q of %q: REMOTEID %s; want %s as stored before", tt.ref, tt.party, p.RemoteID, tt.want)
		}
	}
}
