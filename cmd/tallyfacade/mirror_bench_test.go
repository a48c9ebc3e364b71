package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
//	go test -run XXX -bench MirrorInitialSync/1000000 -benchtime 1x -timeout 90m ./cmd/tallyfacade   # 1M alone (TALLYFACADE_BENCH_1M=1)
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
// simulator at 50 ms a request. Reports answers/s, p50 and p99, Tally
// requests per freshness interval (10 s) over the load, and the CPU time
// per answer.
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
		cpu0 := cpuTime()
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
		cpu := cpuTime() - cpu0
		tally := len(sim.Requests()) - before
		b.ReportMetric(float64(len(lat))/window.Seconds(), "answers/s")
		b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
		b.ReportMetric(float64(failed.Load()), "failed")
		b.ReportMetric(float64(tally)/(window.Seconds()/10), "tally-req/10s")
		// The CPU an answer costs (this process: clients, server, store
		// and the simulator alike), which the wall-clock rate of a shared
		// machine hides: two free cores answer about 2000/cpu-ms a second.
		b.ReportMetric(ms(cpu)/float64(max(1, len(lat))), "cpu-ms/answer")
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

// BenchmarkMirrorInitialSync: the initial load of generated books, 10k and
// 100k Sales vouchers of one bill each over 50 parties (1M with
// TALLYFACADE_BENCH_1M=1), into the embedded store, from the simulator
// running as a process of its own (cmd/tallysim -generate-vouchers), so that
// this process is the façade alone. Reports:
//   - peak-heap-MB: the heap's objects at their peak during the sync
//     (runtime/metrics, sampled every 10 ms), over what was live before it;
//   - peak-rss-MB: the process's peak resident size during the sync
//     (VmHWM, reset before the sync);
//   - sync-s, and ratio: sync-s over download-s, the time a plain HTTP
//     client takes to send the same voucher export requests and read the
//     answers into io.Discard; sync-cpu-s, the CPU time this process
//     spent on the sync (the wall clock of a shared machine varies tenfold
//     with the others' load);
//   - voucher-requests, the number of those exports.
func BenchmarkMirrorInitialSync(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("TALLYFACADE_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	bin := filepath.Join(b.TempDir(), "tallysim")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin,
		"github.com/tallyfacade/tallyfacade/cmd/tallysim").CombinedOutput(); err != nil {
		b.Fatalf("build the simulator: %v\n%s", err, out)
	}
	for _, n := range sizes {
		// The embedded store is "<n>"; PostgreSQL (TEST_DATABASE_URL) is
		// "<n>-postgres".
		for _, store := range []string{"", "-postgres"} {
			benchInitialSync(b, bin, n, store)
		}
	}
}

func benchInitialSync(b *testing.B, bin string, n int, store string) {
	b.Run(strconv.Itoa(n)+store, func(b *testing.B) {
		if store != "" && os.Getenv(pgtest.EnvURL) == "" {
			b.Skip("no " + pgtest.EnvURL)
		}
		simURL := startSimProcess(b, bin, "-generate-vouchers", strconv.Itoa(n), "-generate-parties", "50")
		for b.Loop() {
			rec := &exportRecorder{next: &http.Transport{}}
			client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: simURL, Transport: rec, Timeout: 10 * time.Minute, QueueWait: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			var db interface {
				service.Store
				service.BooksStore
			}
			if store == "" {
				db, err = sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "sync.db"), sqlitestore.Options{})
			} else {
				db, err = pgstore.New(b.Context(), pgtest.New(b), pgstore.Options{})
			}
			if err != nil {
				b.Fatal(err)
			}
			gw := tallyxml.NewGateway(client)
			svc := service.New(gw, service.Config{Company: tallysim.DemoCompanyName, Store: db,
				Now: func() time.Time { return time.Date(2026, 6, 23, 6, 30, 0, 0, time.UTC) }})
			books := service.NewBooks(svc, gw, db, service.BooksConfig{})
			runtime.GC()
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			metrics.Read(s)
			base := s[0].Value.Uint64()
			resetPeakRSS(b)
			stop := make(chan struct{})
			peak := heapPeak(stop)
			cpu0 := cpuTime()
			start := time.Now()
			if os.Getenv("TALLYFACADE_PROGRESS") != "" {
				go syncProgress(stop, start, rec)
			}
			state, err := books.Sync(b.Context(), "")
			took := time.Since(start)
			cpu := cpuTime() - cpu0
			close(stop)
			top := <-peak
			rss := peakRSS(b)
			if err != nil || !state.Loaded {
				b.Fatalf("sync: %+v %v", state, err)
			}
			status, err := books.Status(b.Context(), "")
			if err != nil || status.Counts.Vouchers < n {
				b.Fatalf("the mirror holds %d vouchers; want at least %d (%v)", status.Counts.Vouchers, n, err)
			}
			if c, ok := db.(io.Closer); ok {
				c.Close()
			}
			download := rec.replay(b, simURL)
			b.ReportMetric(float64(top-min(top, base))/1e6, "peak-heap-MB")
			b.ReportMetric(float64(rss)/1e6, "peak-rss-MB")
			b.ReportMetric(took.Seconds(), "sync-s")
			b.ReportMetric(cpu.Seconds(), "sync-cpu-s")
			b.ReportMetric(download.Seconds(), "download-s")
			b.ReportMetric(took.Seconds()/download.Seconds(), "ratio")
			b.ReportMetric(float64(len(rec.bodies)), "voucher-requests")
		}
	})
}

