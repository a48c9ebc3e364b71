package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/urfave/cli/v3"

	"github.com/tallyfacade/tallyfacade/api"
	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/agentlink"
)

// config is every setting of tallyfacade, read from flags and the
// environment (a flag wins over its variable) by github.com/urfave/cli/v3,
// which refuses a value it cannot parse instead of falling back to the
// default.
//
// ADDING A SETTING happens in this file only: a field here, its flag (name,
// environment variable, default, help) in the settings group of the commands
// that use it below (tallySettings, agentSettings, storeSettings, logSettings,
// listenSettings or serviceSettings), any check beyond its type in validate, and then its row
// in README.md's settings table. A secret is environment only (flags show in
// ps): read it in secrets.
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
	OrderMode      service.OrderMode
	CreditDays     int
	LogJSON        bool
	DatabaseURL    string
	DataDir        string
	IdempotencyTTL time.Duration
	BodyRetention  time.Duration
	OrderWait      time.Duration
	MaxAttempts    int
	BatchSize      int
	BankLedger     string
	CashLedger     string
	Reminders      reminderConfig
	WhatsApp       service.WhatsAppConfig
	WhatsAppHook   api.WhatsAppConfig
	CatalogFile    string
	ConfirmOrders  bool
	// SalesVoucherType and ReceiptVoucherType: service.Config's.
	SalesVoucherType, ReceiptVoucherType string
	// Report is the owner's daily sales summary.
	Report reportConfig
	// ConfirmInvoices sends every new Sales voucher's party a confirmation
	// (WHATSAPP_CONFIRM_INVOICES), through ConfirmTemplate when set.
	ConfirmInvoices bool
	ConfirmTemplate string
	Freshness       time.Duration
	ReadTimeout     time.Duration
	RateLimit       float64
	RateBurst       int
	CORSOrigins     []string
	// AgentTokens are the connector agents allowed to dial in, kept as
	// hashes (TALLYFACADE_AGENT_TOKENS, a secret).
	AgentTokens agentlink.Tokens
	Agent       agentConfig

	// raw holds what is parsed into a field of another type by validate.
	raw struct{ apiKeys, partyGroups, charset, gstRate, orderMode, logFormat, agentTokens, corsOrigins string }
}

// agentConfig is `tallyfacade agent`'s own: the server it dials and who it
// is there. Its Tally is TallyURL.
type agentConfig struct {
	Server, Name, Token, CAFile string
	ReadOnly                    bool
}

// reminderConfig is how reminders are written, sent and scheduled.
type reminderConfig struct {
	Template                              string
	DailyAt                               string // "HH:MM" in Asia/Kolkata, "" for no schedule
	APIURL, PhoneNumberID, Token, TplName string
	WebhookURL, WebhookSecret             string
}

// reportConfig is the owner's daily sales summary: when, to whom, and the
// approved template it goes through ("" sends text).
type reportConfig struct {
	DailyAt, OwnerMobile, Template string
}

// settings declares the flags of every command over one config; each command
// takes the groups it uses, so its -h lists only those.
type settings struct {
	cfg    config
	getenv func(string) string
}

// tallySettings reach the Tally gateway (serve, check; demo runs its own).
func (s *settings) tallySettings(withURL bool) []cli.Flag {
	c := &s.cfg
	var fs []cli.Flag
	if withURL {
		fs = append(fs,
			s.str(&c.TallyURL, "tally-url", "TALLY_URL", "http://127.0.0.1:9000", "Tally gateway URL"),
			s.str(&c.Company, "company", "TALLY_COMPANY", "", "company every request pins unless the caller picks another"))
	}
	return append(fs,
		s.duration(&c.TallyTimeout, "tally-timeout", "TALLY_TIMEOUT", 30*time.Second, time.Millisecond, "bound on one Tally request"),
		s.duration(&c.QueueWait, "tally-queue-wait", "TALLY_QUEUE_WAIT", 10*time.Second, time.Millisecond, "how long a request waits for the one in flight to Tally (the gateway is serial)"),
		s.str(&c.raw.charset, "tally-charset", "TALLY_CHARSET", "utf-16", "request charset: utf-16 (needed for ₹ and non-Latin names) or utf-8"),
	)
}

