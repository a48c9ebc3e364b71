package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

func TestReminderAmount(t *testing.T) {
	for _, tc := range []struct {
		in   service.Paise
		want string
	}{
		{4850000, "48,500"},
		{4850050, "48,500.50"},
		{12345678905, "12,34,56,789.05"},
		{100, "1"},
		{5, "0.05"},
	} {
		if got := service.ReminderAmount(tc.in); got != tc.want {
			t.Errorf("ReminderAmount(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseReminderTemplate(t *testing.T) {
	for _, tc := range []struct {
		text    string
		wantErr string
	}{
		{"", ""},
		{"Namaste {{.Party}}, Rs. {{.Amount}} for {{.Bills}} ({{.OverdueDays}} days, {{.Company}})", ""},
		{"{{range .Bills}}{{.Ref}} due {{.Due}}; {{end}}", ""},
		{"Dear {{.Party", "reminder template"},
		{"Dear {{.Customer}}", "can't evaluate field Customer"},
	} {
		_, err := service.ParseReminderTemplate(tc.text)
		if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("ParseReminderTemplate(%q) = %v, want error %q", tc.text, err, tc.wantErr)
		}
	}
}

// TestRemindersNetCredits checks the amount, the message and the filters on
// a fake Tally: a party's advance reduces its reminder, a party whose credits
// cover its overdue bills gets none, and a bill not yet due is left out.
func TestRemindersNetCredits(t *testing.T) {
	f := newFake()
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	f.bills = []service.Bill{
		{Party: "Rajesh Enterprises", Ref: "ABC/S/101", Date: d(5, 11), Due: d(6, 10), Pending: service.NewBalance(-4850000)},
		{Party: "Rajesh Enterprises", Ref: "ABC/S/120", Date: d(6, 20), Due: d(7, 20), Pending: service.NewBalance(-100000)}, // not due
		{Party: "Rajesh Enterprises", Ref: "ABC/S/099", Date: d(4, 1), Due: d(5, 1), Pending: service.NewBalance(-50050)},
		{Party: "Sharma & Sons", Ref: "ABC/S/103", Date: d(4, 9), Due: d(5, 24), Pending: service.NewBalance(-1000000)},
		{Party: "Sharma & Sons", Ref: "ADV-1", Date: d(6, 1), Pending: service.NewBalance(1000000)},              // advance covers it
		{Party: "Bharat Steel", Ref: "BSS/1", Date: d(4, 1), Due: d(5, 1), Pending: service.NewBalance(-500000)}, // not a debtor
	}
	svc := service.New(f, service.Config{Company: "ABC Traders", Now: func() time.Time { return time.Date(2026, 6, 30, 9, 0, 0, 0, time.UTC) }})
	got, err := svc.Reminders(t.Context(), service.ReminderQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d reminders, want 1: %+v", len(got), got)
	}
	r := got[0]
	want := "Dear Rajesh Enterprises, our records show an outstanding balance of Rs. 49,000.50 due since 1 May 2026. Kindly arrange payment. Reply here for any query."
	if r.Message != want || r.Amount != 4900050 || r.Mobile.E164 != "+919820012345" || len(r.Bills) != 2 || r.Bills[0].Ref != "ABC/S/099" {
		t.Errorf("reminder = %+v\nmessage %q", r, r.Message)
	}
	if f.calls["Receivables"] != 1 || f.calls["Parties"] != 1 {
		t.Errorf("Tally calls = %v, want one Receivables and one Parties", f.calls)
	}
	// Filters: 40 days past due leaves only ABC/S/099 (60 days), 1,000 minimum drops it.
	got, err = svc.Reminders(t.Context(), service.ReminderQuery{MinOverdueDays: 40})
	if err != nil || len(got) != 1 || got[0].Amount != 50050 || got[0].Message[:60] != want[:60] {
		t.Errorf("min 40 days: %+v, %v", got, err)
	}
	got, err = svc.Reminders(t.Context(), service.ReminderQuery{MinOverdueDays: 40, MinAmount: 100000})
	if err != nil || len(got) != 0 {
		t.Errorf("min 40 days and 1,000: %+v, %v", got, err)
	}
}

func TestReminderKey(t *testing.T) {
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	a := service.Reminder{Party: "Rajesh Enterprises", Bills: []service.Receivable{{Ref: "A", Amount: 100}, {Ref: "B", Amount: 200}}}
	b := service.Reminder{Party: "rajesh enterprises ", Bills: []service.Receivable{{Ref: "B", Amount: 200}, {Ref: "A", Amount: 100}}}
	paid := service.Reminder{Party: "Rajesh Enterprises", Bills: []service.Receivable{{Ref: "A", Amount: 50}, {Ref: "B", Amount: 200}}}
	k := service.ReminderKey("ABC Traders", a, day)
	if !strings.HasPrefix(k, "reminder:2026-06-30:") || k != service.ReminderKey("abc traders", b, day) {
		t.Errorf("same party and bills give %q and %q", k, service.ReminderKey("abc traders", b, day))
	}
	for name, other := range map[string]string{
		"part payment": service.ReminderKey("ABC Traders", paid, day),
		"next day":     service.ReminderKey("ABC Traders", a, day.AddDate(0, 0, 1)),
		"company":      service.ReminderKey("XYZ", a, day),
	} {
		if other == k {
			t.Errorf("%s: same key %q", name, k)
		}
	}
}

func TestDailyJobSchedule(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	j := service.DailyJob{At: 9 * time.Hour, Location: ist}
	at := func(d, h, m int) time.Time { return time.Date(2026, 6, d, h, m, 0, 0, ist) }
	for _, tc := range []struct {
		now      time.Time
		next     time.Time
		dueDay   int // 0: not due
		describe string
	}{
		{at(30, 8, 0), at(30, 9, 0), 0, "before nine"},
		{at(30, 8, 59).Add(30 * time.Second), at(30, 9, 0), 30, "a scheduler firing a little early"},
		{at(30, 9, 0), at(31, 9, 0), 30, "at nine"},
		{at(30, 23, 59), at(31, 9, 0), 30, "late evening"},
		{at(30, 2, 0).UTC(), at(30, 9, 0), 0, "UTC input, before nine in India"}, // 29 June 20:30 UTC
	} {
		if got := j.Next(tc.now); !got.Equal(tc.next) {
			t.Errorf("%s: Next = %v, want %v", tc.describe, got, tc.next)
		}
		day, ok := j.Due(tc.now)
		wantDay := time.Date(2026, 6, tc.dueDay, 0, 0, 0, 0, time.UTC)
		if ok != (tc.dueDay != 0) || ok && !day.Equal(wantDay) {
			t.Errorf("%s: Due = %v %v, want day %d", tc.describe, day, ok, tc.dueDay)
		}
	}
	if diff := cmp.Diff(time.Date(2026, 7, 1, 0, 0, 0, 0, ist), service.DailyJob{Location: ist}.Next(at(30, 0, 0))); diff != "" {
		t.Errorf("midnight job: %s", diff)
	}
}
