package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// AgeingBucketJSON is the bills that are so many days past due.
type AgeingBucketJSON struct {
	// The bucket for people: "0-30", "31-60", "over 90". Bills not yet due are in the first bucket.
	Label string `json:"label" validate:"required" example:"31-60"`
	// The fewest days past due in the bucket.
	FromDays int `json:"from_days" validate:"required" example:"31"`
	// The most days past due in the bucket; absent for the last, open-ended one.
	ToDays *int `json:"to_days,omitempty" example:"60"`
	// The number of bills in the bucket.
	Bills int `json:"bills" validate:"required" example:"1"`
	// What is outstanding on them, the list's way round (owed to us for receivables, by us for payables).
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The amount for people.
	Display string `json:"display" validate:"required" example:"₹48,500.00"`
}

func toAgeingJSON(buckets []service.AgeingBucket) []AgeingBucketJSON {
	if buckets == nil {
		return nil
	}
	out := make([]AgeingBucketJSON, len(buckets))
	for i, b := range buckets {
		out[i] = AgeingBucketJSON{Label: b.Label(), FromDays: b.From, Bills: b.Bills, Amount: b.Amount, Display: b.Amount.Rupees()}
		if b.To > 0 {
			to := b.To
			out[i].ToDays = &to
		}
	}
	return out
}

// ageing reads ?ageing=: "true" for the default buckets (0–30, 31–60,
// 61–90, over 90 days past due), a list of day counts such as 30,60,90 for
// others, absent or "false" for none.
func (q *query) ageing(name string) []int {
	v := q.str(name)
	switch strings.ToLower(v) {
	case "", "false":
		return nil
	case "true":
		return service.DefaultAgeing()
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			q.fail(name, "must be true or increasing day counts such as 30,60,90")
			return nil
		}
		out = append(out, n)
	}
	if err := service.CheckAgeing(out); err != nil {
		q.fail(name, "must be true or increasing day counts such as 30,60,90 (1 to 12 of them, each up to 36500)")
		return nil
	}
	return out
}

