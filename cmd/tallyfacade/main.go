// Command tallyfacade is the REST/JSON façade in front of TallyPrime's XML
// gateway.
//
//	tallyfacade serve   # the service (TALLY_URL, TALLY_COMPANY, TALLYFACADE_API_KEYS, …)
//	tallyfacade demo    # the simulator's demo company and the service in one process, no key needed
//	tallyfacade check   # is Tally running, which product, is the configured company loaded?
//
// Configuration comes from flags and the environment; a flag wins over its
// variable. `tallyfacade <command> -h` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/api/sender"
	"github.com/tallyfacade/tallyfacade/openapi"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tallyfacade:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage: tallyfacade <command> [flags]

commands:
  serve   run the service against the Tally at TALLY_URL
  demo    run the Tally simulator's demo company and the service in one process (no API key)
  check   check that Tally answers and that the configured company is loaded
  migrate apply the store's migrations (serve and demo also do it at start-up)

Run "tallyfacade <command> -h" for the flags of a command.
`

// run is the whole program, so tests can call it with their own arguments,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "demo":
		cfg, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return err
		}
		return demo(ctx, cfg, stdout, stderr)
	case "check":
		cfg, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return err
		}
		return check(ctx, cfg, stdout)
	case "migrate":
		cfg, err := parseConfig(cmd, rest, getenv, stderr)
		if err != nil {
			return err
		}
		db, err := openStore(ctx, cfg, newLogger(cfg, stderr))
		if err != nil {
			return err
		}
		db.close()
		fmt.Fprintf(stdout, "migrated %s\n", db.name)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// config is everything the commands need.
type config struct {
	Addr           string
	TallyURL       string
	Company        string
	CompanyState   string
	APIKeys        []string
	InsecureNoAuth bool
	TallyTimeout   time.Duration
	QueueWait      time.Duration
	RequestTimeout time.Duration
	Charset        tallyxml.Charset
	SalesLedger    string
	PartyGroups    []string
	Tax            service.TaxLedgers
	DefaultGSTRate decimal.Decimal
	CreditDays     int
	LogJSON        bool
	DatabaseURL    string
	DataDir        string
	IdempotencyTTL time.Duration
	BodyRetention  time.Duration
	OrderWait      time.Duration
	MaxAttempts    int
	BankLedger     string
	CashLedger     string
	Reminders      reminderConfig
	WhatsApp       service.WhatsAppConfig
	CatalogFile    string
	ConfirmOrders  bool
}

// reminderConfig is how reminders are written, sent and scheduled.
type reminderConfig struct {
	Template                              string
	DailyAt                               string // "HH:MM" in Asia/Kolkata, "" for no schedule
	APIURL, PhoneNumberID, Token, TplName string
	WebhookURL, WebhookSecret             string
}

func parseConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("tallyfacade "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	var cfg config
	var keys, charset, gstRate, partyGroups string
	fs.StringVar(&cfg.Addr, "addr", env("TALLYFACADE_ADDR", ":8080"), "listen address (TALLYFACADE_ADDR)")
	fs.StringVar(&cfg.TallyURL, "tally-url", env("TALLY_URL", "http://127.0.0.1:9000"), "Tally gateway URL (TALLY_URL)")
	fs.StringVar(&cfg.Company, "company", env("TALLY_COMPANY", ""), "company every request pins unless the caller picks another (TALLY_COMPANY)")
	fs.StringVar(&cfg.CompanyState, "company-state", env("TALLY_COMPANY_STATE", ""), "the company's state for GST; default: ask Tally (TALLY_COMPANY_STATE)")
	fs.StringVar(&keys, "api-keys", env("TALLYFACADE_API_KEYS", ""), "comma-separated API keys (TALLYFACADE_API_KEYS)")
	fs.BoolVar(&cfg.InsecureNoAuth, "insecure-no-auth", env("TALLYFACADE_INSECURE_NO_AUTH", "") == "true", "serve without API keys: anyone who reaches the port can read and write the books")
	fs.DurationVar(&cfg.TallyTimeout, "tally-timeout", envDuration(env("TALLY_TIMEOUT", ""), 30*time.Second), "bound on one Tally request (TALLY_TIMEOUT)")
	fs.DurationVar(&cfg.QueueWait, "tally-queue-wait", envDuration(env("TALLY_QUEUE_WAIT", ""), 10*time.Second), "how long a request waits for the one in flight to Tally (TALLY_QUEUE_WAIT)")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", envDuration(env("TALLYFACADE_REQUEST_TIMEOUT", ""), 25*time.Second), "bound on one API request (TALLYFACADE_REQUEST_TIMEOUT)")
	fs.StringVar(&charset, "tally-charset", env("TALLY_CHARSET", "utf-16"), "request charset: utf-16 (needed for ₹ and non-Latin names) or utf-8 (TALLY_CHARSET)")
	fs.StringVar(&cfg.SalesLedger, "sales-ledger", env("TALLY_SALES_LEDGER", "Sales"), "ledger credited with an order's taxable value (TALLY_SALES_LEDGER)")
	fs.StringVar(&partyGroups, "party-groups", env("TALLY_PARTY_GROUPS", "Sundry Debtors,Sundry Creditors"), "comma-separated groups whose ledgers (sub-groups included) are parties; no other ledger is read or created through /parties (TALLY_PARTY_GROUPS)")
	fs.StringVar(&cfg.Tax.CGST, "cgst-ledger", env("TALLY_CGST_LEDGER", "CGST"), "CGST ledger (TALLY_CGST_LEDGER)")
	fs.StringVar(&cfg.Tax.SGST, "sgst-ledger", env("TALLY_SGST_LEDGER", "SGST"), "SGST ledger (TALLY_SGST_LEDGER)")
	fs.StringVar(&cfg.Tax.IGST, "igst-ledger", env("TALLY_IGST_LEDGER", "IGST"), "IGST ledger (TALLY_IGST_LEDGER)")
	fs.StringVar(&gstRate, "gst-rate", env("TALLY_DEFAULT_GST_RATE", "18"), "GST rate (percent) of order lines without one (TALLY_DEFAULT_GST_RATE)")
	fs.IntVar(&cfg.CreditDays, "credit-days", envInt(env("TALLY_CREDIT_DAYS", ""), 30), "credit period of orders without one (TALLY_CREDIT_DAYS)")
	fs.BoolVar(&cfg.LogJSON, "log-json", env("TALLYFACADE_LOG_FORMAT", "") == "json", "log as JSON (TALLYFACADE_LOG_FORMAT=json)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", ""), "PostgreSQL URL; empty: the embedded SQLite store (DATABASE_URL)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("TALLYFACADE_DATA_DIR", "./data"), "where the embedded store keeps its file (TALLYFACADE_DATA_DIR)")
	fs.DurationVar(&cfg.IdempotencyTTL, "idempotency-ttl", envDuration(env("TALLYFACADE_IDEMPOTENCY_TTL", ""), 24*time.Hour), "how long Idempotency-Key records are kept, at least 24h (TALLYFACADE_IDEMPOTENCY_TTL)")
	fs.DurationVar(&cfg.BodyRetention, "audit-body-retention", envDuration(env("TALLYFACADE_AUDIT_BODY_RETENTION", ""), 90*24*time.Hour), "how long the XML of Tally imports is kept; counters are kept for ever (TALLYFACADE_AUDIT_BODY_RETENTION)")
	fs.DurationVar(&cfg.OrderWait, "order-wait", envDuration(env("TALLYFACADE_ORDER_WAIT", ""), 8*time.Second), "how long POST /orders waits for Tally before answering 202 (TALLYFACADE_ORDER_WAIT)")
	fs.StringVar(&cfg.BankLedger, "bank-ledger", env("TALLY_BANK_LEDGER", ""), "ledger debited with UPI and bank receipts, e.g. HDFC Bank (TALLY_BANK_LEDGER)")
	fs.StringVar(&cfg.CashLedger, "cash-ledger", env("TALLY_CASH_LEDGER", "Cash"), "ledger debited with cash receipts (TALLY_CASH_LEDGER)")
	fs.StringVar(&cfg.Reminders.Template, "reminder-template", env("REMINDER_TEMPLATE", ""), "reminder text, a Go template over .Party .Amount .DueSince …; default: the guide's text (REMINDER_TEMPLATE)")
	fs.StringVar(&cfg.Reminders.DailyAt, "reminder-daily-at", env("REMINDER_DAILY_AT", ""), "send reminders every day at HH:MM, Asia/Kolkata; empty: no schedule (REMINDER_DAILY_AT)")
	fs.StringVar(&cfg.Reminders.APIURL, "whatsapp-api-url", env("WHATSAPP_API_URL", ""), "WhatsApp Cloud API base URL with version, e.g. https://graph.facebook.com/v21.0 (WHATSAPP_API_URL)")
	fs.StringVar(&cfg.Reminders.PhoneNumberID, "whatsapp-phone-number-id", env("WHATSAPP_PHONE_NUMBER_ID", ""), "Cloud API sender phone number id (WHATSAPP_PHONE_NUMBER_ID)")
	cfg.Reminders.Token = env("WHATSAPP_TOKEN", "") // a secret: environment only, never a flag (flags show in ps)
	fs.StringVar(&cfg.Reminders.TplName, "whatsapp-template", env("WHATSAPP_TEMPLATE", ""), "approved template name for reminders; empty sends text (WHATSAPP_TEMPLATE)")
	cfg.Reminders.WebhookURL = env("REMINDER_WEBHOOK_URL", "")       // may carry a token: environment only, never a flag
	cfg.Reminders.WebhookSecret = env("REMINDER_WEBHOOK_SECRET", "") // a secret: environment only
	cfg.WhatsApp.VerifyToken = env("WHATSAPP_VERIFY_TOKEN", "")      // secrets: environment only
	cfg.WhatsApp.AppSecret = env("WHATSAPP_APP_SECRET", "")
	fs.BoolVar(&cfg.ConfirmOrders, "whatsapp-confirm-orders", env("WHATSAPP_CONFIRM_ORDERS", "") == "true", "tell WhatsApp customers when their order is in Tally, through the Cloud API (WHATSAPP_CONFIRM_ORDERS=true)")
	fs.StringVar(&cfg.CatalogFile, "whatsapp-catalog", env("TALLY_WHATSAPP_CATALOG", ""), "JSON file mapping WhatsApp product retailer ids to Tally items (TALLY_WHATSAPP_CATALOG)")
	fs.IntVar(&cfg.MaxAttempts, "max-attempts", envInt(env("TALLYFACADE_MAX_ATTEMPTS", ""), 50), "attempts while Tally is unreachable before an order needs attention (TALLYFACADE_MAX_ATTEMPTS)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.APIKeys = append(cfg.APIKeys, k)
		}
	}
	for _, g := range strings.Split(partyGroups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			if err := service.ValidateName("-party-groups", g); err != nil {
				return cfg, err
			}
			cfg.PartyGroups = append(cfg.PartyGroups, g)
		}
	}
	if len(cfg.PartyGroups) == 0 {
		return cfg, fmt.Errorf("-party-groups %q: name at least one group", partyGroups)
	}
	switch strings.ToLower(charset) {
	case "utf-16", "utf16":
		cfg.Charset = tallyxml.UTF16
	case "utf-8", "utf8":
		cfg.Charset = tallyxml.UTF8
	default:
		return cfg, fmt.Errorf("-tally-charset %q: want utf-16 or utf-8", charset)
	}
	rate, err := decimal.NewFromString(gstRate)
	if err != nil || !service.IsGSTSlab(rate) {
		return cfg, fmt.Errorf("-gst-rate %q: not a GST rate", gstRate)
	}
	cfg.DefaultGSTRate = rate
	if cfg.CreditDays < 0 || cfg.CreditDays > 3650 {
		return cfg, fmt.Errorf("-credit-days %d: want 0 to 3650", cfg.CreditDays)
	}
	if cfg.IdempotencyTTL < 24*time.Hour {
		return cfg, fmt.Errorf("-idempotency-ttl %v: keep keys at least 24h (clients retry for that long)", cfg.IdempotencyTTL)
	}
	if cfg.MaxAttempts < 1 {
		return cfg, fmt.Errorf("-max-attempts %d: want at least 1", cfg.MaxAttempts)
	}
	if _, err := service.ParseReminderTemplate(cfg.Reminders.Template); cfg.Reminders.Template != "" && err != nil {
		return cfg, fmt.Errorf("-reminder-template: %w", err)
	}
	if _, err := dailyAt(cfg.Reminders.DailyAt); err != nil {
		return cfg, err
	}
	if cfg.CatalogFile != "" {
		f, err := os.Open(cfg.CatalogFile)
		if err != nil {
			return cfg, fmt.Errorf("-whatsapp-catalog: %w", err)
		}
		defer f.Close()
		if cfg.WhatsApp.Catalog, err = service.LoadCatalog(f); err != nil {
			return cfg, fmt.Errorf("-whatsapp-catalog %s: %w", cfg.CatalogFile, err)
		}
	}
	return cfg, nil
}

// dailyAt parses "HH:MM" into a time of day.
func dailyAt(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("-reminder-daily-at %q: want HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// reminderSender is the configured way reminders go out: the Cloud API, a
// chatbot platform's webhook, or none (GET /reminders still works).
func reminderSender(c reminderConfig) (service.Sender, error) {
	switch {
	case c.APIURL != "" || c.PhoneNumberID != "" || c.Token != "":
		return sender.NewCloudAPI(sender.CloudAPI{BaseURL: c.APIURL, PhoneNumberID: c.PhoneNumberID, Token: c.Token, TemplateName: c.TplName})
	case c.WebhookURL != "" || c.WebhookSecret != "":
		return sender.NewWebhook(sender.Webhook{URL: c.WebhookURL, Secret: c.WebhookSecret})
	}
	return nil, nil
}

func envDuration(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d
	}
	return def
}

func envInt(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: redactAttr}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// stack is the service wired over one Tally and one store.
type stack struct {
	client *tallyxml.Client
	svc    *service.Service
	api    *api.Server
	db     *storeHandle
}

// storeHandle is the opened store with what cmd needs of it beyond
// service.Store: its queue and its closing.
type storeHandle struct {
	service.Store
	name     string
	runQueue func(ctx context.Context, poster service.OrderPoster, daily *service.DailyJob) error
	close    func()
}

// openStore opens PostgreSQL when a URL is configured and the embedded
// SQLite file otherwise, migrating either.
func openStore(ctx context.Context, cfg config, logger *slog.Logger) (*storeHandle, error) {
	qlog := logger.With("component", "queue")
	if cfg.DatabaseURL != "" {
		pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		if err := pgstore.Migrate(ctx, pool); err != nil {
			pool.Close()
			return nil, fmt.Errorf("database: migrate: %w", err)
		}
		st, err := pgstore.New(ctx, pool, pgstore.Options{Logger: qlog})
		if err != nil {
			pool.Close()
			return nil, err
		}
		return &storeHandle{Store: st, name: "PostgreSQL",
			runQueue: func(ctx context.Context, p service.OrderPoster, daily *service.DailyJob) error {
				return st.RunQueue(ctx, p, pgstore.QueueConfig{Logger: qlog, Daily: daily})
			},
			close: pool.Close}, nil
	}
	path := filepath.Join(cfg.DataDir, "tallyfacade.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: qlog})
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	return &storeHandle{Store: st, name: path,
		runQueue: func(ctx context.Context, p service.OrderPoster, daily *service.DailyJob) error {
			return st.RunQueue(ctx, p, sqlitestore.QueueConfig{Logger: qlog, Daily: daily})
		},
		close: func() { _ = st.Close() }}, nil
}

func build(ctx context.Context, cfg config, logger *slog.Logger) (*stack, error) {
	var st stack
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{
		URL: cfg.TallyURL, Charset: cfg.Charset, Timeout: cfg.TallyTimeout, QueueWait: cfg.QueueWait,
		Observe: func(o tallyxml.Observation) {
			if st.api != nil {
				st.api.ObserveTally(api.TallyObservation{Kind: o.Kind, Outcome: o.Outcome, QueueWait: o.QueueWait, Duration: o.Duration})
			}
		},
	})
	if err != nil {
		return nil, err
	}
	st.client = client
	snd, err := reminderSender(cfg.Reminders)
	if err != nil {
		return nil, err
	}
	if cfg.ConfirmOrders {
		// Plain text, no template: the customer has just written, so the
		// 24-hour service window is open.
		r := cfg.Reminders
		if cfg.WhatsApp.Confirm, err = sender.NewCloudAPI(sender.CloudAPI{BaseURL: r.APIURL, PhoneNumberID: r.PhoneNumberID, Token: r.Token}); err != nil {
			return nil, fmt.Errorf("-whatsapp-confirm-orders: %w", err)
		}
	}
	if st.db, err = openStore(ctx, cfg, logger); err != nil {
		return nil, err
	}
	st.svc = service.New(tallyxml.NewGateway(client), service.Config{
		Company: cfg.Company, CompanyState: cfg.CompanyState, SalesLedger: cfg.SalesLedger, Tax: cfg.Tax,
		PartyGroups:    cfg.PartyGroups,
		DefaultGSTRate: decimal.NewNullDecimal(cfg.DefaultGSTRate), DefaultCreditDays: &cfg.CreditDays,
		Store: st.db, Logger: logger.With("component", "orders"),
		Queue:       service.QueueConfig{MaxAttempts: cfg.MaxAttempts},
		Idempotency: service.IdempotencyConfig{TTL: cfg.IdempotencyTTL},
		Receipts:    service.ReceiptsConfig{BankLedger: cfg.BankLedger, CashLedger: cfg.CashLedger},
		Reminders:   service.RemindersConfig{Template: cfg.Reminders.Template, Sender: snd},
		WhatsApp:    cfg.WhatsApp,
	})
	srv, err := api.New(st.svc, api.Config{
		APIKeys: cfg.APIKeys, InsecureNoAuth: cfg.InsecureNoAuth, Logger: logger,
		RequestTimeout: cfg.RequestTimeout, Ready: readiness(st.svc, st.db), OrderWait: cfg.OrderWait,
		Spec: openapi.SwaggerJSON,
	})
	if err != nil {
		st.db.close()
		return nil, err
	}
	st.api = srv
	return &st, nil
}

// background runs the order queue and the retention clean-up until ctx is
// done; it logs, once, what it cannot return.
func (st *stack) background(ctx context.Context, cfg config, logger *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	var daily *service.DailyJob
	if at, _ := dailyAt(cfg.Reminders.DailyAt); cfg.Reminders.DailyAt != "" {
		// Once a day across replicas: the queue runs it as a periodic job,
		// unique per day.
		daily = &service.DailyJob{At: at, Run: func(ctx context.Context) error {
			res, err := st.svc.DispatchReminders(ctx, service.ReminderQuery{}, false)
			if err == nil {
				logger.Info("daily reminders", "parties", len(res.Parties))
			}
			return err
		}}
	}
	wg.Go(func() {
		if err := st.db.runQueue(ctx, st.svc, daily); err != nil && ctx.Err() == nil {
			logger.Error("order queue stopped", "error", err)
		}
	})
	wg.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			now := time.Now()
			stats, err := st.db.Prune(ctx, service.PrunePolicy{Now: now, BodiesBefore: now.Add(-cfg.BodyRetention)})
			switch {
			case err != nil && ctx.Err() == nil:
				logger.Warn("retention clean-up failed", "error", err)
			case err == nil && (stats.IdempotencyRecords > 0 || stats.ImportBodies > 0):
				logger.Info("retention clean-up", "idempotency_records", stats.IdempotencyRecords, "import_bodies", stats.ImportBodies)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return wg.Wait
}

// readiness is ready when the store answers, Tally answers and the
// configured company is loaded.
func readiness(svc *service.Service, db service.Store) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := db.Ping(ctx); err != nil {
			return err
		}
		st, err := svc.Status(ctx)
		if err != nil {
			return err
		}
		if !st.CompanyLoaded {
			return &service.Error{Kind: service.Unavailable, Code: "company_not_loaded",
				Message: fmt.Sprintf("company %q is not loaded in Tally (loaded: %s)", st.Company, strings.Join(st.Companies, ", ")),
				Hint:    "Load the company in Tally (Company → Select), or set TALLY_COMPANY to one of the loaded companies."}
		}
		return nil
	}
}

func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	if len(cfg.APIKeys) == 0 && !cfg.InsecureNoAuth {
		return errors.New("no API keys: set TALLYFACADE_API_KEYS (comma-separated) or pass -api-keys; " +
			"to serve without authentication on a trusted network, pass -insecure-no-auth")
	}
	logger := newLogger(cfg, stderr)
	if cfg.InsecureNoAuth {
		logger.Warn("serving WITHOUT authentication: anyone who can reach this port can read and write the books")
	}
	if cfg.Company == "" {
		logger.Warn("TALLY_COMPANY is not set: requests go to whichever company is active in Tally")
	}
	st, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.db.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(ctx)
	wait := st.background(bg, cfg, logger)
	defer func() { stop(); wait() }()
	fmt.Fprintf(stdout, "tallyfacade listening on http://%s (Swagger UI at /swagger/index.html)\n", ln.Addr())
	logger.Info("tallyfacade started", "addr", ln.Addr().String(), "tally_url", cfg.TallyURL, "company", cfg.Company, "store", st.db.name)
	return serveHTTP(ctx, ln, st.api.Handler(), logger)
}

// serveHTTP serves until ctx is done, then drains for up to 10 seconds.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demo runs the simulator's demo company and the service in one process.
func demo(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	logger := newLogger(cfg, stderr)
	sim := tallysim.New(tallysim.Config{Logger: logger.With("component", "tallysim")})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer sim.Close()
	cfg.TallyURL = sim.URL()
	cfg.Company = tallysim.DemoCompanyName
	cfg.InsecureNoAuth = len(cfg.APIKeys) == 0
	if cfg.BankLedger == "" {
		cfg.BankLedger = "HDFC Bank" // the demo company's bank
	}
	if cfg.DatabaseURL == "" {
		// The simulated books start afresh every run, so the demo's
		// orders do too: a throw-away embedded store.
		dir, err := os.MkdirTemp("", "tallyfacade-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	st, err := build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer st.db.close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	bg, stop := context.WithCancel(ctx)
	wait := st.background(bg, cfg, logger)
	defer func() { stop(); wait() }()
	fmt.Fprintf(stdout, "Swagger UI: %s/swagger/index.html\n", browseURL(ln.Addr()))
	fmt.Fprintf(stdout, "Demo company %q (simulated Tally at %s); no API key needed. Try:\n  curl %s/parties/Rajesh%%20Enterprises/balance\n",
		tallysim.DemoCompanyName, sim.URL(), browseURL(ln.Addr()))
	return serveHTTP(ctx, ln, st.api.Handler(), logger)
}

// browseURL turns a listen address into one a person can open.
func browseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// check reports on the configured Tally and exits non-zero with the fix when
// something is wrong.
func check(ctx context.Context, cfg config, stdout io.Writer) error {
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{URL: cfg.TallyURL, Charset: cfg.Charset, Timeout: cfg.TallyTimeout, QueueWait: cfg.QueueWait})
	if err != nil {
		return err
	}
	svc := service.New(tallyxml.NewGateway(client), service.Config{Company: cfg.Company})
	fmt.Fprintf(stdout, "Tally gateway: %s\n", cfg.TallyURL)
	st, err := svc.Status(ctx)
	if err != nil {
		fmt.Fprintf(stdout, "  not usable: %v\n", publicMessage(err))
		if e, ok := service.AsError(err); ok && e.Hint != "" {
			fmt.Fprintf(stdout, "  fix: %s\n", e.Hint)
		}
		return errors.New("tally is not usable")
	}
	fmt.Fprintf(stdout, "  running: %s\n", st.Product)
	fmt.Fprintf(stdout, "  companies loaded: %s\n", strings.Join(quoteAll(st.Companies), ", "))
	switch {
	case cfg.Company == "":
		fmt.Fprintln(stdout, "  TALLY_COMPANY is not set: requests would use whichever company is active.")
		fmt.Fprintln(stdout, "  fix: set TALLY_COMPANY to the exact name of the company to serve.")
		return errors.New("no company configured")
	case !st.CompanyLoaded:
		fmt.Fprintf(stdout, "  company %q is NOT loaded.\n", cfg.Company)
		fmt.Fprintln(stdout, "  fix: load it in Tally (Company → Select), or set TALLY_COMPANY to the exact name of a loaded company.")
		return fmt.Errorf("company %q is not loaded", cfg.Company)
	}
	fmt.Fprintf(stdout, "  company %q is loaded: ready.\n", cfg.Company)
	return nil
}

func publicMessage(err error) string {
	if e, ok := service.AsError(err); ok && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}
