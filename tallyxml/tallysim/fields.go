package tallysim

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// vkind is the type of a formula or field value.
type vkind int

const (
	vStr vkind = iota
	vNum
	vAmt
	vDate
	vBool
)

// fval is a field or formula value.
type fval struct {
	kind vkind
	s    string
	n    int64 // vNum: the number; vAmt: paise
	d    tallyxml.Date
	b    bool
}

func str(s string) fval         { return fval{kind: vStr, s: s} }
func num(n int64) fval          { return fval{kind: vNum, n: n} }
func amt(p int64) fval          { return fval{kind: vAmt, n: p} }
func date(d tallyxml.Date) fval { return fval{kind: vDate, d: d} }
func logical(b bool) fval       { return fval{kind: vBool, b: b} }
func (v fval) truthy() bool {
	return v.kind == vBool && v.b || v.kind == vStr && strings.EqualFold(v.s, "yes")
}
func (v fval) isEmpty() bool           { return v.asString() == "" || v.kind == vAmt && v.n == 0 }
func (v fval) amount() tallyxml.Amount { return tallyxml.Paise(v.n) }

func (v fval) asString() string {
	switch v.kind {
	case vNum:
		return strconv.FormatInt(v.n, 10)
	case vAmt:
		return tallyxml.Paise(v.n).String()
	case vDate:
		return v.d.String()
	case vBool:
		if v.b {
			return "Yes"
		}
		return "No"
	}
	return v.s
}

// xctx is what field getters and formulae see.
type xctx struct {
	c     *Company
	asOf  tallyxml.Date // SVTODATE, or zero for lifetime balances
	today tallyxml.Date
	from  tallyxml.Date // ##SVFromDate
	to    tallyxml.Date // ##SVToDate
	fy    tallyxml.Date // start of the financial year containing today
}

// field is one exportable (and filterable) method of an object type.
type field struct {
	tag        string   // output tag, upper case
	aliases    []string // other normalised names it answers to
	typ        string   // TYPE attribute: String, Amount, Number, Logical, Date; "" for lists
	objectOnly bool     // emitted by Object exports only (a collection row carries NAME as its attribute)
	sysPrimary bool     // an empty value is written as the system name "&#4; Primary"
	get        func(x *xctx, o any) fval
	list       func(x *xctx, o any, typedOut bool) *node
}

// kindDef describes an object type of the simulator's collections.
type kindDef struct {
	name   string // LEDGER, GROUP, VOUCHER, BILL, COMPANY
	fields []*field
}

func normName(s string) string {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	return strings.TrimPrefix(s, "$")
}

func (k *kindDef) find(name string) *field {
	n := normName(name)
	for _, f := range k.fields {
		if f.tag == n || strings.TrimSuffix(f.tag, ".LIST") == n || slices.Contains(f.aliases, n) {
			return f
		}
	}
	return nil
}

func ledgerOf(o any) *Ledger   { return o.(*Ledger) }
func groupOf(o any) *Group     { return o.(*Group) }
func voucherOf(o any) *Voucher { return o.(*Voucher) }
func billOf(o any) *Bill       { return o.(*Bill) }
func companyOf(o any) *Company { return o.(*Company) }

func lstr(get func(l *Ledger) string) func(*xctx, any) fval {
	return func(_ *xctx, o any) fval { return str(get(ledgerOf(o))) }
}

