package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ReceiptsConfig names the ledgers a receipt debits. Both are empty unless
// configured: an empty one rejects receipts of its modes with code
// ledger_not_configured rather than guess a bank account.
type ReceiptsConfig struct {
	// BankLedger is debited with UPI and bank-transfer receipts: a ledger
	// under Bank Accounts, e.g. "HDFC Bank" (SettingBankLedger).
	BankLedger string
	// CashLedger is debited with cash receipts: a ledger under
	// Cash-in-Hand, usually "Cash" (SettingCashLedger).
	CashLedger string
}

// The payment modes of a receipt.
const (
	ModeUPI  = "upi"
	ModeBank = "bank"
	ModeCash = "cash"
)

// Bill allocation types a receipt uses (tally-protocol.md §9.4; the
// simulator's books.go): Agst Ref reduces an existing bill by exactly its
// amount, On Account is money received that settles no bill.
const (
	billAgstRef   = "Agst Ref"
	billOnAccount = "On Account"
)

// maxReceiptBills bounds the bills one receipt may name.
const maxReceiptBills = 100

// Receipt is a customer's payment to post to Tally as a Receipt voucher.
type Receipt struct {
	Company string
	// Ref is the receipt's own reference (a chatbot's payment id). It keys
	// the voucher's REMOTEID, with the party; without one the REMOTEID
	// derives from the stored record's id.
	Ref    string
	Date   time.Time // default today
	Party  string    // an existing party ledger; receipts never create one
	Amount Paise     // > 0
	Mode   string    // ModeUPI, ModeBank or ModeCash
	// Bills names the bills paid, in the order to settle them. Empty means
	// oldest first by due date, then bill date.
	Bills     []string
	Narration string
	// Reference is the payment's own id: the UTR of a bank transfer or the
	// UPI transaction id. It becomes the voucher's reference.
	Reference string
}

// ReceiptAllocation is the part of a receipt set against one bill.
type ReceiptAllocation struct {
	BillRef string
	Amount  Paise
	// Pending is what the bill owed before this receipt.
	Pending Paise
}

// ReceiptResult is what Tally was sent for a receipt.
type ReceiptResult struct {
	Company     string
	Party       string // as Tally spells it
	VoucherType string // "Receipt"
	Ref         string // the receipt reference
	RemoteID    string
	Date        time.Time
	Mode        string
	Ledger      string // the bank or cash ledger debited
	Amount      Paise
	Reference   string
	Allocations []ReceiptAllocation
	// OnAccount is what settled no bill (an overpayment, or a party
	// without outstanding bills).
	OnAccount Paise
	// Replaced is true when a voucher with this REMOTEID already existed
	// and Tally replaced it.
	Replaced bool
	Outcome  ImportOutcome
}

// receiptPlan is a validated receipt with its identity in Tally.
type receiptPlan struct {
	Company  string
	Receipt  Receipt
	RemoteID string
	Ref      string
	Ledger   string // the bank or cash ledger to debit
}

// IsReceipt reports whether a stored record is a receipt rather than a sales
// order. Receipts share the order queue, its states and GET /orders.
func IsReceipt(rec OrderRecord) bool { return requestKind(rec.Request) == kindReceipt }

// ReceiptResultOf returns what was posted for a posted receipt.
func ReceiptResultOf(rec OrderRecord) (ReceiptResult, bool) {
	if rec.State != OrderPosted || len(rec.Result) == 0 || !IsReceipt(rec) {
		return ReceiptResult{}, false
	}
	res, err := decodeReceiptResult(rec.Result)
	return res, err == nil
}

