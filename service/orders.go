package service

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Order is a sales order to post to Tally as a Sales voucher.
type Order struct {
	Company string
	// Ref is the order's own reference (e.g. a WhatsApp order id). It names
	// the bill in Bills Receivable and keys the voucher's REMOTEID; without
	// one, both derive from the order's id, so each such order is new.
	Ref         string
	Date        time.Time // default today
	Party       NewParty  // Name required; the rest is used only to create a missing party
	Lines       []OrderLine
	SalesLedger string // default from Config
	Narration   string
	CreditDays  *int // default: Config.DefaultCreditDays
	// PartyByMobile (WhatsApp orders) says the party is whoever has
	// Party.Mobile (E.164) under the party group, resolved when the order
	// is posted (resolvePartyByMobile, whatsapp.go); Party.Name is only the
	// name a new party takes.
	PartyByMobile bool
	// Reject, when set, is why the order cannot be posted as sent (an
	// unknown catalog product, another currency); RejectCode is its code.
	// Such an order is stored anyway and rejected at its first attempt,
	// so it is visible among the rejected orders instead of lost.
	Reject     string
	RejectCode string
	// Amend says an order whose order_ref is stored with other content
	// replaces it (the same voucher, REMOTEID, in Tally); without it such
	// an order is an order_ref_conflict (SubmitOrder).
	Amend bool
}

// OrderResult is what Tally created for an order.
type OrderResult struct {
	Company      string
	Party        string
	PartyCreated bool
	VoucherType  string
	Ref          string // the bill reference
	RemoteID     string
	Date         time.Time
	Due          time.Time
	Pricing      Pricing
	// Invoice says the voucher is an item invoice (stock lines allocated
	// to the sales ledger) rather than an accounting voucher.
	Invoice bool
	// Replaced is true when a voucher with this REMOTEID already existed and
	// Tally replaced it (a resend), false when it was created.
	Replaced bool
	Outcome  ImportOutcome
}

// maxRefLen bounds an order reference; Tally bill names are short.
const maxRefLen = 60

// orderPlan is a validated order with its identity in Tally.
type orderPlan struct {
	Company  string
	Order    Order
	RemoteID string
	Ref      string
	Credit   int
}

// planOrder validates an order and fixes its REMOTEID and bill reference:
// from the order_ref (and party) when there is one, else from the order's
// id. An order without order_ref is identified only by its id, which is
// random unless the request had an Idempotency-Key (recordID): each such
// request is a new order, because one customer can truly order the same
// thing twice a day, so its content identifies nothing.
func (s *Service) planOrder(o Order, orderID string) (orderPlan, error) {
	company := s.company(o.Company)
	if err := s.normalizeOrder(&o); err != nil {
		return orderPlan{}, err
	}
	// Validate the lines before touching Tally. Which taxes apply needs the
	// party's state, known only after the read in executeOrder, so this pass
	// prices as intra-state (an empty party state is) just to check the lines.
	// (An order stored as rejected, Order.Reject, has no lines to check.)
	if o.Reject == "" {
		if _, err := PriceOrder(PricingInput{Lines: o.Lines, PartyState: "", CompanyState: "-",
			DefaultGSTRate: s.cfg.DefaultGSTRate.Decimal, Tax: s.cfg.Tax, SalesLedger: o.SalesLedger}); err != nil {
			return orderPlan{}, err
		}
	}
	p := orderPlan{Company: company, Order: o, Ref: o.Ref, Credit: *s.cfg.DefaultCreditDays}
	switch {
	case o.Ref != "":
		// The party is part of the key: chatbots number orders per
		// conversation ("1", "2", …), and Tally's bill names are per party,
		// so order 1 of one customer must not replace order 1 of another.
		partyKey := remoteIDKey(o.Party.Name)
		if o.PartyByMobile {
			// WhatsApp: the party is the mobile; its name is decided
			// only when the order is posted.
			partyKey = "mobile:" + o.Party.Mobile
		}
		p.RemoteID = RemoteID(RemoteIDNamespace, "order\x00"+remoteIDKey(company)+"\x00"+partyKey+"\x00"+o.Ref)
	default:
		p.RemoteID = RemoteID(RemoteIDNamespace, "order-id\x00"+orderID)
	}
	if p.Ref == "" {
		p.Ref = "ORD-" + strings.ToUpper(strings.ReplaceAll(p.RemoteID, "-", "")[:8])
	}
	if o.CreditDays != nil {
		p.Credit = *o.CreditDays
	}
	return p, nil
}

