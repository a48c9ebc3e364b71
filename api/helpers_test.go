package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/openapi"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

var updateGolden = flag.Bool("update-api-golden", false, "rewrite api/testdata/*.golden.json from the responses")

const (
	testKey   = "test-key-0123456789abcdef"
	otherKey  = "second-key-for-rotation"
	requestID = "test-request-1"
)

// ist is India's zone; the service's "today" is taken there.
var ist = time.FixedZone("IST", 5*3600+1800)

// testNow is 23 June 2026, 10:00 in Mumbai: the simulator's "today" too.
var testNow = time.Date(2026, time.June, 23, 10, 0, 0, 0, ist)

// swaggerDoc reads the generated spec once: swag's ReadDoc writes to the
// package-level SwaggerInfo, so concurrent calls race (cmd calls it once too).
func swaggerDoc() []byte { return openapi.SwaggerJSON }

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testBundle is the real stack: simulator, Tally client and gateway, service,
// api server.
type testBundle struct {
	sim   *tallysim.Server
	srv   *api.Server
	books *service.Books // nil unless setupOpts.mirror
	// summaryStore is the store's by-day reads, for building more
	// service.Summaries over the same books.
	summaryStore service.SummaryStore
	// confirm and confirmStore are the invoice confirmations, with
	// setupOpts.confirm.
	confirm      *service.Confirmations
	confirmStore service.ConfirmStore
	logs         *syncBuffer
	// exec runs SQL on a durable store's database, to stand for what a
	// crash leaves behind: the query for PostgreSQL or for SQLite.
	exec func(t *testing.T, postgres, sqlite string)
}

type setupOpts struct {
	company   string // default ABC Traders
	bodyLimit string
	ready     func(context.Context) (service.Readiness, error)
	timeout   time.Duration
	// readTimeout is GET's deadline; zero is the production default.
	readTimeout time.Duration
	rateLimit   float64 // per key and second; zero: no limiting
	rateBurst   int
	cors        []string
	noAuth      bool
	// durable is the store the stack runs on, with its order queue:
	// "sqlite" (the embedded store; the default) or "postgres"
	// (TEST_DATABASE_URL; skipped without).
	durable   string
	orderWait time.Duration
	receipts  service.ReceiptsConfig
	// rescueAfter is the queue's dead-worker rescue interval; zero is the
	// production one.
	rescueAfter time.Duration
	// mirror answers reads from the mirror of the books (synced once
	// before the server is returned), as cmd wires it with a pinned company.
	mirror bool
	// whatsApp is the service's WhatsApp configuration (the catalog);
	// whatsAppSecret signs the webhook's notifications.
	whatsApp       service.WhatsAppConfig
	whatsAppSecret string
	// orderMode is the service's OrderMode (zero: auto, the default).
	orderMode service.OrderMode
	// confirm, with mirror, sends invoice confirmations through this
	// sender (testBundle.confirm dispatches them).
	confirm service.Sender
	// reportWait is how long a report read waits for Tally before
	// answering a kept copy; zero is the production default.
	reportWait time.Duration
	// service, when set, changes the service's configuration.
	service func(*service.Config)
}

