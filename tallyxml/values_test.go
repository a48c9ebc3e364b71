package tallyxml

import (
	"encoding/xml"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		paise   int64
		set     bool
		wantErr error // nil: no error; errAny: any error
	}{
		{"-1180.00", -118000, true, nil},
		{" 1500", 150000, true, nil},
		{"1,500.00 Dr", -150000, true, nil},
		{"1,500.00 Cr", 150000, true, nil},
		{"1,500.00 dr", -150000, true, nil},
		{"-1,500.00 Cr", 150000, true, nil}, // the side wins over the digits' sign
		{"1500 Dr", -150000, true, nil},
		{"(1,500.00)", -150000, true, nil},
		{"(-)1500.00", -150000, true, nil},
		{"₹ 1,500.00", 150000, true, nil},
		{"-₹ 1,500.00", -150000, true, nil},
		{"-Rs. 1,500.00", -150000, true, nil},
		{"Rs. 1,500.00", 150000, true, nil},
		{"INR 100", 10000, true, nil},
		{"$ 100.00 @ ₹ 81.20/$ = ₹ 8120.00", 812000, true, nil},
		{"1,23,45,678.90", 1234567890, true, nil}, // crore grouping
		{"+7", 700, true, nil},
		{".5", 50, true, nil},
		{"5.", 500, true, nil},
		{"1.000", 100, true, nil},
		{"0", 0, true, nil},
		{"0.00", 0, true, nil},
		{"-0.01", -1, true, nil},
		{"", 0, false, nil},
		{"   ", 0, false, nil},
		{"\r\n 42.50\r\n", 4250, true, nil},
		{"1.001", 0, false, ErrInexactAmount},
		{"0.005", 0, false, ErrInexactAmount},
		{"abc", 0, false, errAny},
		{"1.2.3", 0, false, errAny},
		{"-", 0, false, errAny},
		{"Dr", 0, false, errAny},
		{"99999999999999999999", 0, false, errAny},
		{"92233720368547758.07", 0, false, errAny},
	}
	for _, tt := range tests {
		a, err := ParseAmount(tt.in)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("ParseAmount(%q): %v", tt.in, err)
		case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("ParseAmount(%q) err = %v, want %v", tt.in, err, tt.wantErr)
		case err == nil && (a.Paise() != tt.paise || a.IsSet() != tt.set):
			t.Errorf("ParseAmount(%q) = %d set=%v, want %d set=%v", tt.in, a.Paise(), a.IsSet(), tt.paise, tt.set)
		}
	}
}

var errAny = errors.New("any error")

func TestAmountFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a          Amount
		str, drcr  string
		debit, set bool
	}{
		{Paise(-118000), "-1180.00", "1,180.00 Dr", true, true},
		{Paise(150000), "1500.00", "1,500.00 Cr", false, true},
		{Paise(5), "0.05", "0.05 Cr", false, true},
		{Paise(-5), "-0.05", "0.05 Dr", true, true},
		{Paise(0), "0.00", "0.00", false, true},
		{Amount{}, "", "", false, false},
		{Paise(-1234567890), "-12345678.90", "1,23,45,678.90 Dr", true, true},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.str {
			t.Errorf("String(%d) = %q, want %q", tt.a.Paise(), got, tt.str)
		}
		if got := tt.a.DrCr(); got != tt.drcr {
			t.Errorf("DrCr(%d) = %q, want %q", tt.a.Paise(), got, tt.drcr)
		}
		if tt.a.IsDebit() != tt.debit || tt.a.IsSet() != tt.set {
			t.Errorf("%d: IsDebit %v IsSet %v", tt.a.Paise(), tt.a.IsDebit(), tt.a.IsSet())
		}
		if b, _ := tt.a.MarshalText(); string(b) != tt.str {
			t.Errorf("MarshalText = %q", b)
		}
		// Every set amount re-parses to itself.
		if back, err := ParseAmount(tt.str); err != nil || back != tt.a {
			t.Errorf("ParseAmount(String()) = %v, %v; want %v", back, err, tt.a)
		}
	}
	if got := Paise(100).Neg(); got != Paise(-100) {
		t.Errorf("Neg = %v", got)
	}
	if got := (Amount{}).Neg(); got.IsSet() {
		t.Error("Neg of empty is set")
	}
	if got := (Amount{}).Add(Amount{}); got.IsSet() {
		t.Error("empty+empty is set")
	}
	if got := (Amount{}).Add(Paise(-5)); got != Paise(-5) {
		t.Errorf("empty+(-5) = %v", got)
	}
	if got := Paise(10).Add(Paise(-15)); got != Paise(-5) {
		t.Errorf("10+(-15) = %v", got)
	}
}

