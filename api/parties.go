package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// BalanceJSON is a balance split for clients that should not need Tally's
// sign convention.
type BalanceJSON struct {
	// The absolute balance, two decimals.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// Side is "Dr" for a debit balance (for a party: the party owes us),
	// "Cr" for a credit balance (we owe the party or hold its advance), and
	// "" for a zero balance.
	Side string `json:"side" validate:"required" enums:"Dr,Cr," example:"Dr"`
	// Signed is positive for a Dr balance (the party owes us) and negative
	// for a Cr balance: the opposite of Tally's own XML sign, where a debit is negative.
	Signed service.Paise `json:"signed" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The balance for people, with Indian digit grouping.
	Display string `json:"display" validate:"required" example:"₹48,500.00 Dr"`
}

// PartyResponse is a party ledger as Tally holds it.
type PartyResponse struct {
	// The ledger name, exactly as in Tally.
	Name string `json:"name" validate:"required" example:"Rajesh Enterprises"`
	// The ledger's parent group.
	Group string `json:"group" validate:"required" example:"Sundry Debtors"`
	// The mobile number as typed in Tally.
	Mobile string `json:"mobile" validate:"required" example:"9820012345"`
	// The mobile in E.164 form, or "" when it is not a usable mobile number.
	MobileE164 string `json:"mobile_e164" validate:"required" example:"+919820012345"`
	// Tells whether mobile_e164 can receive SMS or WhatsApp.
	MobileValid bool `json:"mobile_valid" validate:"required" example:"true"`
	// Says why the mobile is not usable; absent when it is (nothing is guessed).
	MobileNote string `json:"mobile_note,omitempty" example:"too short"`
	// The ledger's e-mail address.
	Email string `json:"email" validate:"required" example:"accounts@rajeshenterprises.in"`
	// The mailing address, one line per entry.
	Address []string `json:"address" validate:"required" example:"12 Kalbadevi Road,Mumbai"`
	// The state for GST place of supply.
	State string `json:"state" validate:"required" example:"Maharashtra"`
	// The country of residence.
	Country string `json:"country" validate:"required" example:"India"`
	// The postal code.
	Pincode string `json:"pincode" validate:"required" example:"400002"`
	// The party's GST number, "" when unregistered.
	GSTIN string `json:"gstin" validate:"required" example:"27AAPFR1234C1Z5"`
	// Tally's registration type text.
	GSTRegistrationType string `json:"gst_registration_type" validate:"required" example:"Regular"`
	// Tells whether Tally keeps bill-by-bill details for the party.
	BillWise bool `json:"bill_wise" validate:"required" example:"true"`
	// The default credit period as Tally holds it.
	CreditPeriod string `json:"credit_period" validate:"required" example:"30 Days"`
	// ClosingBalance is the closing balance; null when Tally sent no figure
	// (a ledger without transactions).
	ClosingBalance *BalanceJSON `json:"closing_balance" validate:"required" extensions:"x-nullable"`
}

// PartyListResponse is one page of parties, sorted by name.
type PartyListResponse struct {
	// Parties on this page.
	Parties []PartyResponse `json:"parties" validate:"required"`
	// The number of matching parties over all pages.
	Total int `json:"total" validate:"required" example:"12"`
	// The index of the first party on this page.
	Offset int `json:"offset" validate:"required" example:"0"`
	// The page size.
	Limit int `json:"limit" validate:"required" example:"50"`
	// The cursor of the next page (pass it as cursor); absent on the last page.
	Next string `json:"next,omitempty" example:"rajesh enterprises"`
	Freshness
}

// PartyReadResponse is one party with where its figures come from.
type PartyReadResponse struct {
	PartyResponse
	Freshness
}

// BalanceResponse is a party's balance, flat so chatbot templates can use
// each field as a variable.
type BalanceResponse struct {
	// The ledger name as Tally spells it.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// The absolute closing balance, two decimals.
	Balance service.Paise `json:"balance" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// "Dr" when the party owes us, "Cr" when we owe the party (or hold its advance), "" when zero.
	Side string `json:"side" validate:"required" enums:"Dr,Cr," example:"Dr"`
	// Positive when the party owes us (Dr), negative for Cr: the opposite of Tally's XML sign.
	Signed service.Paise `json:"signed" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The absolute balance for people.
	Display string `json:"display" validate:"required" example:"₹48,500.00"`
	// False when Tally sent no closing figure (a ledger without transactions); the amounts are then zero.
	BalanceKnown bool `json:"balance_known" validate:"required" example:"true"`
	// The date of the balance (today in Asia/Kolkata).
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-23"`
	// The party's mobile in E.164, "" when not usable.
	MobileE164 string `json:"mobile_e164" validate:"required" example:"+919820012345"`
	// A ready sentence for a chatbot reply; when stale it says when the books were last synced.
	Message string `json:"message" validate:"required" example:"Rajesh Enterprises owes ₹48,500.00 as of 23 Jun 2026."`
	Freshness
}

