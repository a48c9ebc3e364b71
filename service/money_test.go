package service

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPaiseFormatting(t *testing.T) {
	tests := []struct {
		p                   Paise
		str, indian, rupees string
	}{
		{0, "0.00", "0.00", "₹0.00"},
		{5, "0.05", "0.05", "₹0.05"},
		{-5, "-0.05", "-0.05", "-₹0.05"},
		{100, "1.00", "1.00", "₹1.00"},
		{-1205, "-12.05", "-12.05", "-₹12.05"},
		{99999, "999.99", "999.99", "₹999.99"},
		{100000, "1000.00", "1,000.00", "₹1,000.00"},
		{4850000, "48500.00", "48,500.00", "₹48,500.00"},
		{-4850000, "-48500.00", "-48,500.00", "-₹48,500.00"},
		{10000000, "100000.00", "1,00,000.00", "₹1,00,000.00"},
		{123456789, "1234567.89", "12,34,567.89", "₹12,34,567.89"},
		{1234567890, "12345678.90", "1,23,45,678.90", "₹1,23,45,678.90"},
		{10000000000, "100000000.00", "10,00,00,000.00", "₹10,00,00,000.00"},
		{math.MaxInt64, "92233720368547758.07", "92,23,37,20,36,85,47,758.07", "₹92,23,37,20,36,85,47,758.07"},
		{math.MinInt64, "-92233720368547758.08", "-92,23,37,20,36,85,47,758.08", "-₹92,23,37,20,36,85,47,758.08"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.str {
			t.Errorf("Paise(%d).String() = %q, want %q", int64(tt.p), got, tt.str)
		}
		if got := tt.p.Indian(); got != tt.indian {
			t.Errorf("Paise(%d).Indian() = %q, want %q", int64(tt.p), got, tt.indian)
		}
		if got := tt.p.Rupees(); got != tt.rupees {
			t.Errorf("Paise(%d).Rupees() = %q, want %q", int64(tt.p), got, tt.rupees)
		}
	}
}

func TestPaiseAbs(t *testing.T) {
	for _, tt := range []struct{ in, want Paise }{{0, 0}, {5, 5}, {-5, 5}, {math.MaxInt64, math.MaxInt64}, {-math.MaxInt64, math.MaxInt64}} {
		if got := tt.in.Abs(); got != tt.want {
			t.Errorf("Paise(%d).Abs() = %d, want %d", tt.in, got, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Paise(math.MinInt64).Abs() did not panic")
		}
	}()
	_ = Paise(math.MinInt64).Abs()
}

func TestParsePaise(t *testing.T) {
	ok := []struct {
		in   string
		want Paise
	}{
		{"48500", 4850000},
		{"48500.5", 4850050},
		{"48500.50", 4850050},
		{"48500.500", 4850050}, // trailing zeros are not significant
		{"-10.00", -1000},
		{"-0", 0},
		{"0.01", 1},
		{"0.1", 10},
		{"007", 700},
		{" 12.34\n", 1234}, // outer white space from templating is harmless
		{"92233720368547758.07", math.MaxInt64},
		{"-92233720368547758.07", -math.MaxInt64},
	}
	for _, tt := range ok {
		got, err := ParsePaise(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePaise(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, msg string }{
		{"", "is empty"},
		{"   ", "is empty"},
		{"48500.505", "more than two decimals"},
		{"0.001", "more than two decimals"},
		{"1.0000001", "more than two decimals"},
		{"4.85e4", "exponent"},
		{"1E2", "exponent"},
		{"48 500", "spaces"},
		{"48500. 50", "spaces"},
		{"48,500.00", "grouping"},
		{"92233720368547758.08", "out of range"},
		{"-92233720368547758.08", "out of range"}, // math.MinInt64: kept out so Abs never overflows
		{"99999999999999999999", "out of range"},
		{strings.Repeat("1", 65), "too long"},
		{"+10", "not a number"},
		{"--10", "not a number"},
		{"₹10", "not a number"},
		{"10 Dr", "spaces"},
		{"abc", "not a number"},
		{"NaN", "not a number"},
		{".5", "digits on both sides"},
		{"5.", "digits on both sides"},
		{"-", "digits on both sides"},
		{"1.2.3", "not a number"},
		{"0x10", "not a number"},
	}
	for _, tt := range bad {
		got, err := ParsePaise(tt.in)
		e, isErr := AsError(err)
		if !isErr {
			t.Errorf("ParsePaise(%q) = %d, %v; want an *Error", tt.in, got, err)
			continue
		}
		if e.Kind != Invalid || e.Code != "invalid_amount" || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("ParsePaise(%q) error = {%v %q %q}; want {invalid invalid_amount …%s…}", tt.in, e.Kind, e.Code, e.Message, tt.msg)
		}
	}
}

func TestPaiseJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		A Paise  `json:"a"`
		B *Paise `json:"b"`
	}{A: 4850050, B: new(Paise(-1205))})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"a":"48500.50","b":"-12.05"}`, string(b)); diff != "" {
		t.Errorf("Marshal (-want +got):\n%s", diff)
	}

	ok := []struct {
		in   string
		want Paise
	}{
		{`"48500.50"`, 4850050},
		{`"48500"`, 4850000},
		{`48500`, 4850000},
		{`48500.5`, 4850050},
		{`-10.00`, -1000},
		{`0.1`, 10},              // a float64 would make this 0.1000000000000000055…
		{`"\u0034\u0032"`, 4200}, // JSON escapes in a string are decoded first
		{`92233720368547758.07`, math.MaxInt64},
	}
	for _, tt := range ok {
		var v struct{ A Paise }
		err := json.Unmarshal([]byte(`{"A":`+tt.in+`}`), &v)
		if err != nil || v.A != tt.want {
			t.Errorf("Unmarshal %s = %d, %v; want %d", tt.in, v.A, err, tt.want)
		}
	}

	// null leaves the value alone, as encoding/json does for built-in types.
	v := struct{ A Paise }{A: 77}
	if err := json.Unmarshal([]byte(`{"A":null}`), &v); err != nil || v.A != 77 {
		t.Errorf("Unmarshal null = %d, %v; want 77 unchanged", v.A, err)
	}

	for _, in := range []string{`"48500.505"`, `48500.505`, `4.85e4`, `1E2`, `""`, `"abc"`, `true`, `{}`, `[1]`, `"1 0"`, `92233720368547758.08`} {
		var v struct{ A Paise }
		err := json.Unmarshal([]byte(`{"A":`+in+`}`), &v)
		if e, ok := AsError(err); !ok || e.Kind != Invalid || e.Code != "invalid_amount" {
			t.Errorf("Unmarshal %s: err = %v; want *Error invalid_amount", in, err)
		}
	}

	// UnmarshalJSON called directly (not through the json package, which
	// validates first) must still refuse garbage.
	var p Paise
	if err := p.UnmarshalJSON([]byte(`12abc`)); err == nil {
		t.Error("UnmarshalJSON(12abc) succeeded")
	}
}

func TestPaiseJSONRoundTrip(t *testing.T) {
	for _, p := range []Paise{0, 1, -1, 4850050, -1205, math.MaxInt64, -math.MaxInt64} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var got Paise
		if err := json.Unmarshal(b, &got); err != nil || got != p {
			t.Errorf("round trip of %d via %s = %d, %v", p, b, got, err)
		}
	}
}

func TestNewBalance(t *testing.T) {
	tests := []struct {
		signed Paise
		want   Balance
		str    string
	}{
		{-4850000, Balance{Amount: 4850000, Side: Debit, Signed: -4850000}, "48,500.00 Dr"},
		{120000, Balance{Amount: 120000, Side: Credit, Signed: 120000}, "1,200.00 Cr"},
		{0, Balance{}, "0.00"},
		{-1, Balance{Amount: 1, Side: Debit, Signed: -1}, "0.01 Dr"},
	}
	for _, tt := range tests {
		got := NewBalance(tt.signed)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("NewBalance(%d) (-want +got):\n%s", tt.signed, diff)
		}
		if s := got.String(); s != tt.str {
			t.Errorf("NewBalance(%d).String() = %q, want %q", tt.signed, s, tt.str)
		}
	}
}

func TestAddPaise(t *testing.T) {
	tests := []struct {
		a, b Paise
		want Paise
		ok   bool
	}{
		{1, 2, 3, true},
		{-1, -2, -3, true},
		{math.MaxInt64, 0, math.MaxInt64, true},
		{math.MaxInt64, 1, 0, false},
		{-math.MaxInt64, -1, 0, false}, // would be math.MinInt64, outside the range
		{math.MaxInt64, -math.MaxInt64, 0, true},
	}
	for _, tt := range tests {
		got, ok := addPaise(tt.a, tt.b)
		if got != tt.want || ok != tt.ok {
			t.Errorf("addPaise(%d, %d) = %d, %v; want %d, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParsePaise(f *testing.F) {
	for _, s := range []string{"48500", "48500.5", "-10.00", "0.001", "4.85e4", "1,000", "92233720368547758.07", "-0", " 1 ", ".5", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePaise(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind != Invalid || e.Code != "invalid_amount" {
				t.Fatalf("ParsePaise(%q) error %v is not an invalid_amount *Error", s, err)
			}
			return
		}
		if p == math.MinInt64 {
			t.Fatalf("ParsePaise(%q) = math.MinInt64", s)
		}
		back, err := ParsePaise(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePaise(%q) = %d; ParsePaise(%q) = %d, %v", s, p, p.String(), back, err)
		}
		var j Paise
		b, _ := p.MarshalJSON()
		if err := j.UnmarshalJSON(b); err != nil || j != p {
			t.Fatalf("JSON round trip of %d via %s = %d, %v", p, b, j, err)
		}
		_ = p.Rupees()
	})
}
