package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	// one, both derive from the order's content.
	Ref         string
	Date        time.Time // default today
	Party       NewParty  // Name required; the rest is used only to create a missing party
	Lines       []OrderLine
	SalesLedger string // default from Config
	Narration   string
	CreditDays  *int // default: Config.DefaultCreditDays
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
	// Replaced is true when a voucher with this REMOTEID already existed and
	// Tally replaced it (a resend), false when it was created.
	Replaced bool
	Outcome  ImportOutcome
}

// maxRefLen bounds an order reference; Tally bill names are short.
const maxRefLen = 60

// PlaceOrder posts an order as one Sales voucher: the party is debited the
// total with a New Ref bill allocation (so the order shows in Bills
// Receivable, due after the credit period), the sales ledger is credited the
// taxable value and the GST ledgers their tax, balanced to the paisa.
//
// Tally requests: one to read the party and the sales and tax ledgers
// together, one to create the party only when it is missing, one to post the
// voucher (plus, once per company when CompanyState is not configured, one to
// learn the company's state). The voucher's REMOTEID derives from the order,
// so posting the same order again replaces the voucher instead of duplicating
// it (tally-protocol.md §9.4).
func (s *Service) PlaceOrder(ctx context.Context, o Order) (OrderResult, error) {
	p, err := s.planOrder(o, "")
	if err != nil {
		return OrderResult{}, err
	}
	return s.executeOrder(ctx, p, orderHooks{})
}

// orderPlan is a validated order with its identity in Tally.
type orderPlan struct {
	Company  string
	Order    Order
	RemoteID string
	Ref      string
	Credit   int
}

// planOrder validates an order and fixes its REMOTEID and bill reference.
// With an order id (a stored order) the REMOTEID derives from the order_ref
// when there is one, else from the id; without (a synchronous order) from
// the order_ref or, failing that, the order's content.
func (s *Service) planOrder(o Order, orderID string) (orderPlan, error) {
	company := s.company(o.Company)
	if err := s.normalizeOrder(&o); err != nil {
		return orderPlan{}, err
	}
	// Validate the lines before touching Tally. Which taxes apply needs the
	// party's state, known only after the read in executeOrder, so this pass
	// prices as intra-state (an empty party state is) just to check the lines.
	if _, err := PriceOrder(PricingInput{Lines: o.Lines, PartyState: "", CompanyState: "-",
		DefaultGSTRate: s.cfg.DefaultGSTRate, Tax: s.cfg.Tax, SalesLedger: o.SalesLedger}); err != nil {
		return orderPlan{}, err
	}
	p := orderPlan{Company: company, Order: o, Ref: o.Ref, Credit: s.cfg.DefaultCreditDays}
	switch {
	case o.Ref != "":
		p.RemoteID = RemoteID(RemoteIDNamespace, "order\x00"+foldName(company)+"\x00"+o.Ref)
	case orderID != "":
		p.RemoteID = RemoteID(RemoteIDNamespace, "order-id\x00"+orderID)
	default:
		p.RemoteID = s.contentRemoteID(company, o)
	}
	if p.Ref == "" {
		p.Ref = "ORD-" + strings.ToUpper(strings.ReplaceAll(p.RemoteID, "-", "")[:8])
	}
	if o.CreditDays != nil {
		p.Credit = *o.CreditDays
	}
	return p, nil
}

// orderHooks let the durable queue record each step of a posting.
type orderHooks struct {
	// partyCreated says the party was already created for this order by
	// an earlier attempt: it is never created twice.
	partyCreated bool
	// onPartyCreated runs right after Tally created the party.
	onPartyCreated func(ctx context.Context) error
	// onImport runs after every Tally write, whatever its outcome.
	onImport func(ctx context.Context, kind, party string, out ImportOutcome, err error, took time.Duration)
}

