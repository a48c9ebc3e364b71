package service

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestFinancialYearStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ day, want time.Time }{
		{date(2026, time.June, 23), date(2026, time.April, 1)},
		{date(2026, time.April, 1), date(2026, time.April, 1)},
		{date(2026, time.March, 31), date(2025, time.April, 1)},
		{date(2027, time.January, 1), date(2026, time.April, 1)},
		{date(2026, time.December, 31), date(2026, time.April, 1)},
	} {
		if got := FinancialYearStart(tc.day); !got.Equal(tc.want) {
			t.Errorf("FinancialYearStart(%s) = %s; want %s", tc.day.Format(time.DateOnly), got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
		}
	}
}

func TestPeriod(t *testing.T) {
	t.Parallel()
	today := date(2026, time.June, 23)
	for _, tc := range []struct {
		name string
		in   Period
		want Period
		code string
	}{
		{"Default", Period{}, Period{date(2026, time.April, 1), today}, ""},
		{"ToOnly", Period{To: date(2026, time.February, 10)}, Period{date(2025, time.April, 1), date(2026, time.February, 10)}, ""},
		{"FromOnly", Period{From: date(2026, time.May, 1)}, Period{date(2026, time.May, 1), today}, ""},
		{"OneDay", Period{From: today, To: today}, Period{today, today}, ""},
		{"Reversed", Period{From: date(2026, time.June, 2), To: date(2026, time.June, 1)}, Period{}, "invalid_period"},
		{"BeforeTally", Period{From: date(1899, time.December, 31)}, Period{}, "invalid_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := period(tc.in, today)
			if tc.code != "" {
				if se, ok := AsError(err); !ok || se.Code != tc.code {
					t.Fatalf("error %v; want %s", err, tc.code)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("period = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestNewStatement: the running balance goes through the lines in Tally's
// sign, and the columns add up.
func TestNewStatement(t *testing.T) {
	t.Parallel()
	st := newStatement(Party{Name: "P"}, Period{}, -1000, []StatementLine{{Amount: -5000}, {Amount: 2500}, {Amount: 4000}})
	var running []Paise
	for _, l := range st.Lines {
		running = append(running, l.Balance.Signed)
	}
	if !cmp.Equal(running, []Paise{-6000, -3500, 500}) || st.Closing != NewBalance(500) || st.Opening != NewBalance(-1000) ||
		st.TotalDebit != 5000 || st.TotalCredit != 6500 {
		t.Errorf("running %v, closing %v, opening %v, debit %d, credit %d", running, st.Closing, st.Opening, st.TotalDebit, st.TotalCredit)
	}
	if empty := newStatement(Party{}, Period{}, 0, nil); empty.Lines == nil || empty.Closing != (Balance{}) {
		t.Errorf("no lines: %+v", empty)
	}
}

func TestAgeing(t *testing.T) {
	t.Parallel()
	bounds := DefaultAgeing()
	for _, tc := range []struct{ days, want int }{{-5, 0}, {0, 0}, {30, 0}, {31, 1}, {60, 1}, {61, 2}, {90, 2}, {91, 3}, {1000, 3}} {
		if got := AgeingIndex(tc.days, bounds); got != tc.want {
			t.Errorf("AgeingIndex(%d) = %d; want %d", tc.days, got, tc.want)
		}
	}
	var labels []string
	for _, b := range NewAgeing(bounds) {
		labels = append(labels, b.Label())
	}
	if !cmp.Equal(labels, []string{"0-30", "31-60", "61-90", "over 90"}) {
		t.Errorf("labels %v", labels)
	}
	aged := AgeBills([]Receivable{{Amount: 100}, {Amount: 200, OverdueDays: 45}, {Amount: -50, OverdueDays: 200}, {Amount: 10, OverdueDays: 31}}, bounds)
	want := []AgeingBucket{{From: 0, To: 30, Bills: 1, Amount: 100}, {From: 31, To: 60, Bills: 2, Amount: 210}, {From: 61, To: 90}, {From: 91, Bills: 1, Amount: -50}}
	if d := cmp.Diff(want, aged); d != "" {
		t.Errorf("AgeBills (-want +got):\n%s", d)
	}
	for _, bad := range [][]int{{}, {0}, {30, 30}, {60, 30}, {36501}, make([]int, 13)} {
		if err := CheckAgeing(bad); KindOf(err) != Invalid {
			t.Errorf("CheckAgeing(%v) = %v; want Invalid", bad, err)
		}
	}
	if err := CheckAgeing([]int{7}); err != nil {
		t.Errorf("CheckAgeing([7]) = %v", err)
	}
}

func TestVoucherCursor(t *testing.T) {
	t.Parallel()
	c := VoucherCursor{Date: date(2026, time.May, 11), ID: 17}
	got, err := ParseVoucherCursor(c.String())
	if err != nil || got != c || c.String() != "2026-05-11.17" {
		t.Errorf("round trip %q: %v, %v", c.String(), got, err)
	}
	if first, err := ParseVoucherCursor(""); err != nil || first != (VoucherCursor{}) || first.String() != "" {
		t.Errorf("the first page: %v, %v", first, err)
	}
	for _, bad := range []string{"x", "2026-05-11", "2026-05-11.", "2026-05-11.0", "2026-13-01.5", "2026-05-11.-3", "17"} {
		if _, err := ParseVoucherCursor(bad); KindOf(err) != Invalid {
			t.Errorf("ParseVoucherCursor(%q) = %v; want Invalid", bad, err)
		}
	}
}
