package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// OrderRequest is a sales order to post to Tally as a Sales voucher.
type OrderRequest struct {
	// OrderRef is the order's own reference (e.g. a WhatsApp order id). It
	// becomes the bill reference and identifies the order for this party:
	// sending it again with the same content answers with the stored order,
	// with other content is 409 order_ref_conflict unless amend is true.
	// Without order_ref (and without Idempotency-Key) every request is a new
	// order.
	OrderRef string `json:"order_ref,omitempty" validate:"max=60,nocontrol" example:"WA-1001"`
	// The voucher date, YYYY-MM-DD. Default: today in Asia/Kolkata.
	Date string `json:"date,omitempty" validate:"omitempty,datetime=2006-01-02" format:"date" example:"2026-06-23"`
	// The customer; created under Sundry Debtors when missing.
	Party OrderPartyRequest `json:"party" validate:"required"`
	// The items ordered.
	Lines []OrderLineRequest `json:"lines" validate:"required,min=1,max=200,dive"`
	// Credited with the taxable value. Default: the configured one ("Sales").
	SalesLedger string `json:"sales_ledger,omitempty" validate:"max=200,nocontrol" example:"Sales"`
	// The voucher's narration.
	Narration string `json:"narration,omitempty" validate:"max=1000,nocontroltext" example:"WhatsApp order WA-1001"`
	// The credit period; the bill falls due this many days after the date. Default 30.
	CreditDays *int `json:"credit_days,omitempty" validate:"omitempty,min=0,max=3650" example:"30"`
	// Amend replaces the stored order with this order_ref (same party) when
	// its content differs: the same voucher is replaced in Tally and the
	// answer has replaced true and the new amounts. Without it such a
	// change is 409 order_ref_conflict.
	Amend bool `json:"amend,omitempty" example:"false"`
}

// OrderPartyRequest names the customer of an order. Only Name is needed for
// an existing party; the rest is used only to create a missing one.
type OrderPartyRequest struct {
	// The ledger name (Tally matches it case-insensitively).
	Name string `json:"name" validate:"required,max=200,nocontrol" example:"Rajesh Enterprises"`
	// The mobile number in any common Indian form.
	Mobile string `json:"mobile,omitempty" validate:"max=40" example:"9820012345"`
	// The party's e-mail address.
	Email string `json:"email,omitempty" validate:"omitempty,email,max=200" example:"accounts@rajeshenterprises.in"`
	// State decides GST: the company's state means CGST+SGST, another state IGST.
	State string `json:"state,omitempty" validate:"max=100,nocontrol" example:"Maharashtra"`
	// Country of residence.
	Country string `json:"country,omitempty" validate:"max=100,nocontrol" example:"India"`
	// The party's GST number.
	GSTIN string `json:"gstin,omitempty" validate:"omitempty,gstin" example:"27AAPFR1234C1Z5"`
	// Address lines.
	Address []string `json:"address,omitempty" validate:"max=5,dive,max=200,nocontrol" example:"12 Kalbadevi Road,Mumbai"`
	// The six-digit postal code.
	Pincode string `json:"pincode,omitempty" validate:"omitempty,numeric,len=6" example:"400002"`
}

// OrderLineRequest is one item of an order.
type OrderLineRequest struct {
	// The item: a Tally stock item's name posts a stock line of an item invoice (GET /items lists them); other names are carried on an accounting voucher.
	Item string `json:"item" validate:"required,max=200,nocontrol" example:"Steel rod 12mm"`
	// A decimal string or number, exact, at most 4 decimals.
	Quantity Decimal `json:"quantity" validate:"required" swaggertype:"string" example:"10"`
	// The price per unit before tax, a decimal string or number with at most 2 decimals.
	Rate Decimal `json:"rate" validate:"required" swaggertype:"string" example:"4500.00"`
	// The GST percent (one of 0, 0.1, 0.25, 1.5, 3, 5, 6, 7.5, 12, 18, 28, 40, as the service allows). Default 18.
	GSTRate Decimal `json:"gst_rate,omitempty" swaggertype:"string" example:"18"`
	// The unit of measure. On an item invoice it must be the stock item's base unit (default); otherwise carried through.
	Unit string `json:"unit,omitempty" validate:"max=20,nocontrol" example:"NOS"`
}

