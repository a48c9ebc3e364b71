package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

// newOrder returns an order as the service would create it.
func newOrder(party string, created time.Time) service.OrderRecord {
	id := NewID()
	return service.OrderRecord{
		ID:        id,
		Company:   "Demo & Co <Pvt> Ltd",
		Source:    "api",
		Ref:       "INV-" + id[:8],
		RemoteID:  "tallyfacade-order-" + id,
		Party:     party,
		Request:   []byte(`{"party":"` + party + `","items":[{"amount":"1180.00"}]}`),
		State:     service.OrderReceived,
		CreatedAt: created,
		UpdatedAt: created,
	}
}

func mustCreate(t *testing.T, s service.Store, o service.OrderRecord) service.OrderRecord {
	t.Helper()
	got, created, err := s.CreateOrder(ctxFor(t), o)
	if err != nil || !created {
		t.Fatalf("CreateOrder(%s): created %v, %v", o.ID, created, err)
	}
	return got
}

func testCreateAndGet(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := newOrder("A & B <Traders>", t0)
	o.Source = "whatsapp"
	got := mustCreate(t, s, o)
	if diff := cmp.Diff(o, got, opts); diff != "" {
		t.Errorf("CreateOrder returned (-want +got):\n%s", diff)
	}
	read, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	if diff := cmp.Diff(o, read, opts); diff != "" {
		t.Errorf("GetOrder (-want +got):\n%s", diff)
	}
}

func testDuplicateRemoteID(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	first := mustCreate(t, s, newOrder("Party", t0))
	dup := newOrder("Other", t0.Add(time.Minute))
	dup.RemoteID = first.RemoteID
	existing, created, err := s.CreateOrder(ctx, dup)
	if err != nil || created {
		t.Fatalf("CreateOrder(duplicate REMOTEID) = created %v, %v; want the existing order", created, err)
	}
	if diff := cmp.Diff(first, existing, opts); diff != "" {
		t.Errorf("CreateOrder(duplicate REMOTEID) (-want existing +got):\n%s", diff)
	}
	if _, err := s.GetOrder(ctx, dup.ID); service.KindOf(err) != service.NotFound {
		t.Errorf("GetOrder(rejected duplicate) err = %v, want NotFound", err)
	}
}

