package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tallyfacade/tallyfacade/service"
)

// RunReminders runs the conformance tests of the reminder sends
// (ClaimReminder, RecordReminderSend, ListReminderSends). newStore is as
// for Run.
func RunReminders(t *testing.T, newStore func(t *testing.T) service.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s service.Store)
	}{
		{"ClaimOnce", testReminderClaimOnce},
		{"ConcurrentClaims", testReminderConcurrentClaims},
		{"RecordAndList", testReminderRecord},
		{"FailedIsClaimedAgain", testReminderFailedReclaim},
		{"RecordWithoutClaim", testReminderRecordMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

var reminderDay = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

func reminderClaim(key string) service.ReminderClaim {
	return service.ReminderClaim{Key: key, Company: "ABC Traders", Party: "Rajesh Enterprises", Mobile: "+919820012345",
		Day: reminderDay, Message: "Dear Rajesh Enterprises, …", Now: t0}
}

func testReminderClaimOnce(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	for i, want := range []bool{true, false, false} {
		got, err := s.ClaimReminder(ctx, reminderClaim("k1"))
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		if got != want {
			t.Fatalf("claim %d = %v, want %v", i, got, want)
		}
	}
	// A claimed (in flight, or sent) key stays taken after it is recorded sent.
	if err := s.RecordReminderSend(ctx, service.ReminderOutcome{Key: "k1", Status: service.ReminderSendSent, Attempts: 1, Now: t0}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimReminder(ctx, reminderClaim("k1")); err != nil || got {
		t.Fatalf("claim after sent = %v, %v; want false", got, err)
	}
	// Another key (another bill set or day) is claimed on its own.
	if got, err := s.ClaimReminder(ctx, reminderClaim("k2")); err != nil || !got {
		t.Fatalf("claim of another key = %v, %v; want true", got, err)
	}
}

func testReminderConcurrentClaims(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	const n = 20
	var (
		won  atomic.Int32
		wg   sync.WaitGroup
		errs = make(chan error, n)
	)
	for range n {
		wg.Go(func() {
			ok, err := s.ClaimReminder(ctx, reminderClaim("race"))
			if err != nil {
				errs <- err
				return
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("claim: %v", err)
	}
	if got := won.Load(); got != 1 {
		t.Fatalf("%d claims won, want exactly 1", got)
	}
}

func testReminderRecord(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	if _, err := s.ClaimReminder(ctx, reminderClaim("rec")); err != nil {
		t.Fatal(err)
	}
	other := reminderClaim("other-day")
	other.Day, other.Party, other.Now = reminderDay.AddDate(0, 0, -1), "Sharma & Sons", t0.Add(-24*time.Hour)
	if _, err := s.ClaimReminder(ctx, other); err != nil {
		t.Fatal(err)
	}
	resp := []byte(`{"messages":[{"id":"wamid.X"}]}`)
	if err := s.RecordReminderSend(ctx, service.ReminderOutcome{Key: "rec", Status: service.ReminderSendSent,
		MessageID: "wamid.X", Response: resp, Attempts: 2, Now: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListReminderSends(ctx, service.ReminderSendFilter{Day: reminderDay})
	if err != nil {
		t.Fatal(err)
	}
	want := []service.ReminderSend{{Key: "rec", Company: "ABC Traders", Party: "Rajesh Enterprises", Mobile: "+919820012345",
		Day: reminderDay, Message: "Dear Rajesh Enterprises, …", Status: service.ReminderSendSent, MessageID: "wamid.X",
		Response: resp, Attempts: 2, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Fatalf("ListReminderSends(day) (-want +got):\n%s", diff)
	}
	all, err := s.ListReminderSends(ctx, service.ReminderSendFilter{})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, r := range all {
		keys = append(keys, r.Key)
	}
	if diff := cmp.Diff([]string{"rec", "other-day"}, keys); diff != "" {
		t.Fatalf("ListReminderSends newest first (-want +got):\n%s", diff)
	}
	byParty, err := s.ListReminderSends(ctx, service.ReminderSendFilter{Party: "Sharma & Sons"})
	if err != nil || len(byParty) != 1 || byParty[0].Status != service.ReminderSendClaimed {
		t.Fatalf("ListReminderSends(party) = %+v, %v; want the one claimed send", byParty, err)
	}
	// A response larger than MaxAuditBody is cut.
	if _, err := s.ClaimReminder(ctx, reminderClaim("big")); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, service.MaxAuditBody+10)
	if err := s.RecordReminderSend(ctx, service.ReminderOutcome{Key: "big", Status: service.ReminderSendFailed, Response: big, Error: "x"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListReminderSends(ctx, service.ReminderSendFilter{Limit: 1})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListReminderSends(limit 1) = %d rows, %v", len(list), err)
	}
	for _, r := range mustList(t, s) {
		if r.Key == "big" && len(r.Response) != service.MaxAuditBody {
			t.Fatalf("stored response is %d bytes, want %d", len(r.Response), service.MaxAuditBody)
		}
	}
}

func testReminderFailedReclaim(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	if ok, err := s.ClaimReminder(ctx, reminderClaim("f")); err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if err := s.RecordReminderSend(ctx, service.ReminderOutcome{Key: "f", Status: service.ReminderSendFailed, Error: "HTTP 500", Attempts: 3, Now: t0}); err != nil {
		t.Fatal(err)
	}
	// Concurrent dispatches after a failure: exactly one takes it over.
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if ok, err := s.ClaimReminder(ctx, reminderClaim("f")); err != nil {
				t.Errorf("claim: %v", err)
			} else if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if got := won.Load(); got != 1 {
		t.Fatalf("%d claims of a failed send won, want 1", got)
	}
	if err := s.RecordReminderSend(ctx, service.ReminderOutcome{Key: "f", Status: service.ReminderSendSent, MessageID: "m", Attempts: 1, Now: t0}); err != nil {
		t.Fatal(err)
	}
	got := mustList(t, s)
	if len(got) != 1 {
		t.Fatalf("%d sends, want 1", len(got))
	}
	want := service.ReminderSend{Key: "f", Status: service.ReminderSendSent, MessageID: "m", Attempts: 4}
	if diff := cmp.Diff(want, got[0], cmpopts.IgnoreFields(service.ReminderSend{}, "Company", "Party", "Mobile", "Day", "Message",
		"Response", "CreatedAt", "UpdatedAt")); diff != "" {
		t.Fatalf("send after retake (-want +got):\n%s", diff)
	}
}

func testReminderRecordMissing(t *testing.T, s service.Store) {
	err := s.RecordReminderSend(ctxFor(t), service.ReminderOutcome{Key: "none", Status: service.ReminderSendSent})
	wantKind(t, err, service.NotFound)
}

func mustList(t *testing.T, s service.Store) []service.ReminderSend {
	t.Helper()
	got, err := s.ListReminderSends(ctxFor(t), service.ReminderSendFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