// OrderResponse is what Tally created for an order.
type OrderResponse struct {
	// Always posted: the voucher is in Tally (a 202 answer's state is never posted).
	State string `json:"state" validate:"required" enums:"posted" example:"posted"`
	// Company the voucher was posted to.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The ledger debited, as Tally spells it.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// True when the party did not exist and was created.
	PartyCreated bool `json:"party_created" validate:"required" example:"false"`
	// The Tally voucher type.
	VoucherType string `json:"voucher_type" validate:"required" example:"Sales"`
	// The bill reference the order is receivable under.
	BillRef string `json:"bill_ref" validate:"required" example:"WA-1001"`
	// The voucher's REMOTEID; the same order maps to the same id.
	RemoteID string `json:"remote_id" validate:"required" example:"5b9e3c2a-6d1f-5e8a-9c7b-2a4d6f8e0b1c"`
	// The voucher date.
	Date string `json:"date" validate:"required" format:"date" example:"2026-06-23"`
	// When the bill falls due.
	DueDate string `json:"due_date" validate:"required" format:"date" example:"2026-07-23"`
	// Tally's LASTVCHID for the import.
	LastVoucherID int `json:"last_voucher_id" validate:"required" example:"42"`
	// True when a voucher with this REMOTEID existed and Tally replaced it.
	Replaced bool `json:"replaced" validate:"required" example:"false"`
	// True when IGST applied instead of CGST+SGST.
	Interstate bool `json:"interstate" validate:"required" example:"false"`
	// The voucher's totals.
	Amounts OrderAmounts `json:"amounts" validate:"required"`
	// The per-line figures.
	Lines []OrderLineResponse `json:"lines" validate:"required"`
	// A ready sentence for a chatbot reply.
	Message string `json:"message" validate:"required" example:"Order WA-1001 for Rajesh Enterprises is in Tally: ₹53,100.00, due 23 Jul 2026."`
}

// OrderAmounts are an order's totals.
type OrderAmounts struct {
	// The value before tax, credited to the sales ledger.
	Taxable service.Paise `json:"taxable" validate:"required" swaggertype:"string" format:"decimal" example:"45000.00"`
	// The tax credited to each GST ledger.
	Taxes []TaxAmountJSON `json:"taxes" validate:"required"`
	// The sum of taxes.
	Tax service.Paise `json:"tax" validate:"required" swaggertype:"string" format:"decimal" example:"8100.00"`
	// What the party is debited.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"53100.00"`
}

// TaxAmountJSON is one GST ledger's amount.
type TaxAmountJSON struct {
	// The GST duty ledger.
	Ledger string `json:"ledger" validate:"required" example:"CGST"`
	// Amount credited to it.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"4050.00"`
}

// OrderLineResponse is one priced line.
type OrderLineResponse struct {
	// The stock item name.
	Item string `json:"item" validate:"required" example:"Steel rod 12mm"`
	// Quantity as given.
	Quantity string `json:"quantity" validate:"required" example:"10"`
	// Unit as given.
	Unit string `json:"unit" validate:"required" example:"NOS"`
	// Rate per unit before tax.
	Rate service.Paise `json:"rate" validate:"required" swaggertype:"string" format:"decimal" example:"4500.00"`
	// Quantity × rate, rounded half-up to the paisa.
	Taxable service.Paise `json:"taxable" validate:"required" swaggertype:"string" format:"decimal" example:"45000.00"`
	// The percent applied.
	GSTRate string `json:"gst_rate" validate:"required" example:"18"`
	// The central tax (intra-state).
	CGST service.Paise `json:"cgst" validate:"required" swaggertype:"string" format:"decimal" example:"4050.00"`
	// The state tax (intra-state).
	SGST service.Paise `json:"sgst" validate:"required" swaggertype:"string" format:"decimal" example:"4050.00"`
	// The integrated tax (inter-state).
	IGST service.Paise `json:"igst" validate:"required" swaggertype:"string" format:"decimal" example:"0.00"`
	// Taxable plus GST.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"53100.00"`
}

