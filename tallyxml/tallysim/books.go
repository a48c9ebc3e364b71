package tallysim

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// Nature is the accounting nature of a primary group; sub-groups inherit it.
type Nature string

// The four natures Tally gives primary groups.
const (
	Assets      Nature = "Assets"
	Liabilities Nature = "Liabilities"
	Income      Nature = "Income"
	Expenses    Nature = "Expenses"
)

// Group is an account group. Parent is empty for a primary group (Tally shows
// "&#4; Primary" as its PARENT).
type Group struct {
	Name               string `json:"name"`
	Parent             string `json:"parent,omitempty"`
	Nature             Nature `json:"nature,omitempty"` // required for a primary group; inherited otherwise
	AffectsGrossProfit bool   `json:"affectsGrossProfit,omitempty"`
	Predefined         bool   `json:"predefined,omitempty"` // one of Tally's reserved groups (RESERVEDNAME = name)
	GUID               string `json:"guid,omitempty"`
	MasterID           int64  `json:"masterId,omitempty"`
	AlterID            int64  `json:"alterId,omitempty"`
}

// Ledger is an account ledger. OpeningBalance uses Tally's sign convention
// (debit negative). Balances are never stored: see Company.ClosingBalance.
type Ledger struct {
	Name                string            `json:"name"`
	Parent              string            `json:"parent"`
	Mobile              string            `json:"mobile,omitempty"`
	Email               string            `json:"email,omitempty"`
	Address             []string          `json:"address,omitempty"`
	State               string            `json:"state,omitempty"`
	Country             string            `json:"country,omitempty"`
	Pincode             string            `json:"pincode,omitempty"`
	GSTIN               string            `json:"gstin,omitempty"`
	GSTRegistrationType string            `json:"gstRegistrationType,omitempty"`
	OpeningBalance      tallyxml.Amount   `json:"openingBalance,omitzero"`
	BillWise            bool              `json:"billWise,omitempty"`
	CreditPeriodDays    int               `json:"creditPeriodDays,omitempty"`
	TaxType             string            `json:"taxType,omitempty"`
	GSTDutyHead         string            `json:"gstDutyHead,omitempty"`
	IncomeTaxNumber     string            `json:"incomeTaxNumber,omitempty"`
	Other               map[string]string `json:"other,omitempty"`    // other simple fields an import carried, by upper-case tag
	Reserved            bool              `json:"reserved,omitempty"` // Tally's own ledger (Profit & Loss A/c): RESERVEDNAME = name
	// LanguageID is what LANGUAGENAME.LIST/LANGUAGEID shows: 1033 for ledgers
	// Tally made or that were imported with a LANGUAGENAME.LIST, 0 for ledgers
	// imported with a bare <NAME> (ledger-collection-export-02.xml shows both).
	LanguageID int64  `json:"languageId,omitempty"`
	GUID       string `json:"guid,omitempty"`
	MasterID   int64  `json:"masterId,omitempty"`
	AlterID    int64  `json:"alterId,omitempty"`
}

// Voucher is an accounting voucher. Entry amounts follow Tally's convention
// (debit negative) and sum to zero.
type Voucher struct {
	MasterID  int64         `json:"masterId,omitempty"` // the LASTVCHID an import reports
	GUID      string        `json:"guid,omitempty"`
	AlterID   int64         `json:"alterId,omitempty"`
	RemoteID  string        `json:"remoteId,omitempty"` // the client's REMOTEID, the upsert key
	Type      string        `json:"type"`
	Number    string        `json:"number,omitempty"`
	Date      tallyxml.Date `json:"date"`
	Party     string        `json:"party,omitempty"`
	Narration string        `json:"narration,omitempty"`
	Cancelled bool          `json:"cancelled,omitempty"`
	Entries   []Entry       `json:"entries"`
	// Inventory are the stock lines of an invoice (Invoice Voucher View);
	// their accounting allocations post to ledgers as Entries do.
	Inventory []InventoryEntry `json:"inventory,omitempty"`
}

// Entry is one ledger line of a voucher.
type Entry struct {
	Ledger string           `json:"ledger"`
	Amount tallyxml.Amount  `json:"amount"`
	Bills  []BillAllocation `json:"bills,omitempty"`
}

