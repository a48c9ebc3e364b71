package tallyxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// This file holds the import objects, encoder side: the masters and vouchers
// that travel inside TALLYMESSAGE. Each is a typed Go value whose MarshalXML
// builds a private wire struct, so empty optional fields are left out (an
// Amount is a struct, and encoding/xml's omitempty never omits a struct, so
// amounts go through pointers there) and derived fields (ISDEEMEDPOSITIVE)
// cannot disagree with what they derive from.

// Action is the ACTION attribute of an imported object. Tally reads the
// attribute name case-insensitively (the samples have both ACTION and
// Action); ACTION is emitted.
type Action int

const (
	// ActionCreate creates the object. For a master that already exists it
	// is a silent Alter that overwrites parent, ISBILLWISEON and opening
	// balance (CREATED=0 ALTERED=1, §9.4). For a voucher with a REMOTEID
	// already known to Tally it is the upsert (§9.4).
	ActionCreate Action = iota
	// ActionAlter alters a master, keeping fields that are not sent (§9.4).
	// It is refused for vouchers; see ErrVoucherAlter.
	ActionAlter
	// ActionDelete deletes the object named by NAME (masters) or REMOTEID
	// (vouchers).
	ActionDelete
	// ActionCancel cancels a voucher by REMOTEID. Licensed 7.1 reports it as
	// ALTERED=1, CANCELLED=0 (§9.4).
	ActionCancel
)

// String returns the attribute value.
func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "Create"
	case ActionAlter:
		return "Alter"
	case ActionDelete:
		return "Delete"
	case ActionCancel:
		return "Cancel"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Field is an extra simple element of a master, for Tally fields with no
// typed counterpart here (e.g. {"CREDITLIMIT", "-50000.00"}). Tag must be an
// XML name; Value is escaped by the encoder. Extras are emitted last, in
// order.
type Field struct {
	Tag   string
	Value string
}

// ErrInvalidObject is returned by Validate for a master or voucher Tally
// would reject, or that would be sent differently from what was asked.
var ErrInvalidObject = errors.New("tallyxml: invalid import object")

// CreditPeriod is a bill credit period: a number of days or a due date. The
// zero value is empty and not sent.
//
// Tally writes `<BILLCREDITPERIOD JD="…" P="30 Days">30 Days</BILLCREDITPERIOD>`
// in exports; on import the plain text is what it parses, as typed in the
// field: "30 Days" (tally-mcp-server's master-ledger template, §3.2) or a due
// date, sent here as d-Mmm-yyyy because that is the form a Tally user types
// and it cannot be misread as a day count. The JD/P attributes are Tally's
// own computed rendering and are not sent.
type CreditPeriod struct {
	days int
	due  Date
}

// CreditDays returns a credit period of n days (n > 0).
func CreditDays(n int) CreditPeriod { return CreditPeriod{days: n} }

// CreditDueOn returns a credit period ending on the due date d.
func CreditDueOn(d Date) CreditPeriod { return CreditPeriod{due: d} }

// IsSet reports whether a period was given.
func (c CreditPeriod) IsSet() bool { return c.days != 0 || !c.due.IsZero() }

// String returns "30 Days", "15-May-2026" or "".
func (c CreditPeriod) String() string {
	switch {
	case !c.due.IsZero():
		return c.due.Long()
	case c.days != 0:
		return fmt.Sprintf("%d Days", c.days)
	}
	return ""
}

func (c CreditPeriod) validate() error {
	if c.days < 0 {
		return fmt.Errorf("%w: negative credit period %d days", ErrInvalidObject, c.days)
	}
	return nil
}