// SubmitReceipt validates a receipt and stores it, with the job that posts
// it, exactly as SubmitOrder stores an order: same queue, same states, same
// REMOTEID rules (from the receipt ref and party when there is a ref, else
// from the record's id, which derives from dedupe when given), so a resend
// returns the stored receipt with created false instead of paying twice.
func (s *Service) SubmitReceipt(ctx context.Context, r Receipt, source, dedupe string) (rec OrderRecord, created bool, err error) {
	return s.submit(ctx, "receipt-request", r.Company, source, dedupe, func(id string) (OrderRecord, error) {
		p, err := s.planReceipt(r, id)
		if err != nil {
			return OrderRecord{}, err
		}
		p.Receipt.Company = p.Company
		req, err := encodeReceipt(p.Receipt)
		if err != nil {
			return OrderRecord{}, fmt.Errorf("encode receipt: %w", err)
		}
		return OrderRecord{Company: p.Company, Ref: p.Ref, RemoteID: p.RemoteID, Party: p.Receipt.Party, Request: req}, nil
	})
}

// planReceipt validates a receipt, picks the ledger it debits and fixes its
// REMOTEID and reference (see SubmitReceipt).
func (s *Service) planReceipt(r Receipt, recordID string) (receiptPlan, error) {
	company := s.company(r.Company)
	if err := s.normalizeReceipt(&r); err != nil {
		return receiptPlan{}, err
	}
	ledger, err := s.receiptLedger(r.Mode)
	if err != nil {
		return receiptPlan{}, err
	}
	p := receiptPlan{Company: company, Receipt: r, Ref: r.Ref, Ledger: ledger}
	switch {
	case r.Ref != "":
		// Per party, as for orders: a chatbot numbers payments per
		// conversation. The "receipt" prefix keeps receipt 1 from
		// replacing order 1 of the same party.
		p.RemoteID = RemoteID(RemoteIDNamespace, "receipt\x00"+remoteIDKey(company)+"\x00"+remoteIDKey(r.Party)+"\x00"+r.Ref)
	default:
		p.RemoteID = RemoteID(RemoteIDNamespace, "receipt-id\x00"+recordID)
	}
	if p.Ref == "" {
		p.Ref = "RCT-" + strings.ToUpper(strings.ReplaceAll(p.RemoteID, "-", "")[:8])
	}
	return p, nil
}

// receiptLedger is the ledger a receipt of mode debits.
func (s *Service) receiptLedger(mode string) (string, error) {
	ledger, setting, what, example := s.cfg.Receipts.BankLedger, SettingBankLedger, "bank", `"HDFC Bank"`
	if mode == ModeCash {
		ledger, setting, what, example = s.cfg.Receipts.CashLedger, SettingCashLedger, "cash", `"Cash"`
	}
	if strings.TrimSpace(ledger) == "" {
		return "", &Error{Kind: Invalid, Code: "ledger_not_configured", Setting: setting,
			Message: fmt.Sprintf("no %s ledger is configured for %s receipts", what, mode),
			Hint:    fmt.Sprintf("Configure the Tally ledger that %s receipts are debited to (for example %s).", mode, example)}
	}
	return ledger, nil
}