// Bill types Tally knows for BILLALLOCATIONS.
const (
	NewRef    = "New Ref"
	AgstRef   = "Agst Ref"
	Advance   = "Advance"
	OnAccount = "On Account"
)

// BillAllocation is one BILLALLOCATIONS.LIST row. Amount has the sign of its
// entry. DueDate empty means bill date + the ledger's credit period.
type BillAllocation struct {
	Name    string          `json:"name,omitempty"`
	Type    string          `json:"type"`
	Amount  tallyxml.Amount `json:"amount"`
	DueDate tallyxml.Date   `json:"dueDate,omitzero"`
}

// Bill is an outstanding bill computed from the vouchers' bill allocations:
// New Ref / Advance open it, Agst Ref adjusts it. Closing is negative for a
// receivable (debit) and positive for a payable.
type Bill struct {
	Ledger      string
	Ref         string
	Date        tallyxml.Date
	Due         tallyxml.Date
	Closing     tallyxml.Amount
	OverdueDays int // days past Due as of the asOf date, 0 when not yet due
}

// Company is one company's books. It is safe for concurrent use: every method
// takes the company's own lock, and the server holds it while it works.
type Company struct {
	mu      sync.Mutex
	name    string
	guid    string
	state   string
	country string
	gstin   string
	// The company's contact details, as its invoices print them.
	address []string
	pincode string
	phone   string
	email   string

	booksFrom tallyxml.Date

	groups   []*Group
	ledgers  []*Ledger
	vouchers []*Voucher
	items    []*StockItem
	// ownVoucherTypes are the company's own voucher types, by folded name
	// (vouchertypes.go).
	ownVoucherTypes map[string]ownVoucherType

	lastMasterID  int64
	lastVoucherID int64
	lastAlterID   int64
	// goneMstAlterID and goneVchAlterID are the highest AlterIDs of deleted
	// masters and vouchers, so that ALTMSTID/ALTVCHID never go back when the
	// newest object is deleted (see altMstID).
	goneMstAlterID int64
	goneVchAlterID int64
}

// predefinedGroup lists Tally's 28 reserved groups with the MASTERIDs a fresh
// TallyPrime company gives them (group-collection-export-cmpinfo-01.xml).
type predefinedGroup struct {
	name, parent string
	nature       Nature
	gp           bool
	id           int64
}

var predefinedGroups = []predefinedGroup{
	{"Capital Account", "", Liabilities, false, 1},
	{"Loans (Liability)", "", Liabilities, false, 2},
	{"Current Liabilities", "", Liabilities, false, 3},
	{"Fixed Assets", "", Assets, false, 4},
	{"Investments", "", Assets, false, 5},
	{"Current Assets", "", Assets, false, 6},
	{"Branch / Divisions", "", Liabilities, false, 7},
	{"Misc. Expenses (ASSET)", "", Assets, false, 8},
	{"Suspense A/c", "", Liabilities, false, 9},
	{"Reserves & Surplus", "Capital Account", Liabilities, false, 10},
	{"Bank OD A/c", "Loans (Liability)", Liabilities, false, 11},
	{"Secured Loans", "Loans (Liability)", Liabilities, false, 12},
	{"Unsecured Loans", "Loans (Liability)", Liabilities, false, 13},
	{"Duties & Taxes", "Current Liabilities", Liabilities, false, 14},
	{"Provisions", "Current Liabilities", Liabilities, false, 15},
	{"Sundry Creditors", "Current Liabilities", Liabilities, false, 16},
	{"Stock-in-Hand", "Current Assets", Assets, false, 17},
	{"Deposits (Asset)", "Current Assets", Assets, false, 18},
	{"Loans & Advances (Asset)", "Current Assets", Assets, false, 19},
	{"Sundry Debtors", "Current Assets", Assets, false, 20},
	{"Cash-in-Hand", "Current Assets", Assets, false, 21},
	{"Bank Accounts", "Current Assets", Assets, false, 22},
	{"Sales Accounts", "", Income, true, 23},
	{"Purchase Accounts", "", Expenses, true, 24},
	{"Direct Incomes", "", Income, true, 25},
	{"Direct Expenses", "", Expenses, true, 26},
	{"Indirect Incomes", "", Income, false, 27},
	{"Indirect Expenses", "", Expenses, false, 28},
}

