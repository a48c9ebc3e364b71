package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// parseConfig parses a command's settings as run does, without running it.
func parseConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var got config
	var ran bool
	err := newCLI(getenv, io.Discard, stderr, func(_ context.Context, _ string, cfg config) error {
		got, ran = cfg, true
		return nil
	}).Run(context.Background(), append([]string{"tallyfacade", cmd}, args...))
	if err == nil && !ran {
		err = errors.New("the command did not run")
	}
	return got, err
}

// TestSettingsDefaults: with no flag and no variable every setting has the
// default README.md's table gives.
func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := parseConfig("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"-addr", cfg.Addr, ":8080"},
		{"-tally-url", cfg.TallyURL, "http://127.0.0.1:9000"},
		{"-company", cfg.Company, ""},
		{"-insecure-no-auth", cfg.InsecureNoAuth, false},
		{"-tally-timeout", cfg.TallyTimeout, 30 * time.Second},
		{"-tally-queue-wait", cfg.QueueWait, 10 * time.Second},
		{"-request-timeout", cfg.RequestTimeout, 25 * time.Second},
		{"-tally-charset", cfg.Charset, tallyxml.UTF16},
		{"-sales-ledger", cfg.SalesLedger, "Sales"},
		{"-party-groups", strings.Join(cfg.PartyGroups, ","), "Sundry Debtors,Sundry Creditors"},
		{"-cgst-ledger", cfg.Tax, service.TaxLedgers{CGST: "CGST", SGST: "SGST", IGST: "IGST"}},
		{"-gst-rate", cfg.DefaultGSTRate.String(), "18"},
		{"-order-mode", cfg.OrderMode, service.OrderModeAuto},
		{"-credit-days", cfg.CreditDays, 30},
		{"-log-json", cfg.LogJSON, false},
		{"-database-url", cfg.DatabaseURL, ""},
		{"-data-dir", cfg.DataDir, "./data"},
		{"-order-wait", cfg.OrderWait, 8 * time.Second},
		{"-max-attempts", cfg.MaxAttempts, 50},
		{"-idempotency-ttl", cfg.IdempotencyTTL, 24 * time.Hour},
		{"-bank-ledger", cfg.BankLedger, ""},
		{"-cash-ledger", cfg.CashLedger, "Cash"},
		{"-audit-body-retention", cfg.BodyRetention, 2160 * time.Hour},
		{"-whatsapp-confirm-orders", cfg.ConfirmOrders, false},
		{"-read-timeout", cfg.ReadTimeout, 8 * time.Second},
		{"-rate-limit", cfg.RateLimit, 10.0},
		{"-rate-burst", cfg.RateBurst, 20},
		{"-cors-origins", len(cfg.CORSOrigins), 0},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v; want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestSettingsFromEnvironment: every variable is read, and a value that does
// not parse is a start-up error naming the variable, never a silent default.
func TestSettingsFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env     map[string]string
		args    []string
		check   func(config) bool // nil when an error is wanted
		wantErr string
	}{
		{env: map[string]string{"TALLY_TIMEOUT": "abc"}, wantErr: "TALLY_TIMEOUT"},
		{env: map[string]string{"TALLY_TIMEOUT": "-5s"}, wantErr: "tally-timeout"},
		{env: map[string]string{"TALLY_TIMEOUT": "45s"}, check: func(c config) bool { return c.TallyTimeout == 45*time.Second }},
		{env: map[string]string{"TALLY_TIMEOUT": " "}, check: func(c config) bool { return c.TallyTimeout == 30*time.Second }},
		{env: map[string]string{"TALLY_TIMEOUT": "45s"}, args: []string{"-tally-timeout", "5s"}, check: func(c config) bool { return c.TallyTimeout == 5*time.Second }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "yes"}, check: func(c config) bool { return c.InsecureNoAuth }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "TRUE"}, check: func(c config) bool { return c.InsecureNoAuth }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "on"}, check: func(c config) bool { return c.InsecureNoAuth }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "No"}, check: func(c config) bool { return !c.InsecureNoAuth }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "off"}, check: func(c config) bool { return !c.InsecureNoAuth }},
		{env: map[string]string{"TALLYFACADE_INSECURE_NO_AUTH": "maybe"}, wantErr: "TALLYFACADE_INSECURE_NO_AUTH"},
		{args: []string{"-insecure-no-auth=yes"}, check: func(c config) bool { return c.InsecureNoAuth }},
		{args: []string{"-insecure-no-auth"}, check: func(c config) bool { return c.InsecureNoAuth }},
		{env: map[string]string{"WHATSAPP_CONFIRM_ORDERS": "1"}, check: func(c config) bool { return c.ConfirmOrders }},
		{env: map[string]string{"WHATSAPP_CONFIRM_ORDERS": "0"}, check: func(c config) bool { return !c.ConfirmOrders }},
		{env: map[string]string{"TALLYFACADE_LOG_FORMAT": "JSON"}, check: func(c config) bool { return c.LogJSON }},
		{env: map[string]string{"TALLYFACADE_LOG_FORMAT": "text"}, check: func(c config) bool { return !c.LogJSON }},
		{env: map[string]string{"TALLYFACADE_LOG_FORMAT": "xml"}, wantErr: "TALLYFACADE_LOG_FORMAT"},
		{args: []string{"-log-json"}, check: func(c config) bool { return c.LogJSON }},
		{env: map[string]string{"TALLY_CREDIT_DAYS": "ten"}, wantErr: "TALLY_CREDIT_DAYS"},
		{env: map[string]string{"TALLY_CREDIT_DAYS": "4000"}, wantErr: "0 to 3650"},
		{env: map[string]string{"TALLY_CREDIT_DAYS": "0"}, check: func(c config) bool { return c.CreditDays == 0 }},
		{env: map[string]string{"TALLYFACADE_MAX_ATTEMPTS": "0"}, wantErr: "max-attempts"},
		{env: map[string]string{"TALLYFACADE_MAX_ATTEMPTS": "8"}, check: func(c config) bool { return c.MaxAttempts == 8 }},
		{env: map[string]string{"TALLYFACADE_IDEMPOTENCY_TTL": "1h"}, wantErr: "at least 24h"},
		{env: map[string]string{"TALLYFACADE_ORDER_WAIT": "8"}, wantErr: "TALLYFACADE_ORDER_WAIT"},
		{env: map[string]string{"TALLYFACADE_REQUEST_TIMEOUT": "9s"}, check: func(c config) bool { return c.RequestTimeout == 9*time.Second }},
		{env: map[string]string{"TALLYFACADE_AUDIT_BODY_RETENTION": "720h"}, check: func(c config) bool { return c.BodyRetention == 720*time.Hour }},
		{env: map[string]string{"TALLY_QUEUE_WAIT": "2s"}, check: func(c config) bool { return c.QueueWait == 2*time.Second }},
		{env: map[string]string{"TALLY_CHARSET": "UTF-8"}, check: func(c config) bool { return c.Charset == tallyxml.UTF8 }},
		{env: map[string]string{"TALLY_CHARSET": "latin1"}, wantErr: "TALLY_CHARSET"},
		{env: map[string]string{"TALLY_DEFAULT_GST_RATE": "17"}, wantErr: "not a GST rate"},
		{env: map[string]string{"TALLY_DEFAULT_GST_RATE": "5"}, check: func(c config) bool { return c.DefaultGSTRate.String() == "5" }},
		{env: map[string]string{"TALLY_ORDER_MODE": "Items"}, check: func(c config) bool { return c.OrderMode == service.OrderModeItems }},
		{env: map[string]string{"TALLY_ORDER_MODE": "accounting"}, check: func(c config) bool { return c.OrderMode == service.OrderModeAccounting }},
		{env: map[string]string{"TALLY_ORDER_MODE": "invoice"}, wantErr: "TALLY_ORDER_MODE"},
		{env: map[string]string{"REMINDER_DAILY_AT": "9am"}, wantErr: "HH:MM"},
		{env: map[string]string{"REPORT_DAILY_AT": "9pm"}, wantErr: "REPORT_DAILY_AT"},
		{env: map[string]string{"WHATSAPP_CONFIRM_INVOICES": "yes"}, wantErr: "needs -company"},
		{env: map[string]string{"WHATSAPP_CONFIRM_INVOICES": "yes", "TALLY_COMPANY": "ABC Traders", "WHATSAPP_CONFIRM_TEMPLATE": "invoice_entered"},
			check: func(c config) bool { return c.ConfirmInvoices && c.ConfirmTemplate == "invoice_entered" }},
		{env: map[string]string{"REPORT_DAILY_AT": "21:00", "OWNER_MOBILE": "9820012345"}, wantErr: "needs -company"},
		{env: map[string]string{"REPORT_DAILY_AT": "21:00", "TALLY_COMPANY": "ABC Traders"}, wantErr: "OWNER_MOBILE"},
		{env: map[string]string{"REPORT_DAILY_AT": "21:00", "TALLY_COMPANY": "ABC Traders", "OWNER_MOBILE": "098200 12345", "REPORT_TEMPLATE": "daily_summary"},
			check: func(c config) bool {
				return c.Report.DailyAt == "21:00" && c.Report.OwnerMobile == "098200 12345" && c.Report.Template == "daily_summary"
			}},
		{env: map[string]string{"TALLYFACADE_API_KEYS": " k1 , ,k2 "}, check: func(c config) bool { return strings.Join(c.APIKeys, "|") == "k1|k2" }},
		{env: map[string]string{"TALLYFACADE_ADDR": "127.0.0.1:9999", "TALLY_URL": "http://tally:9000", "TALLY_COMPANY": "ABC Traders",
			"TALLY_COMPANY_STATE": "Gujarat", "TALLY_SALES_LEDGER": "Sales A/c", "TALLY_CGST_LEDGER": "CGST Out", "TALLY_BANK_LEDGER": "HDFC Bank",
			"TALLY_CASH_LEDGER": "Cash in hand", "DATABASE_URL": "postgres://x", "TALLYFACADE_DATA_DIR": "/var/lib/tf", "WHATSAPP_TEMPLATE": "due"},
			check: func(c config) bool {
				return c.Addr == "127.0.0.1:9999" && c.TallyURL == "http://tally:9000" && c.Company == "ABC Traders" && c.CompanyState == "Gujarat" &&
					c.SalesLedger == "Sales A/c" && c.Tax.CGST == "CGST Out" && c.BankLedger == "HDFC Bank" && c.CashLedger == "Cash in hand" &&
					c.DatabaseURL == "postgres://x" && c.DataDir == "/var/lib/tf" && c.Reminders.TplName == "due"
			}},
		{env: map[string]string{"WHATSAPP_TOKEN": "secret", "WHATSAPP_APP_SECRET": "s2", "REMINDER_WEBHOOK_URL": "https://h/?token=x"},
			check: func(c config) bool {
				return c.Reminders.Token == "secret" && c.WhatsAppHook.AppSecret == "s2" && c.Reminders.WebhookURL == "https://h/?token=x"
			}},
		{env: map[string]string{"TALLYFACADE_READ_TIMEOUT": "5s"}, check: func(c config) bool { return c.ReadTimeout == 5*time.Second }},
		{env: map[string]string{"TALLYFACADE_READ_TIMEOUT": "soon"}, wantErr: "TALLYFACADE_READ_TIMEOUT"},
		{env: map[string]string{"TALLYFACADE_RATE_LIMIT": "0"}, check: func(c config) bool { return c.RateLimit == 0 }},
		{env: map[string]string{"TALLYFACADE_RATE_LIMIT": "2.5", "TALLYFACADE_RATE_BURST": "5"}, check: func(c config) bool { return c.RateLimit == 2.5 && c.RateBurst == 5 }},
		{env: map[string]string{"TALLYFACADE_RATE_LIMIT": "-1"}, wantErr: "rate-limit"},
		{env: map[string]string{"TALLYFACADE_RATE_LIMIT": "fast"}, wantErr: "TALLYFACADE_RATE_LIMIT"},
		{env: map[string]string{"TALLYFACADE_RATE_BURST": "0"}, wantErr: "rate-burst"},
		{env: map[string]string{"TALLYFACADE_CORS_ORIGINS": "https://a.example.com, http://localhost:3000"},
			check: func(c config) bool {
				return strings.Join(c.CORSOrigins, " ") == "https://a.example.com http://localhost:3000"
			}},
		{env: map[string]string{"TALLYFACADE_CORS_ORIGINS": "a.example.com"}, wantErr: "TALLYFACADE_CORS_ORIGINS"},
		{env: map[string]string{"TALLYFACADE_CORS_ORIGINS": "https://a.example.com/widget"}, wantErr: "TALLYFACADE_CORS_ORIGINS"},
		{args: []string{"-whatsapp-token", "secret"}, wantErr: "not defined"}, // secrets are environment only
		{args: []string{"-nope"}, wantErr: "not defined"},
		{args: []string{"stray"}, wantErr: "unexpected arguments"},
	} {
		name := fmt.Sprint(tc.env, tc.args)
		cfg, err := parseConfig("serve", tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		switch {
		case tc.check == nil && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err = %v; want an error naming %q", name, err, tc.wantErr)
		case tc.check != nil && err != nil:
			t.Errorf("%s: %v", name, err)
		case tc.check != nil && !tc.check(cfg):
			t.Errorf("%s: parsed as %+v", name, cfg)
		}
	}
}