// agentSettings are the connector agent's, on the Tally PC (agent).
func (s *settings) agentSettings() []cli.Flag {
	c := &s.cfg
	return []cli.Flag{
		s.str(&c.Agent.Server, "server", "TALLYFACADE_SERVER", "", "the façade's base URL, https://…; the agent dials out to it, so Tally needs no open port"),
		s.str(&c.Agent.Name, "name", "TALLYFACADE_AGENT_NAME", "", "this agent's name, as in the server's TALLY_URL=agent://NAME and TALLYFACADE_AGENT_TOKENS"),
		// The issue's -token flag is kept for quick trials; a flag shows
		// in the process list, so the variable is what the README uses.
		s.str(&c.Agent.Token, "token", "TALLYFACADE_AGENT_TOKEN", "", "this agent's token (prefer the variable: a flag shows in the process list)"),
		s.str(&c.TallyURL, "tally-url", "TALLY_URL", "http://127.0.0.1:9000", "the local Tally gateway the agent relays to"),
		s.switchFlag(&c.Agent.ReadOnly, "read-only", "TALLYFACADE_AGENT_READ_ONLY", "relay exports only: refuse every import (orders, parties, receipts) before it reaches Tally"),
		s.str(&c.Agent.CAFile, "ca-file", "TALLYFACADE_CA_FILE", "", "PEM file of a private CA that signed the server's certificate, trusted besides the system's"),
	}
}

// storeSettings choose and place the store (serve, demo, migrate).
func (s *settings) storeSettings() []cli.Flag {
	c := &s.cfg
	return []cli.Flag{
		s.str(&c.DatabaseURL, "database-url", "DATABASE_URL", "", "PostgreSQL URL; empty: the embedded SQLite store"),
		s.str(&c.DataDir, "data-dir", "TALLYFACADE_DATA_DIR", "./data", "where the embedded store keeps its file"),
	}
}

// logSettings shape the log (serve, demo, migrate).
func (s *settings) logSettings() []cli.Flag {
	c := &s.cfg
	return []cli.Flag{
		s.str(&c.raw.logFormat, "log-format", "TALLYFACADE_LOG_FORMAT", "text", "log format: text or json"),
		&switchFlag{Name: "log-json", Destination: &c.LogJSON, Usage: "log as JSON (the same as -log-format json)"},
	}
}

// listenSettings say where the service listens (serve, demo, health).
func (s *settings) listenSettings() []cli.Flag {
	return []cli.Flag{s.str(&s.cfg.Addr, "addr", "TALLYFACADE_ADDR", ":8080", "listen address")}
}