// ProfitAndLossLedger is the reserved ledger every Tally company has.
const ProfitAndLossLedger = "Profit & Loss A/c"

// NewCompany returns a company with Tally's predefined groups and its two
// default ledgers, Cash (under Cash-in-Hand) and Profit & Loss A/c, as a freshly
// created TallyPrime company has (ledger-collection-export-02.xml).
func NewCompany(name string, booksFrom tallyxml.Date) *Company {
	return newCompany(name, "", booksFrom)
}

func newCompany(name, guid string, booksFrom tallyxml.Date) *Company {
	if guid == "" {
		guid = companyGUID(name)
	}
	c := &Company{name: name, guid: guid, country: "India", booksFrom: booksFrom}
	for _, p := range predefinedGroups {
		c.lastAlterID++
		c.groups = append(c.groups, &Group{
			Name: p.name, Parent: p.parent, Nature: p.nature, AffectsGrossProfit: p.gp,
			Predefined: true, MasterID: p.id, GUID: c.masterGUID(p.id), AlterID: c.lastAlterID,
		})
		c.lastMasterID = max(c.lastMasterID, p.id)
	}
	c.mustAddLedger(Ledger{Name: "Cash", Parent: "Cash-in-Hand", LanguageID: 1033})
	c.mustAddLedger(Ledger{Name: ProfitAndLossLedger, Reserved: true, LanguageID: 1033})
	return c
}