var ledgerKind = &kindDef{name: "LEDGER", fields: []*field{
	{tag: "GUID", typ: "String", get: lstr(func(l *Ledger) string { return l.GUID })},
	{tag: "NAME", typ: "String", objectOnly: true, get: lstr(func(l *Ledger) string { return l.Name })},
	{tag: "PARENT", typ: "String", sysPrimary: true, get: lstr(func(l *Ledger) string { return l.Parent })},
	{tag: "_PRIMARYGROUP", aliases: []string{"PRIMARYGROUP"}, typ: "String", get: func(x *xctx, o any) fval {
		if g := x.c.reservedGroup(x.c.ledgerGroup(ledgerOf(o))); g != nil {
			return str(g.Name)
		}
		return str("")
	}},
	{tag: "TAXTYPE", typ: "String", get: lstr(func(l *Ledger) string {
		if l.TaxType == "" {
			return "Others"
		}
		return l.TaxType
	})},
	{tag: "GSTDUTYHEAD", typ: "String", get: lstr(func(l *Ledger) string { return l.GSTDutyHead })},
	{tag: "PARTYGSTIN", aliases: []string{"GSTIN"}, typ: "String", get: lstr(func(l *Ledger) string { return l.GSTIN })},
	{tag: "GSTREGISTRATIONTYPE", typ: "String", get: lstr(func(l *Ledger) string { return l.GSTRegistrationType })},
	{tag: "LEDGERMOBILE", aliases: []string{"MOBILE"}, typ: "String", get: lstr(func(l *Ledger) string { return l.Mobile })},
	{tag: "EMAIL", typ: "String", get: lstr(func(l *Ledger) string { return l.Email })},
	{tag: "LEDSTATENAME", aliases: []string{"STATENAME", "STATE"}, typ: "String", get: lstr(func(l *Ledger) string { return l.State })},
	{tag: "COUNTRYNAME", aliases: []string{"COUNTRYOFRESIDENCE", "COUNTRY"}, typ: "String", get: lstr(func(l *Ledger) string { return l.Country })},
	{tag: "PINCODE", typ: "String", get: lstr(func(l *Ledger) string { return l.Pincode })},
	{tag: "INCOMETAXNUMBER", typ: "String", get: lstr(func(l *Ledger) string { return l.IncomeTaxNumber })},
	{tag: "ISBILLWISEON", typ: "Logical", get: func(_ *xctx, o any) fval { return logical(ledgerOf(o).BillWise) }},
	{tag: "BILLCREDITPERIOD", typ: "String", get: lstr(func(l *Ledger) string {
		if l.CreditPeriodDays == 0 {
			return ""
		}
		return strconv.Itoa(l.CreditPeriodDays) + " Days"
	})},
	{tag: "MASTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(ledgerOf(o).MasterID) }},
	{tag: "ALTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(ledgerOf(o).AlterID) }},
	{tag: "OPENINGBALANCE", typ: "Amount", get: func(_ *xctx, o any) fval { return amt(ledgerOf(o).OpeningBalance.Paise()) }},
	{tag: "CLOSINGBALANCE", typ: "Amount", get: func(x *xctx, o any) fval { return amt(x.c.ledgerBalance(ledgerOf(o), x.asOf)) }},
	{tag: "ADDRESS.LIST", aliases: []string{"ADDRESS"}, get: func(_ *xctx, o any) fval {
		return str(strings.Join(ledgerOf(o).Address, "\n"))
	}, list: func(_ *xctx, o any, _ bool) *node {
		l := ledgerOf(o)
		if len(l.Address) == 0 {
			return nil
		}
		n := el("ADDRESS.LIST").attr("TYPE", "String")
		for _, a := range l.Address {
			n.add(leaf("ADDRESS", a))
		}
		return n
	}},
}}

var groupKind = &kindDef{name: "GROUP", fields: []*field{
	{tag: "GUID", typ: "String", get: func(_ *xctx, o any) fval { return str(groupOf(o).GUID) }},
	{tag: "NAME", typ: "String", objectOnly: true, get: func(_ *xctx, o any) fval { return str(groupOf(o).Name) }},
	{tag: "PARENT", typ: "String", sysPrimary: true, get: func(_ *xctx, o any) fval { return str(groupOf(o).Parent) }},
	{tag: "_PRIMARYGROUP", aliases: []string{"PRIMARYGROUP"}, typ: "String", get: func(x *xctx, o any) fval {
		return str(x.c.reservedGroup(groupOf(o)).Name)
	}},
	{tag: "ISREVENUE", typ: "Logical", get: func(x *xctx, o any) fval {
		n := x.c.natureOf(groupOf(o))
		return logical(n == Income || n == Expenses)
	}},
	{tag: "ISDEEMEDPOSITIVE", typ: "Logical", get: func(x *xctx, o any) fval {
		n := x.c.natureOf(groupOf(o))
		return logical(n == Assets || n == Expenses)
	}},
	{tag: "AFFECTSGROSSPROFIT", typ: "Logical", get: func(_ *xctx, o any) fval { return logical(groupOf(o).AffectsGrossProfit) }},
	{tag: "MASTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(groupOf(o).MasterID) }},
	{tag: "ALTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(groupOf(o).AlterID) }},
	{tag: "CLOSINGBALANCE", typ: "Amount", get: func(x *xctx, o any) fval { return amt(x.c.groupBalance(groupOf(o), x.asOf)) }},
}}

var voucherKind = &kindDef{name: "VOUCHER", fields: []*field{
	{tag: "DATE", typ: "Date", get: func(_ *xctx, o any) fval { return date(voucherOf(o).Date) }},
	{tag: "GUID", typ: "String", get: func(_ *xctx, o any) fval { return str(voucherOf(o).GUID) }},
	{tag: "NARRATION", typ: "String", get: func(_ *xctx, o any) fval { return str(voucherOf(o).Narration) }},
	{tag: "VOUCHERTYPENAME", aliases: []string{"VCHTYPE", "VOUCHERTYPE"}, typ: "String", get: func(_ *xctx, o any) fval { return str(voucherOf(o).Type) }},
	{tag: "PARTYLEDGERNAME", aliases: []string{"PARTYNAME"}, typ: "String", get: func(_ *xctx, o any) fval { return str(voucherOf(o).Party) }},
	{tag: "VOUCHERNUMBER", typ: "String", get: func(_ *xctx, o any) fval { return str(voucherOf(o).Number) }},
	{tag: "PERSISTEDVIEW", typ: "String", get: func(_ *xctx, o any) fval { return str(voucherView(voucherOf(o))) }},
	{tag: "ISINVOICE", typ: "Logical", get: func(_ *xctx, o any) fval { return logical(len(voucherOf(o).Inventory) > 0) }},
	{tag: "ISCANCELLED", typ: "Logical", get: func(_ *xctx, o any) fval { return logical(voucherOf(o).Cancelled) }},
	{tag: "EFFECTIVEDATE", typ: "Date", get: func(_ *xctx, o any) fval { return date(voucherOf(o).Date) }},
	{tag: "ALTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(voucherOf(o).AlterID) }},
	{tag: "MASTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(voucherOf(o).MasterID) }},
	{tag: "REMOTEID", typ: "String", objectOnly: true, get: func(_ *xctx, o any) fval { return str(voucherRemoteID(voucherOf(o))) }},
	{tag: "AMOUNT", typ: "Amount", get: func(_ *xctx, o any) fval { return amt(voucherAmount(voucherOf(o))) }},
	{tag: "ALLLEDGERENTRIES.LIST", aliases: []string{"LEDGERENTRIES", "LEDGERENTRIES.LIST"}, get: func(_ *xctx, _ any) fval { return str("") },
		list: nil /* set in init: entries are several siblings, see voucherFieldNodes */},
}}

var billKind = &kindDef{name: "BILL", fields: []*field{
	{tag: "NAME", typ: "String", get: func(_ *xctx, o any) fval { return str(billOf(o).Ref) }},
	{tag: "PARENT", aliases: []string{"PARTYNAME", "LEDGERNAME"}, typ: "String", get: func(_ *xctx, o any) fval { return str(billOf(o).Ledger) }},
	{tag: "BILLDATE", typ: "Date", get: func(_ *xctx, o any) fval { return date(billOf(o).Date) }},
	{tag: "BILLDUEDATE", aliases: []string{"BILLDUE", "DUEDATE"}, typ: "Date", get: func(_ *xctx, o any) fval { return date(billOf(o).Due) }},
	{tag: "OPENINGBALANCE", typ: "Amount", get: func(_ *xctx, _ any) fval { return amt(0) }},
	{tag: "CLOSINGBALANCE", typ: "Amount", get: func(_ *xctx, o any) fval { return amt(billOf(o).Closing.Paise()) }},
	{tag: "_OVERDUEDAYS", aliases: []string{"OVERDUEDAYS"}, typ: "Number", get: func(_ *xctx, o any) fval { return num(int64(billOf(o).OverdueDays)) }},
}}

var companyKind = &kindDef{name: "COMPANY", fields: []*field{
	{tag: "NAME", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).name) }},
	{tag: "GUID", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).guid) }},
	{tag: "BASICCOMPANYFORMALNAME", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).name) }},
	{tag: "STARTINGFROM", typ: "Date", get: func(x *xctx, o any) fval {
		return date(fyStart(x.today))
	}},
	{tag: "BOOKSFROM", typ: "Date", get: func(_ *xctx, o any) fval { return date(companyOf(o).booksFrom) }},
	{tag: "STATENAME", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).state) }},
	{tag: "COUNTRYNAME", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).country) }},
	{tag: "GSTREGISTRATIONNUMBER", aliases: []string{"GSTIN"}, typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).gstin) }},
	{tag: "ADDRESS.LIST", aliases: []string{"ADDRESS"}, get: func(_ *xctx, o any) fval {
		return str(strings.Join(companyOf(o).address, "\n"))
	}, list: func(_ *xctx, o any, _ bool) *node {
		c := companyOf(o)
		if len(c.address) == 0 {
			return nil
		}
		n := el("ADDRESS.LIST").attr("TYPE", "String")
		for _, a := range c.address {
			n.add(leaf("ADDRESS", a))
		}
		return n
	}},
	{tag: "PINCODE", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).pincode) }},
	{tag: "PHONENUMBER", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).phone) }},
	{tag: "EMAIL", typ: "String", get: func(_ *xctx, o any) fval { return str(companyOf(o).email) }},
	{tag: "ISSECURITYON", typ: "Logical", get: func(_ *xctx, _ any) fval { return logical(false) }},
	{tag: "NUMLEDGERS", typ: "Number", get: func(_ *xctx, o any) fval { return num(int64(len(companyOf(o).ledgers))) }},
	{tag: "ALTMSTID", typ: "Number", get: func(_ *xctx, o any) fval { return num(companyOf(o).altMstID()) }},
	{tag: "ALTVCHID", typ: "Number", get: func(_ *xctx, o any) fval { return num(companyOf(o).altVchID()) }},
}}

