package service

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

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
	// Tax names the GST ledgers. Default CGST, SGST and IGST.
	Tax TaxLedgers
	// Receipts names the ledgers a customer's payment is debited to. No
	// default: a receipt posted to a guessed bank ledger would misstate the
	// books, so an unconfigured ledger rejects the receipt instead.
	Receipts ReceiptsConfig
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

// Service holds the use cases the API exposes. It is safe for concurrent use.
type Service struct {
	gw  Gateway
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	states map[string]string // company (folded) → state, learnt from Tally
	// groupTrees caches each company's groups for the party-group rule
	// (parties.go).
	groupTrees map[string]groupTree

	// partyLocks serialise "read the party, create it when missing" per
	// party within this process: two orders for one new customer must not
	// both create it (Tally would turn the second Create into a silent
	// Alter). Striped, so memory stays bounded.
	partyLocks [64]sync.Mutex

	// reminderTmpl is Reminders.Template, parsed once; reminderTmplErr is
	// why it did not parse (New cannot fail, so Reminders reports it).
	reminderTmpl    *template.Template
	reminderTmplErr error

	// waiters are the requests waiting for an order to change (wait.go).
	waiters *orderWaiters
	// away says an attempt found Tally unavailable (watch.go).
	away chan struct{}
}

// New returns a Service over gw.
func New(gw Gateway, cfg Config) *Service {
	if cfg.SalesLedger == "" {
		cfg.SalesLedger = "Sales"
	}
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

// daysBetween counts calendar days from a to b (both civil dates), without
// time.Duration, which overflows after 292 years.
func daysBetween(a, b time.Time) int {
	return int(civilDay(b) - civilDay(a))
}

func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
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

// Today returns today's date where the business is.
func (s *Service) Today() time.Time { return Day(s.cfg.Now(), s.cfg.Location) }

// Company returns the configured company.
func (s *Service) Company() string { return s.cfg.Company }

func (s *Service) company(c string) string {
	if c = strings.TrimSpace(c); c != "" {
		return c
	}
	return s.cfg.Company
}

// maxNameLen bounds names sent to Tally. TallyPrime's own limit is not
// documented; a bound keeps absurd input away from a gateway that cannot
// defend itself.
const maxNameLen = 200

// ValidateName checks a Tally master name (party, ledger, company) before it
// goes anywhere near Tally. field names the input in the error.
func ValidateName(field, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(Invalid, "invalid_name", "%s must not be empty", field)
	case !utf8.ValidString(name):
		return Errorf(Invalid, "invalid_name", "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(name) > maxNameLen:
		return Errorf(Invalid, "invalid_name", "%s is longer than %d characters", field, maxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(Invalid, "invalid_name", "%s must not contain control characters", field)
	case strings.IndexFunc(name, isInvisible) >= 0:
		return Errorf(Invalid, "invalid_name", "%s must not contain invisible or text-direction characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF): they make a name look like another", field)
	}
	return nil
}

// Status is what tallyfacade knows about the Tally it talks to.
type Status struct {
	Product       string
	URL           string
	Company       string // the configured company
	CompanyLoaded bool
	Companies     []string // loaded in Tally
}

// Status asks Tally whether it runs, which product it is and which companies
// are loaded. A configured company that is not loaded is reported, not an
// error: /readyz and `check` decide what it means.
func (s *Service) Status(ctx context.Context) (Status, error) {
	ts, err := s.gw.Status(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Product: ts.Product, URL: ts.URL, Company: s.cfg.Company}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return st, err
	}
	for _, c := range companies {
		st.Companies = append(st.Companies, c.Name)
		if s.cfg.Company != "" && foldName(c.Name) == foldName(s.cfg.Company) {
			st.CompanyLoaded = true
		}
	}
	if s.cfg.Company == "" {
		st.CompanyLoaded = len(companies) > 0
	}
	return st, nil
}

// Companies lists the companies loaded in Tally.
func (s *Service) Companies(ctx context.Context) ([]Company, error) {
	return s.gw.Companies(ctx)
}

// PartyQuery selects parties.
type PartyQuery struct {
	Company string
	Group   string // default: the configured party group
	Search  string // case-insensitive substring of the name
	Offset  int
	Limit   int // default DefaultPageSize, at most MaxPageSize
}

// PartyPage is one page of parties, sorted by name.
type PartyPage struct {
	Parties []Party
	Total   int
	Offset  int
	Limit   int
}

// ListParties lists the parties of a group, filtered and paginated. Tally has
// no paging of its own for built-in collections, so one request reads the
// group and the page is cut here.
func (s *Service) ListParties(ctx context.Context, q PartyQuery) (PartyPage, error) {
	if err := s.checkPartyQuery(ctx, &q); err != nil {
		return PartyPage{}, err
	}
	company := q.Company
	all, err := s.gw.Parties(ctx, company, q.Group)
	if err != nil {
		return PartyPage{}, err
	}
	if len(all) == 0 {
		// Tally answers a collection read for a company it has not loaded
		// with zero rows and STATUS 1 (tally-protocol.md §9.5), so an empty
		// list needs one more question before it can be trusted.
		if err := s.checkLoaded(ctx, company); err != nil {
			return PartyPage{}, err
		}
	}
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	var match []Party
	for _, p := range all {
		if needle == "" || strings.Contains(strings.ToLower(p.Name), needle) {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b Party) int { return cmp.Compare(foldName(a.Name), foldName(b.Name)) })
	page := PartyPage{Total: len(match), Offset: q.Offset, Limit: q.Limit, Parties: []Party{}}
	if q.Offset < len(match) {
		page.Parties = match[q.Offset:min(len(match), q.Offset+q.Limit)]
	}
	return page, nil
}

// checkLoaded returns company_not_loaded when Tally has no such company open.
func (s *Service) checkLoaded(ctx context.Context, company string) error {
	if company == "" {
		return nil
	}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return err
	}
	var loaded []string
	for _, c := range companies {
		if foldName(c.Name) == foldName(company) {
			return nil
		}
		loaded = append(loaded, c.Name)
	}
	return &Error{Kind: Unavailable, Code: "company_not_loaded",
		Message: "company " + quote(company) + " is not loaded in Tally (loaded: " + strings.Join(loaded, ", ") + ")",
		Hint:    "Load the company in Tally (Company → Select), or use the exact name of a loaded company."}
}