func (s *Service) normalizeReceipt(r *Receipt) error {
	r.Ref = strings.TrimSpace(r.Ref)
	if utf8.RuneCountInString(r.Ref) > maxRefLen || strings.IndexFunc(r.Ref, unicode.IsControl) >= 0 || !utf8.ValidString(r.Ref) {
		return Errorf(Invalid, "invalid_receipt_ref", "receipt_ref must be at most %d characters without control characters", maxRefLen)
	}
	r.Party = strings.TrimSpace(r.Party)
	if err := ValidateName("party", r.Party); err != nil {
		return err
	}
	if r.Amount <= 0 {
		return Errorf(Invalid, "invalid_amount", "amount must be greater than 0")
	}
	r.Mode = strings.ToLower(strings.TrimSpace(r.Mode))
	switch r.Mode {
	case ModeUPI, ModeBank, ModeCash:
	default:
		return Errorf(Invalid, "invalid_mode", "mode must be upi, bank or cash")
	}
	if r.Date.IsZero() {
		r.Date = s.Today()
	} else {
		r.Date = Day(r.Date, time.UTC)
	}
	if err := checkDate(r.Date); err != nil {
		return err
	}
	if len(r.Bills) > maxReceiptBills {
		return Errorf(Invalid, "invalid_bills", "bills must name at most %d bills", maxReceiptBills)
	}
	seen := map[string]bool{}
	bills := make([]string, 0, len(r.Bills))
	for i, b := range r.Bills {
		b = strings.TrimSpace(b)
		if b == "" || utf8.RuneCountInString(b) > maxRefLen || strings.IndexFunc(b, unicode.IsControl) >= 0 || !utf8.ValidString(b) {
			return Errorf(Invalid, "invalid_bills", "bills[%d] must be a bill reference of 1 to %d characters without control characters", i, maxRefLen)
		}
		if seen[foldName(b)] {
			return Errorf(Invalid, "invalid_bills", "bills[%d]: bill %s is named twice", i, quote(b))
		}
		seen[foldName(b)] = true
		bills = append(bills, b)
	}
	r.Bills = bills
	if len(r.Bills) == 0 {
		r.Bills = nil
	}
	if utf8.RuneCountInString(r.Narration) > 1000 || strings.IndexFunc(r.Narration, isBadControl) >= 0 || !utf8.ValidString(r.Narration) {
		return Errorf(Invalid, "invalid_narration", "narration must be at most 1000 characters without control characters (line breaks and tabs are fine)")
	}
	r.Reference = strings.TrimSpace(r.Reference)
	if utf8.RuneCountInString(r.Reference) > 100 || strings.IndexFunc(r.Reference, unicode.IsControl) >= 0 || !utf8.ValidString(r.Reference) {
		return Errorf(Invalid, "invalid_reference", "reference must be at most 100 characters without control characters")
	}
	return nil
}