// altMstID is the Company's ALTMSTID: the last AlterID given to a master.
// Real Tally keeps it as a company counter, so it never goes back; the
// simulator derives it from the objects and the high-water mark of deleted
// ones. A delete itself does not move it: how real Tally counts a delete is
// not captured, and tally-database-loader detects deletions by diffing GUID
// lists, not by the counters (tally-protocol.md §2.1), so a client must not
// rely on the probe for them either.
func (c *Company) altMstID() int64 {
	m := c.goneMstAlterID
	for _, g := range c.groups {
		m = max(m, g.AlterID)
	}
	for _, l := range c.ledgers {
		m = max(m, l.AlterID)
	}
	for _, it := range c.items {
		m = max(m, it.AlterID)
	}
	return m
}

// altVchID is the Company's ALTVCHID, as altMstID for vouchers. A cancel is
// an alteration (a new AlterID, tally-protocol.md §9.4) and moves it.
func (c *Company) altVchID() int64 {
	m := c.goneVchAlterID
	for _, v := range c.vouchers {
		m = max(m, v.AlterID)
	}
	return m
}

// fyStart returns 1 April of the financial year (April–March) containing d.
func fyStart(d tallyxml.Date) tallyxml.Date {
	y := d.Time().Year()
	if d.Time().Month() < 4 {
		y--
	}
	return tallyxml.NewDate(y, 4, 1)
}