// placeOrder posts a sales order.
//
//	@Summary		Post a sales order
//	@ID			placeOrder
//	@Description	Posts an order as one Sales voucher: the party is debited the total with a bill due after the credit period (so it shows in receivables), the sales ledger credited the taxable value, the GST ledgers their tax, balanced to the paisa. When every line's item is a Tally stock item (GET /items), the voucher is an item invoice (Invoice Voucher View): a stock line per order line, with quantity, unit and rate, its value allocated to the sales ledger, and a line without gst_rate taxed at its item's GST rate; otherwise an accounting voucher (TALLY_ORDER_MODE: auto, items or accounting; in items mode a line naming no stock item is 422 stock_item_not_found, items naming it). A missing party is created first (bill-wise, with the credit period). The same order_ref (for the same party) sent again with the same content answers with the stored order; with other content it is 409 order_ref_conflict carrying the stored order, unless amend is true, which replaces the same voucher. Without order_ref and Idempotency-Key every request is a new order. Quantities and rates are exact decimals (strings or numbers), never floats.
//	@Tags			orders
//	@Accept			json
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			company	query		string			false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			order	body		OrderRequest	true	"The order"
//	@Param			Idempotency-Key	header	string	false	"Makes a retry safe: the first request with a key runs, a repeat with the same body replays its response, another body is 422, a repeat while the first runs is 409, unless the first has already stored its record, which then answers (201 or 202). Without a key the response carries 'Idempotency: none'."	extensions(x-example=order-WA-1001)
//	@Param			Prefer	header		string			false	"respond-async: answer 202 at once and post in the background"	extensions(x-example=respond-async)
//	@Success		201		{object}	OrderResponse	"posted (state posted), with a Location to the stored order"
//	@Success		202		{object}	OrderQueuedResponse	"stored and queued: Tally is unreachable or busy, the wait ran out, or respond-async was asked; follow Location"
//	@Failure		400		{object}	Problem	"malformed_json, empty_body, invalid_idempotency_key, malformed_query"
//	@Failure		409		{object}	Problem	"idempotency_key_in_flight; order_ref_conflict (order: the stored order); order_posting (an amendment while the order is being posted)"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company"
//	@Failure		413		{object}	Problem	"body_too_large"
//	@Failure		415		{object}	Problem	"unsupported_media_type: a body that is not application/json"
//	@Failure		422		{object}	Problem	"invalid_request (errors), ledger_missing (hint), stock_item_not_found, tally_rejected (line_errors)"
//	@Failure		503		{object}	Problem	"database_unavailable: the order was not stored; send it again (with the same order_ref or Idempotency-Key)"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/orders [post]
func (s *Server) placeOrder(c echo.Context) error {
	company, o, err := bindCommand(s, c, toServiceOrder)
	if err != nil {
		return err
	}
	o.Company = company
	return s.submitOrder(c, o)
}

// unkeyedNote adds to the message answering an order sent with neither
// order_ref nor Idempotency-Key that it was taken as a new order (the
// service's rule: such an order is identified by nothing but its own id), so
// a resend of it posts another.
func unkeyedNote(c echo.Context, orderRef, msg string) string {
	if dedupe, _ := c.Get(keyDedupe).(string); dedupe == "" && strings.TrimSpace(orderRef) == "" {
		msg += " Sent without order_ref or Idempotency-Key, so it is a new order: sending it again posts another."
	}
	return msg
}

