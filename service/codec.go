package service

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// The stored forms of the pipeline's records: what each kind keeps in
// OrderRecord.Request (the validated request, enough to post it again) and
// OrderRecord.Result (what was posted). They are JSON the service owns and
// the store treats as opaque, written through these tagged types only, so a
// renamed Go field cannot orphan a stored row. The keys are those the
// service wrote before these types existed (a result was the Go struct
// itself, keyed by its field names); codec_test.go reads such rows.

// The kinds of stored request (storedOrder.Kind).
const (
	kindSales   = "sales"
	kindReceipt = "receipt"
	kindCancel  = "cancel"
)

// requestKind reads the kind of a stored request; anything without a kind
// is a sales order.
func requestKind(b []byte) string {
	var k struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(b, &k) == nil && (k.Kind == kindReceipt || k.Kind == kindCancel) {
		return k.Kind
	}
	return kindSales
}

// storedOrder is a sales order's request.
type storedOrder struct {
	// Kind is empty for every sales order (and every order stored before
	// receipts existed): requestKind.
	Kind        string       `json:"kind,omitempty"`
	Company     string       `json:"company"`
	Ref         string       `json:"ref,omitempty"`
	Date        string       `json:"date"`
	Party       storedParty  `json:"party"`
	Lines       []storedLine `json:"lines"`
	SalesLedger string       `json:"sales_ledger"`
	Narration   string       `json:"narration,omitempty"`
	CreditDays  *int         `json:"credit_days,omitempty"`
	// WhatsApp orders (whatsapp.go): resolve the party by mobile; or
	// stored as rejected, with the reason.
	PartyByMobile bool   `json:"party_by_mobile,omitempty"`
	Reject        string `json:"reject,omitempty"`
	RejectCode    string `json:"reject_code,omitempty"`
	// Content is what tells a resend of the order_ref from a change
	// (orderContent); empty on orders stored before it existed. Amended
	// says the order replaced earlier content, so a read-back cannot tell
	// which content Tally holds (salesJob.readBackProves).
	Content string `json:"content,omitempty"`
	Amended bool   `json:"amended,omitempty"`
}

// storedParty is a NewParty as stored, keyed by the names it had when the
// struct itself was marshalled. orderContent hashes it too, so its fields
// keep their order: a reordering would make every resend look like a change.
type storedParty struct {
	Name                string    `json:"Name"`
	Group               string    `json:"Group"`
	Mobile              string    `json:"Mobile"`
	Email               string    `json:"Email"`
	State               string    `json:"State"`
	Country             string    `json:"Country"`
	Pincode             string    `json:"Pincode"`
	Address             []string  `json:"Address"`
	GSTIN               string    `json:"GSTIN"`
	GSTRegistrationType string    `json:"GSTRegistrationType"`
	BillWise            bool      `json:"BillWise"`
	CreditDays          int       `json:"CreditDays"`
	ApplicableFrom      time.Time `json:"ApplicableFrom"`
}

func toStoredParty(p NewParty) storedParty { return storedParty(p) }

func (p storedParty) party() NewParty { return NewParty(p) }

type storedLine struct {
	Item     string           `json:"item"`
	Quantity decimal.Decimal  `json:"quantity"`
	Rate     Paise            `json:"rate"`
	GSTRate  *decimal.Decimal `json:"gst_rate,omitempty"`
	Unit     string           `json:"unit,omitempty"`
	// StockItem is absent from every line stored before catalog products
	// could name stock items.
	StockItem bool `json:"stock_item,omitempty"`
}

func encodeOrder(o Order, content string, amended bool) ([]byte, error) {
	so := storedOrder{Company: o.Company, Ref: o.Ref, Date: o.Date.Format(time.DateOnly), Party: toStoredParty(o.Party),
		SalesLedger: o.SalesLedger, Narration: o.Narration, CreditDays: o.CreditDays,
		PartyByMobile: o.PartyByMobile, Reject: o.Reject, RejectCode: o.RejectCode, Content: content, Amended: amended}
	for _, l := range o.Lines {
		so.Lines = append(so.Lines, storedLine{Item: l.Item, Quantity: l.Quantity, Rate: l.Rate, GSTRate: l.GSTRate, Unit: l.Unit, StockItem: l.StockItem})
	}
	return json.Marshal(so)
}