// LedgerMaster is a `<LEDGER NAME=… ACTION=…>` master for import.
//
// Names: the NAME attribute is always Name, the ledger's current name, which
// is how Tally finds the master to alter or delete. The NAME element carries
// the name to store: on Create it is Name; on Alter it is sent only for a
// rename (NewName), so a partial Alter touches nothing but the fields given
// (request-import-ledger-alter-partial-01.xml; seed "Name of an existing
// ledger ICICI will get altered to HDFC"); on Delete it repeats Name, as in
// tally-mcp-server's delete template (§3.2). LANGUAGENAME.LIST is sent when
// there are aliases or on a rename (the live-verified rename form, §9.4); it
// replaces the whole name list, so give all aliases to keep on a rename.
//
// Zero-valued fields are not sent. On Delete only the names are sent.
type LedgerMaster struct {
	Action  Action
	Name    string
	NewName string   // Alter only: rename to this
	Aliases []string // further names after the primary one

	Parent         string // group, e.g. "Sundry Debtors"
	OpeningBalance Amount // debit negative; empty is not sent

	// Tax ledger fields (request-import-ledgers-create-01.xml).
	IsDeemedPositive     Toggle
	TaxType              string              // "GST"
	GSTDutyHead          string              // "Central Tax", "State Tax", "Integrated Tax"
	RateOfTaxCalculation decimal.NullDecimal // percentage; sent only when Valid

	IsBillWiseOn     Toggle
	BillCreditPeriod CreditPeriod

	MailingName string
	Address     []string // one ADDRESS element per line
	StateName   string   // LEDSTATENAME
	CountryName string
	Pincode     string
	Mobile      string // LEDGERMOBILE, as typed (no +91)
	Phone       string // LEDGERPHONE
	Email       string

	IncomeTaxNumber     string // PAN
	NameOnPAN           string
	GSTRegistrationType string // "Regular", "Composition", "Unregistered", "Consumer"
	PartyGSTIN          string
	PlaceOfSupply       string // LEDGSTREGDETAILS only; defaults to StateName

	// ApplicableFrom switches on the TallyPrime 3+ dated lists
	// LEDMAILINGDETAILS.LIST and LEDGSTREGDETAILS.LIST (§3.2 template), sent
	// in addition to the flat fields so both old and new Tally see the data.
	// Each list is sent only when ApplicableFrom is set and one of its values
	// is given; it is usually the books-beginning date. Without it only the
	// flat fields are sent: a dated list without a date is not a form any
	// source shows.
	ApplicableFrom Date

	Extra []Field
}

type languageNameXML struct {
	NameList struct {
		Type  string   `xml:"TYPE,attr"`
		Names []string `xml:"NAME"`
	} `xml:"NAME.LIST"`
	// LanguageID 1033 (English) is what Tally exports and what the
	// live-verified rename sent (§9.4).
	LanguageID string `xml:"LANGUAGEID"`
}

type addressListXML struct {
	Type  string   `xml:"TYPE,attr"`
	Lines []string `xml:"ADDRESS"`
}

type mailingDetailsXML struct {
	ApplicableFrom string          `xml:"APPLICABLEFROM"`
	MailingName    string          `xml:"MAILINGNAME,omitempty"`
	Address        *addressListXML `xml:"ADDRESS.LIST,omitempty"`
	State          string          `xml:"STATE,omitempty"`
	Country        string          `xml:"COUNTRY,omitempty"`
	Pincode        string          `xml:"PINCODE,omitempty"`
}

type gstRegDetailsXML struct {
	ApplicableFrom      string `xml:"APPLICABLEFROM"`
	GSTRegistrationType string `xml:"GSTREGISTRATIONTYPE,omitempty"`
	PlaceOfSupply       string `xml:"PLACEOFSUPPLY,omitempty"`
	GSTIN               string `xml:"GSTIN,omitempty"`
}

type ledgerXML struct {
	XMLName              xml.Name           `xml:"LEDGER"`
	NameAttr             string             `xml:"NAME,attr"`
	Action               string             `xml:"ACTION,attr"`
	Name                 string             `xml:"NAME,omitempty"`
	LanguageNames        *languageNameXML   `xml:"LANGUAGENAME.LIST,omitempty"`
	Parent               string             `xml:"PARENT,omitempty"`
	OpeningBalance       *Amount            `xml:"OPENINGBALANCE,omitempty"`
	IsDeemedPositive     string             `xml:"ISDEEMEDPOSITIVE,omitempty"`
	TaxType              string             `xml:"TAXTYPE,omitempty"`
	GSTDutyHead          string             `xml:"GSTDUTYHEAD,omitempty"`
	RateOfTaxCalculation string             `xml:"RATEOFTAXCALCULATION,omitempty"`
	IsBillWiseOn         string             `xml:"ISBILLWISEON,omitempty"`
	BillCreditPeriod     string             `xml:"BILLCREDITPERIOD,omitempty"`
	MailingName          string             `xml:"MAILINGNAME,omitempty"`
	Address              *addressListXML    `xml:"ADDRESS.LIST,omitempty"`
	StateName            string             `xml:"LEDSTATENAME,omitempty"`
	CountryName          string             `xml:"COUNTRYNAME,omitempty"`
	Pincode              string             `xml:"PINCODE,omitempty"`
	Mobile               string             `xml:"LEDGERMOBILE,omitempty"`
	Phone                string             `xml:"LEDGERPHONE,omitempty"`
	Email                string             `xml:"EMAIL,omitempty"`
	IncomeTaxNumber      string             `xml:"INCOMETAXNUMBER,omitempty"`
	NameOnPAN            string             `xml:"NAMEONPAN,omitempty"`
	GSTRegistrationType  string             `xml:"GSTREGISTRATIONTYPE,omitempty"`
	PartyGSTIN           string             `xml:"PARTYGSTIN,omitempty"`
	MailingDetails       *mailingDetailsXML `xml:"LEDMAILINGDETAILS.LIST,omitempty"`
	GSTRegDetails        *gstRegDetailsXML  `xml:"LEDGSTREGDETAILS.LIST,omitempty"`
	Extra                []textElem
}