// CreatePartyRequest is a party ledger to create.
type CreatePartyRequest struct {
	// The ledger name; it must not exist yet.
	Name string `json:"name" validate:"required,max=200,nocontrol" example:"Rajesh Enterprises"`
	// The parent group: a party group or a sub-group of one. Default: Sundry Debtors.
	Group string `json:"group,omitempty" validate:"max=200,nocontrol" example:"Sundry Debtors"`
	// The mobile number in any common Indian form; it must be a usable mobile.
	Mobile string `json:"mobile,omitempty" validate:"max=40" example:"9820012345"`
	// The party's e-mail address.
	Email string `json:"email,omitempty" validate:"omitempty,email,max=200" example:"accounts@rajeshenterprises.in"`
	// State decides GST place of supply.
	State string `json:"state,omitempty" validate:"max=100,nocontrol" example:"Maharashtra"`
	// Country of residence. Default: as Tally defaults.
	Country string `json:"country,omitempty" validate:"max=100,nocontrol" example:"India"`
	// The party's GST number, for registered parties.
	GSTIN string `json:"gstin,omitempty" validate:"omitempty,gstin" example:"27AAPFR1234C1Z5"`
	// Tally's text; default "Regular" with a GSTIN, else "Unregistered/Consumer".
	GSTRegistrationType string `json:"gst_registration_type,omitempty" validate:"omitempty,oneof=Regular Composition Unregistered/Consumer Consumer Unknown" example:"Regular"`
	// Address lines.
	Address []string `json:"address,omitempty" validate:"max=5,dive,max=200,nocontrol" example:"12 Kalbadevi Road,Mumbai"`
	// The six-digit Indian postal code.
	Pincode string `json:"pincode,omitempty" validate:"omitempty,numeric,len=6" example:"400002"`
	// BillWise keeps bill-by-bill details (needed for receivables). Default true.
	BillWise *bool `json:"bill_wise,omitempty" example:"true"`
	// The default credit period in days.
	CreditDays int `json:"credit_days,omitempty" validate:"min=0,max=3650" example:"30"`
}