func testConcurrentCreates(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	const n = 10
	remote := "tallyfacade-order-" + NewID()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		created   []string
		conflicts []string
		errs      []error
	)
	start := make(chan struct{})
	for i := range n {
		o := newOrder(fmt.Sprintf("P%d", i), t0)
		o.RemoteID = remote
		wg.Go(func() {
			<-start
			got, isNew, err := s.CreateOrder(ctx, o)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case isNew:
				created = append(created, got.ID)
			default:
				conflicts = append(conflicts, got.ID)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d creates failed, first: %v", len(errs), errs[0])
	}
	if len(created) != 1 {
		t.Fatalf("%d concurrent creates with one RemoteID succeeded, want 1", len(created))
	}
	for _, id := range conflicts {
		if id != created[0] {
			t.Errorf("a losing create returned order %s, want the winner %s", id, created[0])
		}
	}
}

func testGetMissing(t *testing.T, s service.Store) {
	for _, id := range []string{NewID(), "not-a-uuid", ""} {
		_, err := s.GetOrder(ctxFor(t), id)
		wantKind(t, err, service.NotFound)
	}
}

func testListOrders(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	var all []service.OrderRecord // oldest first
	for i := range 6 {
		party := "Alpha"
		if i%2 == 1 {
			party = "Beta"
		}
		all = append(all, mustCreate(t, s, newOrder(party, t0.Add(time.Duration(i)*time.Minute))))
	}
	// Orders 1 and 4 move on to posting.
	for _, i := range []int{1, 4} {
		o, err := s.TransitionOrder(ctx, all[i].ID, []service.OrderState{service.OrderReceived},
			service.OrderTransition{To: service.OrderPosting, Now: t0.Add(time.Hour)})
		if err != nil {
			t.Fatalf("TransitionOrder: %v", err)
		}
		all[i] = o
	}
	ids := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = all[j].ID
		}
		return out
	}
	tests := []struct {
		name string
		f    service.OrderFilter
		want []string
	}{
		{"all, newest first", service.OrderFilter{}, ids(5, 4, 3, 2, 1, 0)},
		{"by state", service.OrderFilter{State: service.OrderPosting}, ids(4, 1)},
		{"by party", service.OrderFilter{Party: "Alpha"}, ids(4, 2, 0)},
		{"state and party", service.OrderFilter{State: service.OrderReceived, Party: "Beta"}, ids(5, 3)},
		{"limit", service.OrderFilter{Limit: 2}, ids(5, 4)},
		{"next page", service.OrderFilter{Limit: 2, Before: all[4].CreatedAt}, ids(3, 2)},
		{"last page", service.OrderFilter{Limit: 2, Before: all[2].CreatedAt}, ids(1, 0)},
		{"nothing matches", service.OrderFilter{Party: "Gamma"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListOrders(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListOrders: %v", err)
			}
			gotIDs := make([]string, len(got))
			for i, o := range got {
				gotIDs[i] = o.ID
			}
			if diff := cmp.Diff(tc.want, gotIDs, opts); diff != "" {
				t.Errorf("ListOrders(%+v) ids (-want +got):\n%s", tc.f, diff)
			}
		})
	}
	// Listed records are complete, not just ids.
	got, err := s.ListOrders(ctx, service.OrderFilter{State: service.OrderPosting, Limit: 1})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListOrders = %d orders, %v; want 1", len(got), err)
	}
	if diff := cmp.Diff(all[4], got[0], opts); diff != "" {
		t.Errorf("listed order (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

func testTransition(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := mustCreate(t, s, newOrder("Party", t0))
	received := []service.OrderState{service.OrderReceived}
	posting := []service.OrderState{service.OrderPosting}
	next := t0.Add(10 * time.Minute)

	steps := []struct {
		name string
		from []service.OrderState
		tr   service.OrderTransition
		want func(o *service.OrderRecord)
	}{
		{
			"attempt starts",
			received,
			service.OrderTransition{To: service.OrderPosting, Now: t0.Add(time.Second), AddAttempt: true},
			func(o *service.OrderRecord) {
				o.State, o.Attempts, o.UpdatedAt = service.OrderPosting, 1, t0.Add(time.Second)
			},
		},
		{
			"ambiguous failure",
			posting,
			service.OrderTransition{To: service.OrderReceived, Now: t0.Add(2 * time.Second),
				Ambiguous: ptr(true), PartyCreated: ptr(true), LastError: ptr("read timeout"),
				LastErrorCode: ptr("tally_timeout"), NextAttemptAt: &next},
			func(o *service.OrderRecord) {
				o.State, o.UpdatedAt = service.OrderReceived, t0.Add(2*time.Second)
				o.Ambiguous, o.PartyCreated, o.LastError, o.LastErrorCode, o.NextAttemptAt = true, true, "read timeout", "tally_timeout", next
			},
		},
		{
			"nil pointers leave fields alone",
			received,
			service.OrderTransition{To: service.OrderPosting, Now: t0.Add(3 * time.Second), AddAttempt: true},
			func(o *service.OrderRecord) {
				o.State, o.Attempts, o.UpdatedAt = service.OrderPosting, 2, t0.Add(3*time.Second)
			},
		},
		{
			"posted",
			posting,
			service.OrderTransition{To: service.OrderPosted, Now: t0.Add(4 * time.Second),
				Ambiguous: ptr(false), LastError: ptr(""), LastErrorCode: ptr(""), Party: ptr("Party Ledger (as Tally spells it)"),
				Result: []byte(`{"voucher_id":7,"created":1}`), NextAttemptAt: &time.Time{}},
			func(o *service.OrderRecord) {
				o.State, o.UpdatedAt, o.PostedAt = service.OrderPosted, t0.Add(4*time.Second), t0.Add(4*time.Second)
				o.Ambiguous, o.LastError, o.LastErrorCode = false, "", ""
				o.Party = "Party Ledger (as Tally spells it)"
				o.Result, o.NextAttemptAt = []byte(`{"voucher_id":7,"created":1}`), time.Time{}
			},
		},
		{
			"amended: the request is replaced",
			[]service.OrderState{service.OrderPosted},
			service.OrderTransition{To: service.OrderReceived, Now: t0.Add(5 * time.Second),
				Request: []byte(`{"party":"x","lines":[{"quantity":"3"}]}`)},
			func(o *service.OrderRecord) {
				o.State, o.UpdatedAt = service.OrderReceived, t0.Add(5*time.Second)
				o.Request = []byte(`{"party":"x","lines":[{"quantity":"3"}]}`)
			},
		},
	}
	want := o
	for _, st := range steps {
		got, err := s.TransitionOrder(ctx, o.ID, st.from, st.tr)
		if err != nil {
			t.Fatalf("%s: TransitionOrder: %v", st.name, err)
		}
		st.want(&want)
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Errorf("%s: TransitionOrder returned (-want +got):\n%s", st.name, diff)
		}
		read, err := s.GetOrder(ctx, o.ID)
		if err != nil {
			t.Fatalf("%s: GetOrder: %v", st.name, err)
		}
		if diff := cmp.Diff(want, read, opts); diff != "" {
			t.Errorf("%s: GetOrder after transition (-want +got):\n%s", st.name, diff)
		}
	}
}

// testStartAttempts: a batch's claim moves the received orders it names to
// posting with an attempt counted, in the order named, and leaves out the
// ones in another state and ids that name nothing.
func testStartAttempts(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	a, b, c := mustCreate(t, s, newOrder("A", t0)), mustCreate(t, s, newOrder("B", t0)), mustCreate(t, s, newOrder("C", t0))
	if _, err := s.TransitionOrder(ctx, b.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: t0, AddAttempt: true}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	got, err := s.StartAttempts(ctx, []string{c.ID, b.ID, NewID(), "not-a-uuid", a.ID}, at)
	if err != nil {
		t.Fatalf("StartAttempts: %v", err)
	}
	var want []service.OrderRecord
	for _, o := range []service.OrderRecord{c, a} {
		o.State, o.Attempts, o.UpdatedAt = service.OrderPosting, 1, at
		want = append(want, o)
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("StartAttempts returned (-want +got):\n%s", diff)
	}
	for _, o := range want {
		read, err := s.GetOrder(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(o, read, opts); diff != "" {
			t.Errorf("GetOrder after StartAttempts (-want +got):\n%s", diff)
		}
	}
	if read, _ := s.GetOrder(ctx, b.ID); read.Attempts != 1 {
		t.Errorf("the order already posting has %d attempts; want it untouched at 1", read.Attempts)
	}
	if got, err := s.StartAttempts(ctx, []string{a.ID}, at); err != nil || len(got) != 0 {
		t.Errorf("StartAttempts of an order posting: %v, %v; want none", got, err)
	}
}

func testTransitionConflict(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := mustCreate(t, s, newOrder("Party", t0))
	_, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{service.OrderPosting, service.OrderNeedsAttention},
		service.OrderTransition{To: service.OrderPosted, Now: t0.Add(time.Second), AddAttempt: true})
	wantKind(t, err, service.Conflict)
	read, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	if diff := cmp.Diff(o, read, opts); diff != "" {
		t.Errorf("a refused transition changed the order (-want +got):\n%s", diff)
	}
	_, err = s.TransitionOrder(ctx, NewID(), []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, Now: t0})
	wantKind(t, err, service.NotFound)
}

