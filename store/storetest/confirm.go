package storetest

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tallyfacade/tallyfacade/service"
)

// ConfirmBooks is a store with the mirror, the reminder sends and the
// outbox of invoice confirmations.
type ConfirmBooks interface {
	service.Store
	service.BooksStore
	service.ConfirmStore
}

// RunConfirm runs the conformance tests of service.ConfirmStore.
func RunConfirm(t *testing.T, newStore func(t *testing.T) ConfirmBooks) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s ConfirmBooks)
	}{
		{"AddOnceAndFinish", testConfirmAddOnce},
		{"HeldVouchers", testConfirmHeld},
		{"TwoReplicasSendOnce", testConfirmTwoReplicas},
		{"OrdersByRemoteID", testConfirmOrdersByRemoteID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

func confirmation(id int64, status string) service.InvoiceConfirmation {
	return service.InvoiceConfirmation{Company: booksCo, VoucherID: id, GUID: "g-1", Number: "ABC/S/9", Date: day(6, 23),
		Party: "Rajesh Enterprises", Mobile: service.NormalizeMobile("98200 12345"), Amount: 11_800_00,
		Message: "Dear Rajesh Enterprises, …", Status: status, CreatedAt: t0, UpdatedAt: t0}
}

// testConfirmAddOnce: a confirmation added twice is the first one; only
// pending ones are pending; a dispatch's outcome is recorded and counted.
func testConfirmAddOnce(t *testing.T, s ConfirmBooks) {
	ctx := t.Context()
	first, noMobile := confirmation(7, service.ConfirmPending), confirmation(8, service.ConfirmNoMobile)
	noMobile.Mobile, noMobile.Error = service.NormalizeMobile(""), "no mobile"
	again := first
	again.Amount, again.Message = 1, "changed"
	for _, batch := range [][]service.InvoiceConfirmation{{first, noMobile}, {again}} {
		if err := s.AddConfirmations(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := s.PendingConfirmations(ctx, " abc traders", 10)
	if err != nil {
		t.Fatal(err)
	}
	ignoreCompany := cmpopts.IgnoreFields(service.InvoiceConfirmation{}, "Company")
	if d := cmp.Diff([]service.InvoiceConfirmation{first}, pending, opts, ignoreCompany); d != "" {
		t.Errorf("pending (-want +got):\n%s", d)
	}
	later := t0.Add(time.Minute)
	for _, o := range []service.ConfirmationOutcome{
		{Company: booksCo, VoucherID: 7, Status: service.ConfirmPending, Error: "refused", Claimed: true, Now: later},
		{Company: booksCo, VoucherID: 7, Status: service.ConfirmSent, Claimed: true, Now: later},
		// Another replica's, which found the claim taken, after the
		// claimant's: it does not hide the claimant's outcome.
		{Company: booksCo, VoucherID: 7, Status: service.ConfirmPending, Now: later.Add(time.Second)},
	} {
		if err := s.FinishConfirmation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if pending, err := s.PendingConfirmations(ctx, booksCo, 10); err != nil || len(pending) != 0 {
		t.Errorf("pending after sent: %+v, %v", pending, err)
	}
	all, err := s.ListConfirmations(ctx, booksCo, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].VoucherID != 8 || all[1].Status != service.ConfirmSent || all[1].Attempts != 2 ||
		!all[1].UpdatedAt.Equal(later) || all[1].Amount != first.Amount {
		t.Errorf("all: %+v", all)
	}
}

func testConfirmHeld(t *testing.T, s ConfirmBooks) {
	ctx := t.Context()
	v := service.MirrorVoucher{MasterID: 3, AlterID: 3, Type: "Sales", Date: day(6, 23), Party: "P",
		Entries: []service.MirrorEntry{{Ledger: "P", Amount: -100}, {Ledger: "Sales", Amount: 100}}}
	if err := s.ApplyVouchers(ctx, booksCo, []service.MirrorVoucher{v}, nil, true); err != nil {
		t.Fatal(err)
	}
	held, err := s.MirrorVouchersHeld(ctx, booksCo, []int64{2, 3, 4})
	if err != nil || !slices.Equal(held, []int64{3}) {
		t.Errorf("held of 2, 3, 4: %v, %v; want [3]", held, err)
	}
}

// testConfirmOrdersByRemoteID: the stored orders by REMOTEID, and nothing
// for a REMOTEID no order has.
func testConfirmOrdersByRemoteID(t *testing.T, s ConfirmBooks) {
	api, wa := newOrder("A", t0), newOrder("B", t0)
	wa.Source = service.SourceWhatsApp
	api, wa = mustCreate(t, s, api), mustCreate(t, s, wa)
	got, err := s.OrdersByRemoteID(t.Context(), []string{wa.RemoteID, "tallyfacade-order-none", api.RemoteID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]service.OrderRecord{api.RemoteID: api, wa.RemoteID: wa}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("OrdersByRemoteID (-want +got):\n%s", d)
	}
}

// testConfirmTwoReplicas runs two replicas' dispatches at once over the
// same pending confirmation, each as Confirmations.Dispatch does it (the
// reminder claim, then the outcome): one claims and sends, the other finds
// the claim.
func testConfirmTwoReplicas(t *testing.T, s ConfirmBooks) {
	ctx := t.Context()
	if err := s.AddConfirmations(ctx, []service.InvoiceConfirmation{confirmation(9, service.ConfirmPending)}); err != nil {
		t.Fatal(err)
	}
	var sends atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			pending, err := s.PendingConfirmations(ctx, booksCo, 10)
			if err != nil {
				t.Error(err)
				return
			}
			for _, c := range pending {
				key := service.ConfirmKey(booksCo, c.VoucherID)
				won, err := s.ClaimReminder(ctx, service.ReminderClaim{Key: key, Company: booksCo, Party: c.Party,
					Mobile: c.Mobile.E164, Day: c.Date, Message: c.Message, Now: t0})
				if err != nil {
					t.Error(err)
					return
				}
				status := service.ConfirmPending // the claim is another's: it records the outcome
				if won {
					sends.Add(1)
					status = service.ConfirmSent
				}
				if err := s.FinishConfirmation(ctx, service.ConfirmationOutcome{Company: booksCo, VoucherID: c.VoucherID, Status: status,
					Claimed: won, Now: t0}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := sends.Load(); n != 1 {
		t.Errorf("%d replicas won the claim; want 1", n)
	}
	if all, err := s.ListConfirmations(ctx, booksCo, 10); err != nil || len(all) != 1 || all[0].Status != service.ConfirmSent {
		t.Errorf("after both replicas: %+v, %v; want sent, whatever their order", all, err)
	}
}
