package service

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"
)

// Config is the service's configuration; New fills in the defaults.
type Config struct {
	// Company is pinned on every Tally request unless a caller picks
	// another; empty means Tally's active company, which is risky (Tally
	// silently reads and writes whichever company is active), so cmd warns.
	Company string
	// CompanyState is the company's state for GST place of supply; empty
	// means "ask Tally" (the Company collection's state), once per company.
	CompanyState string
	// SalesLedger is credited with the taxable value of an order. Default "Sales".
	SalesLedger string
	// SalesVoucherType and ReceiptVoucherType are the voucher types orders
	// and receipts post as: Tally's own, or one the company made under it
	// ("Tax Invoice" under Sales), so that they take that type's numbering
	// and print; reads know either as a sale or a receipt (MirrorVoucher's
	// Class). Defaults SalesVoucherType and ReceiptVoucherType.
	SalesVoucherType, ReceiptVoucherType string
	// Tax names the GST ledgers. Default CGST, SGST and IGST.
	Tax TaxLedgers
	// Receipts names the ledgers a customer's payment is debited to. No
	// default: a receipt posted to a guessed bank ledger would misstate the
	// books, so an unconfigured ledger rejects the receipt instead.
	Receipts ReceiptsConfig
	// OrderMode says when an order posts an item invoice (items.go).
	// Default OrderModeAuto.
	OrderMode OrderMode
	// DefaultGSTRate applies to order lines without a rate. Default 18;
	// set Valid with a zero Decimal for a trader of exempt goods.
	DefaultGSTRate decimal.NullDecimal
	// DefaultCreditDays is the credit period of an order without one.
	// Default 30 (nil); 0 means due on the bill date.
	DefaultCreditDays *int
	// PartyGroup is where new parties go. Default "Sundry Debtors".
	PartyGroup string
	// PartyGroups are the groups whose ledgers, with those of their
	// sub-groups, are parties: the only ledgers party reads answer, parties
	// are created under, and orders and receipts post to (parties.go).
	// Default Sundry Debtors and Sundry Creditors.
	PartyGroups []string
	// Location decides what "today" is. Default Asia/Kolkata.
	Location *time.Location
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Store persists orders, idempotency keys and the import audit log.
	// Every write goes through it (there is no synchronous posting): a
	// Service without one answers reads only (cmd's check command).
	Store Store
	// Queue tunes durable order posting.
	Queue QueueConfig
	// Idempotency tunes Idempotency-Key records.
	Idempotency IdempotencyConfig
	// Logger receives what background work (the order queue) cannot
	// return to a caller. Default: discard.
	Logger *slog.Logger
	// Reminders configures payment reminders (reminders.go).
	Reminders RemindersConfig
	// WhatsApp configures the WhatsApp order webhook (whatsapp.go).
	WhatsApp WhatsAppConfig
}

// New returns a Service over gw.
func New(gw Gateway, cfg Config) *Service {
	if cfg.SalesLedger == "" {
		cfg.SalesLedger = "Sales"
	}
	cfg.SalesVoucherType = cmp.Or(cfg.SalesVoucherType, SalesVoucherType)
	cfg.ReceiptVoucherType = cmp.Or(cfg.ReceiptVoucherType, ReceiptVoucherType)
	if cfg.Tax == (TaxLedgers{}) {
		cfg.Tax = TaxLedgers{CGST: "CGST", SGST: "SGST", IGST: "IGST"}
	}
	if !cfg.DefaultGSTRate.Valid {
		cfg.DefaultGSTRate = decimal.NewNullDecimal(decimal.NewFromInt(18))
	}
	if cfg.DefaultCreditDays == nil {
		days := 30
		cfg.DefaultCreditDays = &days
	}
	if cfg.PartyGroup == "" {
		cfg.PartyGroup = "Sundry Debtors"
	}
	if len(cfg.PartyGroups) == 0 {
		cfg.PartyGroups = []string{"Sundry Debtors", "Sundry Creditors"}
	}
	if cfg.Location == nil {
		cfg.Location = indiaTime()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	cfg.Reminders = cfg.Reminders.withDefaults(cfg.PartyGroup)
	waiters := newOrderWaiters()
	if cfg.Store != nil {
		cfg.Store = announcingStore{Store: cfg.Store, waiters: waiters}
	}
	svc := &Service{gw: gw, cfg: cfg, log: lg, states: map[string]string{}, groupTrees: map[string]groupTree{}, waiters: waiters,
		away: make(chan struct{}, 1)}
	svc.reminderTmpl, svc.reminderTmplErr = ParseReminderTemplate(cfg.Reminders.Template)
	return svc
}

// indiaTime is Asia/Kolkata; India has had no DST since 1945, so a fixed
// +05:30 zone is exact when the tz database is missing (a static binary in a
// scratch image).
func indiaTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Kolkata"); err == nil {
		return loc
	}
	return time.FixedZone("IST", 5*3600+1800)
}
