package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tallyfacade/tallyfacade/tallyxml"
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
	req := tallyxml.ExportObject("Ledger", benchParty, []string{"Name", "Parent", "ClosingBalance", "LedgerMobile"},
		tallyxml.Vars{Company: tallysim.DemoCompanyName})
	b.ReportAllocs()
	for b.Loop() {
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
}

func BenchmarkBalanceFacade(b *testing.B) {
	sim := benchSim(b)
	cfg, err := parseConfig("serve", []string{"-tally-url", sim.URL(), "-company", tallysim.DemoCompanyName, "-api-keys", "bench-key"},
		func(string) string { return "" }, io.Discard)
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