// companyGUID derives a stable GUID from the company name so that demo books
// and tests are deterministic.
func companyGUID(name string) string {
	h := sha1.Sum([]byte("tallysim:" + name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// masterGUID is "<companyGUID>-<8-hex id>", the shape every real master GUID
// has (tally-protocol.md §9.3 (A)).
func (c *Company) masterGUID(id int64) string { return fmt.Sprintf("%s-%08x", c.guid, id) }

// Name returns the company name.
func (c *Company) Name() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.name
}

// GUID returns the company GUID.
func (c *Company) GUID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.guid
}

// BooksFrom returns the date the books begin; vouchers before it are rejected.
func (c *Company) BooksFrom() tallyxml.Date {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.booksFrom
}

// SetProfile sets the company's state, country and GSTIN.
func (c *Company) SetProfile(state, country, gstin string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state, c.country, c.gstin = state, country, gstin
}

// SetContact sets the company's mailing address, pincode, phone number and
// e-mail, as printed on its invoices and statements.
func (c *Company) SetContact(address []string, pincode, phone, email string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.address, c.pincode, c.phone, c.email = slices.Clone(address), pincode, phone, email
}

// foldName is the key Tally matches master names by (tally-protocol.md §9.4
// "Name matching", LIVE): ASCII case folded, and, as TallyPrime 7.1 Silver
// matched, leading and trailing spaces ignored, a run of spaces one space
// and a hyphen the same as a space (earlier releases: one trailing space,
// and a space for the master's hyphen). Anything else (AND vs &, plurals)
// must match exactly. The simulator plays 7.1, the widest matching seen.
func foldName(s string) string {
	var b strings.Builder
	gap := false
	for _, ch := range s {
		switch {
		case ch == ' ' || ch == '-':
			gap = b.Len() > 0
			continue
		case 'A' <= ch && ch <= 'Z':
			ch += 'a' - 'A'
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func (c *Company) group(name string) *Group {
	k := foldName(name)
	for _, g := range c.groups {
		if foldName(g.Name) == k {
			return g
		}
	}
	return nil
}

func (c *Company) ledger(name string) *Ledger {
	k := foldName(name)
	for _, l := range c.ledgers {
		if foldName(l.Name) == k {
			return l
		}
	}
	return nil
}

// primaryGroup returns the top-level group above g (g itself when primary).
func (c *Company) primaryGroup(g *Group) *Group {
	for i := 0; g != nil && g.Parent != "" && i < 64; i++ {
		p := c.group(g.Parent)
		if p == nil {
			break
		}
		g = p
	}
	return g
}

// reservedGroup returns the nearest predefined group at or above g. This is
// what the simulator answers for the TDL method $_PrimaryGroup: the Bill
// filter tally-mcp-server sends, $$IsEqual:($_PrimaryGroup:Group:…):"Sundry
// Debtors", only makes sense if a debtor's "primary group" is Sundry Debtors.
// Real TDL semantics are unverified (see doc.go).
func (c *Company) reservedGroup(g *Group) *Group {
	for i := 0; g != nil && i < 64; i++ {
		if g.Predefined {
			return g
		}
		g = c.group(g.Parent)
	}
	return g
}

func (c *Company) natureOf(g *Group) Nature {
	if p := c.primaryGroup(g); p != nil {
		return p.Nature
	}
	return ""
}

// under reports whether group g is ancestor (or self) of the group named child.
func (c *Company) under(child string, g *Group) bool {
	x := c.group(child)
	for i := 0; x != nil && i < 64; i++ {
		if x == g {
			return true
		}
		x = c.group(x.Parent)
	}
	return false
}

// ledgerGroup returns the group a ledger sits in (nil for a ledger at Primary).
func (c *Company) ledgerGroup(l *Ledger) *Group { return c.group(l.Parent) }

func (c *Company) nextMaster() (id, alter int64) {
	c.lastMasterID++
	c.lastAlterID++
	return c.lastMasterID, c.lastAlterID
}

func (c *Company) mustAddLedger(l Ledger) {
	if err := c.addLedger(l); err != nil {
		panic(err)
	}
}

// errMissingParent and friends carry Tally's own LINEERROR texts.
var errMastersExists = errors.New("already exists")

func (c *Company) addLedger(l Ledger) error {
	if c.ledger(l.Name) != nil {
		return fmt.Errorf("ledger %q: %w", l.Name, errMastersExists)
	}
	if l.Parent != "" && c.group(l.Parent) == nil {
		return fmt.Errorf("%s", groupMissingText(l.Parent))
	}
	if l.MasterID == 0 {
		l.MasterID, l.AlterID = c.nextMaster()
	} else {
		c.lastMasterID = max(c.lastMasterID, l.MasterID)
		c.lastAlterID = max(c.lastAlterID, l.AlterID)
	}
	if l.GUID == "" {
		l.GUID = c.masterGUID(l.MasterID)
	}
	if l.Parent != "" {
		l.Parent = c.group(l.Parent).Name
	}
	l.Address = slices.Clone(l.Address)
	if l.Other != nil {
		m := make(map[string]string, len(l.Other))
		for k, v := range l.Other {
			m[k] = v
		}
		l.Other = m
	}
	c.ledgers = append(c.ledgers, &l)
	return nil
}

func (c *Company) addGroup(g Group) error {
	if c.group(g.Name) != nil {
		return fmt.Errorf("group %q: %w", g.Name, errMastersExists)
	}
	if g.Parent != "" {
		p := c.group(g.Parent)
		if p == nil {
			return fmt.Errorf("%s", groupMissingText(g.Parent))
		}
		g.Parent = p.Name
		g.Nature = c.natureOf(p)
		g.AffectsGrossProfit = c.primaryGroup(p).AffectsGrossProfit
	} else if g.Nature == "" {
		g.Nature = Assets
	}
	if g.MasterID == 0 {
		g.MasterID, g.AlterID = c.nextMaster()
	} else {
		c.lastMasterID = max(c.lastMasterID, g.MasterID)
		c.lastAlterID = max(c.lastAlterID, g.AlterID)
	}
	if g.GUID == "" {
		g.GUID = c.masterGUID(g.MasterID)
	}
	c.groups = append(c.groups, &g)
	return nil
}

// groupMissingText is the LINEERROR for a ledger or group under a group that
// does not exist. The text follows Tally's "<Type> '<name>' does not exist!"
// family (Ledger/Stock Group/Godown variants are LIVE, tally-protocol.md §9.4);
// the exact Group wording is a simulator choice.
func groupMissingText(name string) string { return fmt.Sprintf("Group '%s' does not exist!", name) }

// AddGroup adds a group (for tests and data files). A sub-group inherits its
// parent's nature.
func (c *Company) AddGroup(g Group) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addGroup(g)
}

// AddLedger adds a ledger (for tests and data files). Its parent group must exist.
func (c *Company) AddLedger(l Ledger) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addLedger(l)
}

// AddVoucher validates and stores a voucher the way an import would (same
// checks, same LINEERROR texts as errors) and returns it with its ids.
func (c *Company) AddVoucher(v Voucher) (Voucher, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if msg := c.validateVoucher(&v); msg != "" {
		return Voucher{}, errors.New(msg)
	}
	c.storeNewVoucher(&v)
	return copyVoucher(&v), nil
}

func (c *Company) storeNewVoucher(v *Voucher) {
	if v.MasterID == 0 {
		c.lastVoucherID++
		v.MasterID = c.lastVoucherID
	} else {
		c.lastVoucherID = max(c.lastVoucherID, v.MasterID)
	}
	if v.AlterID == 0 {
		c.lastAlterID++
		v.AlterID = c.lastAlterID
	} else {
		c.lastAlterID = max(c.lastAlterID, v.AlterID)
	}
	if v.GUID == "" {
		v.GUID = c.voucherGUID(v.MasterID)
	}
	c.vouchers = append(c.vouchers, v)
}

// voucherGUID mirrors the master GUID shape; the voucher id space is separate
// (the first voucher of a company reports LASTVCHID 1 after masters were
// created, import-response-voucher-created-01.xml), so a "v" keeps the two
// spaces apart.
func (c *Company) voucherGUID(id int64) string { return fmt.Sprintf("%s-v%07x", c.guid, id) }

// Ledger returns a copy of the named ledger (name matched as Tally does).
func (c *Company) Ledger(name string) (Ledger, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.ledger(name)
	if l == nil {
		return Ledger{}, false
	}
	return copyLedger(l), true
}

// Group returns a copy of the named group.
func (c *Company) Group(name string) (Group, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.group(name)
	if g == nil {
		return Group{}, false
	}
	return *g, true
}

// Groups returns copies of all groups, sorted by name.
func (c *Company) Groups() []Group {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Group, 0, len(c.groups))
	for _, g := range c.sortedGroups() {
		out = append(out, *g)
	}
	return out
}

// Ledgers returns copies of all ledgers, sorted by name as Tally lists them.
func (c *Company) Ledgers() []Ledger {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Ledger, 0, len(c.ledgers))
	for _, l := range c.sortedLedgers() {
		out = append(out, copyLedger(l))
	}
	return out
}