// executeOrder posts an order as one Sales voucher: the party is debited the
// total with a New Ref bill allocation (so the order shows in Bills
// Receivable, due after the credit period), the sales ledger is credited the
// taxable value and the GST ledgers their tax, balanced to the paisa.
//
// Tally requests: one to read the party and the sales and tax ledgers
// together, when the party is missing one listing the ledger names (a
// near-twin is that party, parties.go) and one to create it, one to post the
// voucher (plus, once per company when CompanyState is not configured, one to
// learn the company's state). The voucher's REMOTEID derives from the
// order_ref, so posting the same order_ref again replaces the voucher instead
// of duplicating it (tally-protocol.md §9.4); an order without one is new.
func (s *Service) executeOrder(ctx context.Context, p orderPlan, h postHooks) (OrderResult, error) {
	res, v, err := s.prepareOrder(ctx, p, h, s.gw.Ledgers, s.readItems)
	if err != nil {
		return res, err
	}
	start := time.Now()
	out, err := s.gw.PostVoucher(ctx, p.Company, v)
	if h.onImport != nil {
		h.onImport(ctx, "vouchers", res.Party, out, err, time.Since(start))
	}
	return postedOrder(res, out, err)
}

// postedOrder is an order's result once Tally answered its voucher's import.
func postedOrder(res OrderResult, out ImportOutcome, err error) (OrderResult, error) {
	res.Outcome = out
	if err != nil {
		return res, err
	}
	res.Replaced = out.Created == 0 && out.Altered > 0
	return res, nil
}

// ledgerReader reads ledgers by name (Gateway.Ledgers, or a batch's one
// read, postBatch).
type ledgerReader func(ctx context.Context, company string, names []string) (map[string]Party, error)

// orderLedgerNames are the ledgers an order's preparation reads.
func (s *Service) orderLedgerNames(o Order) []string {
	return []string{o.Party.Name, o.SalesLedger, s.cfg.Tax.CGST, s.cfg.Tax.SGST, s.cfg.Tax.IGST}
}

// prepareOrder does everything executeOrder does before the voucher is
// sent, in three steps: resolve the party (read with read, together with
// the order's own ledgers), check those ledgers, then create the party if it
// is missing and build the voucher. It returns the result so far and the
// voucher to post.
func (s *Service) prepareOrder(ctx context.Context, p orderPlan, h postHooks, read ledgerReader, readItems itemReader) (OrderResult, Voucher, error) {
	o, company := p.Order, p.Company
	if o.Reject != "" {
		// Stored as rejected (a WhatsApp order naming an unknown product):
		// refused before any Tally request.
		return OrderResult{}, Voucher{}, o.rejection()
	}
	items, err := s.matchItems(ctx, company, &o, readItems)
	if err != nil {
		return OrderResult{}, Voucher{}, err
	}
	lockKey := o.Party.Name
	if o.PartyByMobile {
		lockKey = "mobile\x00" + o.Party.Mobile // two orders from one new number create one party
	}
	unlock := s.lockParty(company, lockKey)
	defer unlock()
	rp, err := s.resolveParty(ctx, company, o, read)
	if err != nil {
		return OrderResult{}, Voucher{}, err
	}
	o.Party.Name = rp.name
	pricing, err := s.priceFor(ctx, company, o, rp.state(o.Party))
	if err != nil {
		return OrderResult{}, Voucher{}, err
	}
	if err := s.checkLedgers(ctx, company, o, rp, pricing); err != nil {
		return OrderResult{}, Voucher{}, err
	}
	res := OrderResult{Company: company, Party: o.Party.Name, VoucherType: s.cfg.SalesVoucherType, Date: o.Date,
		Pricing: pricing, RemoteID: p.RemoteID, Ref: p.Ref, Due: o.Date.AddDate(0, 0, p.Credit), Invoice: items.invoice}
	if res, err = s.ensureParty(ctx, p, o, rp, h, res); err != nil {
		return res, Voucher{}, err
	}
	return res, buildSalesVoucher(o, p.Credit, res), nil
}

