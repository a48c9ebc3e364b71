// Command tallysim runs the TallyPrime XML gateway simulator (package
// tallyxml/tallysim) so tallyfacade can be tried without Tally.
//
//	go run ./cmd/tallysim                      # demo company "ABC Traders" on 127.0.0.1:9000
//	go run ./cmd/tallysim -data books.json     # companies from a data file
//	go run ./cmd/tallysim -dump-demo           # print the demo books in the data-file format
//	go run ./cmd/tallysim -generate-vouchers 1000000 -generate-parties 50   # big books, for benchmarks
//	go run ./cmd/tallysim -fault hang -latency 500ms -product erp9 -today 20260623
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "tallysim:", err)
		os.Exit(1)
	}
}

// run parses flags, starts the simulator and serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tallysim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address HOST:PORT")
	data := fs.String("data", "", "load companies from this JSON data file instead of the demo company")
	latency := fs.Duration("latency", 0, "delay added to every request")
	importCost := fs.Duration("import-cost", 0, "what an import request costs on top of -latency (real TallyPrime: about 500ms)")
	voucherCost := fs.Duration("voucher-cost", 0, "what each voucher of an import costs on top of -import-cost (real TallyPrime: about 16ms)")
	faultName := fs.String("fault", "", "inject a fault: refuse|hang|slow|reset|garbage|lost-write")
	todayStr := fs.String("today", "", "the simulator's today, YYYYMMDD (default: today in Asia/Kolkata)")
	product := fs.String("product", "prime", "liveness identity: prime|erp9")
	dumpDemo := fs.Bool("dump-demo", false, "print the demo company in the data-file JSON format and exit")
	genParties := fs.Int("generate-parties", 50, "with -generate-vouchers: how many debtors the generated sales go to")
	genVouchers := fs.Int("generate-vouchers", 0, "add this many generated Sales vouchers (one bill each, over 440 days) to the first company, for benchmarks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var today tallyxml.Date
	if *todayStr != "" {
		d, err := tallyxml.ParseDate(*todayStr)
		if err != nil {
			return fmt.Errorf("-today: %w", err)
		}
		today = d
	}
	if today.IsZero() {
		today = tallysim.TodayIST()
	}
	if *dumpDemo {
		return tallysim.WriteJSON(stdout, tallysim.DemoCompany(today))
	}
	fault, err := tallysim.ParseFault(*faultName)
	if err != nil {
		return err
	}
	cfg := tallysim.Config{
		Today:   today,
		Latency: *latency, ImportCost: *importCost, VoucherCost: *voucherCost,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)),
	}
	switch *product {
	case "prime", "tallyprime":
		cfg.Product = tallysim.TallyPrime
	case "erp9", "tally.erp9":
		cfg.Product = tallysim.TallyERP9
	default:
		return fmt.Errorf("-product %q: want prime or erp9", *product)
	}
	var companies []*tallysim.Company
	if *data != "" {
		companies, err = tallysim.LoadFile(*data, today)
		if err != nil {
			return err
		}
	}
	s := tallysim.New(cfg, companies...)
	if *genVouchers > 0 {
		start := time.Now()
		if err := s.Companies()[0].GenerateSales(*genParties, *genVouchers); err != nil {
			return err
		}
		cfg.Logger.Info("tallysim generated books", "vouchers", *genVouchers, "parties", *genParties, "took", time.Since(start))
	}
	if err := s.Start(*addr); err != nil {
		return err
	}
	if fault != tallysim.NoFault {
		s.SetFault(fault)
	}
	names := []string{}
	for _, c := range s.Companies() {
		names = append(names, c.Name())
	}
	cfg.Logger.Info("tallysim listening", "url", s.URL(), "product", cfg.Product.String(),
		"today", today.String(), "companies", names, "fault", fault.String(), "latency", *latency)
	<-ctx.Done()
	cfg.Logger.Info("tallysim shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// A hung request (fault hang) is released by Close; Shutdown waits for
	// the request in progress up to the timeout.
	s.SetFault(tallysim.NoFault)
	if err := s.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