// serviceSettings are the service's own (serve, demo).
func (s *settings) serviceSettings(withAuth bool) []cli.Flag {
	c := &s.cfg
	fs := append(s.listenSettings(),
		s.str(&c.raw.apiKeys, "api-keys", "TALLYFACADE_API_KEYS", "", "comma-separated API keys"))
	if withAuth {
		fs = append(fs, s.switchFlag(&c.InsecureNoAuth, "insecure-no-auth", "TALLYFACADE_INSECURE_NO_AUTH", "serve without API keys: anyone who reaches the port can read and write the books"))
	}
	return append(fs,
		s.str(&c.CompanyState, "company-state", "TALLY_COMPANY_STATE", "", "the company's state for GST; default: ask Tally"),
		s.duration(&c.Freshness, "tally-freshness", "TALLY_FRESHNESS", 10*time.Second, 100*time.Millisecond, "reads answer from the mirror of the books while its last check of Tally is younger than this"),
		s.duration(&c.RequestTimeout, "request-timeout", "TALLYFACADE_REQUEST_TIMEOUT", 25*time.Second, time.Millisecond, "bound on one API write (POST)"),
		s.duration(&c.ReadTimeout, "read-timeout", "TALLYFACADE_READ_TIMEOUT", 8*time.Second, time.Millisecond, "bound on one API read (GET, HEAD): inside a chatbot's ~10 s"),
		&cli.FloatFlag{Name: "rate-limit", Sources: s.env("TALLYFACADE_RATE_LIMIT"), Value: 10, Destination: &c.RateLimit,
			Usage: "requests a second each API key may make; 0: no limit", Validator: func(f float64) error {
				if f < 0 {
					return fmt.Errorf("want 0 (no limit) or more")
				}
				return nil
			}},
		s.integer(&c.RateBurst, "rate-burst", "TALLYFACADE_RATE_BURST", 20, 1, 100000, "requests an API key may make at once above -rate-limit"),
		s.str(&c.raw.corsOrigins, "cors-origins", "TALLYFACADE_CORS_ORIGINS", "", "comma-separated browser origins (https://widget.example.com) allowed to call the API; empty: none"),
		s.str(&c.SalesLedger, "sales-ledger", "TALLY_SALES_LEDGER", "Sales", "ledger credited with an order's taxable value"),
		s.str(&c.SalesVoucherType, "sales-voucher-type", "TALLY_SALES_VOUCHER_TYPE", "Sales", "voucher type orders post as: Sales or one made under it in Tally (\"Tax Invoice\")"),
		s.str(&c.ReceiptVoucherType, "receipt-voucher-type", "TALLY_RECEIPT_VOUCHER_TYPE", "Receipt", "voucher type receipts post as: Receipt or one made under it in Tally"),
		s.str(&c.raw.partyGroups, "party-groups", "TALLY_PARTY_GROUPS", "Sundry Debtors,Sundry Creditors", "comma-separated groups whose ledgers (sub-groups included) are parties; no other ledger is read or created through /parties"),
		s.str(&c.Tax.CGST, "cgst-ledger", "TALLY_CGST_LEDGER", "CGST", "CGST ledger"),
		s.str(&c.Tax.SGST, "sgst-ledger", "TALLY_SGST_LEDGER", "SGST", "SGST ledger"),
		s.str(&c.Tax.IGST, "igst-ledger", "TALLY_IGST_LEDGER", "IGST", "IGST ledger"),
		s.str(&c.raw.gstRate, "gst-rate", "TALLY_DEFAULT_GST_RATE", "18", "GST rate (percent) of order lines without one"),
		s.str(&c.raw.orderMode, "order-mode", "TALLY_ORDER_MODE", "auto", "auto: an order whose every line names a stock item posts an item invoice, others an accounting voucher; items: every order an item invoice (a line naming no stock item is refused); accounting: never an invoice"),
		s.integer(&c.CreditDays, "credit-days", "TALLY_CREDIT_DAYS", 30, 0, 3650, "credit period of orders without one"),
		s.duration(&c.IdempotencyTTL, "idempotency-ttl", "TALLYFACADE_IDEMPOTENCY_TTL", 24*time.Hour, 24*time.Hour, "how long Idempotency-Key records are kept, at least 24h"),
		s.duration(&c.BodyRetention, "audit-body-retention", "TALLYFACADE_AUDIT_BODY_RETENTION", 90*24*time.Hour, time.Millisecond, "how long the XML of Tally imports is kept; counters are kept for ever"),
		s.duration(&c.OrderWait, "order-wait", "TALLYFACADE_ORDER_WAIT", 8*time.Second, time.Millisecond, "how long POST /orders waits for Tally before answering 202"),
		s.integer(&c.MaxAttempts, "max-attempts", "TALLYFACADE_MAX_ATTEMPTS", 50, 1, 10000, "attempts while Tally is unreachable before an order needs attention"),
		s.integer(&c.BatchSize, "batch-size", "TALLY_BATCH_SIZE", 50, 1, 250, "most waiting orders posted in one Tally import request (1: each alone)"),
		s.str(&c.BankLedger, "bank-ledger", "TALLY_BANK_LEDGER", "", "ledger debited with UPI and bank receipts, e.g. HDFC Bank"),
		s.str(&c.CashLedger, "cash-ledger", "TALLY_CASH_LEDGER", "Cash", "ledger debited with cash receipts"),
		s.str(&c.Reminders.Template, "reminder-template", "REMINDER_TEMPLATE", "", "reminder text, a Go template over .Party .Amount .DueSince …; default: the guide's text"),
		s.str(&c.Reminders.DailyAt, "reminder-daily-at", "REMINDER_DAILY_AT", "", "send reminders every day at HH:MM, Asia/Kolkata; empty: no schedule"),
		s.str(&c.Reminders.APIURL, "whatsapp-api-url", "WHATSAPP_API_URL", "", "WhatsApp Cloud API base URL with version, e.g. https://graph.facebook.com/v21.0"),
		s.str(&c.Reminders.PhoneNumberID, "whatsapp-phone-number-id", "WHATSAPP_PHONE_NUMBER_ID", "", "Cloud API sender phone number id"),
		s.str(&c.Reminders.TplName, "whatsapp-template", "WHATSAPP_TEMPLATE", "", "approved template name for reminders; empty sends text"),
		s.switchFlag(&c.ConfirmOrders, "whatsapp-confirm-orders", "WHATSAPP_CONFIRM_ORDERS", "tell WhatsApp customers when their order is in Tally, through the Cloud API"),
		s.str(&c.Report.DailyAt, "report-daily-at", "REPORT_DAILY_AT", "", "send the owner the day's sales summary every day at HH:MM, Asia/Kolkata; empty: no schedule"),
		s.str(&c.Report.OwnerMobile, "owner-mobile", "OWNER_MOBILE", "", "the owner's mobile, for the daily sales summary"),
		s.str(&c.Report.Template, "report-template", "REPORT_TEMPLATE", "", "approved WhatsApp template for the daily summary (its body parameter is the summary); empty sends text"),
		s.switchFlag(&c.ConfirmInvoices, "whatsapp-confirm-invoices", "WHATSAPP_CONFIRM_INVOICES", "confirm every new Sales voucher in Tally to its party on WhatsApp, once"),
		s.str(&c.ConfirmTemplate, "whatsapp-confirm-template", "WHATSAPP_CONFIRM_TEMPLATE", "", "approved template for invoice confirmations (body parameters: party, number, date, amount); empty sends text"),
		s.str(&c.CatalogFile, "whatsapp-catalog", "TALLY_WHATSAPP_CATALOG", "", "JSON file mapping WhatsApp product retailer ids to Tally items"),
	)
}

