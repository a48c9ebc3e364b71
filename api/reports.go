package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// ReceivablesResponse is the outstanding bills, grouped by party.
type ReceivablesResponse struct {
	// The date the bills are outstanding on.
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-23"`
	// Parties with outstanding bills, sorted by name.
	Parties []PartyReceivablesJSON `json:"parties" validate:"required"`
	// What all parties owe us (positive), net of advances (negative bills).
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The part of total that is past due.
	OverdueTotal service.Paise `json:"overdue_total" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The number of bills over all pages.
	Count int `json:"count" validate:"required" example:"1"`
	// The number of parties on this page.
	PartyCount int `json:"party_count" validate:"required" example:"1"`
	// The cursor of the next page of parties (pass it as cursor); absent on the last page.
	Next string `json:"next,omitempty" example:"rajesh enterprises"`
	// With ageing: every bill over all pages by days past due; the amounts add up to total.
	Ageing []AgeingBucketJSON `json:"ageing,omitempty"`
	Freshness
}

// PartyReceivablesJSON is one party's outstanding bills.
type PartyReceivablesJSON struct {
	// The ledger name.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// What the party owes over the bills listed.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// The part of total past due.
	Overdue service.Paise `json:"overdue" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// Bills sorted by due date.
	Bills []BillJSON `json:"bills" validate:"required"`
	// With ageing: the party's bills by days past due; the amounts add up to total.
	Ageing []AgeingBucketJSON `json:"ageing,omitempty"`
}

// BillJSON is one outstanding bill.
type BillJSON struct {
	// The bill reference.
	Ref string `json:"ref" validate:"required" example:"ABC/S/101"`
	// The bill's date.
	BillDate string `json:"bill_date" validate:"required" format:"date" example:"2026-05-11"`
	// When it falls due; "" when Tally has none (then the bill date counts).
	DueDate string `json:"due_date" validate:"required" format:"date" example:"2026-06-10"`
	// What is still owed on the bill: positive when the party owes us, negative for an advance or credit.
	Amount service.Paise `json:"amount" validate:"required" swaggertype:"string" format:"decimal" example:"48500.00"`
	// How many days past due the bill is as of as_of; 0 when not yet due.
	OverdueDays int `json:"overdue_days" validate:"required" example:"13"`
}

// TrialBalanceResponse is the trial balance with its totals.
type TrialBalanceResponse struct {
	// The date of the closing balances.
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-23"`
	// True for ledgers, false for top-level groups.
	LedgerWise bool `json:"ledger_wise" validate:"required" example:"false"`
	// Rows in Tally's order.
	Rows []TrialBalanceRowJSON `json:"rows" validate:"required"`
	// The sum of the debit column, the total Tally prints under it.
	TotalDebit service.Paise `json:"total_debit" validate:"required" swaggertype:"string" format:"decimal" example:"163760.00"`
	// The sum of the credit column, the total Tally prints under it.
	TotalCredit service.Paise `json:"total_credit" validate:"required" swaggertype:"string" format:"decimal" example:"163760.00"`
	// Tells whether the two totals agree.
	Balanced bool `json:"balanced" validate:"required" example:"true"`
}

// TrialBalanceRowJSON is one group or ledger of the trial balance, with
// Tally's two columns as Tally shows them and their net.
type TrialBalanceRowJSON struct {
	// Name of the group or ledger.
	Name string `json:"name" validate:"required" example:"Current Liabilities"`
	// Tally's debit column, "0.00" when empty. A group holding ledgers with
	// debit and with credit balances has both debit and credit set, as on
	// Tally's screen; a ledger has one of the two.
	Debit service.Paise `json:"debit" validate:"required" swaggertype:"string" format:"decimal" example:"16560.00"`
	// Tally's credit column, "0.00" when empty.
	Credit service.Paise `json:"credit" validate:"required" swaggertype:"string" format:"decimal" example:"163760.00"`
	// The row's one balance: debit and credit netted, with its side
	// (signed positive for Dr).
	Net BalanceJSON `json:"net" validate:"required"`
}

// CompaniesResponse lists the companies loaded in Tally.
type CompaniesResponse struct {
	// Companies loaded in Tally.
	Companies []CompanyJSON `json:"companies" validate:"required"`
}