func voucherAmount(v *Voucher) int64 {
	var dr int64
	for _, e := range ledgerLines(v) {
		if e.Amount.Paise() < 0 {
			dr -= e.Amount.Paise()
		}
	}
	return dr
}

// voucherRemoteID is what the REMOTEID attribute shows on read-back: the
// client's REMOTEID as given, else the GUID (voucher-payment-daybook-export-
// 01.xml shows REMOTEID = GUID for a voucher keyed in by hand). Some real
// builds rewrite a client REMOTEID to <companyGUID>-<id> (§9.4); the simulator
// keeps the client's value so clients can find their voucher again.
func voucherRemoteID(v *Voucher) string {
	if v.RemoteID != "" {
		return v.RemoteID
	}
	return v.GUID
}

// fetchSet is a parsed FETCH/NATIVEMETHOD/FETCHLIST.
type fetchSet struct {
	all   bool
	names map[string]bool
}

func parseFetch(values []string) fetchSet {
	fs := fetchSet{names: map[string]bool{}}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			n := normName(part)
			if n == "" {
				continue
			}
			if n == "*" {
				fs.all = true
				continue
			}
			fs.names[n] = true
			if i := strings.IndexByte(n, '.'); i > 0 {
				// FETCH sub-paths resolve one level deep (§9.3 (A)); the
				// simulator emits the whole list for any sub-path.
				fs.names[n[:i]] = true
			}
		}
	}
	return fs
}

func (fs fetchSet) wants(f *field) bool {
	if fs.all {
		return true
	}
	if fs.names[f.tag] || fs.names[strings.TrimSuffix(f.tag, ".LIST")] {
		return true
	}
	for _, a := range f.aliases {
		if fs.names[a] || fs.names[strings.TrimSuffix(a, ".LIST")] {
			return true
		}
	}
	return false
}

