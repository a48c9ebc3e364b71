package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// StatementResponse is a party's account for a period, as Tally's ledger
// vouchers report shows it, flat enough for a chatbot template.
type StatementResponse struct {
	// The ledger name as Tally spells it.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The first day of the period.
	From string `json:"from" validate:"required" format:"date" example:"2026-04-01"`
	// The last day of the period.
	To string `json:"to" validate:"required" format:"date" example:"2026-06-23"`
	// The balance at the start of from: the books' opening balance plus every voucher before it.
	Opening BalanceJSON `json:"opening" validate:"required"`
	// The vouchers that touch the party in the period, by date.
	Vouchers []StatementLineJSON `json:"vouchers" validate:"required"`
	// The sum of the debit column.
	TotalDebit service.Paise `json:"total_debit" validate:"required" swaggertype:"string" format:"decimal" example:"58410.00"`
	// The sum of the credit column.
	TotalCredit service.Paise `json:"total_credit" validate:"required" swaggertype:"string" format:"decimal" example:"9910.00"`
	// The balance at the end of to; to today, it is the party's closing balance in Tally.
	Closing BalanceJSON `json:"closing" validate:"required"`
	// The opening balance for people, with its side.
	OpeningDisplay string `json:"opening_display" validate:"required" example:"₹0.00"`
	// The closing balance for people, with its side.
	ClosingDisplay string `json:"closing_display" validate:"required" example:"₹48,500.00 Dr"`
	// The number of vouchers.
	Count int `json:"count" validate:"required" example:"2"`
	// A ready sentence for a chatbot reply; when stale it says when the books were last synced.
	Message string `json:"message" validate:"required" example:"Statement of Rajesh Enterprises from 1 Apr 2026 to 23 Jun 2026: opening balance ₹0.00, 2 vouchers, closing balance ₹48,500.00 Dr (owes us)."`
	Freshness
}

// StatementLineJSON is one voucher of a statement.
type StatementLineJSON struct {
	// The voucher's id in Tally (its MasterID): GET /vouchers/{id} reads it.
	VoucherID int64 `json:"voucher_id" validate:"required" example:"17"`
	// The voucher's date.
	Date string `json:"date" validate:"required" format:"date" example:"2026-05-11"`
	// The voucher type.
	Type string `json:"type" validate:"required" example:"Sales"`
	// The voucher number, "" when Tally has none.
	Number string `json:"number" validate:"required" example:"1"`
	// The voucher's narration.
	Narration string `json:"narration" validate:"required" example:"Sale against ABC/S/101"`
	// What the party was debited (it owes us more), "0.00" for a credit.
	Debit service.Paise `json:"debit" validate:"required" swaggertype:"string" format:"decimal" example:"58410.00"`
	// What the party was credited (paid us, or we owe it), "0.00" for a debit.
	Credit service.Paise `json:"credit" validate:"required" swaggertype:"string" format:"decimal" example:"0.00"`
	// The running balance after this voucher.
	Balance BalanceJSON `json:"balance" validate:"required"`
	// The bill references the voucher was allocated to.
	Bills []string `json:"bills" validate:"required" example:"ABC/S/101"`
}

// statementPeriod reads ?from= and ?to=.
func statementPeriod(q *query) service.Period {
	return service.Period{From: q.date("from"), To: q.date("to")}
}

// partyStatement answers a party's statement.
//
//	@Summary		A party's statement
//	@ID			getPartyStatement
//	@Description	The party's account for a period (default: the financial year to date, 1 April to today in Asia/Kolkata): the opening balance, every voucher that touched the party (date, type, number, narration, debit, credit, running balance, bill references) and the closing balance, figured as Tally figures the ledger's balance (cancelled and optional vouchers left out), so a statement to today closes at the party's closing balance in Tally. Parties only: any other ledger is 404 party_not_found. Answered from the mirror of the books (see README, freshness: stale with synced_at while Tally cannot be asked); a company the mirror has not loaded yet is 503 books_not_synced. With Accept: application/pdf or format=pdf, the same statement as a PDF document (an attachment) a bot can send on WhatsApp: the company's name, address and GSTIN, the party, the period, the table with Indian digit grouping, the totals and the closing balance.
//	@Tags			parties
//	@Produce		json
//	@Produce		application/pdf
//	@Produce		application/problem+json
//	@Param			name	path		string	true	"Ledger name, percent-encoded"	extensions(x-example=Rajesh Enterprises)
//	@Param			from	query		string	false	"First day YYYY-MM-DD; default 1 April of to's financial year"	extensions(x-example=2026-04-01)
//	@Param			to		query		string	false	"Last day YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			format	query		string	false	"pdf for a PDF document (as Accept: application/pdf)"	Enums(json, pdf)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	StatementResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company, mirror_off"
//	@Failure		422		{object}	Problem	"invalid_name, invalid_request, invalid_period"
//	@Failure		503		{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/{name}/statement [get]
func (s *Server) partyStatement(c echo.Context) error {
	name, err := pathName(c)
	if err != nil {
		return err
	}
	return s.statement(c, func(ctx context.Context, company string, p service.Period, force bool) (service.Statement, service.Freshness, error) {
		return s.books.Statement(ctx, company, name, p, force)
	})
}

