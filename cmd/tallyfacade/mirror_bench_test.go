package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/openapi"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// The mirror's targets (issue 10), as benchmarks that report their own
// figures. Run them one at a time, on a quiet machine:
//
//	go test -run XXX -bench MirrorLoad -benchtime 1x ./cmd/tallyfacade
//	go test -run XXX -bench MirrorPages -benchtime 1x ./cmd/tallyfacade   # + TEST_DATABASE_URL for postgres
//	go test -run XXX -bench MirrorInitialSync -benchtime 1x -timeout 60m ./cmd/tallyfacade   # TALLYFACADE_BENCH_1M=1 adds 1M
//	go test -run XXX -bench MirrorStale -benchtime 1x ./cmd/tallyfacade
//
// TALLYFACADE_LOAD_SECONDS sets the load's duration (default 5),
// TALLYFACADE_LOAD_RATE an offered rate in requests/s (default: closed loop).

// benchStack is the whole service (build, as serve wires it) over sim.
func benchStack(b *testing.B, sim *tallysim.Server, args ...string) (*stack, *httptest.Server) {
	b.Helper()
	all := append([]string{"-tally-url", sim.URL(), "-company", tallysim.DemoCompanyName, "-api-keys", "bench-key", "-rate-limit", "0"}, args...)
	cfg, err := parseConfig("serve", all, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir = b.TempDir()
	st, err := build(b.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.db.close)
	ts := httptest.NewServer(st.api.Handler())
	b.Cleanup(ts.Close)
	return st, ts
}

func benchGet(client *http.Client, target string) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("X-API-Key", "bench-key")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkMirrorLoad: 200 concurrent chatbot clients asking the balances of
// 20 parties for a few seconds, back to back or at an offered rate, the
// simulator at 50 ms a request. Reports answers/s, p50 and p99, and Tally
// requests per freshness interval (10 s) over the load.
func BenchmarkMirrorLoad(b *testing.B) {
	secs, _ := strconv.Atoi(os.Getenv("TALLYFACADE_LOAD_SECONDS"))
	if secs <= 0 {
		secs = 5
	}
	window := time.Duration(secs) * time.Second
	// TALLYFACADE_LOAD_RATE offers that many requests a second in all (open
	// loop); unset, every client sends back to back (closed loop).
	rate, _ := strconv.Atoi(os.Getenv("TALLYFACADE_LOAD_RATE"))
	sim := benchSim(b)
	co, _ := sim.Company(tallysim.DemoCompanyName)
	for i := range 10 { // the demo's debtors plus these make 20 parties
		if err := co.AddLedger(tallysim.Ledger{Name: fmt.Sprintf("Load Party %02d", i), Parent: "Sundry Debtors", BillWise: true}); err != nil {
			b.Fatal(err)
		}
	}
	var parties []string
	for _, l := range co.Ledgers() {
		if l.Parent == "Sundry Debtors" && len(parties) < 20 {
			parties = append(parties, url.PathEscape(l.Name))
		}
	}
	st, ts := benchStack(b, sim, "-tally-freshness", "10s")
	if _, err := st.books.Sync(b.Context(), ""); err != nil {
		b.Fatal(err)
	}
	sim.SetLatency(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	go st.books.Run(ctx, tallysim.DemoCompanyName)
	transport := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	for b.Loop() {
		before := len(sim.Requests())
		var mu sync.Mutex
		var lat []time.Duration
		var failed atomic.Int64
		end := time.Now().Add(window)
		var wg sync.WaitGroup
		begin := time.Now()
		for c := range 200 {
			wg.Go(func() {
				var mine []time.Duration
				for i := c; time.Now().Before(end); i++ {
					start := time.Now()
					if rate > 0 {
						// Open loop: this client's k-th request is due at
						// begin + (k·200 + c)/rate, and its latency counts
						// from then, so a slow answer is not hidden by the
						// client waiting for it.
						k := i - c
						start = begin.Add(time.Duration(float64(k*200+c) / float64(rate) * float64(time.Second)))
						time.Sleep(time.Until(start))
						if !start.Before(end) {
							break
						}
					}
					code, _, err := benchGet(client, ts.URL+"/parties/"+parties[i%len(parties)]+"/balance")
					if err != nil || code != http.StatusOK {
						failed.Add(1)
						continue
					}
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		tally := len(sim.Requests()) - before
		b.ReportMetric(float64(len(lat))/window.Seconds(), "answers/s")
		b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
		b.ReportMetric(float64(failed.Load()), "failed")
		b.ReportMetric(float64(tally)/(window.Seconds()/10), "tally-req/10s")
	}
}

// pageStub is the Tally side of the pages benchmark: the counters never
// move, so every read is the mirror's (what is measured is the page).
type pageStub struct{ ids service.AlterIDs }

func (p pageStub) AlterIDs(context.Context, string) (service.AlterIDs, error) { return p.ids, nil }
func (pageStub) GroupsSince(context.Context, string, int64, func(service.MirrorGroup) error) error {
	return nil
}
func (pageStub) LedgersSince(context.Context, string, int64, func(service.MirrorLedger) error) error {
	return nil
}
func (pageStub) VouchersIn(context.Context, string, service.VoucherRange, func(service.MirrorVoucher) error) error {
	return nil
}
func (pageStub) VoucherIDs(context.Context, string, func(service.ObjectID) error) error { return nil }
func (pageStub) MasterIDs(context.Context, string) ([]int64, []int64, error)            { return nil, nil, nil }

// fillBooks writes 5,000 parties and 100,000 unpaid bills (one Sales
// voucher each) straight into the mirror.
func fillBooks(b *testing.B, st service.BooksStore, company string, parties, bills int) {
	b.Helper()
	ctx := b.Context()
	var ledgers []service.MirrorLedger
	for i := range parties {
		ledgers = append(ledgers, service.MirrorLedger{MasterID: int64(1000 + i), AlterID: int64(1000 + i),
			Name: fmt.Sprintf("Party %05d", i), Parent: "Sundry Debtors", BillWise: true, CreditPeriod: "30 Days",
			Mobile: service.NormalizeMobile(fmt.Sprintf("98%08d", i))})
	}
	ledgers = append(ledgers, service.MirrorLedger{MasterID: 999, AlterID: 999, Name: "Sales", Parent: "Sales Accounts"})
	groups := []service.MirrorGroup{{MasterID: 20, AlterID: 20, Name: "Sundry Debtors", Parent: "Current Assets"},
		{MasterID: 6, AlterID: 6, Name: "Current Assets"}, {MasterID: 16, AlterID: 16, Name: "Sundry Creditors", Parent: "Current Liabilities"}}
	if err := st.ApplyMasters(ctx, company, groups, ledgers, nil, nil); err != nil {
		b.Fatal(err)
	}
	day0 := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	var batch []service.MirrorVoucher
	for i := range bills {
		party := ledgers[i%parties].Name
		amt := service.Paise(10000 + i%997*100)
		batch = append(batch, service.MirrorVoucher{MasterID: int64(i + 1), AlterID: int64(10000 + i), Type: "Sales",
			Date: day0.AddDate(0, 0, i%440), Party: party, Entries: []service.MirrorEntry{
				{Ledger: party, Amount: -amt, Bills: []service.MirrorBill{{Name: fmt.Sprintf("S/%06d", i), Type: "New Ref", Amount: -amt}}},
				{Ledger: "Sales", Amount: amt}}})
		if len(batch) == 5000 {
			if err := st.ApplyVouchers(ctx, company, batch, nil, false); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := st.ApplyVouchers(ctx, company, batch, nil, false); err != nil {
		b.Fatal(err)
	}
	if err := st.RecomputeAll(ctx, company); err != nil {
		b.Fatal(err)
	}
	ids := service.AlterIDs{Company: company, Masters: 10000, Vouchers: int64(10000 + bills)}
	if err := st.SaveSyncState(ctx, service.SyncState{Company: company, Masters: ids.Masters, Vouchers: ids.Vouchers, Loaded: true}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMirrorPages: 100,000 bills of 5,000 parties. GET /receivables
// and GET /parties, 100 parties a page: the first page and the 25th (by
// cursor), p50 of 30 reads each, on the embedded store and (with
// TEST_DATABASE_URL) PostgreSQL.
func BenchmarkMirrorPages(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var st interface {
				service.Store
				service.BooksStore
			}
			switch kind {
			case "sqlite":
				s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "p.db"), sqlitestore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				st = s
			case "postgres":
				if os.Getenv("TEST_DATABASE_URL") == "" {
					b.Skip("TEST_DATABASE_URL is not set")
				}
				s, err := pgstore.New(b.Context(), pgtest.New(b), pgstore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				st = s
			}
			const company = tallysim.DemoCompanyName
			fillBooks(b, st, company, 5000, 100000)
			sim := benchSim(b)
			client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL()})
			if err != nil {
				b.Fatal(err)
			}
			svc := service.New(tallyxml.NewGateway(client), service.Config{Company: company, Store: st,
				Now: func() time.Time { return time.Date(2026, 6, 23, 6, 30, 0, 0, time.UTC) }})
			books := service.NewBooks(svc, pageStub{ids: service.AlterIDs{Company: company, Masters: 10000, Vouchers: 110000}}, st,
				service.BooksConfig{Freshness: time.Hour})
			srv, err := api.New(svc, api.Config{APIKeys: []string{"bench-key"}, Spec: openapi.SwaggerJSON, Books: books})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(srv.Handler())
			b.Cleanup(ts.Close)
			hc := ts.Client()
			for b.Loop() {
				for _, path := range []string{"/receivables?limit=100", "/parties?limit=100"} {
					// Walk to the 25th page, then time the first and the 25th.
					target := ts.URL + path
					pages := []string{target}
					for len(pages) < 25 {
						code, body, err := benchGet(hc, pages[len(pages)-1])
						if err != nil || code != http.StatusOK {
							b.Fatalf("%s: %d %v %.200s", pages[len(pages)-1], code, err, body)
						}
						i := strings.Index(string(body), `"next":"`)
						if i < 0 {
							b.Fatalf("%s: no next page", path)
						}
						next := string(body[i+8:])
						next = next[:strings.IndexByte(next, '"')]
						pages = append(pages, target+"&cursor="+url.QueryEscape(next))
					}
					for _, p := range []struct {
						name, url string
					}{{"first", pages[0]}, {"p25", pages[24]}} {
						var lat []time.Duration
						for range 30 {
							start := time.Now()
							code, _, err := benchGet(hc, p.url)
							if err != nil || code != http.StatusOK {
								b.Fatalf("%s: %d %v", p.url, code, err)
							}
							lat = append(lat, time.Since(start))
						}
						name := strings.TrimPrefix(path[:strings.IndexByte(path, '?')], "/")
						b.ReportMetric(ms(percentile(lat, 0.5)), name+"-"+p.name+"-p50-ms")
					}
				}
			}
		})
	}
}

// heapPeak samples the heap in use until stop is closed and returns the
// highest sample.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// BenchmarkMirrorInitialSync: the initial load of books of 10k and 100k
// vouchers (1M with TALLYFACADE_BENCH_1M=1) over 50 parties from the
// simulator in this process. Reports the heap the sync adds at its peak
// (sampled every 10 ms, over the heap after the books were built), its
// duration, and that duration as a ratio to the simulator's own time
// answering the sync's voucher exports.
func BenchmarkMirrorInitialSync(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("TALLYFACADE_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			sim := benchSim(b)
			co, _ := sim.Company(tallysim.DemoCompanyName)
			var names []string
			for i := range 50 {
				name := fmt.Sprintf("Sync Party %02d", i)
				if err := co.AddLedger(tallysim.Ledger{Name: name, Parent: "Sundry Debtors", BillWise: true, CreditPeriodDays: 30}); err != nil {
					b.Fatal(err)
				}
				names = append(names, name)
			}
			from := co.BooksFrom()
			for i := range n {
				amt := tallyxml.Paise(int64(10000 + i%997*100))
				if _, err := co.AddVoucher(tallysim.Voucher{Type: "Sales", Date: from.AddDays(i % 440), Party: names[i%50],
					Entries: []tallysim.Entry{
						{Ledger: names[i%50], Amount: tallyxml.Paise(-amt.Paise()), Bills: []tallysim.BillAllocation{{Name: fmt.Sprintf("B%07d", i), Type: tallysim.NewRef, Amount: tallyxml.Paise(-amt.Paise())}}},
						{Ledger: "Sales", Amount: amt}}}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				st, _ := benchStack(b, sim)
				runtime.GC()
				s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				metrics.Read(s)
				base := s[0].Value.Uint64()
				before := len(sim.Requests())
				stop := make(chan struct{})
				peak := heapPeak(stop)
				start := time.Now()
				state, err := st.books.Sync(b.Context(), "")
				took := time.Since(start)
				close(stop)
				if err != nil || !state.Loaded {
					b.Fatalf("sync: %+v %v", state, err)
				}
				var simTime time.Duration
				requests := 0
				for _, r := range sim.Requests()[before:] {
					if strings.Contains(r.Kind, "TallyFacade Sync Vouchers") {
						simTime += r.Duration
						requests++
					}
				}
				counts, err := st.books.Status(b.Context(), "")
				if err != nil || counts.Counts.Vouchers != len(co.Vouchers()) {
					b.Fatalf("mirror holds %d vouchers; Tally %d (%v)", counts.Counts.Vouchers, len(co.Vouchers()), err)
				}
				top := <-peak
				b.ReportMetric(float64(top-min(top, base))/1e6, "peak-heap-MB")
				b.ReportMetric(took.Seconds(), "sync-s")
				b.ReportMetric(simTime.Seconds(), "sim-export-s")
				b.ReportMetric(took.Seconds()/simTime.Seconds(), "ratio")
				b.ReportMetric(float64(requests), "voucher-requests")
			}
		})
	}
}

// BenchmarkMirrorStale: Tally refusing, then hung; the mirror was synced
// before. Reports p50 and p99 of balance reads (each past the freshness
// interval, so each wants a probe).
func BenchmarkMirrorStale(b *testing.B) {
	sim := benchSim(b)
	st, ts := benchStack(b, sim, "-tally-freshness", "100ms", "-tally-timeout", "30s")
	if _, err := st.books.Sync(b.Context(), ""); err != nil {
		b.Fatal(err)
	}
	hc := ts.Client()
	for b.Loop() {
		for _, fault := range []tallysim.Fault{tallysim.Refuse, tallysim.Hang} {
			sim.SetFault(fault)
			var lat []time.Duration
			for range 20 {
				time.Sleep(120 * time.Millisecond) // past the freshness interval
				start := time.Now()
				code, body, err := benchGet(hc, ts.URL+"/parties/Rajesh%20Enterprises/balance")
				if err != nil || code != http.StatusOK || !strings.Contains(string(body), `"stale":true`) {
					b.Fatalf("%v: %d %v %s", fault, code, err, body)
				}
				lat = append(lat, time.Since(start))
			}
			sim.SetFault(tallysim.NoFault)
			b.ReportMetric(ms(percentile(lat, 0.5)), fault.String()+"-p50-ms")
			b.ReportMetric(ms(percentile(lat, 0.99)), fault.String()+"-max-ms")
		}
	}
}