func testConcurrentTransitions(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := mustCreate(t, s, newOrder("Party", t0))
	const n = 20
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		won, lost int
		errs      []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			_, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{service.OrderReceived},
				service.OrderTransition{To: service.OrderPosting, Now: t0.Add(time.Second), AddAttempt: true})
			mu.Lock()
			defer mu.Unlock()
			switch service.KindOf(err) {
			case service.Conflict:
				lost++
			default:
				if err != nil {
					errs = append(errs, err)
				} else {
					won++
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d transitions failed otherwise than Conflict, first: %v", len(errs), errs[0])
	}
	if won != 1 || lost != n-1 {
		t.Errorf("won, lost = %d, %d; want 1, %d", won, lost, n-1)
	}
	read, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrder: %v", err)
	}
	if read.Attempts != 1 {
		t.Errorf("Attempts = %d after one winning transition, want 1", read.Attempts)
	}
}

// testRetryEnqueue checks only what the Store interface shows: the retry
// transition with Enqueue succeeds and is a compare-and-set like any other.
// That the job is really queued is RunQueue's to check.
func testRetryEnqueue(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := mustCreate(t, s, newOrder("Party", t0))
	for _, to := range []service.OrderState{service.OrderPosting, service.OrderNeedsAttention} {
		if _, err := s.TransitionOrder(ctx, o.ID, nil, service.OrderTransition{To: to, Now: t0}); err == nil {
			t.Fatalf("TransitionOrder from no state succeeded, want Conflict")
		}
		var from service.OrderState = service.OrderReceived
		if to == service.OrderNeedsAttention {
			from = service.OrderPosting
		}
		if _, err := s.TransitionOrder(ctx, o.ID, []service.OrderState{from}, service.OrderTransition{To: to, Now: t0.Add(time.Second), AddAttempt: to == service.OrderPosting}); err != nil {
			t.Fatalf("TransitionOrder to %s: %v", to, err)
		}
	}
	retry := []service.OrderState{service.OrderNeedsAttention, service.OrderRejected}
	got, err := s.TransitionOrder(ctx, o.ID, retry, service.OrderTransition{To: service.OrderReceived, Now: t0.Add(time.Hour), Enqueue: true})
	if err != nil {
		t.Fatalf("retry TransitionOrder: %v", err)
	}
	if got.State != service.OrderReceived || got.Attempts != 1 {
		t.Errorf("after retry: State, Attempts = %s, %d; want received, 1", got.State, got.Attempts)
	}
	_, err = s.TransitionOrder(ctx, o.ID, retry, service.OrderTransition{To: service.OrderReceived, Now: t0.Add(time.Hour), Enqueue: true})
	wantKind(t, err, service.Conflict)
}

func testCountOrders(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	if got, err := s.CountOrders(ctx); err != nil || len(got) != 0 {
		t.Fatalf("CountOrders of an empty store: %v, %v", got, err)
	}
	receipt := func() service.OrderRecord {
		o := newOrder("Payer", t0)
		o.Request = []byte(`{"kind":"receipt","party":"Payer"}`)
		return o
	}
	for range 2 {
		mustCreate(t, s, newOrder("Party", t0))
	}
	posted := mustCreate(t, s, newOrder("Party", t0))
	mustCreate(t, s, receipt())
	if _, err := s.TransitionOrder(ctx, posted.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosted, Now: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CountOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []service.OrderCount{
		{Kind: "", State: service.OrderPosted, N: 1},
		{Kind: "", State: service.OrderReceived, N: 2},
		{Kind: "receipt", State: service.OrderReceived, N: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CountOrders (-want +got):\n%s", diff)
	}
}