// CompanyJSON is a company loaded in Tally.
type CompanyJSON struct {
	// The company name, exactly as Tally holds it.
	Name string `json:"name" validate:"required" example:"ABC Traders"`
	// Tally's identifier of the company.
	GUID string `json:"guid" validate:"required" example:"a1b2c3d4-0000-0000-0000-000000000001"`
	// State of the company's registration.
	State string `json:"state" validate:"required" example:"Maharashtra"`
	// Country of the company.
	Country string `json:"country" validate:"required" example:"India"`
	// The first day of its books.
	BooksFrom string `json:"books_from" validate:"required" format:"date" example:"2025-04-01"`
	// The start of its current financial year.
	StartFrom string `json:"start_from" validate:"required" format:"date" example:"2026-04-01"`
}

// TallyStatusResponse is what tallyfacade knows about the Tally it talks to.
type TallyStatusResponse struct {
	// "TallyPrime" or "Tally.ERP 9".
	Product string `json:"product" validate:"required" example:"TallyPrime"`
	// The gateway address tallyfacade uses.
	URL string `json:"url" validate:"required" example:"http://127.0.0.1:9000"`
	// The configured company.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// Tells whether the configured company is loaded in Tally.
	CompanyLoaded bool `json:"company_loaded" validate:"required" example:"true"`
	// Companies loaded in Tally.
	Companies []string `json:"companies" validate:"required" example:"ABC Traders"`
	// The outbound connector agents when TALLY_URL is agent://NAME: each
	// agent that has a token, connected or not.
	Agents []AgentJSON `json:"agents,omitempty"`
}

// receivables lists outstanding bills.
//
//	@Summary		Outstanding bills (receivables)
//	@ID			listReceivables
//	@Description	Tally's Bills Receivable as of a date, grouped by party, with overdue days recomputed from each bill's due date. Amounts are positive when the party owes us. Today's bills are answered from the mirror of the books (see README, freshness), limit parties a page: each answer's next is the cursor of the following page, and every page costs the same; totals and count are over all pages. A date before today, or a company the mirror never loaded, is read live from Tally (one request, every party at once). With ageing, each party and the whole list also carry their bills by days past due (a bill not yet due in the first bucket), whose amounts add up to the totals.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			as_of			query		string	false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			party			query		string	false	"Only this party (its name as Tally matches it); a ledger that is not a party has no bills here"	extensions(x-example=Rajesh Enterprises)
//	@Param			overdue_only	query		bool	false	"Only bills past due"	default(false)
//	@Param			min_amount		query		string	false	"Leave out bills owing less than this"	extensions(x-example=1000.00)
//	@Param			ageing			query		string	false	"Add the ageing, per party and over all pages: true for buckets 0-30, 31-60, 61-90 and over 90 days past due, or the bounds in days"	extensions(x-example=30,60,90)
//	@Param			limit			query		int		false	"Parties per page (mirror only)"	default(100)	minimum(1)	maximum(1000)
//	@Param			cursor			query		string	false	"The next of the previous page"
//	@Param			fresh			query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company			query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200				{object}	ReceivablesResponse
//	@Failure		400				{object}	Problem	"malformed_query"
//	@Failure		401				{object}	Problem	"unauthenticated"
//	@Failure		404				{object}	Problem	"unknown_company"
//	@Failure		422				{object}	Problem	"invalid_request"
//	@Failure		503				{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/receivables [get]
func (s *Server) receivables(c echo.Context) error {
	q := query{c: c}
	rq, page := billsQuery(&q, true), billsPage(&q)
	if err := q.err(); err != nil {
		return err
	}
	var out service.ReceivablesPage
	f := service.Freshness{Live: true}
	var err error
	if s.books == nil {
		out.Receivables, err = s.svc.Receivables(c.Request().Context(), rq)
	} else {
		out, f, err = s.books.Receivables(c.Request().Context(), rq, page.cursor, page.limit, page.force)
	}
	if err != nil {
		return err
	}
	return writeBills(c, out, f)
}

