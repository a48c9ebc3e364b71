package service

import (
	"context"
	"testing"
	"time"
)

type batchGW struct {
	Gateway
	posted, parties int
}

func (g *batchGW) CreateParties(context.Context, string, []NewParty) (ImportOutcome, error) {
	g.parties++
	return ImportOutcome{Created: 2}, nil
}

func (g *batchGW) PostVouchers(context.Context, string, []Voucher) (ImportOutcome, error) {
	g.posted++
	return ImportOutcome{Created: 1}, nil
}

// TestNotifyWritesKeepsBatching: the mirror's wrapper keeps the batch import
// the posting pipeline looks for, and reports its writes.
func TestNotifyWritesKeepsBatching(t *testing.T) {
	var changed []string
	inner := &batchGW{}
	gw := NotifyWrites(inner, func(c string) { changed = append(changed, c) })
	b, ok := gw.(voucherBatcher)
	if !ok {
		t.Fatal("the wrapper hides PostVouchers")
	}
	if _, err := b.PostVouchers(t.Context(), "ABC", nil); err != nil || inner.posted != 1 || len(changed) != 1 || changed[0] != "ABC" {
		t.Fatalf("posted %d, changed %v, %v", inner.posted, changed, err)
	}
	if _, err := b.CreateParties(t.Context(), "ABC", nil); err != nil || inner.parties != 1 || len(changed) != 2 {
		t.Fatalf("parties imports %d, changed %v, %v", inner.parties, changed, err)
	}
	var plain struct{ Gateway }
	if _, ok := NotifyWrites(plain, func(string) {}).(voucherBatcher); ok {
		t.Fatal("the wrapper claims a batch import its gateway lacks")
	}
}

// TestFirstWindow: the initial load's first window holds about a batch if
// the vouchers were spread evenly, within a day and a year.
func TestFirstWindow(t *testing.T) {
	t.Parallel()
	from := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	today := from.AddDate(0, 0, 439) // 440 days of books
	for _, tc := range []struct {
		vouchers int64
		want     int
	}{
		{0, 31},         // no voucher yet: any window
		{1_000_000, 2},  // 2,273 a day
		{100_000, 22},   // 227 a day
		{10_000, 220},   // 23 a day
		{500, 366},      // sparse: a year at most
		{50_000_000, 1}, // denser than a batch a day: a day at least
	} {
		if got := firstWindow(from, today, tc.vouchers, 5000); got != tc.want {
			t.Errorf("%d vouchers over 440 days: first window %d days, want %d", tc.vouchers, got, tc.want)
		}
	}
}