// masterNames works out the NAME element and LANGUAGENAME.LIST shared by all
// masters (see LedgerMaster).
func masterNames(action Action, name, newName string, aliases []string) (string, *languageNameXML) {
	var elem string
	switch {
	case action == ActionDelete:
		return name, nil
	case newName != "":
		elem = newName
	case action == ActionCreate:
		elem = name
	}
	if newName == "" && len(aliases) == 0 {
		return elem, nil
	}
	primary := name
	if newName != "" {
		primary = newName
	}
	ln := &languageNameXML{LanguageID: "1033"}
	ln.NameList.Type = "String"
	ln.NameList.Names = append([]string{primary}, aliases...)
	return elem, ln
}

// validateMaster checks what every master shares.
func validateMaster(kind string, action Action, name, newName string, aliases []string, extra []Field) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: %s without a name", ErrInvalidObject, kind)
	}
	switch action {
	case ActionCreate, ActionDelete:
		if newName != "" {
			return fmt.Errorf("%w: %s %q: a rename needs ActionAlter", ErrInvalidObject, kind, name)
		}
	case ActionAlter:
	default:
		return fmt.Errorf("%w: %s %q: action %s is not for masters", ErrInvalidObject, kind, name, action)
	}
	if newName != "" && strings.TrimSpace(newName) == "" {
		return fmt.Errorf("%w: %s %q: blank new name", ErrInvalidObject, kind, name)
	}
	for _, a := range aliases {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("%w: %s %q: blank alias", ErrInvalidObject, kind, name)
		}
	}
	for _, f := range extra {
		if err := checkXMLName("extra field", f.Tag); err != nil {
			return err
		}
	}
	return nil
}

// textChecker collects the first invalid text while a wire struct is built.
type textChecker struct{ err error }

func (c *textChecker) s(what, v string) string {
	if c.err == nil {
		c.err = checkText(what, v)
	}
	return v
}

func (c *textChecker) list(what string, vs []string) []string {
	for _, v := range vs {
		c.s(what, v)
	}
	return vs
}

func extraElems(c *textChecker, extra []Field) []textElem {
	var out []textElem
	for _, f := range extra {
		out = append(out, textElem{XMLName: xml.Name{Local: f.Tag}, Value: c.s(f.Tag, f.Value)})
	}
	return out
}

// Validate implements ImportObject.
func (l LedgerMaster) Validate() error {
	_, err := l.wire()
	return err
}

// MarshalXML implements xml.Marshaler; the element is always LEDGER.
func (l LedgerMaster) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w, err := l.wire()
	if err != nil {
		return err
	}
	return e.Encode(w)
}