// GetParty reads one party by name: a ledger under the party groups
// (Config.PartyGroups). Any other ledger is party_not_found, as a missing
// one is. One Tally request for a ledger directly under a party group; one
// more, cached, to learn the ancestry of any other group (parties.go).
func (s *Service) GetParty(ctx context.Context, company, name string) (Party, error) {
	if err := ValidateName("name", name); err != nil {
		return Party{}, err
	}
	return s.readParty(ctx, s.company(company), name)
}

// PartyBalance is a party's balance, flat enough for a chatbot template.
type PartyBalance struct {
	Party   Party
	Balance Balance
	Known   bool // false when Tally sent an empty closing balance
	AsOf    time.Time
}

// PartyBalance reads a party's closing balance, with GetParty's requests.
func (s *Service) PartyBalance(ctx context.Context, company, name string) (PartyBalance, error) {
	p, err := s.GetParty(ctx, company, name)
	if err != nil {
		return PartyBalance{}, err
	}
	return PartyBalance{Party: p, Balance: p.Closing, Known: p.ClosingKnown, AsOf: s.Today()}, nil
}

// ReceivablesQuery selects outstanding bills.
type ReceivablesQuery struct {
	Company     string
	AsOf        time.Time // default today
	Party       string    // exact party name (Tally's folding), empty for all
	OverdueOnly bool
	MinAmount   Paise // bills owing less than this are left out
}

// Receivable is one outstanding bill. Amount is what the party owes us
// (positive); a negative amount is a credit in our books, such as an advance.
type Receivable struct {
	Party       string
	Ref         string
	Date        time.Time
	Due         time.Time
	Amount      Paise
	OverdueDays int // days past due as of AsOf; 0 when not yet due
}

// PartyReceivables groups one party's bills.
type PartyReceivables struct {
	Party   string
	Bills   []Receivable
	Total   Paise
	Overdue Paise
}

// Receivables is the outstanding-bills answer.
type Receivables struct {
	AsOf         time.Time
	Parties      []PartyReceivables
	Total        Paise
	OverdueTotal Paise
	Bills        int
}

