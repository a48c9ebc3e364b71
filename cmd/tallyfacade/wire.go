package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
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
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
)

// This file wires the parts together from a config: the Tally client, the
// store and its queue, the service and the HTTP server. Settings are read in
// config.go; the commands that run the result are in main.go.

// reminderSender is the configured way reminders go out: the Cloud API, a
// chatbot platform's webhook, or none (GET /reminders still works).
func reminderSender(c reminderConfig) (service.Sender, error) {
	return messageSender(c, c.TplName, nil)
}

// messageSender is the configured sender of one kind of message, through
// its own approved template (Cloud API; "" sends text) whose body
// parameters are params (nil: the reminder's). A chatbot platform's webhook
// gets every message the same way.
func messageSender(c reminderConfig, template string, params []string) (service.Sender, error) {
	switch {
	case c.APIURL != "" || c.PhoneNumberID != "" || c.Token != "":
		return sender.NewCloudAPI(sender.CloudAPI{BaseURL: c.APIURL, PhoneNumberID: c.PhoneNumberID, Token: c.Token,
			TemplateName: template, Parameters: params})
	case c.WebhookURL != "" || c.WebhookSecret != "":
		return sender.NewWebhook(sender.Webhook{URL: c.WebhookURL, Secret: c.WebhookSecret})
	}
	return nil, nil
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
	books  *service.Books // nil without a pinned company
	// summaries is the daily sales summary (nil without the mirror).
	summaries *service.Summaries
	// confirm sends invoice confirmations (nil unless
	// WHATSAPP_CONFIRM_INVOICES).
	confirm *service.Confirmations
	api     *api.Server
	db      *storeHandle
	// hub accepts the connector agents when TALLYFACADE_AGENT_TOKENS names
	// any; nil otherwise.
	hub *agentlink.Hub
}

// handler is the API, with the hub's endpoint beside it when agents may
// dial in: a WebSocket held open for hours, outside the API's middleware
// (request timeout, API keys) since the hub checks its own tokens.
func (st *stack) handler() http.Handler {
	if st.hub == nil {
		return st.api.Handler()
	}
	mux := http.NewServeMux()
	mux.Handle(agentlink.Path, st.hub)
	mux.Handle("/", st.api.Handler())
	return mux
}

// tallyTransport is the transport of TALLY_URL: nil (plain HTTP) for a
// gateway URL, the named agent's link for agent://NAME. It creates the hub
// when agents have tokens.
func (st *stack) tallyTransport(cfg config, logger *slog.Logger) (http.RoundTripper, error) {
	if len(cfg.AgentTokens.Names()) > 0 {
		st.hub = agentlink.NewHub(agentlink.HubConfig{Tokens: cfg.AgentTokens, Logger: logger,
			Observe: func(o agentlink.Observation) {
				if st.api != nil {
					st.api.ObserveAgentRelay(api.AgentRelayObservation{Agent: o.Agent, Outcome: o.Outcome, Duration: o.Duration})
				}
			}})
	}
	name, ok := agentName(cfg.TallyURL)
	if !ok {
		return nil, nil
	}
	if st.hub == nil || !st.hub.Configured(name) {
		return nil, fmt.Errorf("TALLY_URL %s: agent %q has no token in TALLYFACADE_AGENT_TOKENS (name:token,…)", cfg.TallyURL, name)
	}
	return st.hub.Transport(name), nil
}

// agentName is NAME of a TALLY_URL agent://NAME.
func agentName(tallyURL string) (string, bool) {
	rest, ok := strings.CutPrefix(tallyURL, "agent://")
	return strings.TrimRight(rest, "/"), ok
}

// agents converts the hub's view for the api.
func (st *stack) agents() []api.AgentStatus {
	var out []api.AgentStatus
	for _, a := range st.hub.Agents() {
		out = append(out, api.AgentStatus{Name: a.Name, Connected: a.Connected, Since: a.Since,
			LastHeartbeat: a.LastHeartbeat, Version: a.Version, RTT: a.RTT})
	}
	return out
}