func (l LedgerMaster) wire() (*ledgerXML, error) {
	if err := validateMaster("ledger", l.Action, l.Name, l.NewName, l.Aliases, l.Extra); err != nil {
		return nil, err
	}
	if err := l.BillCreditPeriod.validate(); err != nil {
		return nil, err
	}
	var c textChecker
	nameElem, langs := masterNames(l.Action, l.Name, l.NewName, l.Aliases)
	w := &ledgerXML{NameAttr: c.s("NAME", l.Name), Action: l.Action.String(), Name: c.s("NAME", nameElem), LanguageNames: langs}
	c.s("NAME", l.NewName)
	c.list("alias", l.Aliases)
	if l.Action == ActionDelete {
		return w, c.err
	}
	w.Parent = c.s("PARENT", l.Parent)
	if l.OpeningBalance.IsSet() {
		ob := l.OpeningBalance
		w.OpeningBalance = &ob
	}
	w.IsDeemedPositive = l.IsDeemedPositive.String()
	w.TaxType = c.s("TAXTYPE", l.TaxType)
	w.GSTDutyHead = c.s("GSTDUTYHEAD", l.GSTDutyHead)
	if l.RateOfTaxCalculation.Valid {
		w.RateOfTaxCalculation = l.RateOfTaxCalculation.Decimal.String()
	}
	w.IsBillWiseOn = l.IsBillWiseOn.String()
	w.BillCreditPeriod = l.BillCreditPeriod.String()
	w.MailingName = c.s("MAILINGNAME", l.MailingName)
	var addr *addressListXML
	if len(l.Address) > 0 {
		addr = &addressListXML{Type: "String", Lines: c.list("ADDRESS", l.Address)}
	}
	w.Address = addr
	w.StateName = c.s("LEDSTATENAME", l.StateName)
	w.CountryName = c.s("COUNTRYNAME", l.CountryName)
	w.Pincode = c.s("PINCODE", l.Pincode)
	w.Mobile = c.s("LEDGERMOBILE", l.Mobile)
	w.Phone = c.s("LEDGERPHONE", l.Phone)
	w.Email = c.s("EMAIL", l.Email)
	w.IncomeTaxNumber = c.s("INCOMETAXNUMBER", l.IncomeTaxNumber)
	w.NameOnPAN = c.s("NAMEONPAN", l.NameOnPAN)
	w.GSTRegistrationType = c.s("GSTREGISTRATIONTYPE", l.GSTRegistrationType)
	w.PartyGSTIN = c.s("PARTYGSTIN", l.PartyGSTIN)
	if !l.ApplicableFrom.IsZero() {
		from := l.ApplicableFrom.String()
		if l.MailingName != "" || addr != nil || l.StateName != "" || l.CountryName != "" || l.Pincode != "" {
			w.MailingDetails = &mailingDetailsXML{
				ApplicableFrom: from, MailingName: l.MailingName, Address: addr,
				State: l.StateName, Country: l.CountryName, Pincode: l.Pincode,
			}
		}
		pos := c.s("PLACEOFSUPPLY", l.PlaceOfSupply)
		if pos == "" {
			// Tally's own default place of supply is the party's state.
			pos = l.StateName
		}
		if l.GSTRegistrationType != "" || l.PartyGSTIN != "" || l.PlaceOfSupply != "" {
			w.GSTRegDetails = &gstRegDetailsXML{
				ApplicableFrom: from, GSTRegistrationType: l.GSTRegistrationType,
				PlaceOfSupply: pos, GSTIN: l.PartyGSTIN,
			}
		}
	}
	w.Extra = extraElems(&c, l.Extra)
	return w, c.err
}

// GroupMaster is a `<GROUP NAME=… ACTION=…>` master for import. Names work as
// for LedgerMaster.
type GroupMaster struct {
	Action  Action
	Name    string
	NewName string // Alter only: rename to this
	Aliases []string
	Parent  string // e.g. "Sundry Debtors"; empty for a primary group
	Extra   []Field
}

type groupXML struct {
	XMLName       xml.Name         `xml:"GROUP"`
	NameAttr      string           `xml:"NAME,attr"`
	Action        string           `xml:"ACTION,attr"`
	Name          string           `xml:"NAME,omitempty"`
	LanguageNames *languageNameXML `xml:"LANGUAGENAME.LIST,omitempty"`
	Parent        string           `xml:"PARENT,omitempty"`
	Extra         []textElem
}

// Validate implements ImportObject.
func (g GroupMaster) Validate() error {
	_, err := g.wire()
	return err
}

// MarshalXML implements xml.Marshaler; the element is always GROUP.
func (g GroupMaster) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w, err := g.wire()
	if err != nil {
		return err
	}
	return e.Encode(w)
}

func (g GroupMaster) wire() (*groupXML, error) {
	if err := validateMaster("group", g.Action, g.Name, g.NewName, g.Aliases, g.Extra); err != nil {
		return nil, err
	}
	var c textChecker
	nameElem, langs := masterNames(g.Action, g.Name, g.NewName, g.Aliases)
	w := &groupXML{NameAttr: c.s("NAME", g.Name), Action: g.Action.String(), Name: c.s("NAME", nameElem), LanguageNames: langs}
	c.s("NAME", g.NewName)
	c.list("alias", g.Aliases)
	if g.Action == ActionDelete {
		return w, c.err
	}
	w.Parent = c.s("PARENT", g.Parent)
	w.Extra = extraElems(&c, g.Extra)
	return w, c.err
}