// decodeStoredOrder decodes a stored order with what was stored about it.
func decodeStoredOrder(b []byte) (Order, storedOrder, error) {
	var so storedOrder
	if err := json.Unmarshal(b, &so); err != nil {
		return Order{}, so, err
	}
	d, err := time.Parse(time.DateOnly, so.Date)
	if err != nil {
		return Order{}, so, err
	}
	o := Order{Company: so.Company, Ref: so.Ref, Date: d, Party: so.Party.party(), SalesLedger: so.SalesLedger,
		Narration: so.Narration, CreditDays: so.CreditDays,
		PartyByMobile: so.PartyByMobile, Reject: so.Reject, RejectCode: so.RejectCode}
	for _, l := range so.Lines {
		o.Lines = append(o.Lines, OrderLine{Item: l.Item, Quantity: l.Quantity, Rate: l.Rate, GSTRate: l.GSTRate, Unit: l.Unit, StockItem: l.StockItem})
	}
	return o, so, nil
}

// storedReceipt is a receipt's request. Kind is always kindReceipt.
type storedReceipt struct {
	Kind      string   `json:"kind"`
	Company   string   `json:"company"`
	Ref       string   `json:"ref,omitempty"`
	Date      string   `json:"date"`
	Party     string   `json:"party"`
	Amount    Paise    `json:"amount"`
	Mode      string   `json:"mode"`
	Bills     []string `json:"bills,omitempty"`
	Narration string   `json:"narration,omitempty"`
	Reference string   `json:"reference,omitempty"`
}

func encodeReceipt(r Receipt) ([]byte, error) {
	return json.Marshal(storedReceipt{Kind: kindReceipt, Company: r.Company, Ref: r.Ref, Date: r.Date.Format(time.DateOnly),
		Party: r.Party, Amount: r.Amount, Mode: r.Mode, Bills: r.Bills, Narration: r.Narration, Reference: r.Reference})
}

func decodeReceipt(b []byte) (Receipt, error) {
	var sr storedReceipt
	if err := json.Unmarshal(b, &sr); err != nil {
		return Receipt{}, err
	}
	if sr.Kind != kindReceipt {
		return Receipt{}, fmt.Errorf("stored request is a %q, not a receipt", sr.Kind)
	}
	d, err := time.Parse(time.DateOnly, sr.Date)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Company: sr.Company, Ref: sr.Ref, Date: d, Party: sr.Party, Amount: sr.Amount, Mode: sr.Mode,
		Bills: sr.Bills, Narration: sr.Narration, Reference: sr.Reference}, nil
}

// storedOutcome is Tally's answer to an import, without the exchange's
// text (kept in the import audit log).
type storedOutcome struct {
	Created       int      `json:"Created"`
	Altered       int      `json:"Altered"`
	Deleted       int      `json:"Deleted"`
	Cancelled     int      `json:"Cancelled"`
	Combined      int      `json:"Combined"`
	Ignored       int      `json:"Ignored"`
	Errors        int      `json:"Errors"`
	Exceptions    int      `json:"Exceptions"`
	LastVoucherID int      `json:"LastVoucherID"`
	LineErrors    []string `json:"LineErrors"`
	Truncated     bool     `json:"Truncated"`
}

func toStoredOutcome(o ImportOutcome) storedOutcome {
	return storedOutcome{Created: o.Created, Altered: o.Altered, Deleted: o.Deleted, Cancelled: o.Cancelled,
		Combined: o.Combined, Ignored: o.Ignored, Errors: o.Errors, Exceptions: o.Exceptions,
		LastVoucherID: o.LastVoucherID, LineErrors: o.LineErrors, Truncated: o.Truncated}
}

func (o storedOutcome) outcome() ImportOutcome {
	return ImportOutcome{Created: o.Created, Altered: o.Altered, Deleted: o.Deleted, Cancelled: o.Cancelled,
		Combined: o.Combined, Ignored: o.Ignored, Errors: o.Errors, Exceptions: o.Exceptions,
		LastVoucherID: o.LastVoucherID, LineErrors: o.LineErrors, Truncated: o.Truncated}
}

// storedOrderResult is an OrderResult as stored.
type storedOrderResult struct {
	Company      string        `json:"Company"`
	Party        string        `json:"Party"`
	PartyCreated bool          `json:"PartyCreated"`
	VoucherType  string        `json:"VoucherType"`
	Ref          string        `json:"Ref"`
	RemoteID     string        `json:"RemoteID"`
	Date         time.Time     `json:"Date"`
	Due          time.Time     `json:"Due"`
	Pricing      storedPricing `json:"Pricing"`
	// Invoice is absent from results stored before item invoices, which
	// were all accounting vouchers.
	Invoice  bool          `json:"Invoice,omitempty"`
	Replaced bool          `json:"Replaced"`
	Outcome  storedOutcome `json:"Outcome"`
}

