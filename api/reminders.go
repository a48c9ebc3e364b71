package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// RemindersResponse lists the payment reminders due as of a date.
type RemindersResponse struct {
	// The date the bills are overdue on.
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-30"`
	// One reminder per party, sorted by name.
	Reminders []ReminderJSON `json:"reminders" validate:"required"`
	// The number of reminders.
	Count int `json:"count" validate:"required" example:"1"`
	// What the reminders ask for in all.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	Freshness
}

// ReminderJSON is one party's payment reminder.
type ReminderJSON struct {
	// The ledger name.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The party's mobile in E.164; "" when it has no usable one (see mobile_problem).
	Mobile string `json:"mobile" validate:"required" example:"+919820012345"`
	// The mobile as typed in Tally.
	MobileRaw string `json:"mobile_raw" validate:"required" example:"9820012345"`
	// Why the mobile cannot receive WhatsApp; "" when it can.
	MobileProblem string `json:"mobile_problem,omitempty" example:""`
	// What the reminder asks for: the overdue bills less the party's credits.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The overdue bills alone.
	Overdue service.Paise `json:"overdue" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The party's unadjusted credits (advances, credit notes), negative; "0.00" when none.
	Credits service.Paise `json:"credits" validate:"required" swaggertype:"string" format:"decimal" example:"0.00"`
	// The oldest overdue due date.
	DueSince string `json:"due_since" validate:"required" format:"date" example:"2026-06-10"`
	// Days past due of the oldest bill.
	OverdueDays int `json:"overdue_days" validate:"required" example:"20"`
	// The overdue bills, oldest due first.
	Bills []BillJSON `json:"bills" validate:"required"`
	// The rendered message.
	Message string `json:"message" validate:"required" example:"Dear Rajesh Enterprises, our records show an outstanding balance of Rs. 48,500 due since 10 June 2026. Kindly arrange payment. Reply here for any query."`
}

// DispatchRequest selects the reminders to send. Every field is optional;
// the same names work as query parameters.
type DispatchRequest struct {
	// Bills overdue as of this date (YYYY-MM-DD); default today (Asia/Kolkata).
	AsOf string `json:"as_of,omitempty" validate:"omitempty,datetime=2006-01-02" example:"2026-06-30"`
	// Show what would be sent; claim and send nothing.
	DryRun bool `json:"dry_run,omitempty" example:"true"`
	// Only bills at least this many days past due; default the configured minimum (1).
	MinOverdueDays int `json:"min_overdue_days,omitempty" validate:"min=0,max=3650" example:"7"`
	// Only parties owing at least this much overdue.
	MinAmount string `json:"min_amount,omitempty" example:"1000.00"`
	// The party group; default the configured one (Sundry Debtors).
	Group string `json:"group,omitempty" validate:"max=200,nocontrol" example:"Sundry Debtors"`
	// Tally company; default the configured one.
	Company string `json:"company,omitempty" validate:"max=200,nocontrol" example:"ABC Traders"`
}

// DispatchResponse says what a dispatch did, party by party.
type DispatchResponse struct {
	// The date the bills are overdue on.
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-30"`
	// The day sends are counted on: each party and bill set gets one reminder a day.
	Day string `json:"day" validate:"required" format:"date" example:"2026-06-30"`
	// True when nothing was sent.
	DryRun bool `json:"dry_run" validate:"required" example:"false"`
	// One line per party with overdue bills.
	Results []DispatchResultJSON `json:"results" validate:"required"`
	// How many parties ended in each status.
	Counts DispatchCounts `json:"counts" validate:"required"`
}

// DispatchCounts counts a dispatch's parties by status; every status is
// present, zero or not.
type DispatchCounts struct {
	Sent        int `json:"sent" validate:"required" example:"1"`
	AlreadySent int `json:"already_sent" validate:"required" example:"0"`
	NoMobile    int `json:"no_mobile" validate:"required" example:"0"`
	Failed      int `json:"failed" validate:"required" example:"0"`
	Unknown     int `json:"unknown" validate:"required" example:"0"`
	DryRun      int `json:"dry_run" validate:"required" example:"0"`
}

// DispatchResultJSON is one party's line of a dispatch.
type DispatchResultJSON struct {
	// The ledger name.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The E.164 number sent to; "" when there is none.
	Mobile string `json:"mobile" validate:"required" example:"+919820012345"`
	// sent, already_sent (earlier today, by any replica), no_mobile, failed (not delivered; the next dispatch
	// tries again), unknown (the provider's answer was lost after sending: maybe delivered, never resent) or dry_run.
	Status string `json:"status" validate:"required" enums:"sent,already_sent,no_mobile,failed,unknown,dry_run" example:"sent"`
	// Why it failed, or why there is no mobile.
	Error string `json:"error,omitempty" example:""`
	// The provider's message id (a WhatsApp wamid).
	MessageID string `json:"message_id,omitempty" example:"wamid.HBgMOTE5ODIwMDEyMzQ1FQIAERgSQ0E5"`
	// How many times the provider was tried.
	Attempts int `json:"attempts,omitempty" example:"1"`
	// What the reminder asks for.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The message sent (or, for dry_run, that would be sent).
	Message string `json:"message" validate:"required" example:"Dear Rajesh Enterprises, our records show an outstanding balance of Rs. 48,500 due since 10 June 2026. Kindly arrange payment. Reply here for any query."`
	// The dedupe key of the (party, bill set, day).
	Key string `json:"key" validate:"required" example:"reminder:2026-06-30:3f2a…"`
}