// listParties lists parties.
//
//	@Summary		List parties
//	@ID			listParties
//	@Description	Lists the ledgers of a party group (default Sundry Debtors, sub-groups included), sorted by name, filtered by a case-insensitive substring and paginated. The group must be one of the party groups (TALLY_PARTY_GROUPS, default Sundry Debtors and Sundry Creditors) or a sub-group of one, else 422 not_a_party_group. Answered from the mirror of the books (see README, freshness): page with cursor (each answer's next), which costs the same for every page; offset still works but reads the whole group. With mobile, the parties of every party group whose mobile (as E.164) is that number, in any common form. A company the mirror never loaded is read live from Tally (one request).
//	@Tags			parties
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			group	query		string	false	"Group whose ledgers to list"	default(Sundry Debtors)
//	@Param			search	query		string	false	"Case-insensitive substring of the name"	extensions(x-example=rajesh)
//	@Param			offset	query		int		false	"Index of the first party"	default(0)	minimum(0)
//	@Param			limit	query		int		false	"Page size"	default(50)	minimum(1)	maximum(500)
//	@Param			cursor	query		string	false	"The next of the previous page"
//	@Param			mobile	query		string	false	"Only parties with this mobile, in any common form"	extensions(x-example=+919820012345)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200		{object}	PartyListResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company"
//	@Failure		422		{object}	Problem	"invalid_request, not_a_party_group"
//	@Failure		503		{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties [get]
func (s *Server) listParties(c echo.Context) error {
	q := query{c: c}
	pq := service.PartyQuery{
		Company: q.company(),
		Group:   q.name("group"),
		Search:  q.str("search"),
		Offset:  q.int("offset", 0, 0, 1_000_000),
		Limit:   q.int("limit", service.DefaultPageSize, 1, service.MaxPageSize),
	}
	cursor, mobile, force := q.str("cursor"), q.str("mobile"), fresh(&q)
	if len([]rune(pq.Search)) > 200 {
		q.fail("search", "must be at most 200 characters")
	}
	if len(cursor) > 1000 {
		q.fail("cursor", "is not a cursor this service gave")
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var page service.PartyKeysetPage
	var f service.Freshness
	var err error
	switch {
	case mobile != "" && s.books == nil:
		return errMirrorOff
	case mobile != "":
		page.Parties, f, err = s.books.PartiesByMobile(ctx, pq.Company, mobile, force)
		page.Total, page.Limit = len(page.Parties), len(page.Parties)
	case s.books == nil:
		page.PartyPage, err = s.svc.ListParties(ctx, pq)
		f.Live = true
	default:
		page, f, err = s.books.ListParties(ctx, pq, cursor, force)
	}
	if err != nil {
		return err
	}
	out := PartyListResponse{Parties: make([]PartyResponse, 0, len(page.Parties)), Total: page.Total, Offset: page.Offset,
		Limit: page.Limit, Next: page.Next, Freshness: toFreshness(f)}
	for _, p := range page.Parties {
		out.Parties = append(out.Parties, toPartyResponse(p))
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// getParty reads one party.
//
//	@Summary		Get a party
//	@ID			getParty
//	@Description	Reads one party ledger with its closing balance. Only ledgers under the party groups (TALLY_PARTY_GROUPS, default Sundry Debtors and Sundry Creditors, sub-groups included) are parties: any other ledger (a bank, Cash, Sales) is 404 party_not_found, the same answer as a missing one. Answered from the mirror of the books (see README, freshness: stale with synced_at while Tally cannot be asked); a company the mirror never loaded is read live (one Tally request, one more for a sub-group). Percent-encode the name (a slash as %2F).
//	@Tags			parties
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			name	path		string	true	"Ledger name, percent-encoded"	extensions(x-example=Rajesh Enterprises)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	PartyReadResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company"
//	@Failure		422		{object}	Problem	"invalid_name"
//	@Failure		503		{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/{name} [get]
func (s *Server) getParty(c echo.Context) error {
	name, company, force, err := partyTarget(c)
	if err != nil {
		return err
	}
	var p service.Party
	f := service.Freshness{Live: true}
	if s.books == nil {
		p, err = s.svc.GetParty(c.Request().Context(), company, name)
	} else {
		p, f, err = s.books.GetParty(c.Request().Context(), company, name, force)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", PartyReadResponse{PartyResponse: toPartyResponse(p), Freshness: toFreshness(f)})
}

// partyTarget reads the party name from the path and the company from the
// query of a /parties/{name} route.
func partyTarget(c echo.Context) (name, company string, force bool, err error) {
	if name, err = pathName(c); err != nil {
		return "", "", false, err
	}
	q := query{c: c}
	company, force = q.company(), fresh(&q)
	return name, company, force, q.err()
}

// partyBalance reads a party's balance, flat for chatbots.
//
//	@Summary		Get a party's balance
//	@ID			getPartyBalance
//	@Description	The closing balance of one party as flat fields and a ready sentence, for chatbot templates. Parties only, as GET /parties/{name}: any other ledger is 404 party_not_found. Answered from the mirror of the books, fresh within TALLY_FRESHNESS (one probe of Tally shared by concurrent readers after it); while Tally is off or hung, within a second from the mirror with stale true, synced_at, and a sentence saying "as of" the last sync. A company the mirror never loaded is read live. "Dr" means the party owes us; signed is positive then (the opposite of Tally's XML sign).
//	@Tags			parties
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			name	path		string	true	"Ledger name, percent-encoded"	extensions(x-example=Rajesh Enterprises)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	BalanceResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company"
//	@Failure		422		{object}	Problem	"invalid_name"
//	@Failure		503		{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/{name}/balance [get]
func (s *Server) partyBalance(c echo.Context) error {
	name, company, force, err := partyTarget(c)
	if err != nil {
		return err
	}
	var b service.PartyBalance
	f := service.Freshness{Live: true}
	if s.books == nil {
		b, err = s.svc.PartyBalance(c.Request().Context(), company, name)
	} else {
		b, f, err = s.books.PartyBalance(c.Request().Context(), company, name, force)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", toBalanceResponse(b, f))
}

// createParty creates a party ledger.
//
//	@Summary		Create a party
//	@ID			createParty
//	@Description	Creates a party ledger (default under Sundry Debtors, bill-wise on) and answers with the party read back from Tally. The group must be a party group or a sub-group of one (422 not_a_party_group otherwise). A party that already exists is a 409 carrying the existing party: Tally itself would silently alter it. Names match as Tally matches them (case, surrounding and repeated spaces, a hyphen for a space), so "rajesh  enterprises" is a 409 carrying Rajesh Enterprises; a ledger of that name that is not a party is a 409 ledger_exists without its details. Invisible and text-direction characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF) are refused with 422 invalid_name.
//	@Tags			parties
//	@Accept			json
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			company	query		string				false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			party	body		CreatePartyRequest	true	"The party to create"
//	@Success		201		{object}	PartyResponse
//	@Header			201		{string}	Location	"/parties/{name}, percent-encoded"
//	@Failure		400		{object}	Problem	"malformed_json, empty_body, malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company"
//	@Failure		409		{object}	Problem	"party_exists (with the existing party in party), ledger_exists"
//	@Failure		413		{object}	Problem	"body_too_large"
//	@Failure		415		{object}	Problem	"unsupported_media_type: a body that is not application/json"
//	@Failure		422		{object}	Problem	"invalid_request (errors), invalid_name, invalid_mobile, not_a_party_group, tally_rejected (line_errors)"
//	@Failure		503		{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties [post]
func (s *Server) createParty(c echo.Context) error {
	q := query{c: c}
	company := q.company()
	if err := q.err(); err != nil {
		return err
	}
	var req CreatePartyRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	p, err := s.svc.CreateParty(c.Request().Context(), company, toNewParty(req))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/parties/"+url.PathEscape(p.Name))
	return writeJSON(c, http.StatusCreated, "", toPartyResponse(p))
}

// toPartyResponse converts a service party to its JSON form.
func toPartyResponse(p service.Party) PartyResponse {
	out := PartyResponse{
		Name: p.Name, Group: p.Group,
		Mobile: p.Mobile.Raw, MobileE164: p.Mobile.E164, MobileValid: p.Mobile.Valid,
		Email: p.Email, Address: p.Address, State: p.State, Country: p.Country, Pincode: p.Pincode,
		GSTIN: p.GSTIN, GSTRegistrationType: p.GSTRegistrationType, BillWise: p.BillWise, CreditPeriod: p.CreditPeriod,
	}
	if out.Address == nil {
		out.Address = []string{}
	}
	if !p.Mobile.Valid && p.Mobile.Raw != "" {
		out.MobileNote = p.Mobile.Reason
	}
	if p.ClosingKnown {
		b := toBalanceJSON(p.Closing)
		out.ClosingBalance = &b
	}
	return out
}

// toBalanceJSON flips Tally's sign: our Signed is positive for Dr.
func toBalanceJSON(b service.Balance) BalanceJSON {
	out := BalanceJSON{Amount: b.Amount, Side: string(b.Side), Signed: -b.Signed, Display: b.Amount.Rupees()}
	if b.Side != "" {
		out.Display += " " + string(b.Side)
	}
	return out
}

// messageDate is how the chatbot sentence writes a date: "23 Jun 2026".
const messageDate = "2 Jan 2006"

// toBalanceResponse writes a balance with where it comes from. A stale
// balance is as of the last sync, and its sentence gives that time, so a
// bot that forwards it never passes an old figure off as today's.
func toBalanceResponse(b service.PartyBalance, f service.Freshness) BalanceResponse {
	out := BalanceResponse{
		Party: b.Party.Name, Balance: b.Balance.Amount, Side: string(b.Balance.Side), Signed: -b.Balance.Signed,
		Display: b.Balance.Amount.Rupees(), BalanceKnown: b.Known, AsOf: b.AsOf.Format(time.DateOnly),
		MobileE164: b.Party.Mobile.E164, Freshness: toFreshness(f),
	}
	when := b.AsOf.Format(messageDate)
	if f.Stale {
		when = b.AsOf.Format(messageDate+", 15:04") + " (when the books were last synced)"
	}
	switch b.Balance.Side {
	case service.Debit:
		out.Message = b.Party.Name + " owes " + out.Display + " as of " + when + "."
	case service.Credit:
		out.Message = b.Party.Name + " has a credit balance of " + out.Display + " as of " + when + " (we owe them or hold an advance)."
	default:
		out.Message = b.Party.Name + " has no outstanding balance as of " + when + "."
	}
	return out
}

// toNewParty converts a create request to the service's input.
func toNewParty(r CreatePartyRequest) service.NewParty {
	billWise := true
	if r.BillWise != nil {
		billWise = *r.BillWise
	}
	reg := r.GSTRegistrationType
	if reg == "" {
		reg = "Unregistered/Consumer"
		if r.GSTIN != "" {
			reg = "Regular"
		}
	}
	return service.NewParty{
		Name: r.Name, Group: r.Group, Mobile: r.Mobile, Email: r.Email, State: r.State, Country: r.Country,
		Pincode: r.Pincode, Address: r.Address, GSTIN: r.GSTIN, GSTRegistrationType: reg,
		BillWise: billWise, CreditDays: r.CreditDays,
	}
}