// statementByMobile answers the statement of the party with a mobile.
//
//	@Summary		A party's statement by mobile number
//	@ID			getStatementByMobile
//	@Description	GET /parties/{name}/statement for the one party whose mobile is this number in any common form (as GET /parties/by-mobile/{mobile}/balance matches it): none is 404 party_not_found, several are 409 ambiguous_party_mobile. With Accept: application/pdf or format=pdf, the statement as a PDF document.
//	@Tags			parties
//	@Produce		json
//	@Produce		application/pdf
//	@Produce		application/problem+json
//	@Param			mobile	path		string	true	"Mobile number in any common form, percent-encoded"	extensions(x-example=9820012345)
//	@Param			from	query		string	false	"First day YYYY-MM-DD; default 1 April of to's financial year"	extensions(x-example=2026-04-01)
//	@Param			to		query		string	false	"Last day YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			format	query		string	false	"pdf for a PDF document (as Accept: application/pdf)"	Enums(json, pdf)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	StatementResponse
//	@Failure		400		{object}	Problem	"malformed_query, bad_path"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company, mirror_off"
//	@Failure		409		{object}	Problem	"ambiguous_party_mobile (the parties in parties)"
//	@Failure		422		{object}	Problem	"invalid_mobile, invalid_request, invalid_period"
//	@Failure		503		{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/by-mobile/{mobile}/statement [get]
func (s *Server) statementByMobile(c echo.Context) error {
	mobile, err := url.PathUnescape(c.Param("mobile"))
	if err != nil {
		return &requestError{status: http.StatusBadRequest, code: "bad_path", detail: "The mobile in the path is not correctly percent-encoded."}
	}
	return s.statement(c, func(ctx context.Context, company string, p service.Period, force bool) (service.Statement, service.Freshness, error) {
		return s.books.StatementByMobile(ctx, company, mobile, p, force)
	})
}

// statement reads a statement's query, answers it with read and writes it
// as JSON or, when asked, as a PDF.
func (s *Server) statement(c echo.Context, read func(ctx context.Context, company string, p service.Period, force bool) (service.Statement, service.Freshness, error)) error {
	q := query{c: c}
	company, force, p, pdf := q.company(), fresh(&q), statementPeriod(&q), wantsPDF(&q)
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return errMirrorOff
	}
	st, f, err := read(c.Request().Context(), company, p, force)
	if err != nil {
		return err
	}
	if pdf {
		return s.writeStatementPDF(c, company, st, f)
	}
	return writeJSON(c, http.StatusOK, "", toStatementResponse(st, f))
}

func toStatementResponse(st service.Statement, f service.Freshness) StatementResponse {
	out := StatementResponse{Party: st.Party.Name, From: dateString(st.Period.From), To: dateString(st.Period.To),
		Opening: toBalanceJSON(st.Opening), Closing: toBalanceJSON(st.Closing), Vouchers: make([]StatementLineJSON, 0, len(st.Lines)),
		TotalDebit: st.TotalDebit, TotalCredit: st.TotalCredit, Count: len(st.Lines), Freshness: toFreshness(f)}
	out.OpeningDisplay, out.ClosingDisplay = out.Opening.Display, out.Closing.Display
	for _, l := range st.Lines {
		bills := l.Bills
		if bills == nil {
			bills = []string{}
		}
		out.Vouchers = append(out.Vouchers, StatementLineJSON{VoucherID: l.VoucherID, Date: dateString(l.Date), Type: l.Type,
			Number: l.Number, Narration: l.Narration, Debit: l.Debit(), Credit: l.Credit(), Balance: toBalanceJSON(l.Balance), Bills: bills})
	}
	out.Message = statementMessage(st, f)
	return out
}

// statementMessage is the statement in one sentence.
func statementMessage(st service.Statement, f service.Freshness) string {
	n := strconv.Itoa(len(st.Lines)) + " vouchers"
	if len(st.Lines) == 1 {
		n = "1 voucher"
	}
	msg := "Statement of " + st.Party.Name + " from " + st.Period.From.Format(messageDate) + " to " + st.Period.To.Format(messageDate) +
		": opening balance " + toBalanceJSON(st.Opening).Display + ", " + n + ", closing balance " + toBalanceJSON(st.Closing).Display
	switch st.Closing.Side {
	case service.Debit:
		msg += " (owes us)"
	case service.Credit:
		msg += " (we owe them or hold an advance)"
	}
	if f.Stale {
		msg += ", as of " + st.SyncedAt.Format(messageDate+", 15:04") + " (when the books were last synced)"
	}
	return msg + "."
}
