package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// The pace benchmarks measure how fast orders reach Tally through the whole
// stack (simulator, client, service, store, queue), on both stores in one
// run so that their ratio means something on this machine:
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run XXX -bench 'Pace' -benchtime 1x ./cmd/tallyfacade
//
// Each is a fixed workload (run it with -benchtime 1x), reported as custom
// metrics. Without a PostgreSQL server the postgres cases skip.

// paceStores are the stores the pace benchmarks compare.
var paceStores = []string{"embedded", "postgres"}

// paceStack is the service over a simulator and one store, with its queue
// running, as `tallyfacade serve` wires it.
type paceStack struct {
	*stack
	sim   *tallysim.Server
	ts    *httptest.Server
	dbURL string
}

func newPaceStack(b *testing.B, store string, simCfg tallysim.Config, args ...string) *paceStack {
	b.Helper()
	simCfg.Today = tallyxml.NewDate(2026, 6, 23)
	sim := tallysim.New(simCfg)
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Close() })
	// The benchmarks measure posting, not the per-client rate limit (which
	// would answer the synchronous series 429 after its burst).
	args = append([]string{"-tally-url", sim.URL(), "-company", tallysim.DemoCompanyName, "-insecure-no-auth", "-rate-limit", "0"}, args...)
	var dbURL string
	switch store {
	case "postgres":
		if os.Getenv(pgtest.EnvURL) == "" {
			b.Skip("no " + pgtest.EnvURL)
		}
		dbURL = pgtest.NewURL(b)
		args = append(args, "-database-url", dbURL)
	default:
		args = append(args, "-data-dir", b.TempDir())
	}
	cfg, err := parseConfig("serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	st, err := build(b.Context(), cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := st.background(ctx, cfg, logger)
	ts := httptest.NewServer(st.api.Handler())
	b.Cleanup(func() { ts.Close(); cancel(); wait(); st.db.close() })
	// The company's state is learnt on the first order; keep it out of
	// the measurement.
	ps := &paceStack{stack: st, sim: sim, ts: ts, dbURL: dbURL}
	ps.waitPostedWithin(b, time.Minute, ps.submit(b, "WARM-UP"))
	return ps
}

// eachStore runs bench once on each store, in a sub-benchmark of its own
// with a fresh stack.
func eachStore(b *testing.B, name string, bench func(b *testing.B, ps *paceStack)) {
	for _, store := range paceStores {
		b.Run("store="+store+name, func(b *testing.B) {
			for b.Loop() {
				bench(b, newPaceStack(b, store, tallysim.Config{}))
			}
		})
	}
}

func paceOrder(ref string) service.Order {
	return service.Order{Ref: ref, Party: service.NewParty{Name: "Rajesh Enterprises", State: "Maharashtra"},
		Lines: []service.OrderLine{{Item: "Cotton saree", Quantity: decimal.NewFromInt(1), Rate: 125000}}}
}