// BillType is the BILLTYPE of a bill allocation.
type BillType string

// The bill types Tally knows.
const (
	BillNewRef    BillType = "New Ref"
	BillAgstRef   BillType = "Agst Ref"
	BillOnAccount BillType = "On Account"
	BillAdvance   BillType = "Advance"
)

// BillAllocation is a BILLALLOCATIONS.LIST entry under a party ledger line.
// Its Amount carries the sign of its ledger line, and the allocations of a
// line must sum to the line's amount (Validate checks it). Tally silently
// drops bill allocations on a ledger with ISBILLWISEON No (§9.4).
type BillAllocation struct {
	Name         string // the bill reference; empty only for On Account
	Type         BillType
	CreditPeriod CreditPeriod // New Ref only, usually
	Amount       Amount
}

// LedgerEntry is one accounting line of a voucher. Its side is the sign of
// Amount (Tally's convention: debit negative, credit positive), and
// ISDEEMEDPOSITIVE is derived from that sign when encoding (Yes with the
// negative line, §7(d)), so the two can never disagree. Build lines with
// Debit and Credit.
type LedgerEntry struct {
	Ledger string
	Amount Amount
	// IsParty sends ISPARTYLEDGER Yes (the line of PARTYLEDGERNAME).
	IsParty bool
	Bills   []BillAllocation
}

func abs64(p int64) int64 {
	if p < 0 {
		return -p
	}
	return p
}

// Debit returns a debit line of |paise| paise (a negative AMOUNT).
func Debit(ledger string, paise int64) LedgerEntry {
	return LedgerEntry{Ledger: ledger, Amount: Paise(-abs64(paise))}
}

// Credit returns a credit line of |paise| paise (a positive AMOUNT).
func Credit(ledger string, paise int64) LedgerEntry {
	return LedgerEntry{Ledger: ledger, Amount: Paise(abs64(paise))}
}

// AsParty returns the line marked as the party line.
func (le LedgerEntry) AsParty() LedgerEntry {
	le.IsParty = true
	return le
}

// WithBill returns the line with a bill allocation of the line's whole
// amount appended, the usual single-bill case.
func (le LedgerEntry) WithBill(name string, typ BillType, period CreditPeriod) LedgerEntry {
	le.Bills = append(append([]BillAllocation(nil), le.Bills...),
		BillAllocation{Name: name, Type: typ, CreditPeriod: period, Amount: le.Amount})
	return le
}

// EntryList selects the element that carries a voucher's ledger lines.
type EntryList int

const (
	// AllLedgerEntries uses ALLLEDGERENTRIES.LIST, the default: both
	// requests that real Tally accepted with CREATED 1
	// (request-import-voucher-purchase-minimal-01.xml,
	// request-import-payment-voucher-accepted-01.xml) use it, and it is what
	// Tally itself exports for accounting-view vouchers.
	AllLedgerEntries EntryList = iota
	// LedgerEntries uses LEDGERENTRIES.LIST, as the integration guide's
	// sales sample and the §7(d) composite do (also accepted by Tally).
	LedgerEntries
)

// Voucher views (OBJVIEW attribute, PERSISTEDVIEW element).
const (
	ViewAccounting = "Accounting Voucher View"
	ViewInvoice    = "Invoice Voucher View"
)

// InventoryEntry is one stock line of an invoice (ALLINVENTORYENTRIES.LIST):
// the item, its quantity (sent as both ACTUALQTY and BILLEDQTY), its rate and
// value, and the ledgers the value is posted to (ACCOUNTINGALLOCATIONS.LIST,
// the sales ledger for a sale). Amount follows the ledger convention: a
// sale's stock line is a credit (positive, ISDEEMEDPOSITIVE No, stock goes
// out); a purchase's a debit. The allocations must add up to Amount.
type InventoryEntry struct {
	StockItem   string
	Quantity    Quantity
	Rate        Rate
	Amount      Amount
	Allocations []LedgerEntry
}