// fieldNodes emits the fetched fields of one object, in the simulator's
// fixed (Tally-like) order rather than FETCH order.
func fieldNodes(x *xctx, k *kindDef, o any, fs fetchSet, object bool) []*node {
	var out []*node
	for _, f := range k.fields {
		if f.objectOnly && !object || !fs.wants(f) {
			continue
		}
		if k == voucherKind && f.tag == "ALLLEDGERENTRIES.LIST" {
			out = append(out, entryNodes(voucherOf(o), true)...)
			out = append(out, inventoryNodes(voucherOf(o), true)...)
			continue
		}
		if f.list != nil {
			if n := f.list(x, o, true); n != nil {
				out = append(out, n)
			}
			continue
		}
		v := f.get(x, o)
		text := v.asString()
		switch f.typ {
		case "Number":
			text = tallyNumber(v.n)
		case "String", "Date", "Rate":
			if text == "" && f.sysPrimary {
				text = sysName("Primary")
			}
			if text == "" {
				continue // collections omit empty strings (ledger-collection-export-02.xml: no PARTYGSTIN)
			}
		case "Amount":
			text = tallyxml.Paise(v.n).String()
		}
		out = append(out, typed(f.tag, f.typ, text))
	}
	if k == ledgerKind {
		l := ledgerOf(o)
		keys := make([]string, 0, len(l.Other))
		for key := range l.Other {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			if (fs.all || fs.names[key]) && l.Other[key] != "" {
				out = append(out, typed(key, "String", l.Other[key]))
			}
		}
	}
	return out
}

// entryNodes renders ALLLEDGERENTRIES.LIST rows; typedOut adds the TYPE
// attributes collection exports carry (the Day Book file has none).
func entryNodes(v *Voucher, typedOut bool) []*node {
	mk := listLeaf(typedOut)
	var out []*node
	for _, e := range v.Entries {
		n := el("ALLLEDGERENTRIES.LIST",
			mk("LEDGERNAME", "String", e.Ledger),
			mk("ISDEEMEDPOSITIVE", "Logical", yesNo(e.Amount.Paise() < 0)),
		)
		if foldName(e.Ledger) == foldName(v.Party) {
			n.add(mk("ISPARTYLEDGER", "Logical", "Yes"))
		}
		n.add(mk("AMOUNT", "Amount", e.Amount.String()))
		for _, b := range e.Bills {
			bn := el("BILLALLOCATIONS.LIST",
				mk("NAME", "String", b.Name),
				mk("BILLTYPE", "String", b.Type))
			if cp := billCreditPeriod(v, b); cp != "" {
				// The credit period an import set (BILLCREDITPERIOD) is
				// exported back as it was given in days; tally-database-loader
				// reads trn_bill's bill_credit_period from this tag (§2.2).
				bn.add(mk("BILLCREDITPERIOD", "String", cp))
			}
			bn.add(mk("AMOUNT", "Amount", b.Amount.String()))
			n.add(bn)
		}
		out = append(out, n)
	}
	return out
}

// listLeaf makes the leaves of a voucher's lists: with their TYPE
// attribute in collection exports, bare in the Day Book file.
func listLeaf(typedOut bool) func(name, typ, text string) *node {
	return func(name, typ, text string) *node {
		if typedOut {
			return typed(name, typ, text)
		}
		return leaf(name, text)
	}
}