// resolvedParty is the party an order debits, as the resolve-party step
// found it, with the ledgers it read on the way.
type resolvedParty struct {
	name    string           // the ledger's name as the order gives it (or a new party's name)
	ledgers map[string]Party // the party, the sales and tax ledgers, keyed by the names asked
	ledger  Party            // the party's ledger, when exists
	exists  bool
}

// state is the party's state: Tally's when the ledger exists, else the
// order's for a new party.
func (rp resolvedParty) state(p NewParty) string {
	if rp.exists {
		return rp.ledger.State
	}
	return p.State
}

// resolveParty is the first step of an order: it decides which ledger the
// order debits. A WhatsApp order's party is found by mobile here, not in the
// webhook, which must answer fast and never wait for Tally; the party and
// the order's own ledgers are read together (one request), and a near-twin
// of the party's name is that party (parties.go).
func (s *Service) resolveParty(ctx context.Context, company string, o Order, read ledgerReader) (resolvedParty, error) {
	var candidates []string
	if o.PartyByMobile {
		name, cands, err := s.resolvePartyByMobile(ctx, company, o.Party)
		if err != nil {
			return resolvedParty{}, err
		}
		if name != "" {
			o.Party.Name = name
		}
		candidates = cands
	}
	ledgers, err := read(ctx, company, nonEmpty(append(s.orderLedgerNames(o), candidates...)))
	if err == nil {
		err = s.withTwins(ctx, company, ledgers, append([]string{o.Party.Name}, candidates...))
	}
	if err != nil {
		return resolvedParty{}, err
	}
	if candidates != nil {
		// No party has the number: the new party takes the first name no
		// ledger has (resolvePartyByMobile).
		free := slices.IndexFunc(candidates, func(n string) bool { _, taken := ledgers[n]; return !taken })
		if free < 0 {
			return resolvedParty{}, &Error{Kind: Invalid, Code: "party_name_taken",
				Message: fmt.Sprintf("no party has the mobile %s, and ledgers named %s exist already", o.Party.Mobile, strings.Join(candidates, ", ")),
				Hint:    "Set the customer's mobile on their ledger in Tally, then retry the order."}
		}
		o.Party.Name = candidates[free]
	}
	party, exists := ledgers[o.Party.Name]
	return resolvedParty{name: o.Party.Name, ledgers: ledgers, ledger: party, exists: exists}, nil
}

// checkLedgers is the second step: the party is a customer (a ledger under
// a party group, not one of the ledgers the order credits), the sales
// ledger is a sales ledger, and every tax ledger the pricing needs exists.
func (s *Service) checkLedgers(ctx context.Context, company string, o Order, rp resolvedParty, pricing Pricing) error {
	notParty := false
	if rp.exists {
		isParty, err := s.isPartyGroup(ctx, company, rp.ledger.Group)
		if err != nil {
			return err
		}
		notParty = !isParty
	}
	if notParty || s.isOwnLedger(o.Party.Name, o.SalesLedger) {
		// A customer who calls themselves "Cash" or "Sales" must not have
		// the sale debited to that ledger.
		return &Error{Kind: Invalid, Code: "party_not_a_customer",
			Message: fmt.Sprintf("%s is a ledger under %s, not a party", quote(o.Party.Name), quote(rp.ledger.Group)),
			Hint:    "Use the customer's own ledger name; orders debit a party under Sundry Debtors."}
	}
	sales, ok := rp.ledgers[o.SalesLedger]
	if !ok {
		return missingLedger(company, o.SalesLedger, "Sales Accounts")
	}
	if notSalesGroups[foldName(sales.Group)] {
		return &Error{Kind: Invalid, Code: "not_a_sales_ledger",
			Message: fmt.Sprintf("ledger %s is under %s, not Sales Accounts", quote(o.SalesLedger), quote(sales.Group)),
			Hint:    "Name a ledger under Sales Accounts as the order's sales ledger, or configure another default.", Setting: SettingSalesLedger}
	}
	for _, t := range pricing.TaxEntries {
		if _, ok := rp.ledgers[t.Ledger]; !ok {
			return missingLedger(company, t.Ledger, "Duties & Taxes (type of duty GST)")
		}
	}
	return nil
}

