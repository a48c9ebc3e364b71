package tallysim

import (
	"strconv"
	"strings"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// exportReport answers TYPE Data (and legacy Export Data) for the built-in
// reports the simulator computes. An unknown report gives Unknown Request
// (§9.3 (D)); an inline TDL report is not evaluated and answers the empty
// <ENVELOPE></ENVELOPE> real Tally gives a report without display geometry
// (§9.3 (C)) — a simulator limit.
func (s *Server) exportReport(id string, desc *elem, sv statics, rep *reply) {
	rep.kind = "export:data:" + id
	var build func(x *xctx) *node
	lay := col0Close
	switch normReport(id) {
	case "BILLS RECEIVABLE":
		build = func(x *xctx) *node { return billsReport(x, true) }
	case "BILLS PAYABLE":
		build = func(x *xctx) *node { return billsReport(x, false) }
	case "TRIAL BALANCE":
		build = func(x *xctx) *node { return trialBalance(x, strings.EqualFold(sv["EXPLODEFLAG"], "Yes")) }
	case "BALANCE SHEET":
		build = balanceSheet
	case "PROFIT & LOSS", "PROFIT AND LOSS", "PROFIT & LOSS A/C", "PROFIT AND LOSS A/C":
		build = profitAndLoss
	case "DAY BOOK", "DAYBOOK":
		build, lay = dayBook, indentedClose
	default:
		for _, m := range desc.path("TDL").all("TDLMESSAGE") {
			for _, r := range m.all("REPORT") {
				if strings.EqualFold(strings.TrimSpace(r.attr("NAME")), id) {
					rep.body, rep.outcome = "<ENVELOPE></ENVELOPE>\r\n", "ok (inline TDL report not evaluated)"
					return
				}
			}
		}
		rep.body, rep.outcome = unknownRequest, "unknown request"
		return
	}
	c, asked := s.resolveCompany(sv)
	if c == nil {
		couldNotSet(rep, asked)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rep.company = c.name
	x := s.newCtx(c, sv)
	if x.asOf.IsZero() {
		x.asOf = x.today // reports run "as on" Tally's period date when no SVTODATE is given
	}
	rep.body, rep.outcome = render(build(x), lay), "ok"
}

func normReport(id string) string {
	return strings.ToUpper(strings.Join(strings.Fields(id), " "))
}

// billsReport is Bills Receivable / Bills Payable (§9.3 (D)): flat sibling
// groups BILLFIXED{BILLDATE,BILLREF,BILLPARTY}, BILLCL, BILLDUE, BILLOVERDUE,
// no HEADER/STATUS. Scoped by the sign of each bill's balance, not by group:
// a supplier advance (debit) shows in receivables. BILLOVERDUE counts days
// past the due date as of SVTODATE (else today); 0 when not yet due.
func billsReport(x *xctx, receivable bool) *node {
	env := el("ENVELOPE")
	for _, b := range x.c.outstandingBills(x.asOf) {
		if b.Closing.IsDebit() != receivable {
			continue
		}
		env.add(
			el("BILLFIXED", leaf("BILLDATE", b.Date.Short()), leaf("BILLREF", b.Ref), leaf("BILLPARTY", b.Ledger)),
			leaf("BILLCL", b.Closing.String()),
			leaf("BILLDUE", b.Due.Short()),
			leaf("BILLOVERDUE", strconv.Itoa(b.OverdueDays)),
		)
	}
	return env
}

// emptyZero renders a report amount: zero is an empty tag (§9.3 (E)).
func emptyZero(p int64) string {
	if p == 0 {
		return ""
	}
	return tallyxml.Paise(p).String()
}

// tbRow is one Trial Balance row with its closing debit (negative) and credit
// (positive) columns.
func tbRow(name string, dr, cr int64) []*node {
	return []*node{
		el("DSPACCNAME", leaf("DSPDISPNAME", name)),
		el("DSPACCINFO",
			el("DSPCLDRAMT", leaf("DSPCLDRAMTA", emptyZero(dr))),
			el("DSPCLCRAMT", leaf("DSPCLCRAMTA", emptyZero(cr)))),
	}
}

// tbLedgerRow is the row of one balance: on one side only.
func tbLedgerRow(name string, bal int64) []*node {
	if bal < 0 {
		return tbRow(name, bal, 0)
	}
	return tbRow(name, 0, bal)
}

// groupColumns splits the closing balances of the ledgers at or below g into
// the debit ones (negative sum) and the credit ones (positive sum). A group
// row of Tally's Trial Balance carries both columns when it holds ledgers of
// both sides (tally-protocol.md §9.3 (E), LIVE caos-platform: Current
// Liabilities Dr -16560.00 and Cr 163760.00). Whether real Tally splits by
// ledger or by sub-group is not captured (there each sub-group held ledgers of
// one side); the simulator splits by ledger.
func (c *Company) groupColumns(g *Group, asOf tallyxml.Date) (dr, cr int64) {
	for _, l := range c.ledgers {
		if l.Parent == "" || !c.under(l.Parent, g) {
			continue
		}
		if b := c.ledgerBalance(l, asOf); b < 0 {
			dr += b
		} else {
			cr += b
		}
	}
	return dr, cr
}

// primaryOrder is the order Tally lists primary groups in its reports.
var primaryOrder = []string{"Capital Account", "Loans (Liability)", "Current Liabilities", "Fixed Assets",
	"Investments", "Current Assets", "Branch / Divisions", "Misc. Expenses (ASSET)", "Suspense A/c",
	"Sales Accounts", "Purchase Accounts", "Direct Incomes", "Direct Expenses", "Indirect Incomes", "Indirect Expenses"}

// primaries returns the primary groups in report order (user-created
// primary groups after the predefined ones).
func (c *Company) primaries() []*Group {
	var out []*Group
	for _, n := range primaryOrder {
		if g := c.group(n); g != nil && g.Parent == "" {
			out = append(out, g)
		}
	}
	for _, g := range c.sortedGroups() {
		if g.Parent == "" && !g.Predefined {
			out = append(out, g)
		}
	}
	return out
}

// trialBalance lists closing balances as of SVTODATE: one row per primary
// group with a balance (both columns when it holds debit and credit ledgers,
// see groupColumns), or one row per ledger with EXPLODEFLAG Yes, plus
// ledgers that sit directly under Primary (Profit & Loss A/c) and a
// "Difference in opening balances" row when openings do not balance, so the
// debit and credit totals are always equal. Income and expense accumulate
// from the start of the books (the simulator does no year-end rollover).
func trialBalance(x *xctx, explode bool) *node {
	c := x.c
	env := el("ENVELOPE")
	var total int64
	for _, g := range c.primaries() {
		if explode {
			for _, l := range c.sortedLedgers() {
				if l.Parent != "" && c.primaryGroup(c.group(l.Parent)) == g {
					if b := c.ledgerBalance(l, x.asOf); b != 0 {
						env.add(tbLedgerRow(l.Name, b)...)
						total += b
					}
				}
			}
			continue
		}
		if dr, cr := c.groupColumns(g, x.asOf); dr != 0 || cr != 0 {
			env.add(tbRow(g.Name, dr, cr)...)
			total += dr + cr
		}
	}
	for _, l := range c.sortedLedgers() {
		if l.Parent == "" {
			if b := c.ledgerBalance(l, x.asOf); b != 0 {
				env.add(tbLedgerRow(l.Name, b)...)
				total += b
			}
		}
	}
	if total != 0 {
		env.add(tbLedgerRow("Difference in opening balances", -total)...)
	}
	return env
}

// netProfit is income plus expenses (credit positive) up to asOf: positive
// is a profit, negative a loss.
func netProfit(x *xctx) int64 {
	var p int64
	for _, g := range x.c.primaries() {
		if n := g.Nature; n == Income || n == Expenses {
			p += x.c.groupBalance(g, x.asOf)
		}
	}
	return p
}

func bsRow(name string, main int64, always bool) []*node {
	if main == 0 && !always {
		return nil
	}
	return []*node{
		el("BSNAME", el("DSPACCNAME", leaf("DSPDISPNAME", name))),
		el("BSAMT", leaf("BSSUBAMT", ""), leaf("BSMAINAMT", emptyZero(main))),
	}
}

// balanceSheet follows balance-sheet-report-export-01.xml: BSNAME/BSAMT
// pairs, liabilities first, the Profit & Loss A/c row (opening P&L plus the
// profit to date; a loss is negative), then assets. Capital Account, Loans
// (Liability), Current Liabilities, Profit & Loss A/c and Current Assets are
// always listed; other groups only with a balance.
func balanceSheet(x *xctx) *node {
	c := x.c
	env := el("ENVELOPE")
	var liab, assets []*Group
	for _, g := range c.primaries() {
		switch g.Nature {
		case Liabilities:
			liab = append(liab, g)
		case Assets:
			assets = append(assets, g)
		}
	}
	always := map[string]bool{"Capital Account": true, "Loans (Liability)": true, "Current Liabilities": true, "Current Assets": true}
	for _, g := range liab {
		env.add(bsRow(g.Name, c.groupBalance(g, x.asOf), always[g.Name])...)
	}
	pl := netProfit(x)
	for _, l := range c.ledgers {
		if l.Parent == "" {
			pl += c.ledgerBalance(l, x.asOf)
		}
	}
	env.add(bsRow(ProfitAndLossLedger, pl, true)...)
	for _, g := range assets {
		env.add(bsRow(g.Name, c.groupBalance(g, x.asOf), always[g.Name])...)
	}
	return env
}

func plRow(name string, sub, main int64) []*node {
	return []*node{
		el("DSPACCNAME", leaf("DSPDISPNAME", name)),
		el("PLAMT", leaf("PLSUBAMT", emptyZero(sub)), leaf("BSMAINAMT", emptyZero(main))),
	}
}

// profitAndLoss follows profit-and-loss-report-export-01.xml: DSPACCNAME +
// PLAMT{PLSUBAMT, BSMAINAMT}, starting with the Cost of Sales block. The rows
// after that block are the simulator's rendering of the vertical P&L (not
// captured live). Stock is not simulated, so opening and closing stock are
// empty. With SVFROMDATE the figures are the period's, as in Tally.
func profitAndLoss(x *xctx) *node {
	c := x.c
	// The account covers SVFROMDATE..SVTODATE: what each group moved in
	// the period (income and expense groups carry no opening balance).
	bal := func(name string) int64 {
		g := c.group(name)
		if g == nil {
			return 0
		}
		b := c.groupBalance(g, x.asOf)
		if !x.from.IsZero() {
			b -= c.groupBalance(g, x.from.AddDays(-1))
		}
		return b
	}
	purchases, directExp := bal("Purchase Accounts"), bal("Direct Expenses")
	sales, directInc := bal("Sales Accounts"), bal("Direct Incomes")
	indirectInc, indirectExp := bal("Indirect Incomes"), bal("Indirect Expenses")
	gross := sales + directInc + purchases + directExp
	net := gross + indirectInc + indirectExp
	env := el("ENVELOPE")
	env.add(plRow("Cost of Sales :", 0, purchases)...)
	env.add(plRow("Opening Stock", 0, 0)...)
	env.add(plRow("Add: Purchase Accounts", purchases, 0)...)
	env.add(plRow("Less: Closing Stock", 0, 0)...)
	env.add(plRow("Direct Expenses", 0, directExp)...)
	env.add(plRow("Sales Accounts", 0, sales)...)
	env.add(plRow("Direct Incomes", 0, directInc)...)
	env.add(plRow("Gross Profit", 0, gross)...)
	env.add(plRow("Indirect Incomes", 0, indirectInc)...)
	env.add(plRow("Indirect Expenses", 0, indirectExp)...)
	if net < 0 {
		env.add(plRow("Nett Loss", 0, net)...)
	} else {
		env.add(plRow("Nett Profit", 0, net)...)
	}
	return env
}

// dayBook reproduces the real quirk of Day Book via TYPE=Data: only the last
// voucher of the period comes back (§9.3 (E), LIVE ripu-nuvanta), in the shape
// of Tally's Day Book file (voucher-payment-daybook-export-01.xml). Use a
// Voucher collection with a date filter to read vouchers.
func dayBook(x *xctx) *node {
	c := x.c
	var last *Voucher
	for _, v := range c.sortedVouchers() {
		if !v.Date.Before(x.from) && !x.to.Before(v.Date) {
			last = v
		}
	}
	msg := el("TALLYMESSAGE").attr("xmlns:UDF", "TallyUDF")
	if last != nil {
		vn := voucherElement(c, last)
		vn.add(leaf("DATE", last.Date.String()), leaf("GUID", last.GUID), leaf("NARRATION", last.Narration),
			leaf("VOUCHERTYPENAME", last.Type), leaf("PARTYLEDGERNAME", last.Party), leaf("VOUCHERNUMBER", last.Number),
			leaf("PERSISTEDVIEW", voucherView(last)), leaf("ISCANCELLED", yesNo(last.Cancelled)),
			leaf("EFFECTIVEDATE", last.Date.String()), leaf("ALTERID", tallyNumber(last.AlterID)),
			leaf("MASTERID", tallyNumber(last.MasterID)))
		vn.add(entryNodes(last, false)...)
		vn.add(inventoryNodes(last, false)...)
		msg.add(vn)
	}
	return el("ENVELOPE",
		el("HEADER", leaf("TALLYREQUEST", "Import Data")),
		el("BODY", el("IMPORTDATA",
			el("REQUESTDESC", leaf("REPORTNAME", "All Masters"),
				el("STATICVARIABLES", leaf("SVCURRENTCOMPANY", c.name))),
			el("REQUESTDATA", msg))))
}