// executeOrder reads the ledgers, creates the party when it is missing and
// posts the voucher.
func (s *Service) executeOrder(ctx context.Context, p orderPlan, h orderHooks) (OrderResult, error) {
	o, company := p.Order, p.Company
	names := []string{o.Party.Name, o.SalesLedger, s.cfg.Tax.CGST, s.cfg.Tax.SGST, s.cfg.Tax.IGST}
	ledgers, err := s.gw.Ledgers(ctx, company, nonEmpty(names))
	if err != nil {
		return OrderResult{}, err
	}
	companyState, err := s.companyState(ctx, company)
	if err != nil {
		return OrderResult{}, err
	}
	party, exists := ledgers[o.Party.Name]
	partyState := o.Party.State
	if exists {
		partyState = party.State
	}
	pricing, err := PriceOrder(PricingInput{Lines: o.Lines, PartyState: partyState, CompanyState: companyState,
		DefaultGSTRate: s.cfg.DefaultGSTRate, Tax: s.cfg.Tax, SalesLedger: o.SalesLedger})
	if err != nil {
		return OrderResult{}, err
	}
	if _, ok := ledgers[o.SalesLedger]; !ok {
		return OrderResult{}, missingLedger(company, o.SalesLedger, "Sales Accounts")
	}
	for _, t := range pricing.TaxEntries {
		if _, ok := ledgers[t.Ledger]; !ok {
			return OrderResult{}, missingLedger(company, t.Ledger, "Duties & Taxes (type of duty GST)")
		}
	}

	res := OrderResult{Company: company, Party: o.Party.Name, VoucherType: "Sales", Date: o.Date,
		Pricing: pricing, RemoteID: p.RemoteID, Ref: p.Ref, Due: o.Date.AddDate(0, 0, p.Credit)}

	switch {
	case exists:
		res.Party = party.Name // Tally's spelling
	case h.partyCreated:
		// Created by an earlier attempt and gone since (renamed or
		// deleted in Tally): creating it again could make a second
		// ledger, so a person decides.
		return res, &Error{Kind: Invalid, Code: "party_vanished",
			Message: fmt.Sprintf("party %s was created for this order but no longer exists in %s", quote(o.Party.Name), quote(company)),
			Hint:    "Restore or recreate the party in Tally, then retry the order."}
	default:
		o.Party.Group = s.cfg.PartyGroup
		if o.Party.ApplicableFrom.IsZero() {
			o.Party.ApplicableFrom = o.Date
		}
		start := time.Now()
		out, err := s.gw.CreateParty(ctx, company, o.Party)
		if h.onImport != nil {
			h.onImport(ctx, "masters", o.Party.Name, out, err, time.Since(start))
		}
		if err != nil {
			return res, fmt.Errorf("create party for order %s: %w", res.Ref, err)
		}
		res.PartyCreated = true
		if h.onPartyCreated != nil {
			if err := h.onPartyCreated(ctx); err != nil {
				return res, err
			}
		}
	}

	narration := o.Narration
	if narration == "" {
		narration = "Order " + res.Ref
	}
	// A marker in the narration survives every Tally version's read-back,
	// unlike the REMOTEID attribute, which some builds rewrite (§9.4).
	narration += " " + narrationMarker(res.RemoteID)

	entries := []Entry{{Ledger: res.Party, Amount: -pricing.Total, IsParty: true,
		Bills: []BillRef{{Name: res.Ref, Type: "New Ref", CreditDays: p.Credit, Amount: -pricing.Total}}}}
	if pricing.Taxable != 0 {
		entries = append(entries, Entry{Ledger: o.SalesLedger, Amount: pricing.Taxable})
	}
	for _, t := range pricing.TaxEntries {
		entries = append(entries, Entry{Ledger: t.Ledger, Amount: t.Amount})
	}
	start := time.Now()
	out, err := s.gw.PostVoucher(ctx, company, Voucher{Type: "Sales", RemoteID: res.RemoteID, Date: o.Date,
		Reference: res.Ref, Party: res.Party, Narration: narration, Entries: entries})
	if h.onImport != nil {
		h.onImport(ctx, "vouchers", res.Party, out, err, time.Since(start))
	}
	res.Outcome = out
	if err != nil {
		return res, err
	}
	res.Replaced = out.Created == 0 && out.Altered > 0
	return res, nil
}

// narrationMarker is what the voucher's narration carries to be found again.
func narrationMarker(remoteID string) string { return "[tallyfacade:" + remoteID + "]" }

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
	if utf8.RuneCountInString(o.Narration) > 1000 {
		return Errorf(Invalid, "invalid_narration", "narration must be at most 1000 characters")
	}
	o.Party.Group = ""
	return s.validateNewParty(&o.Party)
}

// contentRemoteID derives a synchronous order's REMOTEID from its content,
// so the same order sent twice maps to the same voucher.
func (s *Service) contentRemoteID(company string, o Order) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", foldName(company), o.Date.Format(time.DateOnly), foldName(o.Party.Name), o.SalesLedger)
	for _, l := range o.Lines {
		rate := "default"
		if l.GSTRate != nil {
			rate = l.GSTRate.String()
		}
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%s\x00", l.Item, l.Quantity.String(), l.Rate, rate, l.Unit)
	}
	return RemoteID(RemoteIDNamespace, "order-content\x00"+hex.EncodeToString(h.Sum(nil)))
}
