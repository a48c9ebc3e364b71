package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/api/sender"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// reminderDay is 30 June 2026: from the 20th day after 10 June the demo
// company's Rajesh Enterprises bill falls due on 10 June, the guide's example.
var reminderDay = tallyxml.NewDate(2026, time.June, 30)

// seedReminder is the WhatsApp guide's reminder, word for word.
const seedReminder = "Dear Rajesh Enterprises, our records show an outstanding balance of Rs. 48,500 due since 10 June 2026. Kindly arrange payment. Reply here for any query."

// fakeCloudAPI is a local WhatsApp Cloud API: it records every message and
// answers with a wamid, or with the statuses queued in fail (0 in fail lets
// one message through).
type fakeCloudAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	fail []int
}

func newFakeCloudAPI(t *testing.T) *fakeCloudAPI {
	f := &fakeCloudAPI{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v21.0/106540352242922/messages" || r.Header.Get("Authorization") != "Bearer wa-token" {
			http.Error(w, `{"error":{"message":"bad path or token","code":190}}`, http.StatusUnauthorized)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			http.Error(w, `{"error":{"message":"bad json"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.fail) > 0 && f.fail[0] == 0 {
			f.fail = f.fail[1:] // 0: let this one through
		} else if len(f.fail) > 0 {
			st := f.fail[0]
			f.fail = f.fail[1:]
			w.WriteHeader(st)
			fmt.Fprintf(w, `{"error":{"message":"fake failure %d","code":131000}}`, st)
			return
		}
		f.got = append(f.got, m)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.%d"}]}`, m["to"], m["to"], len(f.got))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloudAPI) sent() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.got...)
}