// Vouchers returns copies of all vouchers (cancelled ones included) in date
// order.
func (c *Company) Vouchers() []Voucher {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Voucher, 0, len(c.vouchers))
	for _, v := range c.sortedVouchers() {
		out = append(out, copyVoucher(v))
	}
	return out
}

func copyLedger(l *Ledger) Ledger {
	o := *l
	o.Address = slices.Clone(l.Address)
	if l.Other != nil {
		o.Other = make(map[string]string, len(l.Other))
		for k, v := range l.Other {
			o.Other[k] = v
		}
	}
	return o
}

func copyVoucher(v *Voucher) Voucher {
	o := *v
	o.Entries = make([]Entry, len(v.Entries))
	for i, e := range v.Entries {
		o.Entries[i] = Entry{Ledger: e.Ledger, Amount: e.Amount, Bills: slices.Clone(e.Bills)}
	}
	if v.Inventory != nil {
		o.Inventory = make([]InventoryEntry, len(v.Inventory))
		for i, ie := range v.Inventory {
			ie.Allocations = slices.Clone(ie.Allocations)
			o.Inventory[i] = ie
		}
	}
	return o
}

func lessFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func (c *Company) sortedLedgers() []*Ledger {
	s := slices.Clone(c.ledgers)
	slices.SortStableFunc(s, func(a, b *Ledger) int { return lessFold(a.Name, b.Name) })
	return s
}

func (c *Company) sortedGroups() []*Group {
	s := slices.Clone(c.groups)
	slices.SortStableFunc(s, func(a, b *Group) int { return lessFold(a.Name, b.Name) })
	return s
}

func (c *Company) sortedVouchers() []*Voucher {
	s := slices.Clone(c.vouchers)
	slices.SortStableFunc(s, func(a, b *Voucher) int {
		if x := strings.Compare(a.Date.String(), b.Date.String()); x != 0 {
			return x
		}
		return int(a.MasterID - b.MasterID)
	})
	return s
}

func inPeriod(d, asOf tallyxml.Date) bool { return asOf.IsZero() || !asOf.Before(d) }