// ensureParty gives res Tally's spelling of an existing party, or creates
// the party the order names when Tally does not have it, once per record.
func (s *Service) ensureParty(ctx context.Context, p orderPlan, o Order, rp resolvedParty, h postHooks, res OrderResult) (OrderResult, error) {
	switch {
	case rp.exists:
		res.Party = rp.ledger.Name // Tally's spelling
		return res, nil
	case h.partyCreated:
		// Created by an earlier attempt and gone since (renamed or
		// deleted in Tally): creating it again could make a second
		// ledger, so a person decides.
		return res, &Error{Kind: Invalid, Code: "party_vanished",
			Message: fmt.Sprintf("party %s was created for this order but no longer exists in %s", quote(o.Party.Name), quote(p.Company)),
			Hint:    "Restore or recreate the party in Tally, then retry the order."}
	}
	o.Party = s.newCustomer(o.Party, p.Credit, o.Date)
	start := time.Now()
	out, err := s.gw.CreateParty(ctx, p.Company, o.Party)
	if h.onImport != nil {
		h.onImport(ctx, "masters", o.Party.Name, out, err, time.Since(start))
	}
	switch {
	case err == nil:
		res.PartyCreated = true
	case KindOf(err) == Conflict:
		// Created meanwhile by another replica or by hand: Tally
		// altered it with the same details instead. The party exists,
		// which is what the order needs.
	default:
		return res, fmt.Errorf("create party for order %s: %w", res.Ref, err)
	}
	if h.onPartyCreated != nil {
		if err := h.onPartyCreated(ctx); err != nil {
			return res, err
		}
	}
	return res, nil
}

// buildSalesVoucher is the last step: the voucher of a priced order. The
// party is debited the total with a New Ref bill allocation due after credit
// days, the sales ledger credited the taxable value (on an item invoice,
// through each stock line's accounting allocation) and each tax ledger its
// tax.
func buildSalesVoucher(o Order, credit int, res OrderResult) Voucher {
	pricing := res.Pricing
	narration := o.Narration
	if narration == "" {
		narration = "Order " + res.Ref
	}
	// A marker in the narration survives every Tally version's read-back,
	// unlike the REMOTEID attribute, which some builds rewrite (§9.4).
	narration += " " + narrationMarker(res.RemoteID)

	entries := []Entry{{Ledger: res.Party, Amount: -pricing.Total, IsParty: true,
		Bills: []BillRef{{Name: res.Ref, Type: "New Ref", CreditDays: credit, Amount: -pricing.Total}}}}
	var inventory []InventoryLine
	switch {
	case res.Invoice:
		inventory = inventoryLines(pricing)
	case pricing.Taxable != 0:
		entries = append(entries, Entry{Ledger: o.SalesLedger, Amount: pricing.Taxable})
	}
	for _, t := range pricing.TaxEntries {
		entries = append(entries, Entry{Ledger: t.Ledger, Amount: t.Amount})
	}
	return Voucher{Type: res.VoucherType, RemoteID: res.RemoteID, Date: o.Date,
		Reference: res.Ref, Party: res.Party, Narration: narration, Entries: entries, Inventory: inventory}
}

// priceFor prices an order for a party in partyState: intra- or
// inter-state against the company's state.
func (s *Service) priceFor(ctx context.Context, company string, o Order, partyState string) (Pricing, error) {
	companyState, err := s.companyState(ctx, company)
	if err != nil {
		return Pricing{}, err
	}
	return PriceOrder(PricingInput{Lines: o.Lines, PartyState: partyState, CompanyState: companyState,
		DefaultGSTRate: s.cfg.DefaultGSTRate.Decimal, Tax: s.cfg.Tax, SalesLedger: o.SalesLedger})
}

// newCustomer is the ledger an order creates for a customer Tally does not
// have, whichever way the order came (POST /orders, WhatsApp): under the
// party group, bill-wise with the order's credit period, so the order's New
// Ref bill is kept (Tally silently drops bill allocations on a ledger that
// is not bill-wise, tally-protocol.md §9.4) and the order shows in
// receivables and reminders, and a later receipt can settle it.
func (s *Service) newCustomer(p NewParty, creditDays int, date time.Time) NewParty {
	p.Group = s.cfg.PartyGroup
	p.BillWise = true
	p.CreditDays = creditDays
	if p.ApplicableFrom.IsZero() {
		p.ApplicableFrom = date
	}
	if p.GSTRegistrationType == "" {
		p.GSTRegistrationType = "Unregistered/Consumer"
		if p.GSTIN != "" {
			p.GSTRegistrationType = "Regular"
		}
	}
	return p
}

