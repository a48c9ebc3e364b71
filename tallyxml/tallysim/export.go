package tallysim

import (
	"fmt"
	"strconv"
	"strings"
)

// builtinCollections are the collections real Tally answers without TDL.
// They take precedence over an inline TDL collection of the same name
// (ArcAstraOneAru found its custom "List of Companies" FETCH ignored, §5).
var builtinCollections = map[string]string{
	"LIST OF LEDGERS":   "LEDGER",
	"LIST OF GROUPS":    "GROUP",
	"LIST OF COMPANIES": "COMPANY",
	"LIST OF ACCOUNTS":  "ACCOUNTS",
}

func kindByName(name string) *kindDef {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "LEDGER", "LEDGERS":
		return ledgerKind
	case "GROUP", "GROUPS":
		return groupKind
	case "VOUCHER", "VOUCHERS":
		return voucherKind
	case "BILL", "BILLS":
		return billKind
	case "COMPANY", "COMPANIES":
		return companyKind
	case "STOCKITEM", "STOCKITEMS", "STOCK ITEM", "STOCK ITEMS":
		return stockItemKind
	}
	return nil
}

func (s *Server) newCtx(c *Company, sv statics) *xctx {
	today := s.today()
	x := &xctx{c: c, today: today, fy: fyStart(today), asOf: sv.date("SVTODATE"), from: sv.date("SVFROMDATE"), to: sv.date("SVTODATE")}
	if x.from.IsZero() {
		x.from = x.fy
	}
	if x.to.IsZero() {
		x.to = today
	}
	return x
}

// collectionEnvelope wraps rows the way collection exports come back (§9.3 (A)).
func collectionEnvelope(coll *node) string {
	return render(el("ENVELOPE", headerStatus("1"),
		el("BODY", el("DESC", cmpInfo(nil)), el("DATA", coll))), indentedClose)
}

func collectionNode(k *kindDef) *node {
	n := el("COLLECTION")
	switch k {
	case ledgerKind:
		n.attr("ISMSTDEPTYPE", "Yes").attr("MSTDEPTYPE", "8")
	case groupKind:
		n.attr("ISMSTDEPTYPE", "Yes").attr("MSTDEPTYPE", "4")
	}
	return n
}

// tdlCollection is an inline <TDL><TDLMESSAGE><COLLECTION NAME=…> definition.
type tdlCollection struct {
	kind      *kindDef
	fetch     fetchSet
	childOf   string
	belongsTo bool
	filters   []string
	formulae  map[string]string
	computes  []compute
}

// compute is a COMPUTE method of an inline collection, "Name : Formula": each
// row carries an element Name with the formula's value. A formula the
// simulator cannot evaluate leaves the element out, as Tally does for an
// unknown function (a public client's note on its measured reads,
// tally-protocol.md §9.7).
type compute struct {
	name string
	f    formula // nil: not evaluated
}

func parseComputes(ce *elem) []compute {
	var out []compute
	for _, e := range ce.all("COMPUTE") {
		name, src, ok := strings.Cut(e.text, ":")
		name = strings.ToUpper(strings.TrimSpace(name))
		if !ok || name == "" {
			continue
		}
		f, err := parseFormula(strings.TrimSpace(src))
		if err != nil {
			f = nil
		}
		out = append(out, compute{name: name, f: f})
	}
	return out
}

// addComputes appends the computed elements to a row.
func addComputes(n *node, x *xctx, k *kindDef, o any, cs []compute) *node {
	for _, c := range cs {
		if c.f == nil {
			continue
		}
		v, err := c.f.eval(x, k, o)
		if err != nil {
			continue
		}
		typ := map[vkind]string{vStr: "String", vNum: "Number", vAmt: "Amount", vDate: "Date", vBool: "Logical"}[v.kind]
		n.add(typed(c.name, typ, v.asString()))
	}
	return n
}