// storeHandle is the opened store with what cmd needs of it beyond
// service.Store: its queue and its closing.
type storeHandle struct {
	service.Store
	books    service.BooksStore // the mirror's tables, in the same database
	reports  service.ReportStore
	summary  service.SummaryStore
	confirm  service.ConfirmStore
	name     string
	runQueue func(ctx context.Context, poster service.OrderPoster, daily []*service.DailyJob) error
	// listen, when set, tells of order changes made by other replicas
	// until ctx is done (PostgreSQL's LISTEN/NOTIFY); the embedded store
	// has one process, whose changes the service sees itself.
	listen func(ctx context.Context, changed func(id string)) error
	// wake makes the orders waiting for their next attempt due now
	// (Service.WatchTally).
	wake  func(ctx context.Context) (int, error)
	close func()
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
		return &storeHandle{Store: st, books: st, reports: st, summary: st, confirm: st, name: "PostgreSQL",
			runQueue: func(ctx context.Context, p service.OrderPoster, daily []*service.DailyJob) error {
				return st.RunQueue(ctx, p, pgstore.QueueConfig{Logger: qlog, Daily: daily})
			},
			listen: st.ListenOrders,
			wake:   st.WakeQueue,
			close:  pool.Close}, nil
	}
	path := filepath.Join(cfg.DataDir, "tallyfacade.db")
	st, err := sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: qlog})
	if err != nil {
		return nil, fmt.Errorf("embedded store %s: %w", path, err)
	}
	return &storeHandle{Store: st, books: st, reports: st, summary: st, confirm: st, name: path,
		runQueue: func(ctx context.Context, p service.OrderPoster, daily []*service.DailyJob) error {
			return st.RunQueue(ctx, p, sqlitestore.QueueConfig{Logger: qlog, Daily: daily})
		},
		wake:  st.WakeQueue,
		close: func() { _ = st.Close() }}, nil
}