// OutstandingResponse is one party's outstanding bills with their ageing,
// flat for chatbot templates.
type OutstandingResponse struct {
	// The ledger name as Tally spells it.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The date the bills are outstanding on (today in Asia/Kolkata).
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-23"`
	// What the party owes us over its bills (positive), net of what we owe it (its advances, our purchases from it).
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The total for people.
	Display string `json:"display" validate:"required" example:"₹48,500.00"`
	// The part of total that is past due.
	Overdue service.Paise `json:"overdue" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The number of bills.
	Count int `json:"count" validate:"required" example:"1"`
	// The bills, by due date: positive when the party owes us, negative when we owe it.
	Bills []BillJSON `json:"bills" validate:"required"`
	// The bills by days past due; the amounts add up to total.
	Ageing []AgeingBucketJSON `json:"ageing" validate:"required"`
	// A ready sentence for a chatbot reply; when stale it says when the books were last synced.
	Message string `json:"message" validate:"required" example:"Rajesh Enterprises owes ₹48,500.00 on 1 bill as of 23 Jun 2026, ₹48,500.00 of it past due (31-60 days: ₹48,500.00)."`
	Freshness
}

// partyOutstanding answers a party's outstanding bills with their ageing.
//
//	@Summary		A party's outstanding bills with ageing
//	@ID			getPartyOutstanding
//	@Description	Every bill of the party still outstanding today, either way (as Tally's Ledger Outstandings lists them): positive when the party owes us, negative when we owe it (an advance it paid, a purchase from it); with the total, the part past due and the ageing, the bills by days past due (default buckets 0-30, 31-60, 61-90, over 90; a bill not yet due is in the first), whose amounts add up to the total. Parties only: any other ledger is 404 party_not_found. Answered from the mirror of the books (see README, freshness); a company the mirror has not loaded yet is 503 books_not_synced.
//	@Tags			parties
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			name	path		string	true	"Ledger name, percent-encoded"	extensions(x-example=Rajesh Enterprises)
//	@Param			ageing	query		string	false	"Bucket bounds in days past due; default 30,60,90"	extensions(x-example=30,60,90)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	OutstandingResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company, mirror_off"
//	@Failure		422		{object}	Problem	"invalid_name, invalid_request"
//	@Failure		503		{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/{name}/outstanding [get]
func (s *Server) partyOutstanding(c echo.Context) error {
	name, err := pathName(c)
	if err != nil {
		return err
	}
	q := query{c: c}
	company, force, bounds := q.company(), fresh(&q), q.ageing("ageing")
	if err := q.err(); err != nil {
		return err
	}
	if bounds == nil {
		bounds = service.DefaultAgeing()
	}
	if s.books == nil {
		return errMirrorOff
	}
	p, all, f, err := s.books.Outstanding(c.Request().Context(), company, name, bounds, force)
	if err != nil {
		return err
	}
	out := OutstandingResponse{Party: p.Party, AsOf: dateString(all.AsOf), Total: p.Total, Display: p.Total.Rupees(), Overdue: p.Overdue,
		Count: len(p.Bills), Bills: toBillsJSON(p.Bills), Ageing: toAgeingJSON(p.Ageing), Freshness: toFreshness(f)}
	out.Message = outstandingMessage(p, all, f, s.svc.Local(f.AsOf))
	return writeJSON(c, http.StatusOK, "", out)
}

// outstandingMessage says a party's outstanding bills in one sentence.
// syncedAt is when the books were last synced, in the service's zone.
func outstandingMessage(p service.PartyReceivables, all service.Receivables, f service.Freshness, syncedAt time.Time) string {
	when := all.AsOf.Format(messageDate)
	if f.Stale {
		when = syncedAt.Format(messageDate+", 15:04") + " (when the books were last synced)"
	}
	bills := strconv.Itoa(len(p.Bills)) + " bills"
	if len(p.Bills) == 1 {
		bills = "1 bill"
	}
	var msg string
	switch {
	case len(p.Bills) == 0:
		return p.Party + " has no outstanding bills as of " + when + "."
	case p.Total >= 0:
		msg = p.Party + " owes " + p.Total.Rupees() + " on " + bills + " as of " + when
	default:
		msg = "We owe " + p.Party + " " + (-p.Total).Rupees() + " on " + bills + " as of " + when
	}
	if p.Overdue == 0 {
		return msg + "."
	}
	var parts []string
	for _, b := range p.Ageing {
		if b.Bills > 0 {
			parts = append(parts, b.Label()+" days: "+b.Amount.Rupees())
		}
	}
	return msg + ", " + p.Overdue.Abs().Rupees() + " of it past due (" + strings.Join(parts, ", ") + ")."
}

// payables lists the bills we owe.
//
//	@Summary		Outstanding bills we owe (payables)
//	@ID			listPayables
//	@Description	Bills Payable as of today, the way GET /receivables answers Bills Receivable: the credit bills (purchases not yet paid, advances parties paid us), grouped by party, from the mirror of the books, limit parties a page with a cursor. Here the amounts (bills, party totals, total, overdue_total, ageing) are positive when we owe them. With ageing, each party and the whole list also carry their bills by days past due. Only the mirror answers: a company it has not loaded yet is 503 books_not_synced.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			party			query		string	false	"Only this party (its name as Tally matches it)"	extensions(x-example=Bharat Steel Suppliers)
//	@Param			overdue_only	query		bool	false	"Only bills past due"	default(false)
//	@Param			min_amount		query		string	false	"Leave out bills owing less than this"	extensions(x-example=1000.00)
//	@Param			ageing			query		string	false	"Add the ageing: true for buckets 0-30, 31-60, 61-90 and over 90 days past due, or the bounds in days"	extensions(x-example=30,60,90)
//	@Param			limit			query		int		false	"Parties per page"	default(100)	minimum(1)	maximum(1000)
//	@Param			cursor			query		string	false	"The next of the previous page"
//	@Param			fresh			query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company			query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200				{object}	ReceivablesResponse
//	@Failure		400				{object}	Problem	"malformed_query"
//	@Failure		401				{object}	Problem	"unauthenticated"
//	@Failure		404				{object}	Problem	"unknown_company, mirror_off"
//	@Failure		422				{object}	Problem	"invalid_request"
//	@Failure		503				{object}	Problem	"books_not_synced: the mirror has not loaded the company yet"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/payables [get]
func (s *Server) payables(c echo.Context) error {
	q := query{c: c}
	rq, page := billsQuery(&q, false), billsPage(&q)
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return errMirrorOff
	}
	out, f, err := s.books.Payables(c.Request().Context(), rq, page.cursor, page.limit, page.force)
	if err != nil {
		return err
	}
	return writeBills(c, out, f)
}