// billsQuery reads the query of a list of outstanding bills, with as_of
// when asOf (the parameters in their documented order, so the field
// errors come in it too).
func billsQuery(q *query, asOf bool) service.ReceivablesQuery {
	rq := service.ReceivablesQuery{Company: q.company()}
	if asOf {
		rq.AsOf = q.date("as_of")
	}
	rq.Party, rq.OverdueOnly, rq.MinAmount, rq.Ageing = q.name("party"), q.bool("overdue_only"), q.paise("min_amount"), q.ageing("ageing")
	return rq
}

// partyPage is a page of a list by party: its size, the cursor the last
// page gave, and whether to probe Tally first.
type partyPage struct {
	limit  int
	cursor string
	force  bool
}

func billsPage(q *query) partyPage {
	p := partyPage{limit: q.int("limit", 100, 1, 1000), cursor: q.str("cursor"), force: fresh(q)}
	if len(p.cursor) > 1000 {
		q.fail("cursor", "is not a cursor this service gave")
	}
	return p
}

// writeBills answers a page of outstanding bills.
func writeBills(c echo.Context, page service.ReceivablesPage, f service.Freshness) error {
	out := toReceivablesResponse(page.Receivables)
	out.Next, out.Freshness = page.Next, toFreshness(f)
	return writeJSON(c, http.StatusOK, "", out)
}

// trialBalance reads the trial balance.
//
//	@Summary		Trial balance
//	@ID			getTrialBalance
//	@Description	The trial balance as of a date, group-wise (default) or ledger-wise, with its totals. Each row has Tally's debit and credit columns as Tally shows them (a group holding both debit and credit ledgers fills both) and their net with its side; total_debit and total_credit are the sums of the two columns. One Tally request.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			as_of		query		string	false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			ledger_wise	query		bool	false	"Ledgers instead of groups"	default(false)
//	@Param			company		query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200			{object}	TrialBalanceResponse
//	@Failure		400			{object}	Problem	"malformed_query"
//	@Failure		401			{object}	Problem	"unauthenticated"
//	@Failure		404			{object}	Problem	"unknown_company"
//	@Failure		422			{object}	Problem	"invalid_request"
//	@Failure		503			{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reports/trial-balance [get]
func (s *Server) trialBalance(c echo.Context) error {
	q := query{c: c}
	company := q.company()
	asOf := q.date("as_of")
	ledgerWise := q.bool("ledger_wise")
	if err := q.err(); err != nil {
		return err
	}
	tb, err := s.svc.TrialBalance(c.Request().Context(), company, asOf, ledgerWise)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", toTrialBalanceResponse(tb))
}

// FinancialReportResponse is one of Tally's own reports (Balance Sheet,
// Profit & Loss) with Tally's rows and columns as Tally gives them.
type FinancialReportResponse struct {
	// The report's name as Tally shows it.
	Report string `json:"report" validate:"required" example:"Balance Sheet"`
	// The company.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The first day of the period (Profit & Loss: 1 April of the financial
	// year); absent for the Balance Sheet.
	From string `json:"from,omitempty" format:"date" example:"2026-04-01"`
	// The date of the figures; when stale, the date of the report kept,
	// which may be before the date asked.
	AsOf string `json:"as_of" validate:"required" format:"date" example:"2026-06-23"`
	// Tally's rows in Tally's order.
	Rows []ReportRowJSON `json:"rows" validate:"required"`
	// A sentence a chatbot can send: the net profit or loss, or the main
	// figures; a stale one says when Tally gave them.
	Message string `json:"message" validate:"required" example:"Balance Sheet of ABC Traders as of 23 Jun 2026: Capital Account ₹0.00; Current Liabilities ₹1,47,200.00 Cr; Profit & Loss A/c ₹92,000.00 Dr; Current Assets ₹55,200.00 Dr."`
	// "tally" when Tally gave the report just now, "stored" when Tally
	// could not answer and this is the last one it gave.
	Source string `json:"source" validate:"required" enums:"tally,stored" example:"tally"`
	// When Tally gave the report (RFC 3339).
	FetchedAt time.Time `json:"fetched_at" validate:"required" example:"2026-06-23T10:15:04Z"`
	// True when Tally could not be asked just now (off, hung or busy).
	Stale bool `json:"stale" validate:"required" example:"false"`
}

