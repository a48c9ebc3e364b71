package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// RunReports runs the conformance tests of the kept reports
// (service.ReportStore). newStore returns a fresh, empty store for one
// subtest.
func RunReports(t *testing.T, newStore func(t *testing.T) service.ReportStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s service.ReportStore)
	}{
		{"LastNotAfterDate", testReportLastNotAfter},
		{"ReplaceSameDate", testReportReplace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func reportSnap(kind service.ReportKind, asOf time.Time, main service.Paise) service.ReportSnapshot {
	return service.ReportSnapshot{Company: booksCo, Kind: kind, From: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), AsOf: asOf,
		FetchedAt: t0, Rows: []service.ReportRow{
			{Name: "Capital Account"},
			{Name: "Profit & Loss A/c", Sub: -1, SubSet: true, Main: main, MainSet: true},
		}}
}

func testReportLastNotAfter(t *testing.T, s service.ReportStore) {
	ctx := t.Context()
	if _, err := s.LastReport(ctx, booksCo, service.ReportBalanceSheet, day(6, 30)); service.KindOf(err) != service.NotFound {
		t.Fatalf("LastReport before any: %v; want NotFound", err)
	}
	june10, june20 := reportSnap(service.ReportBalanceSheet, day(6, 10), 100), reportSnap(service.ReportBalanceSheet, day(6, 20), 200)
	for _, r := range []service.ReportSnapshot{june10, june20, reportSnap(service.ReportProfitAndLoss, day(6, 25), 300)} {
		if err := s.SaveReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		asOf time.Time
		want *service.ReportSnapshot
	}{
		{day(6, 9), nil},
		{day(6, 10), &june10},
		{day(6, 19), &june10},
		{day(6, 30), &june20},
	} {
		got, err := s.LastReport(ctx, " abc  TRADERS", service.ReportBalanceSheet, tc.asOf)
		if tc.want == nil {
			if service.KindOf(err) != service.NotFound {
				t.Errorf("as of %s: %+v, %v; want NotFound", tc.asOf.Format(time.DateOnly), got, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("as of %s: %v", tc.asOf.Format(time.DateOnly), err)
		}
		if d := cmp.Diff(*tc.want, got, opts); d != "" {
			t.Errorf("as of %s (-want +got):\n%s", tc.asOf.Format(time.DateOnly), d)
		}
	}
}

func testReportReplace(t *testing.T, s service.ReportStore) {
	ctx := t.Context()
	first := reportSnap(service.ReportProfitAndLoss, day(6, 23), 100)
	second := reportSnap(service.ReportProfitAndLoss, day(6, 23), 250)
	second.FetchedAt = t0.Add(time.Hour)
	for _, r := range []service.ReportSnapshot{first, second} {
		if err := s.SaveReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LastReport(ctx, booksCo, service.ReportProfitAndLoss, day(6, 23))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(second, got, opts); d != "" {
		t.Errorf("after a second save of the same date (-want +got):\n%s", d)
	}
}