// setup builds the whole stack over a fresh simulator on 127.0.0.1:0.
func setup(t *testing.T, opts setupOpts) *testBundle {
	t.Helper()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, time.June, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL(), Timeout: 3 * time.Second, QueueWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if opts.company == "" {
		opts.company = tallysim.DemoCompanyName
	}
	cfg := service.Config{Company: opts.company, Now: func() time.Time { return testNow }, Receipts: opts.receipts, OrderMode: opts.orderMode,
		Queue:    service.QueueConfig{MaxAttempts: 3, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond},
		WhatsApp: opts.whatsApp}
	if opts.service != nil {
		opts.service(&cfg)
	}
	var runQueue func(ctx context.Context, p service.OrderPoster) error
	var exec func(t *testing.T, postgres, sqlite string)
	var booksStore service.BooksStore
	var reportStore service.ReportStore
	var summaryStore service.SummaryStore
	var confirmStore service.ConfirmStore
	// The queue's poll: quick for the tests about the queue; slower for
	// the rest, most of which post nothing, because every poll is a query
	// in modernc's pure-Go SQLite, which the race detector slows ~20x.
	poll := 20 * time.Millisecond
	switch opts.durable {
	case "":
		opts.durable, poll = "sqlite", 200*time.Millisecond
		fallthrough
	case "sqlite":
		path := filepath.Join(t.TempDir(), "tf.db")
		st, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		cfg.Store, booksStore, reportStore, summaryStore, confirmStore = st, st, st, st, st
		runQueue = func(ctx context.Context, p service.OrderPoster) error {
			return st.RunQueue(ctx, p, sqlitestore.QueueConfig{PollInterval: poll, RescueAfter: opts.rescueAfter})
		}
		exec = func(t *testing.T, _, query string) {
			t.Helper()
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(60000)")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
	case "postgres":
		pool := pgtest.New(t)
		st, err := pgstore.New(t.Context(), pool, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store, booksStore, reportStore, summaryStore, confirmStore = st, st, st, st, st
		runQueue = func(ctx context.Context, p service.OrderPoster) error {
			return st.RunQueue(ctx, p, pgstore.QueueConfig{PollInterval: 20 * time.Millisecond, LockRetry: 20 * time.Millisecond,
				RescueAfter: opts.rescueAfter})
		}
		exec = func(t *testing.T, query, _ string) {
			t.Helper()
			if _, err := pool.Exec(t.Context(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
	}
	gw := tallyxml.NewGateway(client)
	var books *service.Books
	svc := service.New(service.NotifyWrites(gw, func(company string) {
		if books != nil {
			books.Changed(company)
		}
	}), cfg)
	var confirm *service.Confirmations
	if opts.mirror {
		var bcfg service.BooksConfig
		if opts.confirm != nil {
			confirm = service.NewConfirmations(svc, confirmStore, service.ConfirmConfig{Sender: opts.confirm})
			bcfg.Watch = confirm
		}
		books = service.NewBooks(svc, gw, booksStore, bcfg)
		if _, err := books.Sync(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
	}
	var summaries *service.Summaries
	if books != nil {
		summaries = service.NewSummaries(books, summaryStore, service.SummariesConfig{})
	}
	reports := service.NewReports(svc, gw, reportStore, books, service.ReportsConfig{Wait: opts.reportWait})
	t.Cleanup(reports.Wait)
	if runQueue != nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = runQueue(ctx, svc)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	logs := &syncBuffer{}
	keys := []string{testKey, otherKey}
	if opts.noAuth {
		keys = nil
	}
	srv, err := api.New(svc, api.Config{
		APIKeys:        keys,
		InsecureNoAuth: opts.noAuth,
		RequestTimeout: opts.timeout,
		ReadTimeout:    opts.readTimeout,
		RateLimit:      opts.rateLimit,
		RateBurst:      opts.rateBurst,
		CORSOrigins:    opts.cors,
		BodyLimit:      opts.bodyLimit,
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Ready:          opts.ready,
		Spec:           swaggerDoc(),
		OrderWait:      opts.orderWait,
		Books:          books,
		WhatsApp:       api.WhatsAppConfig{AppSecret: opts.whatsAppSecret},
		Reports:        reports,
		Summaries:      summaries,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{sim: sim, srv: srv, books: books, summaryStore: summaryStore, confirm: confirm, confirmStore: confirmStore, logs: logs, exec: exec}
}

// call is one request to the server.
type call struct {
	method  string
	target  string
	body    string
	headers map[string]string
	noKey   bool
	remote  string // the client's address, host:port; default httptest's
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (b *testBundle) do(t *testing.T, c call) reply {
	t.Helper()
	return b.send(t, c, false)
}

// doChunked sends the body without Content-Length, as a chunked upload.
func (b *testBundle) doChunked(t *testing.T, c call) reply {
	t.Helper()
	return b.send(t, c, true)
}

func (b *testBundle) send(t *testing.T, c call, chunked bool) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.target, body)
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("X-Request-Id", requestID)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if !c.noKey {
		req.Header.Set("X-API-Key", testKey)
	}
	for k, v := range c.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	b.srv.Handler().ServeHTTP(rec, req)
	return reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// decode unmarshals a JSON body into a generic value, failing the test on
// anything that is not JSON.
func decode(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	return v
}

// field returns a top-level field of a JSON object body.
func field(t *testing.T, body []byte, name string) any {
	t.Helper()
	m, ok := decode(t, body).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %s", body)
	}
	return m[name]
}

// checkGolden compares a JSON body with testdata/name.golden.json,
// semantically (key order and spacing do not matter). -update-api-golden
// rewrites the file.
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	got := decode(t, body)
	if *updateGolden {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(got); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./api -update-api-golden to create it)", err)
	}
	if diff := cmp.Diff(decode(t, raw), got); diff != "" {
		t.Errorf("%s: body differs from the golden file (-want +got):\n%s", name, diff)
	}
}