func build(ctx context.Context, cfg config, logger *slog.Logger) (*stack, error) {
	var st stack
	link, err := st.tallyTransport(cfg, logger)
	if err != nil {
		return nil, err
	}
	client, err := tallyxml.NewClient(tallyxml.ClientConfig{
		URL: cfg.TallyURL, Charset: cfg.Charset, Timeout: cfg.TallyTimeout, QueueWait: cfg.QueueWait, Transport: link,
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
	gw := tallyxml.NewGateway(client)
	// Writes Tally confirms tell the mirror, so they show in reads after
	// one sync (st.books is set below, before anything can write).
	written := service.NotifyWrites(gw, func(company string) {
		if st.books != nil {
			st.books.Changed(company)
		}
	})
	// The queue's events are logged and counted where its state changes.
	observed := &observedStore{Store: st.db, log: logger.With("component", "queue"), observe: func(e api.QueueEvent) {
		if st.api != nil {
			st.api.ObserveQueue(e)
		}
	}}
	st.svc = service.New(written, service.Config{
		Company: cfg.Company, CompanyState: cfg.CompanyState, SalesLedger: cfg.SalesLedger, Tax: cfg.Tax,
		SalesVoucherType: cfg.SalesVoucherType, ReceiptVoucherType: cfg.ReceiptVoucherType,
		PartyGroups:    cfg.PartyGroups,
		DefaultGSTRate: decimal.NewNullDecimal(cfg.DefaultGSTRate), DefaultCreditDays: &cfg.CreditDays,
		OrderMode: cfg.OrderMode, Store: observed, Logger: logger.With("component", "orders"),
		Queue:       service.QueueConfig{MaxAttempts: cfg.MaxAttempts, BatchSize: cfg.BatchSize},
		Idempotency: service.IdempotencyConfig{TTL: cfg.IdempotencyTTL},
		Receipts:    service.ReceiptsConfig{BankLedger: cfg.BankLedger, CashLedger: cfg.CashLedger},
		Reminders:   service.RemindersConfig{Template: cfg.Reminders.Template, Sender: snd},
		WhatsApp:    cfg.WhatsApp,
	})
	if cfg.Company != "" {
		// The mirror needs a pinned company: without one Tally answers for
		// whichever company is active, which cannot be mirrored.
		bcfg := service.BooksConfig{Freshness: cfg.Freshness,
			Observe: func(r service.SyncRun) {
				if st.api != nil {
					st.api.ObserveSync(r)
				}
			}}
		if cfg.ConfirmInvoices {
			// New Sales vouchers are found by the mirror's sync
			// (service/confirm.go); the template's body parameters are
			// the party, the invoice number, its date and amount.
			snd, err := messageSender(cfg.Reminders, cfg.ConfirmTemplate, []string{"party", "number", "date", "amount"})
			if err != nil {
				return nil, fmt.Errorf("-whatsapp-confirm-invoices: %w", err)
			}
			if snd == nil {
				return nil, errors.New("-whatsapp-confirm-invoices: no sender is configured (the WhatsApp Cloud API or REMINDER_WEBHOOK_URL)")
			}
			st.confirm = service.NewConfirmations(st.svc, st.db.confirm, service.ConfirmConfig{Sender: snd})
			bcfg.Watch = st.confirm
		}
		st.books = service.NewBooks(st.svc, gw, st.db.books, bcfg)
	}
	// Tally's own Balance Sheet and Profit & Loss, each kept in the store
	// for when Tally is off (service/reports.go).
	reports := service.NewReports(st.svc, gw, st.db.reports, st.books, service.ReportsConfig{})
	if st.books != nil {
		// The owner's summary goes through the reminders' sender, with its
		// own template when one is set (the owner's 24-hour window is
		// seldom open at the evening's send).
		var snd service.Sender
		if cfg.Report.DailyAt != "" {
			if snd, err = messageSender(cfg.Reminders, cfg.Report.Template, []string{"summary"}); err != nil {
				return nil, fmt.Errorf("-report-daily-at: %w", err)
			}
			if snd == nil {
				return nil, errors.New("-report-daily-at: no sender is configured (the WhatsApp Cloud API or REMINDER_WEBHOOK_URL)")
			}
		}
		st.summaries = service.NewSummaries(st.books, st.db.summary, service.SummariesConfig{OwnerMobile: cfg.Report.OwnerMobile, Sender: snd})
	}
	acfg := api.Config{
		APIKeys: cfg.APIKeys, InsecureNoAuth: cfg.InsecureNoAuth, Logger: logger,
		RequestTimeout: cfg.RequestTimeout, ReadTimeout: cfg.ReadTimeout, Ready: st.svc.Readiness, OrderWait: cfg.OrderWait,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, CORSOrigins: cfg.CORSOrigins,
		Spec: openapi.SwaggerJSON, Books: st.books, WhatsApp: cfg.WhatsAppHook, Reports: reports, Summaries: st.summaries,
	}
	if st.hub != nil {
		acfg.Agents = st.agents
	}
	srv, err := api.New(st.svc, acfg)
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
	var daily []*service.DailyJob
	if at, _ := dailyAt(cfg.Reminders.DailyAt); cfg.Reminders.DailyAt != "" {
		// Once a day across replicas: the queue runs it as a periodic job,
		// unique per day.
		daily = append(daily, &service.DailyJob{At: at, Run: func(ctx context.Context) error {
			res, err := st.svc.DispatchReminders(ctx, service.ReminderQuery{}, false)
			if err == nil {
				logger.Info("daily reminders", "parties", len(res.Parties))
			}
			return err
		}})
	}
	if at, _ := dailyAt(cfg.Report.DailyAt); cfg.Report.DailyAt != "" && st.summaries != nil {
		// The same machinery: a periodic job unique per day, and the send
		// claimed once (a retried job, or a lost answer, sends nothing twice).
		daily = append(daily, &service.DailyJob{Name: "sales_summary", At: at, Run: func(ctx context.Context) error {
			d, err := st.summaries.SendDaily(ctx, cfg.Company)
			if err == nil {
				logger.Info("daily sales summary", "status", string(d.Status), "error", d.Error)
			}
			return err
		}})
	}
	wg.Go(func() { st.svc.WatchTally(ctx, service.DefaultProbeEvery, st.db.wake) })
	if st.db.listen != nil {
		wg.Go(func() {
			if err := st.db.listen(ctx, st.svc.OrderChanged); err != nil && ctx.Err() == nil {
				logger.Error("order notifications stopped", "error", err)
			}
		})
	}
	wg.Go(func() {
		if err := st.db.runQueue(ctx, st.svc, daily); err != nil && ctx.Err() == nil {
			logger.Error("order queue stopped", "error", err)
		}
	})
	if st.books != nil {
		// Keeps the mirror fresh, looks for deletions and checks it
		// against Tally's own figures (service/sync.go).
		wg.Go(func() { st.books.Run(ctx, cfg.Company) })
	}
	if st.confirm != nil {
		wg.Go(func() { st.confirm.Run(ctx, cfg.Company) })
	}
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