// ReportRowJSON is one line of a Balance Sheet or Profit & Loss, with
// Tally's two columns.
type ReportRowJSON struct {
	// The line as Tally names it: a group, a ledger, or a caption such as
	// "Cost of Sales :" or "Nett Profit".
	Name string `json:"name" validate:"required" example:"Current Liabilities"`
	// Tally's inner column (a line within a block); null where Tally left
	// the cell empty, which is not a zero.
	Sub *BalanceJSON `json:"sub" validate:"required" extensions:"x-nullable"`
	// Tally's outer column (a group's or a block's total); null where
	// Tally left the cell empty.
	Main *BalanceJSON `json:"main" validate:"required" extensions:"x-nullable"`
}

// balanceSheet relays Tally's Balance Sheet.
//
//	@Summary		Balance Sheet
//	@ID			getBalanceSheet
//	@Description	Tally's own Balance Sheet as of a date, row for row: liabilities, the Profit & Loss A/c, assets, each with Tally's two columns (sub and main; null where Tally leaves a cell empty) as balances with their side. Tally computes the report (one request; seconds for big books). Each report Tally gives is kept: when Tally is off, hung or busy (or takes over 5 s while a kept copy exists), the answer is the last one kept for that date or an earlier one, with source "stored", stale true and fetched_at; with none kept, 503.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			as_of		query		string	false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			company		query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200			{object}	FinancialReportResponse
//	@Failure		400			{object}	Problem	"malformed_query"
//	@Failure		401			{object}	Problem	"unauthenticated"
//	@Failure		404			{object}	Problem	"unknown_company"
//	@Failure		422			{object}	Problem	"invalid_request"
//	@Failure		503			{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable and no report kept; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reports/balance-sheet [get]
func (s *Server) balanceSheet(c echo.Context) error {
	return s.financialReport(c, service.ReportBalanceSheet)
}

// profitAndLoss relays Tally's Profit & Loss account.
//
//	@Summary		Profit & Loss
//	@ID			getProfitAndLoss
//	@Description	Tally's own Profit & Loss account from 1 April of the financial year to a date, row for row (the Cost of Sales block, sales, gross profit, indirect incomes and expenses, Nett Profit or Nett Loss), each with Tally's two columns (sub and main; null where Tally leaves a cell empty) as balances with their side: a profit is Cr, a loss Dr. message gives the net profit or loss. Freshness as for the Balance Sheet: the last report kept, stale, when Tally cannot answer.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			as_of		query		string	false	"Date YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			company		query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200			{object}	FinancialReportResponse
//	@Failure		400			{object}	Problem	"malformed_query"
//	@Failure		401			{object}	Problem	"unauthenticated"
//	@Failure		404			{object}	Problem	"unknown_company"
//	@Failure		422			{object}	Problem	"invalid_request"
//	@Failure		503			{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable and no report kept; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reports/profit-and-loss [get]
func (s *Server) profitAndLoss(c echo.Context) error {
	return s.financialReport(c, service.ReportProfitAndLoss)
}

