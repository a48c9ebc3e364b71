package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// memStore is an in-memory service.Store for the queue's logic; the real
// stores are tested against PostgreSQL and SQLite by store/storetest.
type memStore struct {
	mu       sync.Mutex
	orders   map[string]service.OrderRecord
	imports  []service.ImportRecord
	enqueued []string
}

var _ service.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{orders: map[string]service.OrderRecord{}} }

func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) ClaimIdempotencyKey(context.Context, service.IdempotencyClaim) (service.IdempotencyRecord, bool, error) {
	return service.IdempotencyRecord{}, false, errors.New("not used")
}
func (m *memStore) CompleteIdempotencyKey(context.Context, string, string, service.StoredResponse) error {
	return errors.New("not used")
}
func (m *memStore) ReleaseIdempotencyKey(context.Context, string, string) error {
	return errors.New("not used")
}
func (m *memStore) RecordInboundMessage(context.Context, service.InboundMessage) (bool, error) {
	return false, errors.New("not used")
}
func (m *memStore) Prune(context.Context, service.PrunePolicy) (service.PruneStats, error) {
	return service.PruneStats{}, nil
}

func (m *memStore) CreateOrder(ctx context.Context, o service.OrderRecord) (service.OrderRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.orders {
		if e.RemoteID == o.RemoteID || e.ID == o.ID {
			return e, false, nil
		}
	}
	m.orders[o.ID] = o
	m.enqueued = append(m.enqueued, o.ID)
	return o, true, nil
}

func (m *memStore) GetOrder(ctx context.Context, id string) (service.OrderRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return o, service.Errorf(service.NotFound, "order_not_found", "no order %s", id)
	}
	return o, nil
}

func (m *memStore) ListOrders(ctx context.Context, f service.OrderFilter) ([]service.OrderRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []service.OrderRecord
	for _, o := range m.orders {
		if f.State == "" || o.State == f.State {
			out = append(out, o)
		}
	}
	return out, nil
}

func (m *memStore) CountOrders(ctx context.Context) ([]service.OrderCount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := map[service.OrderCount]int{}
	for _, o := range m.orders {
		var k struct{ Kind string }
		_ = json.Unmarshal(o.Request, &k)
		n[service.OrderCount{Kind: k.Kind, State: o.State}]++
	}
	var out []service.OrderCount
	for c, v := range n {
		c.N = v
		out = append(out, c)
	}
	return out, nil
}

func (m *memStore) TransitionOrder(ctx context.Context, id string, from []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orders[id]
	if !ok {
		return o, service.Errorf(service.NotFound, "order_not_found", "no order %s", id)
	}
	if !slices.Contains(from, o.State) {
		return o, service.Errorf(service.Conflict, "order_state", "order is %s", o.State)
	}
	o.State, o.UpdatedAt = t.To, t.Now
	if t.AddAttempt {
		o.Attempts++
	}
	if t.Ambiguous != nil {
		o.Ambiguous = *t.Ambiguous
	}
	if t.PartyCreated != nil {
		o.PartyCreated = *t.PartyCreated
	}
	if t.Party != nil {
		o.Party = *t.Party
	}
	if t.LastError != nil {
		o.LastError = *t.LastError
	}
	if t.LastErrorCode != nil {
		o.LastErrorCode = *t.LastErrorCode
	}
	if t.Result != nil {
		o.Result = t.Result
	}
	if t.Request != nil {
		o.Request = t.Request
	}
	if t.NextAttemptAt != nil {
		o.NextAttemptAt = *t.NextAttemptAt
	}
	if t.Enqueue {
		m.enqueued = append(m.enqueued, id)
	}
	m.orders[id] = o
	return o, nil
}

func (m *memStore) StartAttempts(ctx context.Context, ids []string, now time.Time) ([]service.OrderRecord, error) {
	var out []service.OrderRecord
	for _, id := range ids {
		o, err := m.TransitionOrder(ctx, id, []service.OrderState{service.OrderReceived},
			service.OrderTransition{To: service.OrderPosting, Now: now, AddAttempt: true})
		if err == nil {
			out = append(out, o)
		}
	}
	return out, nil
}

func (m *memStore) RecordImport(ctx context.Context, r service.ImportRecord) (service.ImportRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.ID = int64(len(m.imports) + 1)
	m.imports = append(m.imports, r)
	return r, nil
}

