package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// ReceiptRequest is a customer's payment to post to Tally as a Receipt voucher.
type ReceiptRequest struct {
	// The payment's own reference (e.g. a chatbot's payment id). With the
	// party it keys the voucher's REMOTEID: sending it again never posts a
	// second receipt. Default: derived from the stored receipt (or the
	// Idempotency-Key).
	ReceiptRef string `json:"receipt_ref,omitempty" validate:"max=60,nocontrol" example:"PAY-1001"`
	// The voucher date, YYYY-MM-DD. Default: today in Asia/Kolkata.
	Date string `json:"date,omitempty" validate:"omitempty,datetime=2006-01-02" format:"date" example:"2026-06-23"`
	// The paying customer: an existing party ledger (Tally matches it case-insensitively).
	Party string `json:"party" validate:"required,max=200,nocontrol" example:"Rajesh Enterprises"`
	// The amount received, a decimal string or number with at most 2 decimals, exact.
	Amount Decimal `json:"amount" validate:"required" swaggertype:"string" example:"20000.00"`
	// How it was paid: upi and bank debit the configured bank ledger, cash the cash ledger.
	Mode string `json:"mode" validate:"required,oneof=upi bank cash" enums:"upi,bank,cash" example:"upi"`
	// The bills paid, settled in this order, each up to what it owes. Default: the party's oldest bills first (by due date). What is left over goes on account.
	Bills []string `json:"bills,omitempty" validate:"max=100,dive,max=60,nocontrol" example:"ABC/S/101"`
	// The voucher's narration. Default: "Receipt <ref> from <party> by UPI, ref <reference>".
	Narration string `json:"narration,omitempty" validate:"max=1000,nocontroltext" example:"UPI payment for ABC/S/101"`
	// The payment's bank or UPI transaction id (UTR); it becomes the voucher's reference.
	Reference string `json:"reference,omitempty" validate:"max=100,nocontrol" example:"412345678901"`
}

// ReceiptResponse is the Receipt voucher posted for a payment.
type ReceiptResponse struct {
	// Always posted: the voucher is in Tally (a 202 answer's state is never posted).
	State string `json:"state" validate:"required" enums:"posted" example:"posted"`
	// The stored receipt's id; GET /orders/{id} reads it (receipts share the order queue).
	ID string `json:"id,omitempty" example:"0f8fad5b-d9cb-469f-a165-70867728950e"`
	// Company the voucher was posted to.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The party credited, as Tally spells it.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The Tally voucher type.
	VoucherType string `json:"voucher_type" validate:"required" example:"Receipt"`
	// The receipt reference.
	ReceiptRef string `json:"receipt_ref" validate:"required" example:"PAY-1001"`
	// The voucher's REMOTEID; the same receipt maps to the same id.
	RemoteID string `json:"remote_id" validate:"required" example:"5b9e3c2a-6d1f-5e8a-9c7b-2a4d6f8e0b1c"`
	// The voucher date.
	Date string `json:"date" validate:"required" format:"date" example:"2026-06-23"`
	// upi, bank or cash.
	Mode string `json:"mode" validate:"required" example:"upi"`
	// The bank or cash ledger debited.
	Ledger string `json:"ledger" validate:"required" example:"HDFC Bank"`
	// The amount received.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"20000.00"`
	// The payment's transaction id, as sent.
	Reference string `json:"reference,omitempty" example:"412345678901"`
	// The bills the amount was set against (Agst Ref).
	Allocations []ReceiptAllocationJSON `json:"allocations" validate:"required"`
	// What settled no bill (On Account): an overpayment, or a party with nothing outstanding.
	OnAccount service.Paise `json:"on_account" validate:"required" swaggertype:"string" format:"decimal" example:"0.00"`
	// Tally's LASTVCHID for the import.
	LastVoucherID int `json:"last_voucher_id" validate:"required" example:"43"`
	// True when a voucher with this REMOTEID existed and Tally replaced it.
	Replaced bool `json:"replaced" validate:"required" example:"false"`
	// A ready sentence for a chatbot reply.
	Message string `json:"message" validate:"required" example:"Received ₹20,000.00 from Rajesh Enterprises by UPI: ₹20,000.00 against ABC/S/101."`
}