// executeReceipt reads the party and the debit ledger, then the party's
// outstanding bills, allocates the amount and posts one Receipt voucher.
//
// Tally requests: one for the two ledgers, one for Bills Receivable, one to
// post. Reading Bills Receivable is what makes the allocation right: an Agst
// Ref naming a bill the party does not owe would not be refused by Tally, it
// would open a new (credit) bill of that name (tally-protocol.md §9.4; the
// simulator's books.go does the same), so unknown bills are refused here.
func (s *Service) executeReceipt(ctx context.Context, p receiptPlan, h postHooks) (ReceiptResult, error) {
	r, company := p.Receipt, p.Company
	// Serialised with orders of the same party in this process, so two
	// receipts read-allocate-post one after the other instead of both
	// settling the same bill from the same outstanding figure.
	unlock := s.lockParty(company, r.Party)
	defer unlock()
	ledgers, err := s.gw.Ledgers(ctx, company, []string{r.Party, p.Ledger})
	if err != nil {
		return ReceiptResult{}, err
	}
	party, ok := ledgers[r.Party]
	if !ok {
		return ReceiptResult{}, &Error{Kind: Invalid, Code: "party_not_found",
			Message: fmt.Sprintf("party %s does not exist in %s", quote(r.Party), quote(company)),
			Hint:    "A receipt credits an existing customer: check the spelling, or search the parties.", Remedy: RemedySearchParties}
	}
	isParty, err := s.isPartyGroup(ctx, company, party.Group)
	if err != nil {
		return ReceiptResult{}, err
	}
	if !isParty || foldName(party.Name) == foldName(p.Ledger) {
		return ReceiptResult{}, &Error{Kind: Invalid, Code: "party_not_a_customer",
			Message: fmt.Sprintf("%s is a ledger under %s, not a party", quote(party.Name), quote(party.Group)),
			Hint:    "Use the customer's own ledger name; receipts credit a party under Sundry Debtors."}
	}
	debit, ok := ledgers[p.Ledger]
	if !ok {
		group := "Bank Accounts"
		if r.Mode == ModeCash {
			group = "Cash-in-Hand"
		}
		return ReceiptResult{}, missingLedger(company, p.Ledger, group)
	}

	bills, err := s.gw.Receivables(ctx, company, laterOf(r.Date, s.Today()))
	if err != nil {
		return ReceiptResult{}, err
	}
	var owed []Receivable
	for _, b := range bills {
		if foldName(b.Party) == foldName(party.Name) {
			owed = append(owed, Receivable{Party: b.Party, Ref: b.Ref, Date: b.Date, Due: b.Due, Amount: -b.Pending.Signed})
		}
	}
	allocs, onAccount, err := AllocateReceipt(r.Amount, r.Bills, owed)
	if err != nil {
		if e, ok := AsError(err); ok {
			e.Message = fmt.Sprintf("%s: %s", quote(party.Name), e.Message)
		}
		return ReceiptResult{}, err
	}

	res := ReceiptResult{Company: company, Party: party.Name, VoucherType: s.cfg.ReceiptVoucherType, Ref: p.Ref, RemoteID: p.RemoteID,
		Date: r.Date, Mode: r.Mode, Ledger: debit.Name, Amount: r.Amount, Reference: r.Reference,
		Allocations: allocs, OnAccount: onAccount}
	if h.onPlanned != nil {
		if err := h.onPlanned(ctx, res); err != nil {
			return res, err
		}
	}

	narration := r.Narration
	if narration == "" {
		narration = fmt.Sprintf("Receipt %s from %s by %s", res.Ref, res.Party, modeText(r.Mode))
		if r.Reference != "" {
			narration += ", ref " + r.Reference
		}
	}
	// The marker makes the voucher findable on read-back, as for orders.
	narration += " " + narrationMarker(res.RemoteID)

	// The party is credited (positive) and the bank or cash debited
	// (negative); each allocation carries its line's sign (tallyxml's
	// BillAllocation).
	refs := make([]BillRef, 0, len(allocs)+1)
	for _, a := range allocs {
		refs = append(refs, BillRef{Name: a.BillRef, Type: billAgstRef, Amount: a.Amount})
	}
	if onAccount > 0 {
		refs = append(refs, BillRef{Type: billOnAccount, Amount: onAccount})
	}
	reference := r.Reference
	if reference == "" {
		reference = res.Ref
	}
	entries := []Entry{
		{Ledger: res.Party, Amount: r.Amount, IsParty: true, Bills: refs},
		{Ledger: debit.Name, Amount: -r.Amount},
	}
	start := time.Now()
	out, err := s.gw.PostVoucher(ctx, company, Voucher{Type: res.VoucherType, RemoteID: res.RemoteID, Date: r.Date,
		Reference: reference, Party: res.Party, Narration: narration, Entries: entries})
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

// AllocateReceipt sets amount against a party's outstanding bills (Amount
// positive = owed). With named bills, each takes up to what it owes, in the
// order named; a named bill that is not outstanding (unknown, settled, or a
// credit) is an Invalid error, code bill_not_outstanding, listing what is
// outstanding; what the named bills leave settles the party's other bills
// oldest first. Without names, all bills are settled oldest first: by due
// date (the bill date when there is none), then bill date, then reference.
// Only what exceeds everything owed is returned as onAccount. Allocations of zero are left out, so a
// named bill the amount does not reach is not mentioned.
func AllocateReceipt(amount Paise, named []string, outstanding []Receivable) (allocs []ReceiptAllocation, onAccount Paise, err error) {
	owed := make([]Receivable, 0, len(outstanding))
	for _, b := range outstanding {
		if b.Amount > 0 {
			owed = append(owed, b)
		}
	}
	oldestFirst := slices.Clone(owed)
	slices.SortStableFunc(oldestFirst, func(a, b Receivable) int {
		return cmp.Or(receiptDue(a).Compare(receiptDue(b)), a.Date.Compare(b.Date), strings.Compare(a.Ref, b.Ref))
	})
	var order []Receivable
	if len(named) > 0 {
		for _, n := range named {
			i := slices.IndexFunc(owed, func(b Receivable) bool { return b.Ref == n })
			if i < 0 {
				// Tally matches names case-insensitively (§9.4); an exact
				// match wins when two bills differ only in case.
				i = slices.IndexFunc(owed, func(b Receivable) bool { return foldName(b.Ref) == foldName(n) })
			}
			if i < 0 {
				// The list goes in the message, not only the hint: a
				// stored receipt keeps the message of its rejection.
				return nil, 0, &Error{Kind: Invalid, Code: "bill_not_outstanding",
					Message: fmt.Sprintf("bill %s is not outstanding (%s)", quote(n), outstandingList(owed)),
					Hint:    "Name a bill the party owes, or leave bills out to settle the oldest first."}
			}
			order = append(order, owed[i])
		}
		// What the named bills do not take settles the party's other
		// bills, oldest first: an amount left On Account is not listed in
		// Bills Receivable (tally-protocol.md §9.3 D), so reminders would
		// go on asking for money already paid.
		for _, b := range oldestFirst {
			if !slices.ContainsFunc(order, func(o Receivable) bool { return o.Ref == b.Ref }) {
				order = append(order, b)
			}
		}
	} else {
		order = oldestFirst
	}
	left := amount
	for _, b := range order {
		if left == 0 {
			break
		}
		take := min(left, b.Amount)
		allocs = append(allocs, ReceiptAllocation{BillRef: b.Ref, Amount: take, Pending: b.Amount})
		left -= take
	}
	return allocs, left, nil
}

// receiptDue is a bill's due date, or its date when Tally gave none.
func receiptDue(b Receivable) time.Time {
	if b.Due.IsZero() {
		return b.Date
	}
	return b.Due
}

func outstandingList(owed []Receivable) string {
	if len(owed) == 0 {
		return "nothing is outstanding"
	}
	parts := make([]string, 0, min(len(owed), 10))
	for i, b := range owed {
		if i == 10 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s", b.Ref, b.Amount.Rupees()))
	}
	return "outstanding: " + strings.Join(parts, ", ")
}

func modeText(mode string) string {
	switch mode {
	case ModeUPI:
		return "UPI"
	case ModeCash:
		return "cash"
	}
	return "bank transfer"
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// receiptJob is a stored receipt as the pipeline attempts it.
type receiptJob struct {
	s    *Service
	rec  OrderRecord
	plan receiptPlan
}

func (s *Service) loadReceiptJob(rec OrderRecord) (postingJob, error) {
	r, err := decodeReceipt(rec.Request)
	if err != nil {
		return nil, &Error{Kind: Internal, Code: "receipt_unreadable", Message: "the stored receipt cannot be read", Err: err}
	}
	p, err := s.planReceipt(r, rec.ID)
	if err != nil {
		return nil, err
	}
	p.RemoteID, p.Ref = rec.RemoteID, rec.Ref
	return &receiptJob{s: s, rec: rec, plan: p}, nil
}

func (j *receiptJob) target() voucherTarget {
	return voucherTarget{Company: j.plan.Company, Date: j.plan.Receipt.Date, RemoteID: j.plan.RemoteID}
}

// settled: what was sent is the plan stored just before sending it
// (postHooks.onPlanned); the read-back adds the voucher as Tally numbers it.
func (j *receiptJob) settled(ctx context.Context) (postedResult, bool, error) {
	v, found, err := j.s.findVoucher(ctx, j.target())
	if err != nil || !found {
		return nil, false, err
	}
	p, r, rec := j.plan, j.plan.Receipt, j.rec
	res, err := decodeReceiptResult(rec.Result)
	if len(rec.Result) == 0 || err != nil {
		res = ReceiptResult{Company: p.Company, Party: rec.Party, VoucherType: cmp.Or(v.Type, j.s.cfg.ReceiptVoucherType), Ref: rec.Ref,
			RemoteID: rec.RemoteID, Date: r.Date, Mode: r.Mode, Ledger: p.Ledger, Amount: r.Amount, Reference: r.Reference}
	}
	res.Outcome.LastVoucherID = v.MasterID
	return res, true, nil
}

func (j *receiptJob) execute(ctx context.Context, h postHooks) (postedResult, error) {
	return j.s.executeReceipt(ctx, j.plan, h)
}

func (j *receiptJob) posted(context.Context, postedResult) {}

func (r ReceiptResult) ledgerParty() string { return r.Party }