// Receivables reads Bills Receivable and recomputes overdue days from each
// bill's due date and AsOf: Tally's BILLOVERDUE is computed against its own
// period date and ignores the ageing setting (tally-protocol.md §9.3 D).
func (s *Service) Receivables(ctx context.Context, q ReceivablesQuery) (Receivables, error) {
	if q.AsOf.IsZero() {
		q.AsOf = s.Today()
	}
	company := s.company(q.Company)
	bills, err := s.gw.Receivables(ctx, company, q.AsOf)
	if err != nil {
		return Receivables{}, err
	}
	if q.Party != "" && slices.ContainsFunc(bills, func(b Bill) bool { return foldName(b.Party) == foldName(q.Party) }) {
		// Bills Receivable scopes by balance sign, not by group
		// (tally-protocol.md §9.3 D): a bill-wise loan or deposit ledger
		// is listed too. A per-party read answers parties only, and a
		// ledger that is not one reads as a party without bills.
		switch _, err := s.readParty(ctx, company, q.Party); {
		case KindOf(err) == NotFound:
			bills = nil
		case err != nil:
			return Receivables{}, err
		}
	}
	out := Receivables{AsOf: q.AsOf, Parties: []PartyReceivables{}}
	byParty := map[string]int{}
	for _, b := range bills {
		if q.Party != "" && foldName(b.Party) != foldName(q.Party) {
			continue
		}
		r := Receivable{Party: b.Party, Ref: b.Ref, Date: b.Date, Due: b.Due, Amount: -b.Pending.Signed}
		due := b.Due
		if due.IsZero() {
			due = b.Date
		}
		if d := daysBetween(due, q.AsOf); d > 0 {
			r.OverdueDays = d
		}
		// MinAmount filters what is owed; a credit (an advance) is kept
		// unless a minimum was asked for.
		if q.OverdueOnly && r.OverdueDays == 0 || q.MinAmount > 0 && r.Amount < q.MinAmount {
			continue
		}
		i, ok := byParty[foldName(b.Party)]
		if !ok {
			i = len(out.Parties)
			byParty[foldName(b.Party)] = i
			out.Parties = append(out.Parties, PartyReceivables{Party: b.Party})
		}
		pr := &out.Parties[i]
		pr.Bills = append(pr.Bills, r)
		pr.Total += r.Amount
		out.Total += r.Amount
		if r.OverdueDays > 0 {
			pr.Overdue += r.Amount
			out.OverdueTotal += r.Amount
		}
		out.Bills++
	}
	slices.SortFunc(out.Parties, func(a, b PartyReceivables) int { return cmp.Compare(foldName(a.Party), foldName(b.Party)) })
	for _, p := range out.Parties {
		slices.SortStableFunc(p.Bills, func(a, b Receivable) int { return a.Due.Compare(b.Due) })
	}
	return out, nil
}

// TrialBalance is the trial balance with its totals: TotalDebit and
// TotalCredit are the sums of Tally's debit and credit columns, the totals
// Tally prints under them.
type TrialBalance struct {
	AsOf        time.Time
	LedgerWise  bool
	Rows        []TrialBalanceRow
	TotalDebit  Paise
	TotalCredit Paise
}

// TrialBalance reads the trial balance as of a date (default today).
func (s *Service) TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) (TrialBalance, error) {
	if asOf.IsZero() {
		asOf = s.Today()
	}
	rows, err := s.gw.TrialBalance(ctx, s.company(company), asOf, ledgerWise)
	if err != nil {
		return TrialBalance{}, err
	}
	tb := TrialBalance{AsOf: asOf, LedgerWise: ledgerWise, Rows: rows}
	for _, r := range rows {
		tb.TotalDebit += r.Debit
		tb.TotalCredit += r.Credit
	}
	return tb, nil
}

