package tallysim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// counters are an import's IMPORTRESULT/RESPONSE counters. They aggregate
// over every object of the request (§9.4).
type counters struct {
	created, altered, deleted, lastVchID, lastMID, combined, ignored, errors, cancelled, exceptions int64
	lineErrors                                                                                      []string
	touched                                                                                         map[string]int // CMPINFO counts by object tag
	batch                                                                                           bool           // the request carries more than one voucher
}

func (ct *counters) fail(msg string) {
	ct.errors++
	ct.lineErrors = append(ct.lineErrors, msg)
}

// refuseVoucher records a voucher Tally refused: an exception in a batch,
// an error alone (importObjects).
func (ct *counters) refuseVoucher(msg string) {
	if !ct.batch {
		ct.fail(msg)
		return
	}
	ct.exceptions++
	ct.lineErrors = append(ct.lineErrors, msg)
}

func (ct *counters) nodes() []*node {
	vals := []struct {
		tag string
		n   int64
	}{{"CREATED", ct.created}, {"ALTERED", ct.altered}, {"DELETED", ct.deleted}, {"LASTVCHID", ct.lastVchID},
		{"LASTMID", ct.lastMID}, {"COMBINED", ct.combined}, {"IGNORED", ct.ignored}, {"ERRORS", ct.errors},
		{"CANCELLED", ct.cancelled}, {"EXCEPTIONS", ct.exceptions}}
	out := make([]*node, 0, len(vals))
	for _, v := range vals {
		out = append(out, leaf(v.tag, strconv.FormatInt(v.n, 10)))
	}
	return out
}

func (ct *counters) summary() string {
	s := fmt.Sprintf("created=%d altered=%d deleted=%d errors=%d lastvchid=%d", ct.created, ct.altered, ct.deleted, ct.errors, ct.lastVchID)
	if ct.exceptions > 0 {
		s += fmt.Sprintf(" exceptions=%d", ct.exceptions)
	}
	if len(ct.lineErrors) > 0 {
		s += " lineerror=" + ct.lineErrors[0]
	}
	return s
}