// billCreditPeriod renders a bill's due date as Tally writes a credit
// period: "N Days" after the voucher date, or the due date itself when it is
// before the voucher date.
func billCreditPeriod(v *Voucher, b BillAllocation) string {
	if b.DueDate.IsZero() || v.Date.IsZero() {
		return ""
	}
	if n := b.DueDate.DaysSince(v.Date); n >= 0 {
		return strconv.Itoa(n) + " Days"
	}
	return b.DueDate.Long()
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// languageName is the LANGUAGENAME.LIST real Tally attaches to every master
// regardless of FETCH (§9.3 (A)). List of Ledgers writes LANGUAGEID without
// its TYPE attribute (list-of-ledgers-export-02.xml).
func languageName(name string, id int64, typedID bool) *node {
	lid := leaf("LANGUAGEID", tallyNumber(id))
	if typedID {
		lid = typed("LANGUAGEID", "Number", tallyNumber(id))
	}
	return el("LANGUAGENAME.LIST", el("NAME.LIST", leaf("NAME", name)).attr("TYPE", "String"), lid)
}

// rowNode builds the element for one object of a collection or object export.
func rowNode(x *xctx, k *kindDef, o any, fs fetchSet, object, typedLangID bool) *node {
	var n *node
	switch k {
	case ledgerKind:
		l := ledgerOf(o)
		reserved := ""
		if l.Reserved {
			reserved = l.Name
		}
		n = el("LEDGER").attr("NAME", l.Name).attr("RESERVEDNAME", reserved)
		n.add(fieldNodes(x, k, o, fs, object)...)
		n.add(languageName(l.Name, l.LanguageID, typedLangID))
	case groupKind:
		g := groupOf(o)
		reserved := ""
		if g.Predefined {
			reserved = g.Name
		}
		n = el("GROUP").attr("NAME", g.Name).attr("RESERVEDNAME", reserved)
		n.add(fieldNodes(x, k, o, fs, object)...)
		n.add(languageName(g.Name, 1033, typedLangID))
	case voucherKind:
		v := voucherOf(o)
		n = voucherElement(x.c, v)
		n.add(fieldNodes(x, k, o, fs, object)...)
	case billKind:
		n = el("BILL").attr("NAME", billOf(o).Ref)
		n.add(fieldNodes(x, k, o, fs, object)...)
	case companyKind:
		n = el("COMPANY").attr("NAME", companyOf(o).name).attr("RESERVEDNAME", "")
		n.add(fieldNodes(x, k, o, fs, object)...)
	case stockItemKind:
		it := itemOf(o)
		n = el("STOCKITEM").attr("NAME", it.Name).attr("RESERVEDNAME", "")
		n.add(fieldNodes(x, k, o, fs, object)...)
		n.add(languageName(it.Name, 1033, typedLangID))
	}
	return n
}

// voucherElement is the VOUCHER start tag real exports use (§9.3 (A)).
func voucherElement(c *Company, v *Voucher) *node {
	return el("VOUCHER").
		attr("REMOTEID", voucherRemoteID(v)).
		attr("VCHKEY", c.guid+"-"+strconv.FormatInt(v.AlterID+0xb000, 16)+":"+leftPad8(v.MasterID)).
		attr("VCHTYPE", v.Type).
		attr("ACTION", "Create").
		attr("OBJVIEW", voucherView(v))
}

// voucherView is the view a voucher was entered in: an invoice with stock
// lines is in Invoice Voucher View (tally-protocol.md §9.3: real exports
// show OBJVIEW="Invoice Voucher View" on such rows).
func voucherView(v *Voucher) string {
	if len(v.Inventory) > 0 {
		return "Invoice Voucher View"
	}
	return "Accounting Voucher View"
}

func leftPad8(n int64) string {
	s := strconv.FormatInt(n, 16)
	for len(s) < 8 {
		s = "0" + s
	}
	return s
}

// cmpInfo is the CMPINFO block with the ~35 counters real exports carry (all
// zero in exports; group-collection-export-cmpinfo-01.xml). An import reports
// the number of objects of each kind it touched.
func cmpInfo(counts map[string]int) *node {
	n := el("CMPINFO")
	for _, t := range cmpInfoTags {
		n.add(leaf(t, strconv.Itoa(counts[t])))
	}
	return n
}

var cmpInfoTags = []string{"COMPANY", "GROUP", "LEDGER", "COSTCATEGORY", "COSTCENTRE", "GODOWN", "STOCKGROUP",
	"STOCKCATEGORY", "STOCKITEM", "VOUCHERTYPE", "CURRENCY", "UNIT", "BUDGET", "CLIENTRULE", "SERVERRULE", "STATE",
	"TDSRATE", "TAXCLASSIFICATION", "STCATEGORY", "DEDUCTEETYPE", "ATTENDANCETYPE", "FBTCATEGORY", "FBTASSESSEETYPE",
	"TARIFFCLASSIFICATION", "EXCISEDUTYCLASSIFICATION", "SERIALNUMBER", "ADJUSTMENTCLASSIFICATION", "INCOMETAXSLAB",
	"INCOMETAXCLASSIFICATION", "LBTCLASSIFICATION", "TAXUNIT", "RETURNMASTER", "GSTCLASSIFICATION",
	"VOUCHERNUMBERSERIES", "VOUCHER"}
