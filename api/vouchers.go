package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// VoucherSummaryJSON is one voucher of the day book.
type VoucherSummaryJSON struct {
	// The voucher's id in Tally (its MasterID): GET /vouchers/{id} reads it whole.
	ID int64 `json:"id" validate:"required" example:"17"`
	// The voucher's date.
	Date string `json:"date" validate:"required" format:"date" example:"2026-05-11"`
	// The voucher type.
	Type string `json:"type" validate:"required" example:"Sales"`
	// The voucher number, "" when Tally has none.
	Number string `json:"number" validate:"required" example:"1"`
	// The party ledger of the voucher, "" when it has none (a journal).
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The narration.
	Narration string `json:"narration" validate:"required" example:"Sale against ABC/S/101"`
	// The voucher's total: the sum of its debit entries; "0.00" for a cancelled voucher.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"58410.00"`
	// The total for people.
	Display string `json:"display" validate:"required" example:"₹58,410.00"`
	// True for a cancelled voucher: it keeps its number but no entries.
	Cancelled bool `json:"cancelled" validate:"required" example:"false"`
	// True for an optional voucher, which does not touch the balances.
	Optional bool `json:"optional" validate:"required" example:"false"`
}

// DayBookResponse is one page of the day book.
type DayBookResponse struct {
	// The first day of the period.
	From string `json:"from" validate:"required" format:"date" example:"2026-04-01"`
	// The last day of the period.
	To string `json:"to" validate:"required" format:"date" example:"2026-06-23"`
	// The vouchers of this page, by date.
	Vouchers []VoucherSummaryJSON `json:"vouchers" validate:"required"`
	// The number of vouchers on this page.
	Count int `json:"count" validate:"required" example:"1"`
	// The cursor of the next page (pass it as cursor); absent on the last page.
	Next string `json:"next,omitempty" example:"2026-05-11.17"`
	Freshness
}

// VoucherEntryJSON is one ledger line of a voucher.
type VoucherEntryJSON struct {
	// The ledger.
	Ledger string `json:"ledger" validate:"required" example:"Rajesh Enterprises"`
	// The amount debited to the ledger, "0.00" for a credit.
	Debit service.Paise `json:"debit" validate:"required" swaggertype:"string" format:"decimal" example:"58410.00"`
	// The amount credited to the ledger, "0.00" for a debit.
	Credit service.Paise `json:"credit" validate:"required" swaggertype:"string" format:"decimal" example:"0.00"`
	// The line's bill allocations.
	Bills []VoucherBillJSON `json:"bills" validate:"required"`
}

// VoucherBillJSON is one bill allocation of a ledger line.
type VoucherBillJSON struct {
	// The bill reference, "" for On Account.
	Name string `json:"name" validate:"required" example:"ABC/S/101"`
	// "New Ref", "Agst Ref", "Advance" or "On Account".
	Type string `json:"type" validate:"required" example:"New Ref"`
	// The allocation with its side (Dr: the party owes more).
	Amount BalanceJSON `json:"amount" validate:"required"`
	// The due date when the voucher gave one.
	DueDate string `json:"due_date,omitempty" format:"date" example:"2026-06-10"`
}

// VoucherItemJSON is one stock line of a voucher, as Tally writes it.
type VoucherItemJSON struct {
	// The stock item.
	Item string `json:"item" validate:"required" example:"Steel rod 12mm"`
	// The quantity with its unit.
	Quantity string `json:"quantity" validate:"required" example:"2 NOS"`
	// The rate per unit.
	Rate string `json:"rate" validate:"required" example:"4500.00/NOS"`
	// The line's value.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"9000.00"`
}

// VoucherResponse is one voucher whole.
type VoucherResponse struct {
	VoucherSummaryJSON
	// Tally's GUID of the voucher.
	GUID string `json:"guid" validate:"required" example:"a1b2c3d4-0000-0000-0000-000000000017"`
	// The REMOTEID it was posted with, "" when not posted through tallyfacade.
	RemoteID string `json:"remote_id" validate:"required" example:"tf-order-5f0c…"`
	// The ledger lines, in Tally's order.
	Entries []VoucherEntryJSON `json:"entries" validate:"required"`
	// The stock lines (empty for an accounting voucher).
	Items []VoucherItemJSON `json:"items" validate:"required"`
	// A ready sentence for a chatbot reply.
	Message string `json:"message" validate:"required" example:"Sales 1 of 14 Apr 2026 with Rajesh Enterprises for ₹58,410.00."`
	Freshness
}