// submit stores an order (and its job), as POST /orders with Prefer:
// respond-async does.
func (ps *paceStack) submit(b *testing.B, ref string) string {
	rec, _, err := ps.svc.SubmitOrder(context.Background(), paceOrder(ref), "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	return rec.ID
}

// waitPosted waits until every order is posted, and fails on any other end.
// It reads the store, not the queue, so it measures what a caller sees.
func (ps *paceStack) waitPosted(b *testing.B, ids ...string) {
	ps.waitPostedWithin(b, 10*time.Minute, ids...)
}

func (ps *paceStack) waitPostedWithin(b *testing.B, limit time.Duration, ids ...string) {
	b.Helper()
	deadline := time.Now().Add(limit)
	left := slices.Clone(ids)
	for len(left) > 0 {
		rec, err := ps.svc.GetOrder(context.Background(), left[0])
		if err != nil {
			b.Fatal(err)
		}
		switch {
		case rec.State == service.OrderPosted:
			left = left[1:]
			continue
		case rec.State.Final():
			b.Fatalf("order %s ended %s: %s", rec.Ref, rec.State, rec.LastError)
		case time.Now().After(deadline):
			b.Fatalf("%d orders not posted after %v (%s is %s: %s)", len(left), limit, rec.Ref, rec.State, rec.LastError)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// vouchersOf counts the demo company's vouchers by REMOTEID.
func (ps *paceStack) vouchersOf() map[string]int {
	demo, _ := ps.sim.Company(tallysim.DemoCompanyName)
	n := map[string]int{}
	for _, v := range demo.Vouchers() {
		n[v.RemoteID]++
	}
	return n
}

// BenchmarkPaceThroughput: orders queued by 1 or 10 concurrent callers,
// Tally answering at once; orders/s from the first submit to the last post.
// The "today": 9.9/s on PostgreSQL against 92–116/s embedded.
func BenchmarkPaceThroughput(b *testing.B) {
	const orders = 200
	for _, clients := range []int{1, 10} {
		eachStore(b, fmt.Sprintf("/clients=%d", clients), func(b *testing.B, ps *paceStack) {
			ids := make([]string, orders)
			start := time.Now()
			var wg sync.WaitGroup
			for c := range clients {
				wg.Go(func() {
					for i := c; i < orders; i += clients {
						ids[i] = ps.submit(b, fmt.Sprintf("TP-%d", i))
					}
				})
			}
			wg.Wait()
			ps.waitPosted(b, ids...)
			b.ReportMetric(orders/time.Since(start).Seconds(), "orders/s")
		})
	}
}

// BenchmarkPaceSyncOrder: synchronous POST /orders, one after another,
// Tally answering at once; the median and 95th percentile of the answer
// time. The "today": 54 ms embedded, 105 ms PostgreSQL.
func BenchmarkPaceSyncOrder(b *testing.B) {
	const orders = 100
	eachStore(b, "", func(b *testing.B, ps *paceStack) {
		client := ps.ts.Client()
		took := make([]time.Duration, 0, orders)
		for i := range orders {
			body := fmt.Sprintf(`{"order_ref":"SY-%d","party":{"name":"Rajesh Enterprises"},"lines":[{"item":"Cotton saree","quantity":"1","rate":"1250.00"}]}`, i)
			start := time.Now()
			resp, err := client.Post(ps.ts.URL+"/orders", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took = append(took, time.Since(start))
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("order %d: HTTP %d", i, resp.StatusCode)
			}
		}
		b.ReportMetric(ms(percentile(took, 0.50)), "p50-ms")
		b.ReportMetric(ms(percentile(took, 0.95)), "p95-ms")
	})
}

// BenchmarkPaceBacklog: 200 orders queued at once while Tally takes 100 ms
// a request; the time until all are posted, each exactly once (one voucher
// per REMOTEID), and the Tally requests it took.
func BenchmarkPaceBacklog(b *testing.B) {
	const orders = 200
	eachStore(b, "", func(b *testing.B, ps *paceStack) {
		ps.sim.SetLatency(100 * time.Millisecond)
		before := len(ps.sim.Requests())
		start := time.Now()
		ids := make([]string, orders)
		for i := range ids {
			ids[i] = ps.submit(b, fmt.Sprintf("BL-%d", i))
		}
		ps.waitPosted(b, ids...)
		took := time.Since(start)
		vs := ps.vouchersOf()
		for _, id := range ids {
			rec, _ := ps.svc.GetOrder(context.Background(), id)
			if vs[rec.RemoteID] != 1 {
				b.Fatalf("order %s has %d vouchers in Tally", rec.Ref, vs[rec.RemoteID])
			}
		}
		b.ReportMetric(took.Seconds(), "s-all-posted")
		b.ReportMetric(float64(len(ps.sim.Requests())-before), "tally-requests")
	})
}

// BenchmarkPaceOutage: an order queued while Tally is off, Tally switched on
// 20 s later; the time from Tally answering to the order posted. The issue's
// "today": the order waits for its next backoff step.
func BenchmarkPaceOutage(b *testing.B) {
	eachStore(b, "", func(b *testing.B, ps *paceStack) {
		ps.sim.SetFault(tallysim.Refuse)
		id := ps.submit(b, "OUT-1")
		time.Sleep(20 * time.Second)
		back := time.Now()
		ps.sim.SetFault(tallysim.NoFault)
		ps.waitPosted(b, id)
		b.ReportMetric(time.Since(back).Seconds(), "s-to-first-post")
	})
}