func (m *memStore) GetImport(ctx context.Context, id int64) (service.ImportRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || int(id) > len(m.imports) {
		return service.ImportRecord{}, service.Errorf(service.NotFound, "import_not_found", "no import %d", id)
	}
	return m.imports[id-1], nil
}

func (m *memStore) ListImports(ctx context.Context, f service.ImportFilter) ([]service.ImportRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []service.ImportRecord
	for _, r := range m.imports {
		if f.OrderID == "" || r.OrderID == f.OrderID {
			out = append(out, r)
		}
	}
	return out, nil
}

func newQueueService(f *fakeGateway, st *memStore) *service.Service {
	return service.New(f, service.Config{Company: "ABC Traders", Store: st,
		Queue: service.QueueConfig{MaxAttempts: 3, RetryBase: time.Second, RetryMax: 4 * time.Second},
		Now:   func() time.Time { return today.Add(10 * time.Hour) }})
}

func sampleOrder(ref, party string) service.Order {
	return service.Order{Ref: ref, Party: service.NewParty{Name: party, State: "Maharashtra"},
		Lines: []service.OrderLine{{Item: "Cotton saree", Quantity: dec("2"), Rate: 125000}}}
}

func TestSubmitAndPostOrder(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	rec, created, err := svc.SubmitOrder(t.Context(), sampleOrder("WA-7", "Priya Textiles"), "api", "")
	if err != nil || !created || rec.State != service.OrderReceived || len(st.enqueued) != 1 {
		t.Fatalf("submit = %+v, %v, %v; want a received order with its job", rec, created, err)
	}
	if f.calls["Ledgers"]+f.calls["PostVoucher"] != 0 {
		t.Fatalf("submit touched Tally: %v", f.calls)
	}
	again, created, err := svc.SubmitOrder(t.Context(), sampleOrder("WA-7", "Priya Textiles"), "api", "")
	if err != nil || created || again.ID != rec.ID {
		t.Fatalf("resubmit = %+v, %v, %v; want the same order, not a new one", again, created, err)
	}

	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderPosted || got.Attempts != 1 || len(got.Result) == 0 {
		t.Fatalf("order after posting %+v", got)
	}
	if len(f.vouchers) != 1 || len(st.imports) != 1 || st.imports[0].Result != "ok" || st.imports[0].RemoteID != rec.RemoteID {
		t.Fatalf("vouchers %d, imports %+v; want one voucher and one ok import", len(f.vouchers), st.imports)
	}
	// A redelivered job for a posted order does nothing.
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil || f.calls["PostVoucher"] != 1 {
		t.Fatalf("redelivery: err %v, posts %d", err, f.calls["PostVoucher"])
	}
}

func TestPostOrderRetriesThenNeedsAttention(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	f.readErr = service.Errorf(service.Unavailable, "tally_unreachable", "Tally could not be reached.")
	svc := newQueueService(f, st)
	rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder("WA-8", "Rajesh Enterprises"), "api", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second} {
		err := svc.PostOrder(t.Context(), rec.ID)
		var rl *service.RetryLater
		if !errors.As(err, &rl) || rl.After != want {
			t.Fatalf("attempt %d: err %v; want RetryLater after %v", i+1, err, want)
		}
		got, _ := st.GetOrder(t.Context(), rec.ID)
		if got.State != service.OrderReceived || got.LastErrorCode != "tally_unreachable" {
			t.Fatalf("attempt %d: order %+v; want received with the error kept", i+1, got)
		}
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatalf("last attempt: %v; want the order parked, not an error", err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderNeedsAttention || got.Attempts != 3 {
		t.Fatalf("order %+v; want needs_attention after 3 attempts", got)
	}

	// Tally is back; a person retries it.
	f.readErr = nil
	if _, err := svc.RetryOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetOrder(t.Context(), rec.ID); got.State != service.OrderPosted || len(f.vouchers) != 1 {
		t.Fatalf("after retry: %+v, %d vouchers", got, len(f.vouchers))
	}
}

func TestPostOrderRejectionIsNotRetried(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	delete(f.ledgers, "sales")
	svc := newQueueService(f, st)
	rec, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("WA-9", "Rajesh Enterprises"), "api", "")
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderRejected || got.LastErrorCode != "ledger_missing" || !strings.Contains(got.LastError, "'Sales'") {
		t.Fatalf("order %+v; want rejected naming the missing ledger", got)
	}
}

