package service

import (
	"context"
	"testing"
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