type storedPricing struct {
	Lines       []storedPricedLine `json:"Lines"`
	Taxable     Paise              `json:"Taxable"`
	TaxEntries  []storedTaxEntry   `json:"TaxEntries"`
	Total       Paise              `json:"Total"`
	Interstate  bool               `json:"Interstate"`
	SalesLedger string             `json:"SalesLedger"`
}

type storedPricedLine struct {
	Item     string          `json:"Item"`
	Quantity decimal.Decimal `json:"Quantity"`
	Unit     string          `json:"Unit"`
	Rate     Paise           `json:"Rate"`
	Taxable  Paise           `json:"Taxable"`
	GSTRate  decimal.Decimal `json:"GSTRate"`
	GST      Paise           `json:"GST"`
	CGST     Paise           `json:"CGST"`
	SGST     Paise           `json:"SGST"`
	IGST     Paise           `json:"IGST"`
}

type storedTaxEntry struct {
	Ledger string `json:"Ledger"`
	Amount Paise  `json:"Amount"`
}

// encode is the stored form of an order's result.
func (r OrderResult) encode() ([]byte, error) {
	p := r.Pricing
	sp := storedPricing{Taxable: p.Taxable, Total: p.Total, Interstate: p.Interstate, SalesLedger: p.SalesLedger}
	for _, l := range p.Lines {
		sp.Lines = append(sp.Lines, storedPricedLine(l))
	}
	for _, t := range p.TaxEntries {
		sp.TaxEntries = append(sp.TaxEntries, storedTaxEntry(t))
	}
	return json.Marshal(storedOrderResult{Company: r.Company, Party: r.Party, PartyCreated: r.PartyCreated,
		VoucherType: r.VoucherType, Ref: r.Ref, RemoteID: r.RemoteID, Date: r.Date, Due: r.Due, Pricing: sp,
		Invoice: r.Invoice, Replaced: r.Replaced, Outcome: toStoredOutcome(r.Outcome)})
}

func decodeOrderResult(b []byte) (OrderResult, error) {
	var s storedOrderResult
	if err := json.Unmarshal(b, &s); err != nil {
		return OrderResult{}, err
	}
	p := Pricing{Taxable: s.Pricing.Taxable, Total: s.Pricing.Total, Interstate: s.Pricing.Interstate, SalesLedger: s.Pricing.SalesLedger}
	for _, l := range s.Pricing.Lines {
		p.Lines = append(p.Lines, PricedLine(l))
	}
	for _, t := range s.Pricing.TaxEntries {
		p.TaxEntries = append(p.TaxEntries, TaxEntry(t))
	}
	return OrderResult{Company: s.Company, Party: s.Party, PartyCreated: s.PartyCreated, VoucherType: s.VoucherType,
		Ref: s.Ref, RemoteID: s.RemoteID, Date: s.Date, Due: s.Due, Pricing: p, Invoice: s.Invoice, Replaced: s.Replaced,
		Outcome: s.Outcome.outcome()}, nil
}

// storedReceiptResult is a ReceiptResult as stored: once posted, and also
// while posting (the allocation planned, stored before the voucher is sent).
type storedReceiptResult struct {
	Company     string                    `json:"Company"`
	Party       string                    `json:"Party"`
	VoucherType string                    `json:"VoucherType"`
	Ref         string                    `json:"Ref"`
	RemoteID    string                    `json:"RemoteID"`
	Date        time.Time                 `json:"Date"`
	Mode        string                    `json:"Mode"`
	Ledger      string                    `json:"Ledger"`
	Amount      Paise                     `json:"Amount"`
	Reference   string                    `json:"Reference"`
	Allocations []storedReceiptAllocation `json:"Allocations"`
	OnAccount   Paise                     `json:"OnAccount"`
	Replaced    bool                      `json:"Replaced"`
	Outcome     storedOutcome             `json:"Outcome"`
}

type storedReceiptAllocation struct {
	BillRef string `json:"BillRef"`
	Amount  Paise  `json:"Amount"`
	Pending Paise  `json:"Pending"`
}