// CreateParty creates a party ledger under a party group and reads it back.
// A party that already exists, by Tally's name matching (a near-twin such
// as "rajesh  enterprises" included), is a Conflict whose Subject is the
// existing party: real Tally would silently alter it (overwriting its group
// and opening balance) on a Create. A ledger of that name that is not a
// party is ledger_exists, without its details. Tally requests: the exact
// read, the ledger names when it misses, the create and the read-back (and
// the group tree when the group is a sub-group, parties.go).
func (s *Service) CreateParty(ctx context.Context, company string, p NewParty) (Party, error) {
	company = s.company(company)
	if err := s.validateNewParty(&p); err != nil {
		return Party{}, err
	}
	if err := s.checkPartyGroup(ctx, company, p.Group); err != nil {
		return Party{}, err
	}
	// The name as Tally would match it (tally-protocol.md §9.4): an exact
	// read, then, when it misses, a near-twin ("rajesh  enterprises").
	existing, err := s.gw.Party(ctx, company, p.Name)
	switch {
	case err == nil:
		return Party{}, s.ledgerExists(ctx, company, existing)
	case KindOf(err) != NotFound:
		return Party{}, err
	}
	twins := map[string]Party{}
	if err := s.withTwins(ctx, company, twins, []string{p.Name}); err != nil {
		return Party{}, err
	}
	if twin, ok := twins[p.Name]; ok {
		return Party{}, s.ledgerExists(ctx, company, twin)
	}
	if _, err := s.gw.CreateParty(ctx, company, p); err != nil {
		if KindOf(err) == Conflict {
			// Created by someone else between our read and our write;
			// Tally has altered it, which we report rather than hide.
			if again, rerr := s.gw.Party(ctx, company, p.Name); rerr == nil {
				return again, partyExists(again)
			}
		}
		return Party{}, err
	}
	return s.gw.Party(ctx, company, p.Name)
}

// ledgerExists is the conflict of a name taken by a ledger: party_exists
// carrying the party, or ledger_exists, without the ledger's details, for a
// ledger that is not a party (its balance is none of a party client's
// business).
func (s *Service) ledgerExists(ctx context.Context, company string, l Party) error {
	switch ok, err := s.isPartyGroup(ctx, company, l.Group); {
	case err != nil:
		return err
	case ok:
		return partyExists(l)
	}
	return &Error{Kind: Conflict, Code: "ledger_exists",
		Message: "a ledger named " + quote(l.Name) + " already exists and is not a party",
		Hint:    "Choose another name: creating this one would make Tally alter that ledger."}
}

func partyExists(p Party) *Error {
	return &Error{Kind: Conflict, Code: "party_exists", Subject: p,
		Message: "a party named " + quote(p.Name) + " already exists (under " + p.Group + ")",
		Hint:    "Use the existing party, or choose another name."}
}

func quote(s string) string { return "'" + s + "'" }

// validateNewParty checks and normalises a party to create.
func (s *Service) validateNewParty(p *NewParty) error {
	p.Name = strings.TrimSpace(p.Name)
	if err := ValidateName("name", p.Name); err != nil {
		return err
	}
	if p.Group == "" {
		p.Group = s.cfg.PartyGroup
	}
	if err := ValidateName("group", p.Group); err != nil {
		return err
	}
	if p.Mobile != "" {
		if m := NormalizeMobile(p.Mobile); !m.Valid {
			return Errorf(Invalid, "invalid_mobile", "mobile %s is not usable: %s", quote(p.Mobile), m.Reason)
		}
	}
	if p.CreditDays < 0 || p.CreditDays > 3650 {
		return Errorf(Invalid, "invalid_credit_days", "credit_days must be between 0 and 3650")
	}
	if p.ApplicableFrom.IsZero() {
		p.ApplicableFrom = s.Today()
	}
	for _, f := range []struct{ name, v string }{{"email", p.Email}, {"state", p.State}, {"country", p.Country},
		{"gstin", p.GSTIN}, {"pincode", p.Pincode}} {
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 || utf8.RuneCountInString(f.v) > maxNameLen {
			return Errorf(Invalid, "invalid_"+f.name, "%s must be at most %d characters without control characters", f.name, maxNameLen)
		}
	}
	for _, line := range p.Address {
		if strings.IndexFunc(line, unicode.IsControl) >= 0 || utf8.RuneCountInString(line) > maxNameLen {
			return Errorf(Invalid, "invalid_address", "address lines must be at most %d characters without control characters", maxNameLen)
		}
	}
	return nil
}

// companyState returns the company's state for place of supply: configured,
// or learnt from Tally once per company.
func (s *Service) companyState(ctx context.Context, company string) (string, error) {
	if s.cfg.CompanyState != "" {
		return s.cfg.CompanyState, nil
	}
	key := foldName(company)
	s.mu.Lock()
	st, ok := s.states[key]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range companies {
		if foldName(c.Name) == key || key == "" {
			st = c.State
			break
		}
	}
	if st != "" {
		s.mu.Lock()
		s.states[key] = st
		s.mu.Unlock()
	}
	return st, nil
}