// syncProgress writes, every 30 s until stop closes, how far a long sync
// is: the voucher exports sent so far, the heap's objects now and at their
// peak so far (sampled each second) and the process's peak RSS, so that a
// 1M load cut short still says whether its memory stayed flat.
func syncProgress(stop <-chan struct{}, start time.Time, rec *exportRecorder) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var top uint64
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for i := 1; ; i++ {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(s)
		top = max(top, s[0].Value.Uint64())
		if i%30 != 0 {
			continue
		}
		rec.mu.Lock()
		n := len(rec.bodies)
		rec.mu.Unlock()
		load, _ := os.ReadFile("/proc/loadavg")
		fmt.Fprintf(os.Stderr, "progress %s: %d voucher exports, heap objects %.1f MB (peak %.1f MB), peak RSS %.1f MB, load %s",
			time.Since(start).Round(time.Second), n, float64(s[0].Value.Uint64())/1e6, float64(top)/1e6,
			float64(peakRSSOf())/1e6, load)
	}
}

// startSimProcess runs the simulator binary bin on a free port with args
// and returns its URL once it listens; it is interrupted when b ends.
func startSimProcess(b *testing.B, bin string, args ...string) string {
	b.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-today", "20260623"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "url="); i >= 0 && strings.Contains(line, "tallysim listening") {
				urls <- strings.Fields(line[i+4:])[0]
			}
		}
		close(urls)
	}()
	select {
	case u, ok := <-urls:
		if !ok {
			b.Fatal("the simulator exited before listening")
		}
		return u
	case <-time.After(15 * time.Minute):
		b.Fatal("the simulator did not start")
	}
	return ""
}

// exportRecorder keeps the bodies of the voucher export requests the sync
// sends, to send them again with a plain client (replay).
type exportRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	bodies [][]byte
	header http.Header
}

func (r *exportRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if bytes.Contains(body, utf16le("TallyFacade Sync Vouchers")) || bytes.Contains(body, []byte("TallyFacade Sync Vouchers")) {
			r.mu.Lock()
			r.bodies, r.header = append(r.bodies, body), req.Header.Clone()
			r.mu.Unlock()
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r.next.RoundTrip(req)
}

// replay sends the recorded exports one after another, as the sync did,
// reading each answer into io.Discard, and returns the time it took.
func (r *exportRecorder) replay(b *testing.B, target string) time.Duration {
	b.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	start := time.Now()
	for _, body := range r.bodies {
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, target, bytes.NewReader(body))
		req.Header = r.header.Clone()
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("replay: %d %v", resp.StatusCode, err)
		}
	}
	return time.Since(start)
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

// cpuTime is the CPU time (user and system) this process has used: on a
// machine shared with other work the wall clock says more about the others
// than about the sync.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// resetPeakRSS resets the process's VmHWM (Linux: clear_refs 5).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not reset: %v", err)
	}
}

// peakRSS is the process's VmHWM in bytes (0 where /proc is missing).
func peakRSS(*testing.B) uint64 { return peakRSSOf() }

func peakRSSOf() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkMirrorStale: Tally refusing, then hung; the mirror was synced
// before. Reports p50 and p99 of 100 balance reads (each past the freshness
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
			for range 100 {
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
			b.ReportMetric(ms(percentile(lat, 0.99)), fault.String()+"-p99-ms")
		}
	}
}