func (f *fakeCloudAPI) sender(t *testing.T) service.Sender {
	s, err := sender.NewCloudAPI(sender.CloudAPI{BaseURL: f.srv.URL + "/v21.0", PhoneNumberID: "106540352242922", Token: "wa-token"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// setupReminders builds the stack over the demo company as of 30 June 2026,
// on a store ("sqlite" or "postgres") and a sender (nil for
// none).
func setupReminders(t *testing.T, durable string, snd service.Sender) *testBundle {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: reminderDay})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL(), Timeout: 3 * time.Second, QueueWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := service.Config{Company: tallysim.DemoCompanyName,
		Now:       func() time.Time { return time.Date(2026, time.June, 30, 9, 0, 0, 0, ist) },
		Reminders: service.RemindersConfig{Sender: snd, RetryDelay: time.Millisecond}}
	switch durable {
	case "sqlite":
		st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "tf.db"), sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		cfg.Store = st
	case "postgres":
		st, err := pgstore.New(t.Context(), pgtest.New(t), pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store = st
	}
	srv, err := api.New(service.New(tallyxml.NewGateway(client), cfg), api.Config{APIKeys: []string{testKey}, Spec: swaggerDoc()})
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{sim: sim, srv: srv, logs: &syncBuffer{}}
}

// TestRemindersMatchDemoBooks checks GET /reminders against the simulator's
// own outstanding bills: every Sundry Debtor with an overdue receivable, its
// overdue total and bills, and the guide's message for Rajesh Enterprises.
func TestRemindersMatchDemoBooks(t *testing.T) {
	t.Parallel()
	b := setupReminders(t, "sqlite", nil)
	r := b.do(t, call{target: "/reminders"})
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got api.RemindersResponse
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}

	// The expectation, from the books: receivables are debit (negative)
	// bills of Sundry Debtors; overdue when past due as of today.
	company, _ := b.sim.Company(tallysim.DemoCompanyName)
	type line struct {
		Amount service.Paise
		Refs   []string
	}
	want := map[string]line{}
	for _, bill := range company.OutstandingBills(reminderDay) {
		l, ok := company.Ledger(bill.Ledger)
		if !ok || l.Parent != "Sundry Debtors" || bill.Closing.Paise() >= 0 || bill.OverdueDays < 1 {
			continue
		}
		w := want[bill.Ledger]
		w.Amount += service.Paise(-bill.Closing.Paise())
		w.Refs = append(w.Refs, bill.Ref)
		want[bill.Ledger] = w
	}
	// Never more than the ledger says the party owes: money received On
	// Account (the demo has one) lowers the balance but no bill.
	for name, w := range want {
		bal, err := company.ClosingBalance(name, reminderDay)
		if err != nil {
			t.Fatal(err)
		}
		w.Amount = min(w.Amount, service.Paise(-bal.Paise()))
		want[name] = w
	}
	have := map[string]line{}
	for _, rem := range got.Reminders {
		var refs []string
		for _, bl := range rem.Bills {
			refs = append(refs, bl.Ref)
		}
		have[rem.Party] = line{Amount: rem.Amount, Refs: refs}
	}
	sortRefs := cmp.Transformer("sort", func(in []string) []string {
		out := append([]string(nil), in...)
		sort.Strings(out)
		return out
	})
	if len(want) < 4 {
		t.Fatalf("the demo books have only %d overdue debtors; the test proves little", len(want))
	}
	if diff := cmp.Diff(want, have, sortRefs); diff != "" {
		t.Errorf("reminders differ from the books (-want +got):\n%s", diff)
	}

	var rajesh *api.ReminderJSON
	for i := range got.Reminders {
		if got.Reminders[i].Party == "Rajesh Enterprises" {
			rajesh = &got.Reminders[i]
		}
	}
	if rajesh == nil {
		t.Fatal("no reminder for Rajesh Enterprises")
	}
	wantRajesh := api.ReminderJSON{Party: "Rajesh Enterprises", Mobile: "+919820012345", MobileRaw: "9820012345",
		Amount: 4850000, Overdue: 4850000, DueSince: "2026-06-10", OverdueDays: 20, Message: seedReminder,
		Bills: []api.BillJSON{{Ref: "ABC/S/101", BillDate: "2026-05-11", DueDate: "2026-06-10", Amount: 4850000, OverdueDays: 20}}}
	if diff := cmp.Diff(wantRajesh, *rajesh); diff != "" {
		t.Errorf("Rajesh Enterprises (-want +got):\n%s", diff)
	}

	// Filters: a high minimum amount and a long overdue period narrow the list.
	r = b.do(t, call{target: "/reminders?min_amount=40000&min_overdue_days=15"})
	var narrow api.RemindersResponse
	if err := json.Unmarshal(r.body, &narrow); err != nil {
		t.Fatal(err)
	}
	for _, rem := range narrow.Reminders {
		if rem.Amount < 4000000 || rem.OverdueDays < 15 {
			t.Errorf("filtered reminder %s: amount %s, %d days", rem.Party, rem.Amount, rem.OverdueDays)
		}
	}
	if len(narrow.Reminders) == 0 || len(narrow.Reminders) >= len(got.Reminders) {
		t.Errorf("filters kept %d of %d reminders", len(narrow.Reminders), len(got.Reminders))
	}
	// Bad filters are one 422.
	r = b.do(t, call{target: "/reminders?min_amount=abc&min_overdue_days=-1"})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad filters: status %d", r.status)
	}
}

// TestDispatchSendsOnce dispatches against a local fake Cloud API: a dry run
// sends nothing, the first dispatch sends each reminder with a mobile once,
// and the second sends nothing more.
func TestDispatchSendsOnce(t *testing.T) {
	for _, durable := range []string{"sqlite", "postgres"} {
		t.Run(durable, func(t *testing.T) {
			t.Parallel()
			fake := newFakeCloudAPI(t)
			b := setupReminders(t, durable, fake.sender(t))

			dry := dispatch(t, b, `{"dry_run": true}`)
			if len(fake.sent()) != 0 || !dry.DryRun {
				t.Fatalf("dry run sent %d messages", len(fake.sent()))
			}
			withMobile := 0
			for _, p := range dry.Results {
				switch p.Status {
				case "dry_run":
					withMobile++
				case "no_mobile":
					if p.Error == "" {
						t.Errorf("%s: no_mobile without a reason", p.Party)
					}
				default:
					t.Errorf("dry run: %s is %s", p.Party, p.Status)
				}
			}

			first := dispatch(t, b, ``)
			sent := fake.sent()
			if len(sent) != withMobile || first.Counts.Sent != withMobile {
				t.Fatalf("first dispatch: %d messages, counts %v; want %d sent", len(sent), first.Counts, withMobile)
			}
			for _, p := range first.Results {
				if p.Status == "sent" && !strings.HasPrefix(p.MessageID, "wamid.") {
					t.Errorf("%s: message id %q", p.Party, p.MessageID)
				}
			}
			var rajesh map[string]any
			for _, m := range sent {
				if m["to"] == "919820012345" {
					rajesh = m
				}
			}
			wantMsg := map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": "919820012345",
				"type": "text", "text": map[string]any{"preview_url": false, "body": seedReminder}}
			if diff := cmp.Diff(wantMsg, rajesh); diff != "" {
				t.Errorf("message to Rajesh Enterprises (-want +got):\n%s", diff)
			}

			second := dispatch(t, b, ``)
			if n := len(fake.sent()); n != withMobile {
				t.Fatalf("second dispatch sent %d more messages", n-withMobile)
			}
			if second.Counts.AlreadySent != withMobile || second.Counts.Sent != 0 {
				t.Errorf("second dispatch counts %v, want %d already_sent", second.Counts, withMobile)
			}
		})
	}
}