// secrets are read from the environment only, never a flag (flags show in
// ps); a webhook URL may carry a token.
func (s *settings) secrets() {
	c := &s.cfg
	for _, v := range []struct {
		dst  *string
		name string
	}{
		{&c.Reminders.Token, "WHATSAPP_TOKEN"},
		{&c.Reminders.WebhookURL, "REMINDER_WEBHOOK_URL"},
		{&c.Reminders.WebhookSecret, "REMINDER_WEBHOOK_SECRET"},
		{&c.WhatsAppHook.VerifyToken, "WHATSAPP_VERIFY_TOKEN"},
		{&c.WhatsAppHook.AppSecret, "WHATSAPP_APP_SECRET"},
		{&c.raw.agentTokens, "TALLYFACADE_AGENT_TOKENS"},
	} {
		*v.dst = strings.TrimSpace(s.getenv(v.name))
	}
}

// validate checks what a setting's type does not, and fills the fields
// parsed from text.
func (c *config) validate() error {
	for _, k := range strings.Split(c.raw.apiKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.APIKeys = append(c.APIKeys, k)
		}
	}
	if c.raw.partyGroups != "" {
		for _, g := range strings.Split(c.raw.partyGroups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				if err := service.ValidateName("-party-groups", g); err != nil {
					return err
				}
				c.PartyGroups = append(c.PartyGroups, g)
			}
		}
		if len(c.PartyGroups) == 0 {
			return fmt.Errorf("-party-groups %q: name at least one group", c.raw.partyGroups)
		}
	}
	for _, o := range strings.Split(c.raw.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "") {
			return fmt.Errorf("-cors-origins (TALLYFACADE_CORS_ORIGINS) %q: want an origin such as https://widget.example.com", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	switch strings.ToLower(c.raw.logFormat) {
	case "json":
		c.LogJSON = true
	case "text", "":
	default:
		return fmt.Errorf("-log-format (TALLYFACADE_LOG_FORMAT) %q: want text or json", c.raw.logFormat)
	}
	switch strings.ToLower(c.raw.charset) {
	case "utf-16", "utf16":
		c.Charset = tallyxml.UTF16
	case "utf-8", "utf8":
		c.Charset = tallyxml.UTF8
	case "":
	default:
		return fmt.Errorf("-tally-charset (TALLY_CHARSET) %q: want utf-16 or utf-8", c.raw.charset)
	}
	if c.raw.gstRate != "" {
		rate, err := decimal.NewFromString(c.raw.gstRate)
		if err != nil || !service.IsGSTSlab(rate) {
			return fmt.Errorf("-gst-rate (TALLY_DEFAULT_GST_RATE) %q: not a GST rate", c.raw.gstRate)
		}
		c.DefaultGSTRate = rate
	}
	if c.raw.orderMode != "" {
		i := slices.IndexFunc(service.OrderModes(), func(m service.OrderMode) bool {
			return strings.EqualFold(strings.TrimSpace(c.raw.orderMode), m.String())
		})
		if i < 0 {
			return fmt.Errorf("-order-mode (TALLY_ORDER_MODE) %q: want auto, items or accounting", c.raw.orderMode)
		}
		c.OrderMode = service.OrderModes()[i]
	}
	tokens, err := agentlink.ParseTokens(c.raw.agentTokens)
	if err != nil {
		return fmt.Errorf("TALLYFACADE_AGENT_TOKENS: %w", err)
	}
	c.AgentTokens = tokens
	if _, err := service.ParseReminderTemplate(c.Reminders.Template); c.Reminders.Template != "" && err != nil {
		return fmt.Errorf("-reminder-template: %w", err)
	}
	if _, err := dailyAt(c.Reminders.DailyAt); err != nil {
		return fmt.Errorf("-reminder-daily-at (REMINDER_DAILY_AT) %w", err)
	}
	if _, err := dailyAt(c.Report.DailyAt); err != nil {
		return fmt.Errorf("-report-daily-at (REPORT_DAILY_AT) %w", err)
	}
	if c.Report.DailyAt != "" {
		if c.Company == "" {
			return errors.New("-report-daily-at (REPORT_DAILY_AT) needs -company (TALLY_COMPANY): the summary is computed from the mirror of the books")
		}
		if m := service.NormalizeMobile(c.Report.OwnerMobile); !m.Valid {
			return fmt.Errorf("-owner-mobile (OWNER_MOBILE) %q: %s; the daily summary needs it", c.Report.OwnerMobile, m.Reason)
		}
	}
	if c.ConfirmInvoices && c.Company == "" {
		return errors.New("-whatsapp-confirm-invoices (WHATSAPP_CONFIRM_INVOICES) needs -company (TALLY_COMPANY): new invoices are found by the mirror of the books")
	}
	if c.CatalogFile != "" {
		f, err := os.Open(c.CatalogFile)
		if err != nil {
			return fmt.Errorf("-whatsapp-catalog: %w", err)
		}
		defer f.Close()
		if c.WhatsApp.Catalog, err = loadCatalog(f); err != nil {
			return fmt.Errorf("-whatsapp-catalog %s: %w", c.CatalogFile, err)
		}
	}
	return nil
}

// dailyAt parses "HH:MM" into a time of day.
func dailyAt(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// The flag constructors: every setting has one flag and one environment
// variable, shown in -h.

func (s *settings) str(dst *string, name, env, def, usage string) cli.Flag {
	return &cli.StringFlag{Name: name, Sources: s.env(env), Value: def, Destination: dst, Usage: usage}
}

// duration is a duration of at least min (which is positive).
func (s *settings) duration(dst *time.Duration, name, env string, def, min time.Duration, usage string) cli.Flag {
	return &cli.DurationFlag{Name: name, Sources: s.env(env), Value: def, Destination: dst, Usage: usage,
		Validator: func(d time.Duration) error {
			if d < min {
				return fmt.Errorf("want a duration of at least %v, such as %v", min, def)
			}
			return nil
		}}
}

// integer is a whole number from lo to hi.
func (s *settings) integer(dst *int, name, env string, def, lo, hi int, usage string) cli.Flag {
	return &cli.IntFlag{Name: name, Sources: s.env(env), Value: def, Destination: dst, Usage: usage,
		Validator: func(n int) error {
			if n < lo || n > hi {
				return fmt.Errorf("want %d to %d", lo, hi)
			}
			return nil
		}}
}

func (s *settings) switchFlag(dst *bool, name, env, usage string) cli.Flag {
	return &switchFlag{Name: name, Sources: s.env(env), Destination: dst, Usage: usage}
}

func (s *settings) env(name string) cli.ValueSourceChain {
	return cli.NewValueSourceChain(envVar{name: name, getenv: s.getenv})
}

// envVar is one environment variable as a flag's source, read through the
// getenv run was given (tests pass a map). An empty or blank variable is
// unset, as `FOO=` in an env file or compose's `${FOO:-}` means.
type envVar struct {
	name   string
	getenv func(string) string
}

func (e envVar) Lookup() (string, bool) {
	v := strings.TrimSpace(e.getenv(e.name))
	return v, v != ""
}
func (e envVar) IsFromEnv() bool  { return true }
func (e envVar) Key() string      { return e.name }
func (e envVar) String() string   { return "environment variable " + e.name }
func (e envVar) GoString() string { return fmt.Sprintf("envVar{%q}", e.name) }

// switchFlag is a boolean setting that takes the spellings people write in
// env files and compose files: true/false, yes/no, on/off, 1/0, t/f, y/n, in
// any case; anything else is an error (cli's own BoolFlag takes only
// strconv.ParseBool's, so TALLYFACADE_INSECURE_NO_AUTH=yes would fail).
type switchFlag = cli.FlagBase[bool, cli.NoConfig, switchValue]

type switchValue struct{ dst *bool }

func (switchValue) Create(v bool, p *bool, _ cli.NoConfig) cli.Value {
	*p = v
	return &switchValue{dst: p}
}

func (switchValue) ToString(v bool) string { return strconv.FormatBool(v) }

func (b *switchValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "on", "1":
		*b.dst = true
	case "false", "f", "no", "n", "off", "0":
		*b.dst = false
	default:
		return fmt.Errorf("%q: want true or false (yes/no, on/off, 1/0)", s)
	}
	return nil
}

func (b *switchValue) Get() any { return *b.dst }

func (b *switchValue) String() string {
	if b.dst == nil {
		return "false"
	}
	return strconv.FormatBool(*b.dst)
}

func (b *switchValue) IsBoolFlag() bool { return true }