func (s *Server) financialReport(c echo.Context, kind service.ReportKind) error {
	q := query{c: c}
	company, asOf := q.company(), q.date("as_of")
	if err := q.err(); err != nil {
		return err
	}
	if s.reports == nil {
		return &service.Error{Kind: service.Unavailable, Code: "reports_not_configured", Message: "Tally's reports are not configured"}
	}
	var r service.Report
	var err error
	if kind == service.ReportProfitAndLoss {
		r, err = s.reports.ProfitAndLoss(c.Request().Context(), company, asOf)
	} else {
		r, err = s.reports.BalanceSheet(c.Request().Context(), company, asOf)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", s.toFinancialReport(r))
}

func (s *Server) toFinancialReport(r service.Report) FinancialReportResponse {
	out := FinancialReportResponse{Report: r.Kind.Title(), Company: r.Company, From: dateString(r.From), AsOf: dateString(r.AsOf),
		Rows: make([]ReportRowJSON, 0, len(r.Rows)), Message: r.Message, Source: "tally",
		FetchedAt: r.FetchedAt.UTC(), Stale: r.Stale}
	if r.Stale {
		out.Source = "stored"
	}
	for _, row := range r.Rows {
		rj := ReportRowJSON{Name: row.Name}
		if row.SubSet {
			b := toBalanceJSON(service.NewBalance(row.Sub))
			rj.Sub = &b
		}
		if row.MainSet {
			b := toBalanceJSON(service.NewBalance(row.Main))
			rj.Main = &b
		}
		out.Rows = append(out.Rows, rj)
	}
	return out
}

// listCompanies lists the companies loaded in Tally.
//
//	@Summary		Companies loaded in Tally
//	@ID			listCompanies
//	@Description	The companies Tally has loaded. A company that is not loaded cannot be read or written through the gateway.
//	@Tags			tally
//	@Produce		json
//	@Produce		application/problem+json
//	@Success		200	{object}	CompaniesResponse
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		503	{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/companies [get]
func (s *Server) listCompanies(c echo.Context) error {
	cs, err := s.svc.Companies(c.Request().Context())
	if err != nil {
		return err
	}
	out := CompaniesResponse{Companies: make([]CompanyJSON, 0, len(cs))}
	for _, co := range cs {
		out.Companies = append(out.Companies, CompanyJSON{Name: co.Name, GUID: co.GUID, State: co.State, Country: co.Country,
			BooksFrom: dateString(co.BooksFrom), StartFrom: dateString(co.StartFrom)})
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// tallyStatus reports on the Tally gateway.
//
//	@Summary		Tally status
//	@ID			getTallyStatus
//	@Description	Whether Tally answers, which product it is, and whether the configured company is loaded.
//	@Tags			tally
//	@Produce		json
//	@Produce		application/problem+json
//	@Success		200	{object}	TallyStatusResponse
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		503	{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/tally/status [get]
func (s *Server) tallyStatus(c echo.Context) error {
	st, err := s.svc.Status(c.Request().Context())
	if err != nil {
		return s.withAgents(err)
	}
	out := TallyStatusResponse{Product: st.Product, URL: st.URL, Company: st.Company, CompanyLoaded: st.CompanyLoaded, Companies: st.Companies,
		Agents: s.agentsJSON()}
	if out.Companies == nil {
		out.Companies = []string{}
	}
	return writeJSON(c, http.StatusOK, "", out)
}

func toReceivablesResponse(r service.Receivables) ReceivablesResponse {
	out := ReceivablesResponse{AsOf: dateString(r.AsOf), Parties: make([]PartyReceivablesJSON, 0, len(r.Parties)),
		Total: r.Total, OverdueTotal: r.OverdueTotal, Count: r.Bills, PartyCount: len(r.Parties), Ageing: toAgeingJSON(r.Ageing)}
	for _, p := range r.Parties {
		out.Parties = append(out.Parties, PartyReceivablesJSON{Party: p.Party, Total: p.Total, Overdue: p.Overdue,
			Bills: toBillsJSON(p.Bills), Ageing: toAgeingJSON(p.Ageing)})
	}
	return out
}

func toTrialBalanceResponse(tb service.TrialBalance) TrialBalanceResponse {
	out := TrialBalanceResponse{AsOf: dateString(tb.AsOf), LedgerWise: tb.LedgerWise, Rows: make([]TrialBalanceRowJSON, 0, len(tb.Rows)),
		TotalDebit: tb.TotalDebit, TotalCredit: tb.TotalCredit, Balanced: tb.TotalDebit == tb.TotalCredit}
	for _, r := range tb.Rows {
		out.Rows = append(out.Rows, TrialBalanceRowJSON{Name: r.Name, Debit: r.Debit, Credit: r.Credit, Net: toBalanceJSON(r.Net())})
	}
	return out
}

// toBillsJSON converts outstanding bills.
func toBillsJSON(bills []service.Receivable) []BillJSON {
	out := make([]BillJSON, 0, len(bills))
	for _, b := range bills {
		out = append(out, BillJSON{Ref: b.Ref, BillDate: dateString(b.Date), DueDate: dateString(b.Due),
			Amount: b.Amount, OverdueDays: b.OverdueDays})
	}
	return out
}

// dateString writes a calendar date as YYYY-MM-DD, "" for the zero time.
func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}