func TestGroupIndian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		paise int64
		want  string
	}{
		{0, "0.00"},
		{7, "0.07"},
		{99999, "999.99"},
		{100000, "1,000.00"},
		{4850000, "48,500.00"},
		{10000000, "1,00,000.00"},           // one lakh
		{1000000000, "1,00,00,000.00"},      // one crore
		{1234567890, "1,23,45,678.90"},      // crore with lakhs
		{123456789012, "1,23,45,67,890.12"}, // a hundred crore
		{-1234567890, "-1,23,45,678.90"},
		{math.MaxInt64, "92,23,37,20,36,85,47,758.07"},
		{math.MinInt64, "-92,23,37,20,36,85,47,758.08"},
	}
	for _, tt := range tests {
		if got := GroupIndian(tt.paise); got != tt.want {
			t.Errorf("GroupIndian(%d) = %q, want %q", tt.paise, got, tt.want)
		}
	}
}

func TestAmountXML(t *testing.T) {
	t.Parallel()
	var v struct {
		A Amount `xml:"A"`
		B Amount `xml:"B"`
		C Amount `xml:"C"`
	}
	if err := xml.Unmarshal([]byte("<X><A>1,500.00 Dr</A><B></B></X>"), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != Paise(-150000) || v.B.IsSet() || v.C.IsSet() {
		t.Errorf("got %+v", v)
	}
	if err := xml.Unmarshal([]byte("<X><A>1.001</A></X>"), &v); !errors.Is(err, ErrInexactAmount) {
		t.Errorf("inexact amount: err = %v", err)
	}
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"X"`
		A       Amount   `xml:"A"`
		B       Amount   `xml:"B"`
	}{A: Paise(-118000)})
	if err != nil || string(out) != "<X><A>-1180.00</A><B></B></X>" {
		t.Errorf("Marshal = %s, %v", out, err)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	apr1 := NewDate(2026, time.April, 1)
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"20260401", apr1, false},
		{"1-Apr-26", apr1, false},
		{"01-Apr-26", apr1, false},
		{"1-Apr-2026", apr1, false},
		{"01-04-2026", apr1, false},
		{"2026-04-01", apr1, false},
		{"1-APR-26", apr1, false},
		{"1-apr-2026", apr1, false},
		{" 20260401\r\n", apr1, false},
		{"31-Mar-27", NewDate(2027, time.March, 31), false},
		{"29-Feb-28", NewDate(2028, time.February, 29), false},
		{"", Date{}, false},
		{"  ", Date{}, false},
		{"20261301", Date{}, true},
		{"29-Feb-27", Date{}, true},
		{"1/4/2026", Date{}, true},
		{"April 1, 2026", Date{}, true},
		{"1-Xyz-26", Date{}, true},
		{"2026041", Date{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDateFormat(t *testing.T) {
	t.Parallel()
	d := NewDate(2026, time.August, 1)
	for got, want := range map[string]string{
		d.String(): "20260801", d.Long(): "1-Aug-2026", d.Short(): "1-Aug-26", d.ISO(): "2026-08-01",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	var z Date
	if !z.IsZero() || z.String() != "" || z.Long() != "" || z.Short() != "" || z.ISO() != "" {
		t.Errorf("zero date formats: %q %q %q %q", z.String(), z.Long(), z.Short(), z.ISO())
	}
	if got := d.AddDays(31); got != NewDate(2026, time.September, 1) {
		t.Errorf("AddDays = %v", got)
	}
	if !d.Before(d.AddDays(1)) || d.Before(d) {
		t.Error("Before")
	}
	if n := NewDate(2026, time.October, 2).DaysSince(d); n != 62 {
		t.Errorf("DaysSince = %d, want 62", n)
	}
	if NewDate(2026, time.February, 30) != NewDate(2026, time.March, 2) {
		t.Error("NewDate does not normalise")
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	if got := DateOf(time.Date(2026, 4, 1, 0, 30, 0, 0, ist)); got != NewDate(2026, time.April, 1) {
		t.Errorf("DateOf uses the time's own zone: %v", got)
	}
	for _, s := range []string{d.String(), d.Long(), d.Short(), d.ISO()} {
		if back, err := ParseDate(s); err != nil || back != d {
			t.Errorf("ParseDate(%q) = %v, %v", s, back, err)
		}
	}
	b, _ := d.MarshalText()
	var back Date
	if err := back.UnmarshalText(b); err != nil || back != d {
		t.Errorf("text round trip: %v %v", back, err)
	}
}

func TestLogical(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"Yes": true, "yes": true, " YES ": true, "1": true, "true": true,
		"No": false, "no": false, "": false, "0": false, "false": false, "\r\n": false,
	} {
		var l Logical
		if err := l.UnmarshalText([]byte(in)); err != nil || bool(l) != want {
			t.Errorf("Logical(%q) = %v, %v", in, l, err)
		}
	}
	var l Logical
	if err := l.UnmarshalText([]byte("maybe")); err == nil {
		t.Error("maybe accepted")
	}
	if b, _ := Logical(true).MarshalText(); string(b) != "Yes" {
		t.Errorf("true -> %s", b)
	}
	if b, _ := Logical(false).MarshalText(); string(b) != "No" {
		t.Errorf("false -> %s", b)
	}
}

func TestNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Number
		wantErr bool
	}{
		{" 210", 210, false},
		{" 1033", 1033, false},
		{"0", 0, false},
		{"", 0, false},
		{"-1", -1, false},
		{"12a", 0, true},
		{"1.5", 0, true},
	}
	for _, tt := range tests {
		n := Number(99)
		err := n.UnmarshalText([]byte(tt.in))
		if (err != nil) != tt.wantErr || !tt.wantErr && n != tt.want {
			t.Errorf("Number(%q) = %d, %v", tt.in, n, err)
		}
	}
	if b, _ := Number(-42).MarshalText(); string(b) != "-42" {
		t.Errorf("MarshalText = %s", b)
	}
}

func TestQuantity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, value, unit, str string
		set, wantErr         bool
	}{
		{" 1.0000 NOS", "1", "NOS", "1.0000 NOS", true, false},
		{"-2 Box", "-2", "Box", "-2.0000 Box", true, false},
		{"12", "12", "", "12.0000", true, false},
		{"1 Box = 12 Nos", "1", "Box", "1.0000 Box", true, false},
		{"1,000.5 kg", "1000.5", "kg", "1000.5000 kg", true, false},
		{"", "0", "", "", false, false},
		{"abc NOS", "", "", "", false, true},
	}
	for _, tt := range tests {
		q, err := ParseQuantity(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseQuantity(%q): %v", tt.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if !q.Value.Equal(decimal.RequireFromString(tt.value)) || q.Unit != tt.unit || q.IsSet() != tt.set || q.String() != tt.str {
			t.Errorf("ParseQuantity(%q) = %v %q set=%v %q", tt.in, q.Value, q.Unit, q.IsSet(), q.String())
		}
		var u Quantity
		if err := u.UnmarshalText([]byte(tt.in)); err != nil || u.String() != tt.str {
			t.Errorf("UnmarshalText(%q) = %q, %v", tt.in, u.String(), err)
		}
	}
	if b, _ := NewQuantity(decimal.NewFromInt(3), "NOS").MarshalText(); string(b) != "3.0000 NOS" {
		t.Errorf("MarshalText = %s", b)
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, value, unit, str string
		set, wantErr         bool
	}{
		{"200.00/NOS", "200", "NOS", "200.00/NOS", true, false},
		{"200000.00/NOS", "200000", "NOS", "200000.00/NOS", true, false},
		{"₹ 81.20/$", "81.2", "$", "81.20/$", true, false},
		{"200", "200", "", "200.00", true, false},
		{"0.125/kg", "0.125", "kg", "0.125/kg", true, false},
		{"1,250.50 / Box", "1250.5", "Box", "1250.50/Box", true, false},
		{"", "0", "", "", false, false},
		{"x/NOS", "", "", "", false, true},
	}
	for _, tt := range tests {
		r, err := ParseRate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseRate(%q): %v", tt.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if !r.Value.Equal(decimal.RequireFromString(tt.value)) || r.Unit != tt.unit || r.IsSet() != tt.set || r.String() != tt.str {
			t.Errorf("ParseRate(%q) = %v %q set=%v %q", tt.in, r.Value, r.Unit, r.IsSet(), r.String())
		}
	}
	if b, _ := NewRate(decimal.RequireFromString("81.2"), "$").MarshalText(); !strings.HasPrefix(string(b), "81.20/$") {
		t.Errorf("MarshalText = %s", b)
	}
}

// TestParseDateFastPathAgreesWithTimeParse checks the hand-written fast path
// against time.Parse over every day of two centuries, in each form it takes.
func TestParseDateFastPathAgreesWithTimeParse(t *testing.T) {
	t.Parallel()
	for day := time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2069; day = day.AddDate(0, 0, 1) {
		want := DateOf(day)
		for _, s := range []string{day.Format("20060102"), day.Format("2-Jan-06"), day.Format("2-Jan-2006"), day.Format("02-Jan-2006")} {
			if got, err := ParseDate(s); err != nil || got != want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
			}
		}
	}
	for _, bad := range []string{"20260230", "31-Feb-26", "20261301", "0-Apr-26", "1-Foo-26", "1-Apr-2", "2026041", "1-Apr-026"} {
		if d, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %v; want an error", bad, d)
		}
	}
}