// ReceiptAllocationJSON is the part of a receipt set against one bill.
type ReceiptAllocationJSON struct {
	// The bill.
	BillRef string `json:"bill_ref" validate:"required" example:"ABC/S/101"`
	// The amount set against it.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"20000.00"`
	// What the bill owed before this receipt.
	PendingBefore service.Paise `json:"pending_before" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
}

// postReceipt posts a customer's payment.
//
//	@Summary		Post a receipt (a customer paid)
//	@ID			postReceipt
//	@Description	Posts a payment received by UPI, bank transfer or cash as one Receipt voucher: the party is credited the amount with Agst Ref allocations against the bills named (each up to what it owes), or against the oldest bills first when none are named, and any remainder On Account; the configured bank ledger (upi, bank) or cash ledger (cash) is debited. Bills Receivable, and so the next reminders, drop by exactly the amounts allocated. A named bill the party does not owe is refused (bill_not_outstanding), and so is a mode whose ledger is not configured (ledger_not_configured, naming the setting).
//	@Description
//	@Description	Receipts use the order queue: they are stored first, posted in the background, retried while Tally is away, audited under GET /imports, and are read, listed and retried with the orders (GET /orders/{id}, GET /orders, POST /orders/{id}/retry). The same receipt_ref for the same party, or the same Idempotency-Key, never posts twice.
//	@Tags			receipts
//	@Accept			json
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			company	query		string			false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			receipt	body		ReceiptRequest	true	"The payment"
//	@Param			Idempotency-Key	header	string	false	"Makes a retry safe: the first request with a key runs, a repeat with the same body replays its response, another body is 422, a repeat while the first runs is 409, unless the first has already stored its record, which then answers (201 or 202). Without a key the response carries 'Idempotency: none'."	extensions(x-example=payment-412345678901)
//	@Param			Prefer	header		string			false	"respond-async: answer 202 at once and post in the background"	extensions(x-example=respond-async)
//	@Success		201		{object}	ReceiptResponse	"posted (state posted), with its id and a Location"
//	@Success		202		{object}	OrderQueuedResponse	"stored and queued: Tally is unreachable or busy, the wait ran out, or respond-async was asked; follow Location (/orders/{id})"
//	@Failure		400		{object}	Problem	"malformed_json, empty_body, invalid_idempotency_key, malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company"
//	@Failure		409		{object}	Problem	"idempotency_key_in_flight"
//	@Failure		413		{object}	Problem	"body_too_large"
//	@Failure		415		{object}	Problem	"unsupported_media_type: a body that is not application/json"
//	@Failure		422		{object}	Problem	"invalid_request (errors), ledger_not_configured, ledger_missing, party_not_found, bill_not_outstanding (hint lists what is outstanding), tally_rejected (line_errors)"
//	@Failure		503		{object}	Problem	"database_unavailable: the receipt was not stored; send it again (with the same receipt_ref or Idempotency-Key)"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/receipts [post]
func (s *Server) postReceipt(c echo.Context) error {
	company, r, err := bindCommand(s, c, toServiceReceipt)
	if err != nil {
		return err
	}
	r.Company = company
	dedupe, _ := c.Get(keyDedupe).(string)
	rec, _, err := s.svc.SubmitReceipt(c.Request().Context(), r, "api", dedupe)
	if err != nil {
		return err
	}
	return s.answerReceipt(c, rec)
}

// answerReceipt answers a request whose receipt is stored (answerStored).
func (s *Server) answerReceipt(c echo.Context, rec service.OrderRecord) error {
	return s.answerStored(c, rec, func(rec service.OrderRecord) (any, bool) {
		res, ok := service.ReceiptResultOf(rec)
		return toReceiptResponse(res, rec.ID), ok
	}, nil, func(location string) string { return rejectedReceiptHint(rec, location) })
}

// rejectedReceiptHint keeps the service's hint for a bill that is not
// outstanding (it lists what is), which the stored record does not keep.
func rejectedReceiptHint(rec service.OrderRecord, location string) string {
	if rec.LastErrorCode == "bill_not_outstanding" {
		return "Name a bill the party owes (the detail lists them; GET /receivables?party=… has them too), or leave bills out to settle the oldest first. The receipt is stored as rejected (" + location + "); send a corrected one with a new receipt_ref."
	}
	return "The receipt is stored as rejected; fix the cause in Tally and POST " + location + "/retry."
}

// toServiceReceipt converts a receipt request, parsing the amount exactly and
// naming every bad field by its JSON path.
func toServiceReceipt(r ReceiptRequest) (service.Receipt, error) {
	var fields []FieldError
	fail := func(field, msg string) { fields = append(fields, FieldError{Field: field, Message: msg}) }
	out := service.Receipt{Ref: r.ReceiptRef, Party: r.Party, Mode: r.Mode, Narration: r.Narration, Reference: r.Reference}
	if r.Date != "" {
		// The validator's datetime tag reports a malformed date.
		if d, err := time.Parse(time.DateOnly, r.Date); err == nil {
			if !service.InDateRange(d) {
				fail("date", "must be "+service.DateRangeText())
			}
			out.Date = d
		}
	}
	if r.Party != "" && strings.TrimSpace(r.Party) == "" {
		fail("party", "is required")
	}
	if r.Amount != "" {
		if p, err := service.ParsePaise(string(r.Amount)); err != nil || !decimalPattern.MatchString(strings.TrimSpace(string(r.Amount))) {
			fail("amount", "must be an amount such as 20000 or 20000.50, with at most 2 decimals")
		} else if p <= 0 {
			fail("amount", "must be greater than 0")
		} else {
			out.Amount = p
		}
	}
	seen := map[string]int{}
	for i, b := range r.Bills {
		key := strings.ToLower(strings.TrimSpace(b))
		switch j, dup := seen[key]; {
		case key == "":
			fail(fmt.Sprintf("bills[%d]", i), "must not be blank")
		case dup:
			fail(fmt.Sprintf("bills[%d]", i), fmt.Sprintf("names the same bill as bills[%d]", j))
		default:
			seen[key] = i
		}
		out.Bills = append(out.Bills, b)
	}
	if len(fields) > 0 {
		return service.Receipt{}, invalidFields(fields...)
	}
	return out, nil
}

func toReceiptResponse(r service.ReceiptResult, id string) ReceiptResponse {
	out := ReceiptResponse{State: string(service.OrderPosted), ID: id, Company: r.Company, Party: r.Party, VoucherType: r.VoucherType, ReceiptRef: r.Ref,
		RemoteID: r.RemoteID, Date: dateString(r.Date), Mode: r.Mode, Ledger: r.Ledger, Amount: r.Amount,
		Reference: r.Reference, Allocations: make([]ReceiptAllocationJSON, 0, len(r.Allocations)), OnAccount: r.OnAccount,
		LastVoucherID: r.Outcome.LastVoucherID, Replaced: r.Replaced}
	parts := make([]string, 0, len(r.Allocations)+1)
	for _, a := range r.Allocations {
		out.Allocations = append(out.Allocations, ReceiptAllocationJSON{BillRef: a.BillRef, Amount: a.Amount, PendingBefore: a.Pending})
		parts = append(parts, a.Amount.Rupees()+" against "+a.BillRef)
	}
	if r.OnAccount > 0 {
		parts = append(parts, r.OnAccount.Rupees()+" on account")
	}
	mode := map[string]string{service.ModeUPI: "UPI", service.ModeBank: "bank transfer", service.ModeCash: "cash"}[r.Mode]
	out.Message = fmt.Sprintf("Received %s from %s by %s: %s.", r.Amount.Rupees(), r.Party, mode, strings.Join(parts, ", "))
	return out
}