// VoucherImport is a `<VOUCHER REMOTEID=… VCHTYPE=… ACTION=… OBJVIEW=…>` for
// import: accounting lines, and for an invoice (View ViewInvoice) the stock
// lines too.
//
// Action defaults to Create. ActionAlter is refused (ErrVoucherAlter): on
// real Tally an Alter, by REMOTEID, GUID or MASTERID, creates a duplicate and
// leaves the target untouched (EDU 7.0 and licensed builds, §9.4); re-sending
// ACTION Create with the same REMOTEID is the upsert. Delete and Cancel
// identify the voucher by RemoteID and send no lines.
type VoucherImport struct {
	// RemoteID is the caller's idempotency id (REMOTEID attribute). Without
	// it a resend creates a duplicate (§9.4); deriving it deterministically
	// is the caller's business.
	RemoteID string
	Action   Action
	// VoucherType is both the VCHTYPE attribute and VOUCHERTYPENAME.
	VoucherType string
	// View is the OBJVIEW attribute (ViewAccounting...); empty is not sent.
	View          string
	Date          Date
	EffectiveDate Date
	Number        string // VOUCHERNUMBER; discarded by Tally under automatic numbering
	Reference     string
	PartyLedger   string // PARTYLEDGERNAME
	Narration     string
	PersistedView string // PERSISTEDVIEW element
	IsInvoice     Toggle
	Entries       []LedgerEntry
	EntryList     EntryList
	// Inventory are an invoice's stock lines. The voucher balances when
	// its ledger lines and its stock lines' amounts sum to zero.
	Inventory []InventoryEntry
}

// ErrUnbalanced is returned when a voucher's lines do not sum to zero, which
// Tally answers with `Voucher totals do not match!` and creates nothing.
var ErrUnbalanced = errors.New("tallyxml: voucher totals do not match")

// ErrBillAllocation is returned when a line's bill allocations do not sum to
// the line's amount (Tally: `Bill - Allocation totals do not match.`).
var ErrBillAllocation = errors.New("tallyxml: bill allocations do not match their ledger line")

// ErrVoucherAlter is returned for a voucher with ActionAlter; see
// VoucherImport.
var ErrVoucherAlter = errors.New("tallyxml: ACTION Alter on a voucher creates a duplicate in Tally; send ACTION Create with the same REMOTEID to replace it")

// Balance returns the sum of the line amounts in paise, stock lines
// included: zero for a balanced voucher, negative when debits exceed credits.
func (v VoucherImport) Balance() int64 {
	var sum int64
	for _, le := range v.Entries {
		sum += le.Amount.Paise()
	}
	for _, ie := range v.Inventory {
		sum += ie.Amount.Paise()
	}
	return sum
}

// ErrInventoryAllocation is returned when a stock line's accounting
// allocations do not add up to its amount: the line's value would reach no
// ledger, and Tally's totals would not match.
var ErrInventoryAllocation = errors.New("tallyxml: accounting allocations do not match their stock line")

type allocationXML struct {
	LedgerName       string `xml:"LEDGERNAME"`
	IsDeemedPositive string `xml:"ISDEEMEDPOSITIVE"`
	Amount           Amount `xml:"AMOUNT"`
}

type inventoryXML struct {
	StockItemName    string          `xml:"STOCKITEMNAME"`
	IsDeemedPositive string          `xml:"ISDEEMEDPOSITIVE"`
	Rate             string          `xml:"RATE,omitempty"`
	Amount           Amount          `xml:"AMOUNT"`
	ActualQty        string          `xml:"ACTUALQTY"`
	BilledQty        string          `xml:"BILLEDQTY"`
	Allocations      []allocationXML `xml:"ACCOUNTINGALLOCATIONS.LIST"`
}

// invoiceQty writes a quantity as Tally exports one on a voucher: a leading
// space, the number without trailing zeros, the unit (" 2 Nos", " 2.5 Kg").
// Tally reads the four-decimal form Quantity.String writes too; this one is
// what its own exports of invoices show.
func invoiceQty(q Quantity) string {
	s := " " + q.Value.String()
	if q.Unit != "" {
		s += " " + q.Unit
	}
	return s
}

