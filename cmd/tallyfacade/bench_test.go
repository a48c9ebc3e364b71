package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// The façade's overhead on the card's example, a party's balance: the same
// data read straight from the simulator (one Object export, decoded) and
// through the whole service (HTTP, auth, service, gateway, the same export,
// JSON). Compare with:
//
//	go test -run XXX -bench Balance -benchmem -count 5 ./cmd/tallyfacade

const benchParty = "Rajesh Enterprises"

func benchSim(b *testing.B) *tallysim.Server {
	b.Helper()
	sim := tallysim.New(tallysim.Config{Today: tallyxml.NewDate(2026, 6, 23)})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Close() })
	return sim
}

func BenchmarkBalanceDirect(b *testing.B) {
	sim := benchSim(b)
	c, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		readBalance(b, c)
	}
}

// readBalance is the card's example read: one party's ledger object.
func readBalance(b *testing.B, c *tallyxml.Client) {
	req := tallyxml.ExportObject("Ledger", benchParty, []string{"Name", "Parent", "ClosingBalance", "LedgerMobile"},
		tallyxml.Vars{Company: tallysim.DemoCompanyName})
	err := c.Do(b.Context(), req, func(r io.Reader) error {
		l, err := tallyxml.LedgerObject(r)
		if err == nil && l.Name != benchParty {
			b.Fatalf("read %q", l.Name)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBalanceAgentLink reads the same balance straight from the
// simulator and through the outbound connector (the hub on an HTTP server,
// an agent dialled into it, the agent relaying to the simulator), one of
// each per iteration so both see the same machine load, and reports each
// one's time, the ratio and what the link adds (target: under 1 ms on
// loopback):
//
//	go test -run XXX -bench AgentLink -benchtime 2000x ./cmd/tallyfacade
func BenchmarkBalanceAgentLink(b *testing.B) {
	sim := benchSim(b)
	direct, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: sim.URL()})
	if err != nil {
		b.Fatal(err)
	}
	tokens, _ := agentlink.ParseTokens("bench:bench-token-0123456789")
	hub := agentlink.NewHub(agentlink.HubConfig{Tokens: tokens})
	ts := httptest.NewServer(hub)
	b.Cleanup(func() { hub.Close(); ts.Close() })
	a, err := agentlink.NewAgent(agentlink.AgentConfig{Server: ts.URL, Name: "bench", Token: "bench-token-0123456789", TallyURL: sim.URL()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	for !hub.Agents()[0].Connected {
		time.Sleep(time.Millisecond)
	}
	link, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: "agent://bench", Transport: hub.Transport("bench")})
	if err != nil {
		b.Fatal(err)
	}
	var viaDirect, viaLink time.Duration
	for b.Loop() {
		start := time.Now()
		readBalance(b, direct)
		mid := time.Now()
		readBalance(b, link)
		viaDirect, viaLink = viaDirect+mid.Sub(start), viaLink+time.Since(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(viaDirect.Nanoseconds())/n, "direct-ns/op")
	b.ReportMetric(float64(viaLink.Nanoseconds())/n, "link-ns/op")
	b.ReportMetric(float64(viaLink)/float64(viaDirect), "link/direct")
	b.ReportMetric(float64((viaLink-viaDirect).Microseconds())/n, "added-µs/op")
}

func BenchmarkBalanceFacade(b *testing.B) {
	// benchStack turns the rate limit off: the benchmark measures the
	// façade, not the limiter.
	_, ts := benchStack(b, benchSim(b))
	url := ts.URL + "/parties/Rajesh%20Enterprises/balance"
	client := ts.Client()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
		req.Header.Set("X-API-Key", "bench-key")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(benchParty)) {
			b.Fatalf("HTTP %d: %s", resp.StatusCode, body)
		}
	}
}

// BenchmarkAcceptOrdersPostgres measures the async path on PostgreSQL:
// POST /orders with Prefer: respond-async, each a distinct order, stored with
// its River job in one transaction and answered 202. The queue is not
// running, so Tally is not involved. Needs TEST_DATABASE_URL.
//
//	TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run XXX -bench AcceptOrders -benchtime 2000x ./cmd/tallyfacade
func BenchmarkAcceptOrdersPostgres(b *testing.B) {
	sim := benchSim(b)
	cfg, err := parseConfig("serve", []string{"-tally-url", sim.URL(), "-company", tallysim.DemoCompanyName,
		"-api-keys", "bench-key", "-rate-limit", "0", "-database-url", pgtest.NewURL(b)}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	st, err := build(b.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.db.close)
	ts := httptest.NewServer(st.api.Handler())
	b.Cleanup(ts.Close)
	var n atomic.Int64
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		client := ts.Client()
		for pb.Next() {
			body := fmt.Sprintf(`{"order_ref":"B-%d","party":{"name":"Rajesh Enterprises"},"lines":[{"item":"x","quantity":"1","rate":"100"}]}`, n.Add(1))
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/orders", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", "bench-key")
			req.Header.Set("Prefer", "respond-async")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Fatalf("HTTP %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "orders/s")
}

// BenchmarkTallyRequestsPerOrder posts orders through the durable path
// (store, then one posting attempt each) and reports how many Tally requests
// a posted order costs, for a party that exists and for a new one. The
// company's state is learnt once, on the first order, and is not counted.
//
//	go test -run XXX -bench TallyRequestsPerOrder -benchtime 50x ./cmd/tallyfacade
func BenchmarkTallyRequestsPerOrder(b *testing.B) {
	for _, tc := range []struct {
		name     string
		newParty bool
	}{{"existing-party", false}, {"new-party", true}} {
		b.Run(tc.name, func(b *testing.B) {
			sim := benchSim(b)
			cfg, err := parseConfig("serve", []string{"-tally-url", sim.URL(), "-company", tallysim.DemoCompanyName,
				"-insecure-no-auth", "-data-dir", b.TempDir()}, func(string) string { return "" }, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			st, err := build(b.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(st.db.close)
			order := func(i int) service.Order {
				party := "Rajesh Enterprises"
				if tc.newParty {
					party = fmt.Sprintf("New Party %d", i)
				}
				return service.Order{Ref: fmt.Sprintf("T-%d", i), Party: service.NewParty{Name: party, State: "Maharashtra"},
					Lines: []service.OrderLine{{Item: "x", Quantity: decimal.NewFromInt(1), Rate: 10000}}}
			}
			post := func(i int) {
				rec, _, err := st.svc.SubmitOrder(b.Context(), order(i), "bench", "")
				if err != nil {
					b.Fatal(err)
				}
				if err := st.svc.PostOrder(b.Context(), rec.ID); err != nil {
					b.Fatal(err)
				}
			}
			post(-1) // learns the company's state
			before := len(sim.Requests())
			b.ResetTimer()
			for i := range b.N {
				post(i)
			}
			b.ReportMetric(float64(len(sim.Requests())-before)/float64(b.N), "tally-requests/order")
		})
	}
}