// toServiceOrder converts an order request, parsing the decimals exactly and
// naming every bad one by its JSON path.
func toServiceOrder(r OrderRequest) (service.Order, error) {
	var fields []FieldError
	fail := func(field, msg string) { fields = append(fields, FieldError{Field: field, Message: msg}) }
	o := service.Order{
		Ref: r.OrderRef, SalesLedger: r.SalesLedger, Narration: r.Narration, CreditDays: r.CreditDays, Amend: r.Amend,
		Party: service.NewParty{Name: r.Party.Name, Mobile: r.Party.Mobile, Email: r.Party.Email, State: r.Party.State,
			Country: r.Party.Country, GSTIN: r.Party.GSTIN, Address: r.Party.Address, Pincode: r.Party.Pincode},
	}
	if r.Date != "" {
		// The validator's datetime tag reports a malformed date.
		if d, err := time.Parse(time.DateOnly, r.Date); err == nil {
			if !service.InDateRange(d) {
				fail("date", "must be "+service.DateRangeText())
			}
			o.Date = d
		}
	}
	if r.Party.Name != "" && strings.TrimSpace(r.Party.Name) == "" {
		// The validator's "required" passes a name of spaces.
		fail("party.name", "is required")
	}
	for i, l := range r.Lines {
		path := fmt.Sprintf("lines[%d].", i)
		line := service.OrderLine{Item: l.Item, Unit: l.Unit}
		if l.Item != "" && strings.TrimSpace(l.Item) == "" { // empty is the validator's "required"
			fail(path+"item", "must not be blank")
		}
		if q, why := parseDecimal(l.Quantity); why != "" {
			fail(path+"quantity", why)
		} else if q.Sign() <= 0 {
			fail(path+"quantity", "must be greater than 0")
		} else if q.Exponent() < -4 && !q.Equal(q.Truncate(4)) {
			fail(path+"quantity", "must have at most 4 decimals (Tally keeps 4)")
		} else {
			line.Quantity = q
		}
		if p, err := service.ParsePaise(string(l.Rate)); err != nil || !decimalPattern.MatchString(strings.TrimSpace(string(l.Rate))) {
			fail(path+"rate", "must be an amount such as 4500 or 4500.50, with at most 2 decimals")
		} else if p < 0 {
			fail(path+"rate", "must not be negative")
		} else {
			line.Rate = p
		}
		if l.GSTRate != "" {
			g, why := parseDecimal(l.GSTRate)
			switch {
			case why != "":
				fail(path+"gst_rate", why)
			case !service.IsGSTSlab(g):
				fail(path+"gst_rate", "must be a GST rate: "+slabList())
			default:
				line.GSTRate = &g
			}
		}
		o.Lines = append(o.Lines, line)
	}
	if len(fields) > 0 {
		return service.Order{}, invalidFields(fields...)
	}
	return o, nil
}

func slabList() string {
	slabs := service.GSTSlabs()
	parts := make([]string, len(slabs))
	for i, s := range slabs {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

func toOrderResponse(r service.OrderResult) OrderResponse {
	out := OrderResponse{
		State: string(service.OrderPosted), Company: r.Company, Party: r.Party, PartyCreated: r.PartyCreated, VoucherType: r.VoucherType, BillRef: r.Ref,
		RemoteID: r.RemoteID, Date: dateString(r.Date), DueDate: dateString(r.Due), LastVoucherID: r.Outcome.LastVoucherID,
		Replaced: r.Replaced, Interstate: r.Pricing.Interstate,
		Amounts: OrderAmounts{Taxable: r.Pricing.Taxable, Taxes: make([]TaxAmountJSON, 0, len(r.Pricing.TaxEntries)),
			Tax: r.Pricing.Tax(), Total: r.Pricing.Total},
		Lines: make([]OrderLineResponse, 0, len(r.Pricing.Lines)),
	}
	for _, t := range r.Pricing.TaxEntries {
		out.Amounts.Taxes = append(out.Amounts.Taxes, TaxAmountJSON{Ledger: t.Ledger, Amount: t.Amount})
	}
	for _, l := range r.Pricing.Lines {
		out.Lines = append(out.Lines, OrderLineResponse{Item: l.Item, Quantity: l.Quantity.String(), Unit: l.Unit, Rate: l.Rate,
			Taxable: l.Taxable, GSTRate: l.GSTRate.String(), CGST: l.CGST, SGST: l.SGST, IGST: l.IGST, Amount: l.Taxable + l.GST})
	}
	verb := "is in Tally"
	if r.Replaced {
		verb = "was updated in Tally"
	}
	out.Message = fmt.Sprintf("Order %s for %s %s: %s, due %s.", r.Ref, r.Party, verb, r.Pricing.Total.Rupees(), r.Due.Format(messageDate))
	return out
}

// queuedMessage is the chatbot sentence of a 202: the order, payment or
// cancellation is stored and not yet in Tally.
func queuedMessage(r service.OrderRecord) string {
	what, done := "Order "+r.Ref, "entered in"
	switch service.RecordKind(r) {
	case service.KindReceipt:
		what = "Payment " + r.Ref
	case service.KindCancel:
		what, done = "The cancellation of "+r.Ref, "made in"
	}
	if r.State == service.OrderNeedsAttention {
		return what + " is received but could not be " + done + " Tally yet; we will follow up."
	}
	return what + " is received and will be " + done + " Tally shortly."
}