// listVouchers answers the day book.
//
//	@Summary		The day book
//	@ID			listVouchers
//	@Description	The vouchers of a period (default: the financial year to date, Asia/Kolkata) by date, optionally of one voucher type or touching one party's ledger, a page at a time: each answer's next is the cursor of the following page, and every page costs the same whatever its number (keyset over the mirror). Cancelled vouchers are listed with cancelled true and amount 0.00 (not under a party: a cancelled voucher has no entries left). Answered from the mirror of the books (see README, freshness); a company the mirror has not loaded yet is 503 books_not_synced.
//	@Tags			vouchers
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			from	query		string	false	"First day YYYY-MM-DD; default 1 April of to's financial year"	extensions(x-example=2026-04-01)
//	@Param			to		query		string	false	"Last day YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			type	query		string	false	"Only this voucher type (any case)"	extensions(x-example=Sales)
//	@Param			party	query		string	false	"Only vouchers with an entry for this ledger"	extensions(x-example=Rajesh Enterprises)
//	@Param			limit	query		int		false	"Page size"	default(50)	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"The next of the previous page"
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200		{object}	DayBookResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company, mirror_off"
//	@Failure		422		{object}	Problem	"invalid_request, invalid_period, invalid_cursor"
//	@Failure		503		{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/vouchers [get]
func (s *Server) listVouchers(c echo.Context) error {
	q := query{c: c}
	vq := service.VoucherQuery{Company: q.company(), From: q.date("from"), To: q.date("to"), Type: q.name("type"), Party: q.name("party"),
		Limit: q.int("limit", service.DefaultPageSize, 1, service.MaxPageSize)}
	cursor, force := q.str("cursor"), fresh(&q)
	after, err := service.ParseVoucherCursor(cursor)
	if err != nil {
		q.fail("cursor", "is not a cursor this service gave")
	}
	vq.After = after
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return errMirrorOff
	}
	page, f, err := s.books.DayBook(c.Request().Context(), vq, force)
	if err != nil {
		return err
	}
	out := DayBookResponse{From: dateString(page.Period.From), To: dateString(page.Period.To),
		Vouchers: make([]VoucherSummaryJSON, 0, len(page.Vouchers)), Count: len(page.Vouchers), Next: page.Next.String(), Freshness: toFreshness(f)}
	for _, v := range page.Vouchers {
		out.Vouchers = append(out.Vouchers, VoucherSummaryJSON{ID: v.ID, Date: dateString(v.Date), Type: v.Type, Number: v.Number,
			Party: v.Party, Narration: v.Narration, Amount: v.Amount, Display: v.Amount.Rupees(), Cancelled: v.Cancelled, Optional: v.Optional})
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// voucherID reads the {id} path parameter.
func voucherID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &requestError{status: http.StatusUnprocessableEntity, code: "invalid_request",
			detail: "The voucher id must be a positive integer (a voucher's id from the day book).",
			fields: []FieldError{{Field: "id", Message: "must be a positive integer"}}}
	}
	return id, nil
}

// getVoucher answers one voucher.
//
//	@Summary		A voucher
//	@ID			getVoucher
//	@Description	One voucher whole, by its id from the day book or a statement (Tally's MasterID): header, ledger entries with their bill allocations, and stock lines. With Accept: application/pdf or format=pdf, a Sales voucher (of Tally's Sales type or one the company made under it) is answered as a PDF copy of the invoice (any other type is 406 not_an_invoice). Answered from the mirror of the books (see README, freshness); a company the mirror has not loaded yet is 503 books_not_synced.
//	@Tags			vouchers
//	@Produce		json
//	@Produce		application/pdf
//	@Produce		application/problem+json
//	@Param			id		path		int		true	"The voucher's id (MasterID)"
//	@Param			format	query		string	false	"pdf for the invoice copy as a PDF document (as Accept: application/pdf)"	Enums(json, pdf)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200		{object}	VoucherResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"voucher_not_found, unknown_company, mirror_off"
//	@Failure		406		{object}	Problem	"not_an_invoice: a PDF of a voucher that is not a Sales voucher"
//	@Failure		422		{object}	Problem	"invalid_request"
//	@Failure		503		{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/vouchers/{id} [get]
func (s *Server) getVoucher(c echo.Context) error {
	id, err := voucherID(c)
	if err != nil {
		return err
	}
	q := query{c: c}
	company, force, pdf := q.company(), fresh(&q), wantsPDF(&q)
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return errMirrorOff
	}
	v, f, err := s.books.GetVoucher(c.Request().Context(), company, id, force)
	if err != nil {
		return err
	}
	if pdf {
		return s.writeInvoicePDF(c, company, v, f)
	}
	return writeJSON(c, http.StatusOK, "", toVoucherResponse(v, f))
}

func toVoucherResponse(v service.MirrorVoucher, f service.Freshness) VoucherResponse {
	total := v.Total()
	out := VoucherResponse{VoucherSummaryJSON: VoucherSummaryJSON{ID: v.MasterID, Date: dateString(v.Date), Type: v.Type, Number: v.Number,
		Party: v.Party, Narration: v.Narration, Amount: total, Display: total.Rupees(), Cancelled: v.Cancelled, Optional: v.Optional},
		GUID: v.GUID, RemoteID: v.RemoteID, Entries: make([]VoucherEntryJSON, 0, len(v.Entries)),
		Items: make([]VoucherItemJSON, 0, len(v.Inventory)), Freshness: toFreshness(f)}
	for _, e := range v.Entries {
		ej := VoucherEntryJSON{Ledger: e.Ledger, Debit: max(-e.Amount, 0), Credit: max(e.Amount, 0), Bills: make([]VoucherBillJSON, 0, len(e.Bills))}
		for _, b := range e.Bills {
			ej.Bills = append(ej.Bills, VoucherBillJSON{Name: b.Name, Type: b.Type, Amount: toBalanceJSON(service.NewBalance(b.Amount)),
				DueDate: dateString(b.Due)})
		}
		out.Entries = append(out.Entries, ej)
	}
	for _, it := range v.Inventory {
		out.Items = append(out.Items, VoucherItemJSON{Item: it.Item, Quantity: it.Quantity, Rate: it.Rate, Amount: it.Amount})
	}
	out.Message = voucherMessage(v, total)
	return out
}

// voucherMessage says a voucher in one sentence.
func voucherMessage(v service.MirrorVoucher, total service.Paise) string {
	msg := v.Type
	if v.Number != "" {
		msg += " " + v.Number
	}
	msg += " of " + v.Date.Format(messageDate)
	if v.Party != "" {
		msg += " with " + v.Party
	}
	switch {
	case v.Cancelled:
		return msg + " was cancelled."
	case v.Optional:
		return msg + " is optional (it does not touch the books) for " + total.Rupees() + "."
	}
	return msg + " for " + total.Rupees() + "."
}
