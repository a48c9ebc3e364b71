package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// SalesSummaryResponse is one day's sales and receipts from the mirror,
// against the same weekday a week before.
type SalesSummaryResponse struct {
	// The company.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The day summed up.
	Date string `json:"date" validate:"required" format:"date" example:"2026-06-23"`
	// The day's Sales vouchers: how many, and their invoice values summed.
	Sales DayFiguresJSON `json:"sales" validate:"required"`
	// The day's Receipt vouchers: the money received.
	Receipts DayFiguresJSON `json:"receipts" validate:"required"`
	// The parties that bought the most that day, by value (at most 5).
	TopParties []PartySalesJSON `json:"top_parties" validate:"required"`
	// The items sold the most that day, by value (at most 5).
	TopItems []ItemSalesJSON `json:"top_items" validate:"required"`
	// The same weekday a week before.
	LastWeek LastWeekJSON `json:"last_week" validate:"required"`
	// Sales total minus last week's (negative when down).
	SalesChange service.Paise `json:"sales_change" validate:"required" swaggertype:"string" format:"decimal" example:"40000.00"`
	// A summary a chatbot or the owner's WhatsApp can show as it is.
	Message string `json:"message" validate:"required" example:"Sales on Tue 23 Jun 2026: 2 invoices, ₹1,20,000.00 (last Tue 1 invoice, ₹80,000.00; up ₹40,000.00). Receipts: 1, ₹50,000.00. Top party: Rajesh Enterprises ₹70,000.00. Top item: Steel rod 12mm ₹90,000.00."`
	Freshness
}

// DayFiguresJSON is a count of vouchers and their total.
type DayFiguresJSON struct {
	// How many vouchers.
	Count int `json:"count" validate:"required" example:"2"`
	// Their total, positive.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"120000.00"`
	// The total with Indian grouping.
	Display string `json:"display" validate:"required" example:"₹1,20,000.00"`
}

// LastWeekJSON is the same weekday a week before.
type LastWeekJSON struct {
	// That day.
	Date string `json:"date" validate:"required" format:"date" example:"2026-06-16"`
	// Its Sales vouchers.
	Sales DayFiguresJSON `json:"sales" validate:"required"`
	// Its Receipt vouchers.
	Receipts DayFiguresJSON `json:"receipts" validate:"required"`
}

// PartySalesJSON is a party's purchases of the day.
type PartySalesJSON struct {
	// The party ledger.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// How many Sales vouchers.
	Count int `json:"count" validate:"required" example:"1"`
	// Their total.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"70000.00"`
	// The total with Indian grouping.
	Display string `json:"display" validate:"required" example:"₹70,000.00"`
}

// ItemSalesJSON is an item's sales of the day.
type ItemSalesJSON struct {
	// The stock item.
	Item string `json:"item" validate:"required" example:"Steel rod 12mm"`
	// The quantities summed with their unit as Tally writes them; "" when
	// the lines use different units.
	Quantity string `json:"quantity" validate:"required" example:"20 NOS"`
	// The lines' value.
	Total service.Paise `json:"total" validate:"required" swaggertype:"string" format:"decimal" example:"90000.00"`
	// The value with Indian grouping.
	Display string `json:"display" validate:"required" example:"₹90,000.00"`
}

// salesSummary sums up a day's sales.
//
//	@Summary		Daily sales summary
//	@ID			getSalesSummary
//	@Description	A day's Sales vouchers (how many, their invoice values summed) and Receipt vouchers (the money received), the top parties and items by value, and the same weekday a week before, computed from the mirror of the books (see README, freshness): source, synced_at and stale say how current it is; a stale message says so. Cancelled and optional vouchers count for nothing, as in Tally; vouchers of user-defined types are not counted. The same summary goes to the owner each day with REPORT_DAILY_AT and OWNER_MOBILE. 503 mirror_not_loaded while the first load of the books runs; 404 mirror_off without a pinned company.
//	@Tags			reports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			date		query		string	false	"Day YYYY-MM-DD; default today (Asia/Kolkata)"	extensions(x-example=2026-06-23)
//	@Param			fresh		query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company		query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200			{object}	SalesSummaryResponse
//	@Failure		400			{object}	Problem	"malformed_query"
//	@Failure		401			{object}	Problem	"unauthenticated"
//	@Failure		404			{object}	Problem	"mirror_off"
//	@Failure		422			{object}	Problem	"invalid_request"
//	@Failure		503			{object}	Problem	"mirror_not_loaded"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/reports/sales-summary [get]
func (s *Server) salesSummary(c echo.Context) error {
	q := query{c: c}
	company, day, force := q.company(), q.date("date"), fresh(&q)
	if err := q.err(); err != nil {
		return err
	}
	if s.summary == nil {
		return errMirrorOff
	}
	sum, f, err := s.summary.SalesSummary(c.Request().Context(), company, day, force)
	if err != nil {
		return err
	}
	out := SalesSummaryResponse{Company: sum.Company, Date: dateString(sum.Date), Sales: dayFigures(sum.Sales),
		Receipts: dayFigures(sum.Receipts), TopParties: make([]PartySalesJSON, 0, len(sum.TopParties)),
		TopItems:    make([]ItemSalesJSON, 0, len(sum.TopItems)),
		LastWeek:    LastWeekJSON{Date: dateString(sum.LastWeekDate), Sales: dayFigures(sum.LastWeekSales), Receipts: dayFigures(sum.LastWeekReceipts)},
		SalesChange: sum.Sales.Total - sum.LastWeekSales.Total, Message: sum.Message, Freshness: toFreshness(f)}
	for _, p := range sum.TopParties {
		out.TopParties = append(out.TopParties, PartySalesJSON{Party: p.Party, Count: p.Count, Total: p.Total, Display: p.Total.Rupees()})
	}
	for _, it := range sum.TopItems {
		out.TopItems = append(out.TopItems, ItemSalesJSON{Item: it.Item, Quantity: it.Quantity, Total: it.Total, Display: it.Total.Rupees()})
	}
	return writeJSON(c, http.StatusOK, "", out)
}

func dayFigures(d service.DayFigures) DayFiguresJSON {
	return DayFiguresJSON{Count: d.Count, Total: d.Total, Display: d.Total.Rupees()}
}