// listReminders computes the payment reminders.
//
//	@Summary		Payment reminders due
//	@ID			listReminders
//	@Description	From Bills Receivable: each party of the group with bills overdue as of the date, its WhatsApp number (E.164, or why there is none), the amount (overdue bills less the party's credits), the bills, and the message rendered from the configured template (default: the WhatsApp guide's "Dear …, our records show an outstanding balance of Rs. 48,500 due since 10 June 2026. …", Indian digit grouping). Sends nothing. From the mirror of the books (see README, freshness); a company the mirror never loaded is read live (two Tally requests).
//	@Tags			reminders
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			as_of				query		string	false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-30)
//	@Param			min_overdue_days	query		int		false	"Only bills at least this many days past due; default the configured minimum (1)"
//	@Param			min_amount			query		string	false	"Only parties owing at least this much overdue"	extensions(x-example=1000.00)
//	@Param			group				query		string	false	"Party group: a party group (TALLY_PARTY_GROUPS) or a sub-group of one, else 422 not_a_party_group; default the configured one (Sundry Debtors)"	extensions(x-example=Sundry Debtors)
//	@Param			company				query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh				query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200					{object}	RemindersResponse
//	@Failure		400					{object}	Problem	"malformed_query"
//	@Failure		401					{object}	Problem	"unauthenticated"
//	@Failure		404					{object}	Problem	"unknown_company"
//	@Failure		422					{object}	Problem	"invalid_request, not_a_party_group"
//	@Failure		503					{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reminders [get]
func (s *Server) listReminders(c echo.Context) error {
	q := query{c: c}
	rq := s.reminderQuery(&q)
	force := fresh(&q)
	if err := q.err(); err != nil {
		return err
	}
	var rems []service.Reminder
	f := service.Freshness{Live: true}
	var err error
	if s.books == nil {
		rems, err = s.svc.Reminders(c.Request().Context(), rq)
	} else {
		rems, f, err = s.books.Reminders(c.Request().Context(), rq, force)
	}
	if err != nil {
		return err
	}
	asOf := rq.AsOf
	if asOf.IsZero() {
		asOf = s.svc.Today()
	}
	out := RemindersResponse{AsOf: dateString(asOf), Reminders: make([]ReminderJSON, 0, len(rems)), Count: len(rems), Freshness: toFreshness(f)}
	for _, r := range rems {
		out.Reminders = append(out.Reminders, toReminderJSON(r))
		out.Total += r.Amount
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// reminderQuery reads the reminder filters from the query string.
func (s *Server) reminderQuery(q *query) service.ReminderQuery {
	return service.ReminderQuery{
		Company:        q.company(),
		AsOf:           q.date("as_of"),
		MinOverdueDays: q.int("min_overdue_days", 0, 0, 3650),
		MinAmount:      q.paise("min_amount"),
		Group:          q.name("group"),
	}
}

// dispatchReminders sends the payment reminders.
//
//	@Summary		Send payment reminders
//	@ID			dispatchReminders
//	@Description	Sends each reminder of GET /reminders with a usable mobile through the configured sender (WhatsApp Cloud API template or text message, or a chatbot platform's webhook). Each (party, bill set, day in Asia/Kolkata) is sent at most once across replicas: a second dispatch the same day reports already_sent, while a part payment or a new overdue bill makes a new reminder. Provider refusals that prove nothing was delivered (429, 503, no connection) are tried 3 times with backoff; an answer lost after sending (a timeout, a 500) is reported unknown and never resent, so nobody gets a reminder twice; every send and the provider's answer are recorded. The answer is 200 with one line per party even when some failed. dry_run claims and sends nothing and shows what would be sent. Filters come from the JSON body or the query string (as GET /reminders; dry_run too). Without a configured sender (WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID, or REMINDER_WEBHOOK_URL) a non-dry run is 503 reminder_sender_not_configured, whose hint names the settings. A daily schedule runs the same dispatch.
//	@Tags			reminders
//	@Accept			json
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			request				body		DispatchRequest	false	"Filters and dry_run (optional)"
//	@Param			dry_run				query		bool			false	"Show what would be sent; send nothing"	default(false)
//	@Param			as_of				query		string			false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-30)
//	@Param			min_overdue_days	query		int				false	"Only bills at least this many days past due"
//	@Param			min_amount			query		string			false	"Only parties owing at least this much overdue"	extensions(x-example=1000.00)
//	@Param			group				query		string			false	"Party group"	extensions(x-example=Sundry Debtors)
//	@Param			company				query		string			false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200					{object}	DispatchResponse
//	@Failure		400					{object}	Problem	"malformed_json, malformed_query"
//	@Failure		401					{object}	Problem	"unauthenticated"
//	@Failure		404					{object}	Problem	"unknown_company"
//	@Failure		415					{object}	Problem	"unsupported_media_type: a body that is not application/json"
//	@Failure		422					{object}	Problem	"invalid_request"
//	@Failure		503					{object}	Problem	"reminder_sender_not_configured, Tally or the database unavailable"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reminders/dispatch [post]
func (s *Server) dispatchReminders(c echo.Context) error {
	q := query{c: c}
	rq := s.reminderQuery(&q)
	dryRun := q.bool("dry_run")
	if err := q.err(); err != nil {
		return err
	}
	req := c.Request()
	if req.ContentLength != 0 && req.Body != nil && req.Body != http.NoBody {
		var body DispatchRequest
		if err := decodeBody(c, &body); err != nil {
			var re *requestError
			// An empty chunked body is no body: the filters are optional.
			if !errors.As(err, &re) || re.code != "empty_body" {
				return err
			}
		} else {
			if err := s.check(&body); err != nil {
				return err
			}
			if err := mergeDispatchBody(c, body, &rq, &dryRun); err != nil {
				return err
			}
		}
	}
	res, err := s.svc.DispatchReminders(req.Context(), rq, dryRun)
	if err != nil {
		return err
	}
	out := DispatchResponse{AsOf: dateString(res.AsOf), Day: dateString(res.Day), DryRun: res.DryRun,
		Results: make([]DispatchResultJSON, 0, len(res.Parties))}
	for _, p := range res.Parties {
		out.Results = append(out.Results, DispatchResultJSON{Party: p.Reminder.Party, Mobile: p.Reminder.Mobile.E164,
			Status: string(p.Status), Error: p.Error, MessageID: p.MessageID, Attempts: p.Attempts,
			Amount: p.Reminder.Amount, Message: p.Reminder.Message, Key: p.Key})
	}
	counts := res.Counts()
	out.Counts = DispatchCounts{Sent: counts[service.ReminderSent], AlreadySent: counts[service.ReminderAlreadySent],
		NoMobile: counts[service.ReminderNoMobile], Failed: counts[service.ReminderFailed],
		Unknown: counts[service.ReminderUnknown], DryRun: counts[service.ReminderDryRun]}
	return writeJSON(c, http.StatusOK, "", out)
}

// mergeDispatchBody lets the body's fields override the query's.
func mergeDispatchBody(c echo.Context, b DispatchRequest, rq *service.ReminderQuery, dryRun *bool) error {
	var fields []FieldError
	if b.AsOf != "" {
		d, err := time.Parse(time.DateOnly, b.AsOf)
		if err != nil || !service.InDateRange(d) {
			fields = append(fields, FieldError{Field: "as_of", Message: dateMessage()})
		}
		rq.AsOf = d
	}
	if b.DryRun {
		*dryRun = true
	}
	if b.MinOverdueDays > 0 {
		rq.MinOverdueDays = b.MinOverdueDays
	}
	if b.MinAmount != "" {
		p, err := service.ParsePaise(b.MinAmount)
		if err != nil {
			fields = append(fields, FieldError{Field: "min_amount", Message: "must be an amount such as 1000 or 1000.50"})
		}
		rq.MinAmount = p
	}
	for _, f := range []struct {
		name string
		v    string
		dst  *string
	}{{"group", b.Group, &rq.Group}, {"company", b.Company, &rq.Company}} {
		v := strings.TrimSpace(f.v)
		if v == "" {
			continue
		}
		if err := service.ValidateName(f.name, v); err != nil {
			fields = append(fields, FieldError{Field: f.name, Message: nameProblem(err, f.name)})
		}
		*f.dst = v
		if f.name == "company" {
			c.Set(keyCompany, v)
		}
	}
	if len(fields) > 0 {
		return invalidFields(fields...)
	}
	return nil
}

func toReminderJSON(r service.Reminder) ReminderJSON {
	out := ReminderJSON{Party: r.Party, Mobile: r.Mobile.E164, MobileRaw: r.Mobile.Raw, MobileProblem: r.Mobile.Reason,
		Amount: r.Amount, Overdue: r.Overdue, Credits: r.Credits, DueSince: dateString(r.DueSince),
		OverdueDays: r.Data.OverdueDays, Bills: make([]BillJSON, 0, len(r.Bills)), Message: r.Message}
	for _, b := range r.Bills {
		out.Bills = append(out.Bills, BillJSON{Ref: b.Ref, BillDate: dateString(b.Date), DueDate: dateString(b.Due),
			Amount: b.Amount, OverdueDays: b.OverdueDays})
	}
	return out
}