func findTDLCollection(desc *elem, id string) (*elem, map[string]string, bool) {
	msgs := desc.path("TDL").all("TDLMESSAGE")
	formulae := map[string]string{}
	var found *elem
	any := false
	for _, m := range msgs {
		for _, k := range m.kids {
			switch k.name {
			case "COLLECTION":
				any = true
				if strings.EqualFold(strings.TrimSpace(k.attr("NAME")), id) && found == nil {
					found = k
				}
			case "SYSTEM":
				if strings.EqualFold(k.attr("TYPE"), "Formulae") {
					formulae[strings.ToUpper(strings.TrimSpace(k.attr("NAME")))] = strings.TrimSpace(k.text)
				}
			}
		}
	}
	return found, formulae, any
}

func (s *Server) exportCollection(id string, desc *elem, sv statics, rep *reply) {
	rep.kind = "export:collection:" + id
	var def tdlCollection
	if b, ok := builtinCollections[strings.ToUpper(id)]; ok {
		s.exportBuiltinCollection(b, sv, rep)
		return
	}
	ce, formulae, _ := findTDLCollection(desc, id)
	if ce == nil {
		// No built-in and no inline collection of that name (ID must equal
		// the COLLECTION NAME, §7(a)). Simulator choice: answered like an
		// unknown report, with Unknown Request.
		rep.body, rep.outcome = unknownRequest, "unknown request"
		return
	}
	def.kind = kindByName(ce.value("TYPE"))
	if def.kind == nil {
		msg := fmt.Sprintf("tallysim: collection TYPE '%s' is not simulated", ce.value("TYPE"))
		rep.body, rep.outcome = lineErrorEnvelope(msg), "error: "+msg
		return
	}
	var fetch []string
	for _, f := range ce.all("FETCH") {
		fetch = append(fetch, f.text)
	}
	for _, f := range ce.all("NATIVEMETHOD") {
		fetch = append(fetch, f.text)
	}
	def.fetch = parseFetch(fetch)
	def.childOf = ce.value("CHILDOF")
	def.belongsTo = strings.EqualFold(ce.value("BELONGSTO"), "Yes")
	for _, tag := range []string{"FILTERS", "FILTER"} {
		for _, f := range ce.all(tag) {
			for _, name := range strings.Split(f.text, ",") {
				if n := strings.TrimSpace(name); n != "" {
					def.filters = append(def.filters, n)
				}
			}
		}
	}
	def.formulae = formulae
	def.computes = parseComputes(ce)

	var filters []formula
	for _, name := range def.filters {
		src, ok := def.formulae[strings.ToUpper(name)]
		if !ok {
			msg := fmt.Sprintf("tallysim: filter '%s' has no SYSTEM Formulae definition", name)
			rep.body, rep.outcome = lineErrorEnvelope(msg), "error: "+msg
			return
		}
		f, err := parseFormula(src)
		if err != nil {
			msg := fmt.Sprintf("tallysim: unsupported filter formula '%s' (%v); the simulator evaluates a documented subset", src, err)
			rep.body, rep.outcome = lineErrorEnvelope(msg), "error: "+msg
			return
		}
		filters = append(filters, f)
	}

	coll := collectionNode(def.kind)
	if def.kind == companyKind {
		// The Company collection ignores SVCURRENTCOMPANY and lists every
		// loaded company (§9.5).
		rep.company = sv["SVCURRENTCOMPANY"]
		for _, c := range s.Companies() {
			c.mu.Lock()
			x := s.newCtx(c, sv)
			ok, err := passes(x, companyKind, c, filters)
			if err == nil && ok {
				coll.add(rowNode(x, companyKind, c, def.fetch, false, true))
			}
			c.mu.Unlock()
			if err != nil {
				msg := fmt.Sprintf("tallysim: unsupported filter formula (%v)", err)
				rep.body, rep.outcome = lineErrorEnvelope(msg), "error: "+msg
				return
			}
		}
		rep.body, rep.outcome = collectionEnvelope(coll), "ok"
		return
	}
	c, asked := s.resolveCompany(sv)
	if c == nil {
		// A collection read of a company that is not loaded answers 0 rows
		// with STATUS 1 and no error (§9.5, LIVE ComplyEaze).
		rep.company, rep.outcome = asked, "ok (0 rows: company not loaded)"
		rep.body = collectionEnvelope(coll)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rep.company = c.name
	x := s.newCtx(c, sv)
	rows := 0
	for _, o := range s.objectsOf(x, def) {
		ok, err := passes(x, def.kind, o, filters)
		if err != nil {
			msg := fmt.Sprintf("tallysim: unsupported filter formula (%v); the simulator evaluates a documented subset", err)
			rep.body, rep.outcome = lineErrorEnvelope(msg), "error: "+msg
			return
		}
		if ok {
			coll.add(addComputes(rowNode(x, def.kind, o, def.fetch, false, true), x, def.kind, o, def.computes))
			rows++
		}
	}
	rep.body, rep.outcome = collectionEnvelope(coll), "ok ("+strconv.Itoa(rows)+" rows)"
}

func passes(x *xctx, k *kindDef, o any, filters []formula) (bool, error) {
	for _, f := range filters {
		v, err := f.eval(x, k, o)
		if err != nil {
			return false, err
		}
		if !v.truthy() {
			return false, nil
		}
	}
	return true, nil
}

// objectsOf lists the objects a collection iterates, honouring CHILDOF:
// the parent group for Ledger/Group (all descendants with BELONGSTO Yes), the
// party ledger for Bill, the voucher type for Voucher.
func (s *Server) objectsOf(x *xctx, def tdlCollection) []any {
	c := x.c
	var out []any
	switch def.kind {
	case ledgerKind:
		for _, l := range c.sortedLedgers() {
			if def.childOf != "" {
				if def.belongsTo {
					g := c.group(def.childOf)
					if g == nil || !c.under(l.Parent, g) {
						continue
					}
				} else if foldName(l.Parent) != foldName(def.childOf) {
					continue
				}
			}
			out = append(out, l)
		}
	case groupKind:
		for _, g := range c.sortedGroups() {
			if def.childOf != "" {
				if def.belongsTo {
					p := c.group(def.childOf)
					if p == nil || p == g || !c.under(g.Name, p) {
						continue
					}
				} else if foldName(g.Parent) != foldName(def.childOf) {
					continue
				}
			}
			out = append(out, g)
		}
	case voucherKind:
		for _, v := range c.sortedVouchers() {
			if def.childOf != "" && !strings.EqualFold(v.Type, def.childOf) {
				continue
			}
			out = append(out, v)
		}
	case stockItemKind:
		for _, it := range c.sortedItems() {
			if def.childOf != "" && foldName(it.Parent) != foldName(def.childOf) {
				continue
			}
			out = append(out, it)
		}
	case billKind:
		asOf := x.asOf
		if asOf.IsZero() {
			asOf = x.today
		}
		for _, b := range c.outstandingBills(asOf) {
			if def.childOf != "" && foldName(b.Ledger) != foldName(def.childOf) {
				continue
			}
			out = append(out, &b)
		}
	}
	return out
}

func (s *Server) exportBuiltinCollection(which string, sv statics, rep *reply) {
	var coll *node
	if which == "COMPANY" {
		coll = el("COLLECTION")
		for _, c := range s.Companies() {
			c.mu.Lock()
			coll.add(rowNode(s.newCtx(c, sv), companyKind, c, fetchSet{}, false, false))
			c.mu.Unlock()
		}
		rep.body, rep.outcome = collectionEnvelope(coll), "ok"
		return
	}
	c, asked := s.resolveCompany(sv)
	switch which {
	case "GROUP":
		coll = collectionNode(groupKind)
	default:
		coll = collectionNode(ledgerKind)
	}
	if c == nil {
		rep.company, rep.outcome = asked, "ok (0 rows: company not loaded)"
		rep.body = collectionEnvelope(coll)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rep.company = c.name
	x := s.newCtx(c, sv)
	if which == "GROUP" || which == "ACCOUNTS" {
		for _, g := range c.sortedGroups() {
			coll.add(rowNode(x, groupKind, g, fetchSet{}, false, false))
		}
	}
	if which == "LEDGER" || which == "ACCOUNTS" {
		for _, l := range c.sortedLedgers() {
			coll.add(rowNode(x, ledgerKind, l, fetchSet{}, false, false))
		}
	}
	rep.body, rep.outcome = collectionEnvelope(coll), "ok"
}

// exportObject answers TYPE Object (§7(b), §9.3 (B)): BODY/DATA/TALLYMESSAGE/
// <LEDGER NAME=…>. Without a FETCHLIST every field is emitted.
func (s *Server) exportObject(subtype, idType, id string, desc *elem, sv statics, rep *reply) {
	rep.kind = "export:object:" + subtype
	k := kindByName(subtype)
	if k == nil || k == billKind {
		rep.body, rep.outcome = unknownRequest, "unknown request"
		return
	}
	c, asked := s.resolveCompany(sv)
	if c == nil {
		couldNotSet(rep, asked)
		return
	}
	var fetch []string
	for _, f := range desc.path("FETCHLIST").all("FETCH") {
		fetch = append(fetch, f.text)
	}
	fs := parseFetch(fetch)
	if len(fetch) == 0 {
		fs.all = true
	}
	var o any
	if k == companyKind {
		if c2, ok := s.Company(id); ok {
			c = c2
		} else {
			c = nil
		}
	}
	if c == nil {
		s.objectMissing(rep, subtype, id)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rep.company = c.name
	x := s.newCtx(c, sv)
	switch k {
	case ledgerKind:
		if l := c.ledger(id); l != nil {
			o = l
		}
	case groupKind:
		if g := c.group(id); g != nil {
			o = g
		}
	case companyKind:
		o = c
	case stockItemKind:
		if it := c.stockItem(id); it != nil {
			o = it
		}
	case voucherKind:
		if v := c.findVoucher(idType, id); v != nil {
			o = v
		}
	}
	if o == nil {
		s.objectMissing(rep, subtype, id)
		return
	}
	row := rowNode(x, k, o, fs, true, true)
	rep.outcome = "ok"
	rep.body = render(el("ENVELOPE", headerStatus("1"),
		el("BODY", el("DESC", cmpInfo(nil)), el("DATA", el("TALLYMESSAGE", row)))), indentedClose)
}

// objectMissing answers an Object export for an object the company does not
// have the way real gateways do: a bare `<ERRORMSG>Could not find …!</ERRORMSG>`
// with no ENVELOPE (tally-protocol.md §9.3 (B), LIVE: the ComplyEaze bridge's
// `Could not find Voucher:ID:<n>!` for a gone MasterID on releases 3.0–7.1,
// caos-platform's `Could not find (null):Ledger!`). The text after "Could not
// find" for a missing ledger or group name is not captured; the simulator
// follows the voucher capture's `<Type>:<id>` form, e.g. `Could not find
// Ledger:Nobody!`.
func (s *Server) objectMissing(rep *reply, subtype, id string) {
	msg := fmt.Sprintf("Could not find %s:%s!", titleWord(subtype), id)
	rep.body, rep.outcome = render(leaf("ERRORMSG", msg), indentedClose), "error: "+msg
}

func titleWord(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// findVoucher finds a voucher by GUID, REMOTEID, MASTERID or "ID: n".
func (c *Company) findVoucher(idType, id string) *Voucher {
	id = strings.TrimSpace(id)
	t := strings.ToUpper(strings.TrimSpace(idType))
	for _, v := range c.vouchers {
		switch t {
		case "GUID":
			if v.GUID == id {
				return v
			}
		case "REMOTEID":
			if v.RemoteID == id || v.RemoteID == "" && v.GUID == id {
				return v
			}
		case "MASTERID":
			if strconv.FormatInt(v.MasterID, 10) == strings.TrimPrefix(strings.TrimSpace(id), "ID:") {
				return v
			}
		default:
			n := strings.TrimSpace(strings.TrimPrefix(id, "ID:"))
			if v.GUID == id || v.RemoteID == id || strconv.FormatInt(v.MasterID, 10) == n {
				return v
			}
		}
	}
	return nil
}