// lockParty serialises work on one party of one company in this process.
func (s *Service) lockParty(company, party string) (unlock func()) {
	h := sha256.Sum256([]byte(foldName(company) + "\x00" + foldName(party)))
	m := &s.partyLocks[int(h[0])%len(s.partyLocks)]
	m.Lock()
	return m.Unlock
}

// notSalesGroups are predefined groups a sales ledger can never be under;
// other groups may be sub-groups of Sales Accounts, which Tally allows.
var notSalesGroups = map[string]bool{
	"sundry debtors": true, "sundry creditors": true, "cash-in-hand": true, "bank accounts": true,
	"bank od a/c": true, "duties & taxes": true, "capital account": true, "primary": true,
}

// isOwnLedger reports whether name is one of the ledgers the order itself
// credits.
func (s *Service) isOwnLedger(name, salesLedger string) bool {
	for _, l := range []string{salesLedger, s.cfg.Tax.CGST, s.cfg.Tax.SGST, s.cfg.Tax.IGST} {
		if l != "" && foldName(l) == foldName(name) {
			return true
		}
	}
	return false
}

// narrationMarker is what the voucher's narration carries to be found again.
func narrationMarker(remoteID string) string { return "[tallyfacade:" + remoteID + "]" }

// markedRemoteID is the REMOTEID in a narration's marker, or "".
func markedRemoteID(narration string) string {
	_, after, ok := strings.Cut(narration, "[tallyfacade:")
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(after, "]")
	if !ok || !ValidID(id) {
		return ""
	}
	return id
}

func missingLedger(company, ledger, group string) *Error {
	return &Error{Kind: Invalid, Code: "ledger_missing",
		Message: fmt.Sprintf("ledger %s does not exist in %s", quote(ledger), quote(company)),
		Hint:    fmt.Sprintf("Create the ledger %s under %s in Tally, or configure another name.", quote(ledger), group)}
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isBadControl is a control character other than the line breaks and tab a
// narration may hold.
func isBadControl(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }

func (s *Service) normalizeOrder(o *Order) error {
	o.Ref = strings.TrimSpace(o.Ref)
	if utf8.RuneCountInString(o.Ref) > maxRefLen || strings.IndexFunc(o.Ref, unicode.IsControl) >= 0 {
		return Errorf(Invalid, "invalid_order_ref", "order_ref must be at most %d characters without control characters", maxRefLen)
	}
	if o.Date.IsZero() {
		o.Date = s.Today()
	} else {
		o.Date = Day(o.Date, time.UTC)
	}
	if o.SalesLedger == "" {
		o.SalesLedger = s.cfg.SalesLedger
	}
	if err := ValidateName("sales_ledger", o.SalesLedger); err != nil {
		return err
	}
	if o.CreditDays != nil && (*o.CreditDays < 0 || *o.CreditDays > 3650) {
		return Errorf(Invalid, "invalid_credit_days", "credit_days must be between 0 and 3650")
	}
	if utf8.RuneCountInString(o.Narration) > 1000 || strings.IndexFunc(o.Narration, isBadControl) >= 0 || !utf8.ValidString(o.Narration) {
		return Errorf(Invalid, "invalid_narration", "narration must be at most 1000 characters without control characters (line breaks and tabs are fine)")
	}
	for i, l := range o.Lines {
		if strings.IndexFunc(l.Item, unicode.IsControl) >= 0 || utf8.RuneCountInString(l.Item) > maxNameLen || !utf8.ValidString(l.Item) {
			return Errorf(Invalid, "invalid_item", "lines[%d].item must be at most %d characters without control characters", i, maxNameLen)
		}
		if strings.IndexFunc(l.Unit, unicode.IsControl) >= 0 || utf8.RuneCountInString(l.Unit) > 20 {
			return Errorf(Invalid, "invalid_unit", "lines[%d].unit must be at most 20 characters without control characters", i)
		}
	}
	if err := checkDate(o.Date); err != nil {
		return err
	}
	o.Party.Group = ""
	return s.validateNewParty(&o.Party)
}