// TestPostOrderAfterAmbiguousWrite: Tally applies the voucher but the answer
// is lost. The next attempt reads back, finds it, and does not post again.
func TestPostOrderAfterAmbiguousWrite(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	f.postErr = func(service.Voucher) (error, bool) {
		return service.Errorf(service.Unavailable, "tally_outcome_unknown", "unknown"), true
	}
	svc := newQueueService(f, st)
	rec, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("WA-10", "Rajesh Enterprises"), "whatsapp", "")
	var rl *service.RetryLater
	if err := svc.PostOrder(t.Context(), rec.ID); !errors.As(err, &rl) {
		t.Fatalf("err %v; want RetryLater", err)
	}
	if got, _ := st.GetOrder(t.Context(), rec.ID); !got.Ambiguous || st.imports[0].Result != "ambiguous" {
		t.Fatalf("order %+v, import %+v; want ambiguous", got, st.imports[0])
	}
	f.postErr = nil
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderPosted || got.Ambiguous || f.calls["PostVoucher"] != 1 || f.calls["Vouchers"] != 1 {
		t.Fatalf("order %+v, calls %v; want posted by read-back with no second post", got, f.calls)
	}
}

// TestPostOrderAfterCrash: the process died after Tally answered and before
// the store recorded it; the order is still posting. The redelivered job
// reads back instead of posting blind.
func TestPostOrderAfterCrash(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	rec, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("WA-11", "Rajesh Enterprises"), "api", "")
	// The crashed attempt: posting, voucher in Tally, no update after.
	if _, err := st.TransitionOrder(t.Context(), rec.ID, []service.OrderState{service.OrderReceived},
		service.OrderTransition{To: service.OrderPosting, AddAttempt: true}); err != nil {
		t.Fatal(err)
	}
	f.vouchers[rec.RemoteID] = service.Voucher{Type: "Sales", RemoteID: rec.RemoteID, Date: today}
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderPosted || f.calls["PostVoucher"] != 0 || got.Attempts != 2 {
		t.Fatalf("order %+v, calls %v; want posted by read-back, nothing re-posted", got, f.calls)
	}
}

// TestPostOrderCreatesThePartyOnce: the party is created, then Tally goes
// away before the voucher; the retry must not create the party again, and a
// party that vanished in between parks the order for a person.
func TestPostOrderCreatesThePartyOnce(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	f.postErr = func(service.Voucher) (error, bool) {
		return service.Errorf(service.Unavailable, "tally_unreachable", "down"), false
	}
	svc := newQueueService(f, st)
	rec, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("WA-12", "Kaveri Silks"), "api", "")
	_ = svc.PostOrder(t.Context(), rec.ID)
	if got, _ := st.GetOrder(t.Context(), rec.ID); !got.PartyCreated || len(f.created) != 1 {
		t.Fatalf("order %+v, created %d; want the party created once and recorded", got, len(f.created))
	}
	f.postErr = nil
	delete(f.ledgers, "kaveri silks") // someone deleted it in Tally meanwhile
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	if got.State != service.OrderRejected || got.LastErrorCode != "party_vanished" || len(f.created) != 1 {
		t.Fatalf("order %+v, created %d; want parked as party_vanished with no second create", got, len(f.created))
	}
}

func (m *memStore) ClaimReminder(context.Context, service.ReminderClaim) (bool, error) {
	return false, errors.New("memStore: no reminders")
}
func (m *memStore) RecordReminderSend(context.Context, service.ReminderOutcome) error {
	return errors.New("memStore: no reminders")
}
func (m *memStore) ListReminderSends(context.Context, service.ReminderSendFilter) ([]service.ReminderSend, error) {
	return nil, errors.New("memStore: no reminders")
}

// recordingSender keeps the messages it is asked to send.
type recordingSender struct {
	mu   sync.Mutex
	sent []service.ReminderMessage
}

func (r *recordingSender) Send(ctx context.Context, m service.ReminderMessage) (service.SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return service.SendResult{MessageID: "wamid.test"}, nil
}