// TestDispatchRetriesAndReportsFailures: a refusal before the work (429,
// 503) is retried until it passes; a 4xx fails that party only and is tried
// again by the next dispatch; a 500 (the message may have gone out) is
// reported unknown and never sent again.
func TestDispatchRetriesAndReportsFailures(t *testing.T) {
	t.Parallel()
	fake := newFakeCloudAPI(t)
	b := setupReminders(t, "sqlite", fake.sender(t))
	// Parties are dispatched by name: the first one (A & B <Traders>) meets
	// a 429 and a 503 and then succeeds; the second one meets a 400; the
	// third a 500.
	fake.fail = []int{429, 503, 0, 400, 500}
	res := dispatch(t, b, `{"min_overdue_days": 1}`)
	var withMobile []api.DispatchResultJSON
	for _, p := range res.Results {
		if p.Status != "no_mobile" {
			withMobile = append(withMobile, p)
		}
	}
	if len(withMobile) < 3 {
		t.Fatalf("only %d parties with a mobile", len(withMobile))
	}
	if p := withMobile[0]; p.Status != "sent" || p.Attempts != 3 {
		t.Errorf("%s: %s after %d attempts, want sent after 3", p.Party, p.Status, p.Attempts)
	}
	if p := withMobile[1]; p.Status != "failed" || p.Attempts != 1 || !strings.Contains(p.Error, "fake failure 400") {
		t.Errorf("%s: %s after %d attempts (%q), want failed after 1", p.Party, p.Status, p.Attempts, p.Error)
	}
	if p := withMobile[2]; p.Status != "unknown" || p.Attempts != 1 {
		t.Errorf("%s: %s after %d attempts, want unknown after 1 (no retry after a 500)", p.Party, p.Status, p.Attempts)
	}
	again := dispatch(t, b, ``)
	for _, p := range again.Results {
		want := "already_sent"
		switch {
		case p.Status == "no_mobile":
			continue
		case p.Party == withMobile[1].Party:
			want = "sent"
		}
		if p.Status != want {
			t.Errorf("second dispatch: %s is %s, want %s", p.Party, p.Status, want)
		}
	}
}

// TestDispatchWithoutSender is a 503 naming the settings, while dry_run works.
func TestDispatchWithoutSender(t *testing.T) {
	t.Parallel()
	b := setupReminders(t, "sqlite", nil)
	r := b.do(t, call{method: http.MethodPost, target: "/reminders/dispatch"})
	if r.status != http.StatusServiceUnavailable || field(t, r.body, "code") != "reminder_sender_not_configured" ||
		!strings.Contains(fmt.Sprint(field(t, r.body, "hint")), "WHATSAPP_TOKEN") {
		t.Errorf("status %d: %s", r.status, r.body)
	}
	r = b.do(t, call{method: http.MethodPost, target: "/reminders/dispatch?dry_run=true"})
	if r.status != http.StatusOK {
		t.Errorf("dry run without a sender: status %d: %s", r.status, r.body)
	}
	r = b.do(t, call{method: http.MethodPost, target: "/reminders/dispatch", body: `{"as_of": "30-06-2026", "min_amount": "1,000"}`})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad body: status %d: %s", r.status, r.body)
	}
}

func dispatch(t *testing.T, b *testBundle, body string) api.DispatchResponse {
	t.Helper()
	r := b.do(t, call{method: http.MethodPost, target: "/reminders/dispatch", body: body})
	if r.status != http.StatusOK {
		t.Fatalf("dispatch: status %d: %s", r.status, r.body)
	}
	var out api.DispatchResponse
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