// TestCommandHelp: each command's -h exits 0 and lists that command's
// settings only; --version prints the version.
func TestCommandHelp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args        []string
		want, never []string
	}{
		{[]string{"serve", "-h"}, []string{"-tally-url", "-api-keys", "-insecure-no-auth", "-database-url", "TALLY_TIMEOUT", "-log-format"}, nil},
		{[]string{"demo", "--help"}, []string{"-api-keys", "-database-url"}, []string{"-tally-url", "-insecure-no-auth"}},
		{[]string{"check", "-h"}, []string{"-tally-url", "-company", "-tally-timeout"}, []string{"-api-keys", "-database-url", "-whatsapp"}},
		{[]string{"migrate", "-h"}, []string{"-database-url", "-data-dir"}, []string{"-tally-url", "-api-keys"}},
		{[]string{"-h"}, []string{"serve", "demo", "check", "migrate"}, []string{"-tally-url"}},
		{[]string{"--version"}, []string{"tallyfacade version "}, nil},
	} {
		var out strings.Builder
		if err := run(t.Context(), tc.args, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Errorf("%v: %v; want exit 0", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v does not list %s:\n%s", tc.args, w, out.String())
			}
		}
		for _, n := range tc.never {
			if strings.Contains(out.String(), n) {
				t.Errorf("%v lists %s, which is not its setting:\n%s", tc.args, n, out.String())
			}
		}
	}
}