// importObjects runs an import: version-1 (legacy=false) answers
// ENVELOPE/HEADER{VERSION,STATUS}/BODY/DATA/IMPORTRESULT + BODY/DESC/CMPINFO
// (import-response-importresult-ledger-altered-01.xml); legacy Import Data
// answers a bare RESPONSE with the LINEERRORs before the counters
// (import-response-lineerror-voucher-not-exist-01.xml). Each object is
// atomic: a rejected one is not stored and does not undo the others.
func (s *Server) importObjects(reportName string, sv statics, datas []*elem, legacy bool, rep *reply) {
	rep.kind = "import:masters"
	if strings.EqualFold(strings.TrimSpace(reportName), "Vouchers") {
		rep.kind = "import:vouchers"
	}
	c, asked := s.resolveCompany(sv)
	if c == nil {
		couldNotSet(rep, asked)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rep.company = c.name
	ct := &counters{touched: map[string]int{}}
	for _, d := range datas {
		for _, msg := range d.all("TALLYMESSAGE") {
			for _, obj := range msg.kids {
				if obj.name == "VOUCHER" {
					rep.vouchers++
				}
			}
		}
	}
	// A voucher refused in a request of several is counted as an
	// exception, the others committed: real TallyPrime answered a batch
	// with CREATED 49, EXCEPTIONS 1 and one LINEERROR that did not name the
	// voucher (issue #14, ComplyEaze's live batches; §9.4: a rejected
	// voucher can give EXCEPTIONS=1 with a LINEERROR, and counters cannot
	// tell which object failed). A request of one voucher keeps the
	// ERRORS=1 shape of the live single-voucher capture (§9.4 (F)).
	ct.batch = rep.vouchers > 1
	for _, d := range datas {
		for _, msg := range d.all("TALLYMESSAGE") {
			for _, obj := range msg.kids {
				ct.touched[obj.name]++
				switch obj.name {
				case "LEDGER":
					c.importLedger(obj, ct)
				case "GROUP":
					c.importGroup(obj, ct)
				case "VOUCHER":
					c.importVoucher(obj, ct)
				default:
					ct.fail(fmt.Sprintf("tallysim: %s objects are not simulated", obj.name))
				}
			}
		}
	}
	rep.outcome = ct.summary()
	if legacy {
		resp := el("RESPONSE")
		for _, m := range ct.lineErrors {
			resp.add(leaf("LINEERROR", m))
		}
		resp.add(ct.nodes()...)
		rep.body = render(resp, indentedClose)
		return
	}
	status := "1"
	if ct.errors+ct.exceptions > 0 && ct.created+ct.altered+ct.deleted+ct.cancelled == 0 {
		// Simulator choice: a request whose every object failed reports
		// STATUS 0 (LienRho #6 saw STATUS 0 on a rejected request, §5).
		status = "0"
	}
	res := el("IMPORTRESULT", ct.nodes()...)
	for _, m := range ct.lineErrors {
		res.add(leaf("LINEERROR", m))
	}
	rep.body = render(el("ENVELOPE", headerStatus(status),
		el("BODY", el("DATA", res), el("DESC", cmpInfo(ct.touched)))), indentedClose)
}

// Tally's own LINEERROR texts (tally-protocol.md §9.4).
const (
	itemDoesNotExist    = "Item does not exist!"    // LIVE: delete of a missing master; also used for Alter
	cannotBeDeleted     = "Cannot be deleted!"      // LIVE per MyTally reference
	voucherDoesNotExist = "Voucher does not exist!" // LIVE (import-response-lineerror-voucher-not-exist-01.xml)
	dateOutOfRange      = "The date is out of range! Can't import!"
)

func ledgerNotExist(name string) string { return fmt.Sprintf("Ledger '%s' does not exist!", name) }

// masterNames reads the name a master import refers to (the NAME attribute,
// else the new name) and the new name it carries (NAME element or the first
// LANGUAGENAME.LIST/NAME.LIST/NAME), plus whether a LANGUAGENAME.LIST came.
func masterNames(e *elem) (ref, newName string, langID int64, hasLang bool) {
	ref = e.attr("NAME")
	if n := e.child("NAME"); n != nil {
		newName = strings.TrimSpace(n.text)
	}
	if ln := e.child("LANGUAGENAME.LIST"); ln != nil {
		hasLang = true
		langID = 1033
		if names := ln.child("NAME.LIST").all("NAME"); len(names) > 0 && newName == "" {
			newName = strings.TrimSpace(names[0].text)
		}
		if id, err := strconv.ParseInt(ln.value("LANGUAGEID"), 10, 64); err == nil {
			langID = id
		}
	}
	if strings.TrimSpace(ref) == "" {
		ref = newName
	}
	return ref, newName, langID, hasLang
}

func actionOf(e *elem) string {
	a := strings.ToUpper(strings.TrimSpace(e.attr("ACTION")))
	if a == "" {
		return "CREATE"
	}
	return a
}

func (c *Company) importLedger(e *elem, ct *counters) {
	ref, newName, langID, hasLang := masterNames(e)
	if strings.TrimSpace(ref) == "" {
		ct.fail("Cannot create unnamed object: LEDGER!")
		return
	}
	existing := c.ledger(ref)
	switch actionOf(e) {
	case "DELETE":
		if existing == nil {
			ct.fail(itemDoesNotExist)
			return
		}
		if existing.Reserved || c.ledgerUsed(existing.Name) {
			ct.fail(cannotBeDeleted)
			return
		}
		c.ledgers = slices.DeleteFunc(c.ledgers, func(l *Ledger) bool { return l == existing })
		c.goneMstAlterID = max(c.goneMstAlterID, existing.AlterID)
		ct.deleted++
		return
	case "ALTER":
		if existing == nil {
			ct.fail(itemDoesNotExist)
			return
		}
		c.alterLedger(existing, e, newName, false, ct)
		return
	}
	if existing != nil {
		// Create on an existing master is a silent Alter: CREATED=0 ALTERED=1,
		// and the payload replaces parent, bill-wise flag and opening balance
		// (§9.4, LIVE licensed 7.1).
		c.alterLedger(existing, e, newName, true, ct)
		return
	}
	l := Ledger{Name: strings.TrimSpace(ref), LanguageID: 0}
	if newName != "" {
		l.Name = newName
	}
	if hasLang {
		l.LanguageID = langID
	}
	if msg := c.applyLedgerFields(&l, e, true); msg != "" {
		ct.fail(msg)
		return
	}
	if l.Parent == "" {
		ct.fail(groupMissingText(""))
		return
	}
	if err := c.addLedger(l); err != nil {
		ct.fail(err.Error())
		return
	}
	ct.created++
}

func (c *Company) alterLedger(existing *Ledger, e *elem, newName string, create bool, ct *counters) {
	l := copyLedger(existing)
	if msg := c.applyLedgerFields(&l, e, create); msg != "" {
		ct.fail(msg)
		return
	}
	oldName := existing.Name
	if newName != "" && newName != oldName {
		if other := c.ledger(newName); other != nil && other != existing {
			ct.fail(fmt.Sprintf("Ledger '%s' already exists!", newName))
			return
		}
		l.Name = newName
	}
	c.lastAlterID++
	l.AlterID = c.lastAlterID
	*existing = l
	if l.Name != oldName {
		c.renameLedgerRefs(oldName, l.Name)
	}
	ct.altered++
}

// renameLedgerRefs keeps vouchers pointing at a renamed ledger (Tally links
// by reference, so a rename shows in every voucher).
func (c *Company) renameLedgerRefs(oldName, newName string) {
	k := foldName(oldName)
	for _, v := range c.vouchers {
		if foldName(v.Party) == k {
			v.Party = newName
		}
		for i := range v.Entries {
			if foldName(v.Entries[i].Ledger) == k {
				v.Entries[i].Ledger = newName
			}
		}
		for i := range v.Inventory {
			for j := range v.Inventory[i].Allocations {
				if al := &v.Inventory[i].Allocations[j]; foldName(al.Ledger) == k {
					al.Ledger = newName
				}
			}
		}
	}
}

func (c *Company) ledgerUsed(name string) bool {
	k := foldName(name)
	for _, v := range c.vouchers {
		for _, e := range ledgerLines(v) {
			if foldName(e.Ledger) == k {
				return true
			}
		}
	}
	return false
}

var knownLedgerTags = map[string]bool{"NAME": true, "LANGUAGENAME.LIST": true, "PARENT": true, "OPENINGBALANCE": true,
	"ISBILLWISEON": true, "BILLCREDITPERIOD": true, "LEDGERMOBILE": true, "EMAIL": true, "LEDSTATENAME": true,
	"STATENAME": true, "COUNTRYNAME": true, "COUNTRYOFRESIDENCE": true, "PINCODE": true, "PARTYGSTIN": true,
	"GSTREGISTRATIONTYPE": true, "TAXTYPE": true, "GSTDUTYHEAD": true, "INCOMETAXNUMBER": true, "ADDRESS.LIST": true,
	"LEDMAILINGDETAILS.LIST": true, "LEDGSTREGDETAILS.LIST": true, "CLOSINGBALANCE": true, "GUID": true,
	"MASTERID": true, "ALTERID": true}

// applyLedgerFields copies the payload's fields onto l; omitted fields are
// kept (a partial Alter keeps PARTYGSTIN, §9.4), except that a Create
// re-initialises the opening balance and bill-wise flag. It returns a
// LINEERROR text, or "" when the payload is acceptable.
func (c *Company) applyLedgerFields(l *Ledger, e *elem, create bool) string {
	if create {
		l.OpeningBalance, l.BillWise = tallyxml.Amount{}, false
	}
	if p := e.child("PARENT"); p != nil {
		name := strings.TrimSpace(p.text)
		if strings.EqualFold(name, "Primary") || name == "" {
			l.Parent = ""
		} else if g := c.group(name); g != nil {
			l.Parent = g.Name
		} else {
			return groupMissingText(name)
		}
	}
	if e.has("OPENINGBALANCE") {
		a, err := tallyxml.ParseAmount(e.value("OPENINGBALANCE"))
		if err != nil {
			return fmt.Sprintf("tallysim: OPENINGBALANCE '%s' is not an amount", e.value("OPENINGBALANCE"))
		}
		l.OpeningBalance = tallyxml.Paise(a.Paise())
	}
	if e.has("ISBILLWISEON") {
		var b tallyxml.Logical
		_ = b.UnmarshalText([]byte(e.value("ISBILLWISEON")))
		l.BillWise = bool(b)
	}
	if e.has("BILLCREDITPERIOD") {
		l.CreditPeriodDays = leadingInt(e.value("BILLCREDITPERIOD"))
	}
	setStr := func(dst *string, tags ...string) {
		for _, t := range tags {
			if e.has(t) {
				*dst = e.value(t)
			}
		}
	}
	setStr(&l.Mobile, "LEDGERMOBILE")
	setStr(&l.Email, "EMAIL")
	setStr(&l.State, "STATENAME", "LEDSTATENAME")
	setStr(&l.Country, "COUNTRYOFRESIDENCE", "COUNTRYNAME")
	setStr(&l.Pincode, "PINCODE")
	setStr(&l.GSTIN, "PARTYGSTIN")
	setStr(&l.GSTRegistrationType, "GSTREGISTRATIONTYPE")
	setStr(&l.TaxType, "TAXTYPE")
	setStr(&l.GSTDutyHead, "GSTDUTYHEAD")
	setStr(&l.IncomeTaxNumber, "INCOMETAXNUMBER")
	if a := e.child("ADDRESS.LIST"); a != nil {
		l.Address = addresses(a)
	}
	if m := e.child("LEDMAILINGDETAILS.LIST"); m != nil {
		if a := m.child("ADDRESS.LIST"); a != nil {
			l.Address = addresses(a)
		}
		if m.has("STATE") {
			l.State = m.value("STATE")
		}
		if m.has("COUNTRY") {
			l.Country = m.value("COUNTRY")
		}
		if m.has("PINCODE") {
			l.Pincode = m.value("PINCODE")
		}
	}
	if g := e.child("LEDGSTREGDETAILS.LIST"); g != nil {
		if g.has("GSTIN") {
			l.GSTIN = g.value("GSTIN")
		}
		if g.has("GSTREGISTRATIONTYPE") {
			l.GSTRegistrationType = g.value("GSTREGISTRATIONTYPE")
		}
	}
	for _, k := range e.kids {
		if knownLedgerTags[k.name] || len(k.kids) > 0 {
			continue
		}
		if l.Other == nil {
			l.Other = map[string]string{}
		}
		l.Other[k.name] = strings.TrimSpace(k.text)
	}
	return ""
}

func addresses(a *elem) []string {
	var out []string
	for _, x := range a.all("ADDRESS") {
		out = append(out, strings.TrimSpace(x.text))
	}
	return out
}

func leadingInt(s string) int {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n
}

func (c *Company) importGroup(e *elem, ct *counters) {
	ref, newName, _, _ := masterNames(e)
	if strings.TrimSpace(ref) == "" {
		ct.fail("Cannot create unnamed object: GROUP!")
		return
	}
	existing := c.group(ref)
	if existing == nil && newName != "" && actionOf(e) == "CREATE" {
		existing = c.group(newName)
	}
	switch actionOf(e) {
	case "DELETE":
		if fail := c.deleteGroup(existing); fail != "" {
			ct.fail(fail)
			return
		}
		ct.deleted++
		return
	case "ALTER":
		if existing == nil {
			ct.fail(itemDoesNotExist)
			return
		}
	}
	if existing != nil {
		g := *existing
		if p := e.child("PARENT"); p != nil && !existing.Predefined {
			name := strings.TrimSpace(p.text)
			if strings.EqualFold(name, "Primary") || name == "" {
				g.Parent = ""
			} else if pg := c.group(name); pg == nil {
				ct.fail(groupMissingText(name))
				return
			} else if c.under(pg.Name, existing) {
				ct.fail(fmt.Sprintf("tallysim: group '%s' cannot be under its own sub-group", existing.Name))
				return
			} else {
				g.Parent, g.Nature = pg.Name, c.natureOf(pg)
			}
		}
		oldName := existing.Name
		if newName != "" && newName != oldName && !existing.Predefined {
			if other := c.group(newName); other != nil && other != existing {
				ct.fail(fmt.Sprintf("Group '%s' already exists!", newName))
				return
			}
			g.Name = newName
		}
		c.lastAlterID++
		g.AlterID = c.lastAlterID
		*existing = g
		if g.Name != oldName {
			for _, x := range c.groups {
				if x.Parent == oldName {
					x.Parent = g.Name
				}
			}
			for _, l := range c.ledgers {
				if l.Parent == oldName {
					l.Parent = g.Name
				}
			}
		}
		ct.altered++
		return
	}
	g := Group{Name: strings.TrimSpace(ref)}
	if newName != "" {
		g.Name = newName
	}
	if p := strings.TrimSpace(e.value("PARENT")); p != "" && !strings.EqualFold(p, "Primary") {
		g.Parent = p
	} else {
		// A new primary group takes its nature from ISREVENUE/ISDEEMEDPOSITIVE,
		// Tally's own encoding of the four natures.
		rev, dp := yes(e.value("ISREVENUE")), yes(e.value("ISDEEMEDPOSITIVE"))
		switch {
		case rev && dp:
			g.Nature = Expenses
		case rev:
			g.Nature = Income
		case dp:
			g.Nature = Assets
		default:
			g.Nature = Liabilities
		}
		g.AffectsGrossProfit = yes(e.value("AFFECTSGROSSPROFIT"))
	}
	if err := c.addGroup(g); err != nil {
		ct.fail(err.Error())
		return
	}
	ct.created++
}

func yes(s string) bool {
	var b tallyxml.Logical
	_ = b.UnmarshalText([]byte(s))
	return bool(b)
}

func (c *Company) groupUsed(g *Group) bool {
	for _, x := range c.groups {
		if x.Parent == g.Name {
			return true
		}
	}
	for _, l := range c.ledgers {
		if l.Parent == g.Name {
			return true
		}
	}
	return false
}

// voucherTypes are the predefined accounting voucher types the simulator has.
var voucherTypes = []string{"Sales", "Purchase", "Receipt", "Payment", "Journal", "Contra", "Credit Note", "Debit Note"}

func (c *Company) importVoucher(e *elem, ct *counters) {
	action := actionOf(e)
	switch action {
	case "DELETE", "CANCEL":
		v := c.locateVoucher(e)
		if v == nil {
			ct.fail(voucherDoesNotExist)
			return
		}
		if action == "DELETE" {
			c.removeVoucher(v)
			ct.deleted++
			return
		}
		// Cancel by REMOTEID on licensed 7.1 reported ALTERED=1, CANCELLED=0;
		// the voucher shows ISCANCELLED Yes and its entries are removed (§9.4).
		c.cancelVoucher(v)
		ct.altered++
		return
	}
	v, msg := parseVoucher(e)
	if msg == "" {
		msg = c.validateVoucher(&v)
	}
	if msg != "" {
		ct.refuseVoucher(msg)
		return
	}
	if action == "ALTER" {
		// ACTION="Alter" creates a duplicate (CREATED=1) on every build
		// observed (§9.4); the duplicate does not take over the REMOTEID.
		v.RemoteID = ""
	}
	if v.RemoteID != "" {
		if old := c.voucherByRemoteID(v.RemoteID); old != nil {
			// Same REMOTEID: the whole voucher is replaced (entries, date,
			// even the type), GUID kept, ALTERID advanced, a cancel undone.
			v.MasterID, v.GUID = old.MasterID, old.GUID
			if v.Number == "" {
				// Under automatic numbering the voucher keeps its number.
				v.Number = old.Number
			}
			c.lastAlterID++
			v.AlterID = c.lastAlterID
			*old = v
			ct.altered++
			ct.lastVchID = v.MasterID
			return
		}
	}
	if v.Number == "" {
		v.Number = strconv.Itoa(c.countType(v.Type) + 1)
	}
	c.storeNewVoucher(&v)
	ct.created++
	ct.lastVchID = v.MasterID
}

func (c *Company) countType(t string) int {
	n := 0
	for _, v := range c.vouchers {
		if v.Type == t {
			n++
		}
	}
	return n
}

func (c *Company) voucherByRemoteID(id string) *Voucher {
	for _, v := range c.vouchers {
		if v.RemoteID == id {
			return v
		}
	}
	return nil
}

// locateVoucher finds the target of a Delete/Cancel: by REMOTEID, GUID,
// MASTERID, or Tally's classic DATE + VCHTYPE + TAGNAME "Voucher Number" /
// TAGVALUE attributes.
func (c *Company) locateVoucher(e *elem) *Voucher {
	if id := strings.TrimSpace(e.attr("REMOTEID")); id != "" {
		return c.findVoucher("REMOTEID", id)
	}
	for _, g := range []string{e.attr("GUID"), e.value("GUID")} {
		if g = strings.TrimSpace(g); g != "" {
			return c.findVoucher("GUID", g)
		}
	}
	if id := e.value("MASTERID"); id != "" {
		return c.findVoucher("MASTERID", id)
	}
	if strings.EqualFold(strings.TrimSpace(e.attr("TAGNAME")), "Voucher Number") {
		d, _ := tallyxml.ParseDate(e.attr("DATE"))
		for _, v := range c.vouchers {
			if v.Number == strings.TrimSpace(e.attr("TAGVALUE")) && strings.EqualFold(v.Type, e.attr("VCHTYPE")) &&
				(d.IsZero() || v.Date == d) {
				return v
			}
		}
	}
	return nil
}

// parseVoucher reads a VOUCHER element, with the stock lines of an invoice
// (ALLINVENTORYENTRIES.LIST or INVENTORYENTRIES.LIST).
func parseVoucher(e *elem) (Voucher, string) {
	v := Voucher{
		RemoteID:  strings.TrimSpace(e.attr("REMOTEID")),
		Type:      strings.TrimSpace(e.attr("VCHTYPE")),
		Number:    e.value("VOUCHERNUMBER"),
		Party:     e.value("PARTYLEDGERNAME"),
		Narration: strings.TrimSpace(e.child("NARRATION").textOr("")),
	}
	if t := e.value("VOUCHERTYPENAME"); t != "" {
		v.Type = t
	}
	ds := e.value("DATE")
	if ds == "" {
		ds = e.attr("DATE")
	}
	v.Date, _ = tallyxml.ParseDate(ds) // a bad date is reported as missing by validateVoucher
	for _, k := range e.kids {
		if k.name == "ALLINVENTORYENTRIES.LIST" || k.name == "INVENTORYENTRIES.LIST" {
			if k.value("STOCKITEMNAME") == "" && k.value("AMOUNT") == "" {
				continue
			}
			ie, msg := parseInventoryEntry(k)
			if msg != "" {
				return v, msg
			}
			v.Inventory = append(v.Inventory, ie)
			continue
		}
		if k.name != "ALLLEDGERENTRIES.LIST" && k.name != "LEDGERENTRIES.LIST" {
			continue
		}
		name := k.value("LEDGERNAME")
		if name == "" && k.value("AMOUNT") == "" {
			continue
		}
		a, err := tallyxml.ParseAmount(k.value("AMOUNT"))
		if err != nil {
			return v, fmt.Sprintf("tallysim: AMOUNT '%s' of ledger '%s' is not an amount", k.value("AMOUNT"), name)
		}
		ent := Entry{Ledger: name, Amount: tallyxml.Paise(a.Paise())}
		for _, b := range k.all("BILLALLOCATIONS.LIST") {
			if b.value("NAME") == "" && b.value("BILLTYPE") == "" {
				continue
			}
			ba := BillAllocation{Name: b.value("NAME"), Type: canonicalBillType(b.value("BILLTYPE"))}
			if s := b.value("AMOUNT"); s != "" {
				x, err := tallyxml.ParseAmount(s)
				if err != nil {
					return v, fmt.Sprintf("tallysim: bill AMOUNT '%s' is not an amount", s)
				}
				ba.Amount = tallyxml.Paise(x.Paise())
			}
			if cp := b.value("BILLCREDITPERIOD"); cp != "" {
				if d, err := tallyxml.ParseDate(cp); err == nil {
					ba.DueDate = d
				} else if n := leadingInt(cp); n > 0 && !v.Date.IsZero() {
					ba.DueDate = v.Date.AddDays(n)
				}
			}
			ent.Bills = append(ent.Bills, ba)
		}
		v.Entries = append(v.Entries, ent)
	}
	return v, ""
}

func canonicalBillType(s string) string {
	for _, t := range []string{NewRef, AgstRef, Advance, OnAccount} {
		if strings.EqualFold(strings.Join(strings.Fields(s), " "), t) {
			return t
		}
	}
	if s == "" {
		return OnAccount
	}
	return s
}

// validateVoucher checks a voucher against the books and normalises it
// (canonical ledger and type names, bill allocation rewrites). It returns
// Tally's LINEERROR text for the first problem, or "".
func (c *Company) validateVoucher(v *Voucher) string {
	// A type the company made under one of the simulated types is taken
	// as that one is (vouchertypes.go).
	t := c.voucherTypeName(strings.TrimSpace(v.Type))
	if t == "" || !slices.Contains(voucherTypes, c.voucherBase(t)) {
		return fmt.Sprintf("Voucher Type '%s' does not exist!", v.Type)
	}
	v.Type = t
	if v.Date.IsZero() {
		// LIVE text (TallyConnector #47); the simulator uses it for a
		// missing or unparseable DATE.
		return fmt.Sprintf("Voucher date is missing for: '%s' voucher %s.", t, v.Number)
	}
	if v.Date.Before(c.booksFrom) {
		// A CLAIM-grade text (§9.4); real Tally's wording is unverified.
		return dateOutOfRange
	}
	if len(v.Entries) == 0 {
		return "No Entries in Voucher!"
	}
	if v.Party != "" {
		l := c.ledger(v.Party)
		if l == nil {
			return ledgerNotExist(v.Party)
		}
		v.Party = l.Name
	}
	if msg := c.validateInventory(v); msg != "" {
		return msg
	}
	var dr, cr int64
	for _, ie := range v.Inventory {
		for _, al := range ie.Allocations {
			if p := al.Amount.Paise(); p < 0 {
				dr -= p
			} else {
				cr += p
			}
		}
	}
	for i := range v.Entries {
		e := &v.Entries[i]
		l := c.ledger(e.Ledger)
		if l == nil {
			return ledgerNotExist(e.Ledger)
		}
		e.Ledger = l.Name
		if p := e.Amount.Paise(); p < 0 {
			dr -= p
		} else {
			cr += p
		}
		if !l.BillWise {
			e.Bills = nil // silently discarded (§9.4)
			continue
		}
		for j := range e.Bills {
			b := &e.Bills[j]
			if !b.Amount.IsSet() && len(e.Bills) == 1 {
				b.Amount = e.Amount
			}
			if b.Type == Advance && c.billExists(l.Name, b.Name) {
				b.Type = AgstRef // stored as Agst Ref (§9.4)
			}
		}
	}
	if dr != cr {
		return totalsMismatch(dr, cr)
	}
	return ""
}

// totalsMismatch renders Tally's rejection with Indian digit grouping and
// Dr/Cr sides, e.g. "Voucher totals do not match! Dr: 1,180.00 Dr Cr:
// 1,179.99 Cr Diff: 0.01 Dr" (format of the LIVE forex text in
// TallyConnector #44, without the currency parts).
func totalsMismatch(dr, cr int64) string {
	diff, side := dr-cr, "Dr"
	if diff < 0 {
		diff, side = -diff, "Cr"
	}
	return fmt.Sprintf("Voucher totals do not match! Dr: %s Dr Cr: %s Cr Diff: %s %s",
		tallyxml.GroupIndian(dr), tallyxml.GroupIndian(cr), tallyxml.GroupIndian(diff), side)
}