func (v VoucherImport) inventoryWire(c *textChecker, bad func(string, ...any) error, id string) ([]inventoryXML, error) {
	var out []inventoryXML
	for i, ie := range v.Inventory {
		if strings.TrimSpace(ie.StockItem) == "" {
			return nil, bad("stock line %d has no item", i+1)
		}
		if !ie.Quantity.IsSet() || ie.Quantity.Value.Sign() <= 0 {
			return nil, bad("stock line %d (%s) needs a positive quantity", i+1, ie.StockItem)
		}
		if !ie.Amount.IsSet() {
			return nil, bad("stock line %d (%s) has no amount", i+1, ie.StockItem)
		}
		w := inventoryXML{
			StockItemName:    c.s("STOCKITEMNAME", ie.StockItem),
			IsDeemedPositive: ToggleOf(ie.Amount.IsDebit()).String(),
			Rate:             c.s("RATE", ie.Rate.String()),
			Amount:           ie.Amount,
			ActualQty:        c.s("ACTUALQTY", invoiceQty(ie.Quantity)),
		}
		w.BilledQty = w.ActualQty
		var sum int64
		for j, al := range ie.Allocations {
			if strings.TrimSpace(al.Ledger) == "" || !al.Amount.IsSet() {
				return nil, bad("stock line %d (%s) allocation %d needs a ledger and an amount", i+1, ie.StockItem, j+1)
			}
			sum += al.Amount.Paise()
			w.Allocations = append(w.Allocations, allocationXML{LedgerName: c.s("LEDGERNAME", al.Ledger),
				IsDeemedPositive: ToggleOf(al.Amount.IsDebit()).String(), Amount: al.Amount})
		}
		if sum != ie.Amount.Paise() {
			return nil, fmt.Errorf("%w: voucher %q stock line %d (%s): line %s, allocations %s",
				ErrInventoryAllocation, id, i+1, ie.StockItem, ie.Amount, Paise(sum))
		}
		out = append(out, w)
	}
	return out, nil
}

type billXML struct {
	Name         string `xml:"NAME"`
	BillType     string `xml:"BILLTYPE"`
	CreditPeriod string `xml:"BILLCREDITPERIOD,omitempty"`
	Amount       Amount `xml:"AMOUNT"`
}

type entryXML struct {
	LedgerName       string    `xml:"LEDGERNAME"`
	IsDeemedPositive string    `xml:"ISDEEMEDPOSITIVE"`
	IsPartyLedger    string    `xml:"ISPARTYLEDGER,omitempty"`
	Amount           Amount    `xml:"AMOUNT"`
	Bills            []billXML `xml:"BILLALLOCATIONS.LIST"`
}

type voucherXML struct {
	XMLName         xml.Name       `xml:"VOUCHER"`
	RemoteID        string         `xml:"REMOTEID,attr,omitempty"`
	VchType         string         `xml:"VCHTYPE,attr,omitempty"`
	Action          string         `xml:"ACTION,attr"`
	ObjView         string         `xml:"OBJVIEW,attr,omitempty"`
	Date            string         `xml:"DATE,omitempty"`
	EffectiveDate   string         `xml:"EFFECTIVEDATE,omitempty"`
	VoucherTypeName string         `xml:"VOUCHERTYPENAME,omitempty"`
	VoucherNumber   string         `xml:"VOUCHERNUMBER,omitempty"`
	Reference       string         `xml:"REFERENCE,omitempty"`
	PartyLedgerName string         `xml:"PARTYLEDGERNAME,omitempty"`
	Narration       string         `xml:"NARRATION,omitempty"`
	PersistedView   string         `xml:"PERSISTEDVIEW,omitempty"`
	IsInvoice       string         `xml:"ISINVOICE,omitempty"`
	Inventory       []inventoryXML `xml:"ALLINVENTORYENTRIES.LIST"`
	AllEntries      []entryXML     `xml:"ALLLEDGERENTRIES.LIST"`
	Entries         []entryXML     `xml:"LEDGERENTRIES.LIST"`
}

// Validate implements ImportObject. For a Create it checks that the voucher
// has a type, a date and at least two lines, that every line has a ledger and
// an amount, that the lines balance (ErrUnbalanced) and that each line's
// bill allocations add up to it (ErrBillAllocation).
func (v VoucherImport) Validate() error {
	_, err := v.wire()
	return err
}

// MarshalXML implements xml.Marshaler; the element is always VOUCHER. It
// validates first, so an unbalanced voucher is never encoded.
func (v VoucherImport) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	w, err := v.wire()
	if err != nil {
		return err
	}
	return e.Encode(w)
}