// ledgerBalance computes the closing balance in paise as of asOf (inclusive;
// zero = lifetime): opening balance plus every non-cancelled entry.
func (c *Company) ledgerBalance(l *Ledger, asOf tallyxml.Date) int64 {
	bal := l.OpeningBalance.Paise()
	k := foldName(l.Name)
	for _, v := range c.vouchers {
		if v.Cancelled || !inPeriod(v.Date, asOf) {
			continue
		}
		for _, e := range ledgerLines(v) {
			if foldName(e.Ledger) == k {
				bal += e.Amount.Paise()
			}
		}
	}
	return bal
}

// groupBalance sums the closing balances of every ledger at or below g.
func (c *Company) groupBalance(g *Group, asOf tallyxml.Date) int64 {
	var sum int64
	for _, l := range c.ledgers {
		if l.Parent != "" && c.under(l.Parent, g) {
			sum += c.ledgerBalance(l, asOf)
		}
	}
	return sum
}

// ClosingBalance computes a ledger's closing balance as of asOf (inclusive;
// the zero Date means every voucher). Debit is negative.
func (c *Company) ClosingBalance(ledger string, asOf tallyxml.Date) (tallyxml.Amount, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.ledger(ledger)
	if l == nil {
		return tallyxml.Amount{}, fmt.Errorf("tallysim: ledger %q does not exist", ledger)
	}
	return tallyxml.Paise(c.ledgerBalance(l, asOf)), nil
}

// OutstandingBills returns every bill with a non-zero balance as of asOf
// (inclusive), receivables (negative) and payables (positive) alike, sorted by
// bill date, party and reference.
func (c *Company) OutstandingBills(asOf tallyxml.Date) []Bill {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outstandingBills(asOf)
}

// outstandingBills computes bills from the allocations, never from stored
// totals: the first New Ref/Advance (or, failing that, Agst Ref) of a
// reference opens the bill with its voucher's date, later Agst Refs reduce it
// by exactly their amount. On Account allocations never form bills, so
// On-Account residuals are not listed (tally-protocol.md §9.3 (D)).
func (c *Company) outstandingBills(asOf tallyxml.Date) []Bill {
	type acc struct {
		Bill
		order int
	}
	bills := map[string]*acc{}
	n := 0
	for _, v := range c.sortedVouchers() {
		if v.Cancelled || !inPeriod(v.Date, asOf) {
			continue
		}
		for _, e := range v.Entries {
			l := c.ledger(e.Ledger)
			if l == nil || !l.BillWise {
				continue
			}
			for _, b := range e.Bills {
				if b.Type == OnAccount || b.Name == "" {
					continue
				}
				key := foldName(l.Name) + "\x00" + b.Name
				a := bills[key]
				if a == nil {
					due := b.DueDate
					if due.IsZero() {
						due = v.Date.AddDays(l.CreditPeriodDays)
					}
					a = &acc{Bill: Bill{Ledger: l.Name, Ref: b.Name, Date: v.Date, Due: due}, order: n}
					n++
					bills[key] = a
				}
				a.Closing = a.Closing.Add(b.Amount)
			}
		}
	}
	out := make([]Bill, 0, len(bills))
	for _, a := range bills {
		if a.Closing.Paise() == 0 {
			continue
		}
		b := a.Bill
		ref := asOf
		if !ref.IsZero() && ref.Before(b.Due) {
			b.OverdueDays = 0
		} else if !ref.IsZero() {
			b.OverdueDays = ref.DaysSince(b.Due)
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Bill) int {
		if x := strings.Compare(a.Date.String(), b.Date.String()); x != 0 {
			return x
		}
		if x := lessFold(a.Ledger, b.Ledger); x != 0 {
			return x
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return out
}

// billExists reports whether ledger already has a bill named ref (used to
// store an Advance naming an existing ref as Agst Ref, §9.4).
func (c *Company) billExists(ledger, ref string) bool {
	k := foldName(ledger)
	for _, v := range c.vouchers {
		for _, e := range v.Entries {
			if foldName(e.Ledger) != k {
				continue
			}
			for _, b := range e.Bills {
				if b.Name == ref && b.Type != OnAccount {
					return true
				}
			}
		}
	}
	return false
}