// TestWhatsAppOrderConfirmation: a posted WhatsApp order is confirmed to the
// customer once; an API order and a redelivered job send nothing.
func TestWhatsAppOrderConfirmation(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	rs := &recordingSender{}
	svc := service.New(f, service.Config{Company: "ABC Traders", Store: st, WhatsApp: service.WhatsAppConfig{Confirm: rs},
		Now: func() time.Time { return today.Add(10 * time.Hour) }})
	o := sampleOrder("WA-CONF", "Rajesh Enterprises")
	o.Party.Mobile = "+919820012345"
	rec, _, err := svc.SubmitOrder(t.Context(), o, "whatsapp", "")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run is a redelivered job
		if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
			t.Fatal(err)
		}
	}
	api, _, _ := svc.SubmitOrder(t.Context(), sampleOrder("API-1", "Rajesh Enterprises"), "api", "")
	if err := svc.PostOrder(t.Context(), api.ID); err != nil {
		t.Fatal(err)
	}
	if len(rs.sent) != 1 || rs.sent[0].WhatsAppID != "919820012345" ||
		!strings.Contains(rs.sent[0].Text, "Order WA-CONF received, invoice amount ₹2,950.00") {
		t.Fatalf("confirmations %+v; want one, to 919820012345, naming the order and its amount", rs.sent)
	}
}

// TestWhatsAppConfirmationWindow: a WhatsApp order that posts more than 24
// hours after its message (the Tally PC was off) is not confirmed in text,
// which Meta would refuse outside its customer service window; one that
// posts inside it is.
func TestWhatsAppConfirmationWindow(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	rs := &recordingSender{}
	var clock atomic.Int64
	clock.Store(today.Add(10 * time.Hour).UnixNano())
	svc := service.New(f, service.Config{Company: "ABC Traders", Store: st, WhatsApp: service.WhatsAppConfig{Confirm: rs},
		Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	submit := func(ref string) string {
		o := sampleOrder(ref, "Rajesh Enterprises")
		o.Party.Mobile = "+919820012345"
		rec, _, err := svc.SubmitOrder(t.Context(), o, service.SourceWhatsApp, "")
		if err != nil {
			t.Fatal(err)
		}
		return rec.ID
	}
	late, inTime := submit("WA-LATE"), submit("WA-IN-TIME")
	clock.Add(int64(25 * time.Hour))
	if err := svc.PostOrder(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	if len(rs.sent) != 0 {
		t.Fatalf("an order posted 25 h after its message was confirmed in text: %+v", rs.sent)
	}
	inTime2 := submit("WA-NEXT-DAY")
	clock.Add(int64(23 * time.Hour))
	for _, id := range []string{inTime, inTime2} {
		if err := svc.PostOrder(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if len(rs.sent) != 1 || !strings.Contains(rs.sent[0].Text, "Order WA-NEXT-DAY received") {
		t.Fatalf("confirmations %+v; want WA-NEXT-DAY's alone (posted 23 h after its message)", rs.sent)
	}
}

// TestAmendedOrderAfterAmbiguousWrite: an amendment whose post ends with an
// unknown outcome is posted again rather than confirmed by a read-back,
// which would find the voucher with its old content and call the new one
// posted.
func TestAmendedOrderAfterAmbiguousWrite(t *testing.T) {
	t.Parallel()
	f, st := newFake(), newMemStore()
	svc := newQueueService(f, st)
	rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder("WA-20", "Rajesh Enterprises"), "api", "")
	if err != nil || svc.PostOrder(t.Context(), rec.ID) != nil {
		t.Fatalf("first post: %v", err)
	}
	changed := sampleOrder("WA-20", "Rajesh Enterprises")
	changed.Lines[0].Quantity = dec("3")
	if _, _, err := svc.SubmitOrder(t.Context(), changed, "api", ""); service.KindOf(err) != service.Conflict {
		t.Fatalf("changed without amend: %v; want order_ref_conflict", err)
	}
	changed.Amend = true
	if _, _, err := svc.SubmitOrder(t.Context(), changed, "api", ""); err != nil {
		t.Fatal(err)
	}
	f.postErr = func(service.Voucher) (error, bool) {
		return service.Errorf(service.Unavailable, "tally_outcome_unknown", "unknown"), false
	}
	var rl *service.RetryLater
	if err := svc.PostOrder(t.Context(), rec.ID); !errors.As(err, &rl) {
		t.Fatalf("err %v; want RetryLater", err)
	}
	f.postErr = nil
	if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetOrder(t.Context(), rec.ID)
	res, ok := service.OrderResultOf(got)
	if v := f.vouchers[rec.RemoteID]; !ok || len(res.Pricing.Lines) != 1 || !res.Pricing.Lines[0].Quantity.Equal(dec("3")) ||
		v.Entries[0].Amount != -res.Pricing.Total || v.Entries[0].Bills[0].Amount != -res.Pricing.Total {
		t.Fatalf("order %+v, voucher %+v; want the amended 3 sarees posted", res, v.Entries)
	}
}