// encode is the stored form of a receipt's result.
func (r ReceiptResult) encode() ([]byte, error) {
	s := storedReceiptResult{Company: r.Company, Party: r.Party, VoucherType: r.VoucherType, Ref: r.Ref, RemoteID: r.RemoteID,
		Date: r.Date, Mode: r.Mode, Ledger: r.Ledger, Amount: r.Amount, Reference: r.Reference, OnAccount: r.OnAccount,
		Replaced: r.Replaced, Outcome: toStoredOutcome(r.Outcome)}
	for _, a := range r.Allocations {
		s.Allocations = append(s.Allocations, storedReceiptAllocation(a))
	}
	return json.Marshal(s)
}

func decodeReceiptResult(b []byte) (ReceiptResult, error) {
	var s storedReceiptResult
	if err := json.Unmarshal(b, &s); err != nil {
		return ReceiptResult{}, err
	}
	r := ReceiptResult{Company: s.Company, Party: s.Party, VoucherType: s.VoucherType, Ref: s.Ref, RemoteID: s.RemoteID,
		Date: s.Date, Mode: s.Mode, Ledger: s.Ledger, Amount: s.Amount, Reference: s.Reference, OnAccount: s.OnAccount,
		Replaced: s.Replaced, Outcome: s.Outcome.outcome()}
	for _, a := range s.Allocations {
		r.Allocations = append(r.Allocations, ReceiptAllocation(a))
	}
	return r, nil
}

// storedCancel is a cancellation's request: the voucher to cancel.
type storedCancel struct {
	Kind        string `json:"kind"` // always kindCancel
	OrderID     string `json:"order_id"`
	Company     string `json:"company"`
	Party       string `json:"party"`
	Ref         string `json:"ref"`
	VoucherType string `json:"voucher_type"`
	RemoteID    string `json:"remote_id"`
	Date        string `json:"date"`
}

func encodeCancel(p cancelPlan) ([]byte, error) {
	return json.Marshal(storedCancel{Kind: kindCancel, OrderID: p.OrderID, Company: p.Company, Party: p.Party, Ref: p.Ref,
		VoucherType: p.VoucherType, RemoteID: p.RemoteID, Date: p.Date.Format(time.DateOnly)})
}

func decodeCancel(b []byte) (cancelPlan, error) {
	var sc storedCancel
	if err := json.Unmarshal(b, &sc); err != nil {
		return cancelPlan{}, err
	}
	if sc.Kind != kindCancel || sc.RemoteID == "" {
		return cancelPlan{}, fmt.Errorf("stored request is a %q, not a cancellation", sc.Kind)
	}
	d, err := time.Parse(time.DateOnly, sc.Date)
	if err != nil {
		return cancelPlan{}, err
	}
	return cancelPlan{OrderID: sc.OrderID, Company: sc.Company, Party: sc.Party, Ref: sc.Ref, VoucherType: sc.VoucherType,
		RemoteID: sc.RemoteID, Date: d}, nil
}

// storedCancelResult is a CancelResult as stored.
type storedCancelResult struct {
	Company     string        `json:"company"`
	OrderID     string        `json:"order_id"`
	Party       string        `json:"party"`
	VoucherType string        `json:"voucher_type"`
	Ref         string        `json:"ref"`
	RemoteID    string        `json:"remote_id"`
	Date        string        `json:"date"`
	VoucherID   int           `json:"voucher_id"`
	Outcome     storedOutcome `json:"outcome"`
}

// encode is the stored form of a cancellation's result.
func (r CancelResult) encode() ([]byte, error) {
	return json.Marshal(storedCancelResult{Company: r.Company, OrderID: r.OrderID, Party: r.Party, VoucherType: r.VoucherType,
		Ref: r.Ref, RemoteID: r.RemoteID, Date: r.Date.Format(time.DateOnly), VoucherID: r.VoucherID, Outcome: toStoredOutcome(r.Outcome)})
}

func decodeCancelResult(b []byte) (CancelResult, error) {
	var s storedCancelResult
	if err := json.Unmarshal(b, &s); err != nil {
		return CancelResult{}, err
	}
	d, err := time.Parse(time.DateOnly, s.Date)
	if err != nil {
		return CancelResult{}, err
	}
	return CancelResult{Company: s.Company, OrderID: s.OrderID, Party: s.Party, VoucherType: s.VoucherType, Ref: s.Ref,
		RemoteID: s.RemoteID, Date: d, VoucherID: s.VoucherID, Outcome: s.Outcome.outcome()}, nil
}