func (v VoucherImport) wire() (*voucherXML, error) {
	id := v.RemoteID
	if id == "" {
		id = v.VoucherType + " " + v.Number
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: voucher %q: %s", ErrInvalidObject, id, fmt.Sprintf(format, args...))
	}
	var c textChecker
	w := &voucherXML{
		RemoteID:        c.s("REMOTEID", v.RemoteID),
		VchType:         c.s("VCHTYPE", v.VoucherType),
		Action:          v.Action.String(),
		ObjView:         c.s("OBJVIEW", v.View),
		Date:            v.Date.String(),
		EffectiveDate:   v.EffectiveDate.String(),
		VoucherTypeName: v.VoucherType,
		VoucherNumber:   c.s("VOUCHERNUMBER", v.Number),
		Reference:       c.s("REFERENCE", v.Reference),
		PartyLedgerName: c.s("PARTYLEDGERNAME", v.PartyLedger),
		Narration:       c.s("NARRATION", v.Narration),
		PersistedView:   c.s("PERSISTEDVIEW", v.PersistedView),
		IsInvoice:       v.IsInvoice.String(),
	}
	switch v.Action {
	case ActionCreate:
	case ActionAlter:
		return nil, fmt.Errorf("voucher %q: %w", id, ErrVoucherAlter)
	case ActionDelete, ActionCancel:
		if strings.TrimSpace(v.RemoteID) == "" {
			return nil, bad("%s needs the REMOTEID of the voucher", v.Action)
		}
		return w, c.err
	default:
		return nil, bad("unknown action %d", int(v.Action))
	}
	if strings.TrimSpace(v.VoucherType) == "" {
		return nil, bad("no voucher type")
	}
	if v.Date.IsZero() {
		return nil, bad("no date")
	}
	if len(v.Entries)+len(v.Inventory) < 2 {
		return nil, bad("%d ledger lines; a voucher needs at least two", len(v.Entries))
	}
	inv, err := v.inventoryWire(&c, bad, id)
	if err != nil {
		return nil, err
	}
	w.Inventory = inv
	var dr, cr int64
	for _, ie := range v.Inventory {
		if ie.Amount.IsDebit() {
			dr -= ie.Amount.Paise()
		} else {
			cr += ie.Amount.Paise()
		}
	}
	entries := make([]entryXML, 0, len(v.Entries))
	for i, le := range v.Entries {
		if strings.TrimSpace(le.Ledger) == "" {
			return nil, bad("line %d has no ledger", i+1)
		}
		if !le.Amount.IsSet() {
			return nil, bad("line %d (%s) has no amount", i+1, le.Ledger)
		}
		if le.Amount.IsDebit() {
			dr -= le.Amount.Paise()
		} else {
			cr += le.Amount.Paise()
		}
		ex := entryXML{
			LedgerName:       c.s("LEDGERNAME", le.Ledger),
			IsDeemedPositive: ToggleOf(le.Amount.IsDebit()).String(),
			Amount:           le.Amount,
		}
		if le.IsParty {
			ex.IsPartyLedger = Yes.String()
		}
		if len(le.Bills) > 0 {
			var sum int64
			for j, b := range le.Bills {
				switch b.Type {
				case BillNewRef, BillAgstRef, BillAdvance:
					if strings.TrimSpace(b.Name) == "" {
						return nil, bad("line %d (%s) bill %d: %s needs a name", i+1, le.Ledger, j+1, b.Type)
					}
				case BillOnAccount:
				default:
					return nil, bad("line %d (%s) bill %d: unknown bill type %q", i+1, le.Ledger, j+1, b.Type)
				}
				if !b.Amount.IsSet() {
					return nil, bad("line %d (%s) bill %d has no amount", i+1, le.Ledger, j+1)
				}
				if err := b.CreditPeriod.validate(); err != nil {
					return nil, err
				}
				sum += b.Amount.Paise()
				ex.Bills = append(ex.Bills, billXML{
					Name: c.s("bill NAME", b.Name), BillType: string(b.Type),
					CreditPeriod: b.CreditPeriod.String(), Amount: b.Amount,
				})
			}
			if sum != le.Amount.Paise() {
				return nil, fmt.Errorf("%w: voucher %q line %d (%s): line %s, bills %s, difference %s",
					ErrBillAllocation, id, i+1, le.Ledger, le.Amount, Paise(sum), Paise(sum-le.Amount.Paise()))
			}
		}
		entries = append(entries, ex)
	}
	if bal := v.Balance(); bal != 0 {
		return nil, fmt.Errorf("%w: voucher %q: Dr %s, Cr %s, difference %s",
			ErrUnbalanced, id, GroupIndian(dr), GroupIndian(cr), Paise(bal))
	}
	if v.EntryList == LedgerEntries {
		w.Entries = entries
	} else {
		w.AllEntries = entries
	}
	return w, c.err
}
