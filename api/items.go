package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// ItemResponse is a stock item as Tally holds it.
type ItemResponse struct {
	// The stock item's name, exactly as in Tally: what an order line's item names.
	Name string `json:"name" validate:"required" example:"Steel Sheet 4x8"`
	// The stock group; "" for Primary.
	Group string `json:"group" validate:"required" example:"Steel"`
	// The base unit, in which quantities and rates are given.
	Unit string `json:"unit" validate:"required" example:"Nos"`
	// The HSN code; "" when the item has none.
	HSN string `json:"hsn" validate:"required" example:"7208"`
	// The item's GST percent; absent when the item carries none (the order's default rate applies then).
	GSTRate string `json:"gst_rate,omitempty" example:"18"`
	// The selling price per unit (Tally's standard rate); absent when the item has none.
	StandardRate *service.Paise `json:"standard_rate,omitempty" swaggertype:"string" format:"decimal" example:"2500.00"`
	// The closing quantity in unit, an exact decimal; absent when Tally gave none.
	ClosingQuantity string `json:"closing_quantity,omitempty" example:"118"`
}

// ItemListResponse is a page of stock items.
type ItemListResponse struct {
	// Stock items on this page, sorted by name.
	Items []ItemResponse `json:"items" validate:"required"`
	// The number of matching items over all pages.
	Total int `json:"total" validate:"required" example:"5"`
	// The index of the first item on this page.
	Offset int `json:"offset" validate:"required" example:"0"`
	// The page size.
	Limit int `json:"limit" validate:"required" example:"50"`
	Freshness
}

// listItems lists stock items.
//
//	@Summary		List stock items
//	@ID			listItems
//	@Description	Lists the company's stock items (name, group, unit, HSN, GST rate, standard rate, closing quantity), sorted by name, filtered by a case-insensitive substring of the name and paginated, so a chatbot can show a catalogue. An order line whose item is one of these names posts an item invoice (TALLY_ORDER_MODE). The list is read from Tally in one request and kept while the mirror's change counters show the books unchanged, under the mirror's freshness rules (see README): fresh within TALLY_FRESHNESS; while Tally is off or hung, the last list with stale true. A company the mirror never loaded is read live.
//	@Tags			items
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			q		query		string	false	"Case-insensitive substring of the name"	extensions(x-example=steel)
//	@Param			offset	query		int		false	"Index of the first item"	default(0)	minimum(0)
//	@Param			limit	query		int		false	"Page size"	default(50)	minimum(1)	maximum(500)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200		{object}	ItemListResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"unknown_company"
//	@Failure		422		{object}	Problem	"invalid_request"
//	@Failure		503		{object}	Problem	"tally_unreachable, tally_busy, tally_timeout, company_not_loaded, …: Tally unavailable; Retry-After says when to retry"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/items [get]
func (s *Server) listItems(c echo.Context) error {
	q := query{c: c}
	iq := service.ItemQuery{
		Company: q.company(),
		Search:  q.str("q"),
		Offset:  q.int("offset", 0, 0, 1_000_000),
		Limit:   q.int("limit", service.DefaultPageSize, 1, service.MaxPageSize),
	}
	force := fresh(&q)
	if len([]rune(iq.Search)) > 200 {
		q.fail("q", "must be at most 200 characters")
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var page service.ItemPage
	var f service.Freshness
	var err error
	if s.books == nil {
		page, err = s.svc.ListItems(ctx, iq)
		f.Live = true
	} else {
		page, f, err = s.books.ListItems(ctx, iq, force)
	}
	if err != nil {
		return err
	}
	out := ItemListResponse{Items: make([]ItemResponse, 0, len(page.Items)), Total: page.Total, Offset: page.Offset,
		Limit: page.Limit, Freshness: toFreshness(f)}
	for _, it := range page.Items {
		out.Items = append(out.Items, toItemResponse(it))
	}
	return writeJSON(c, http.StatusOK, "", out)
}

func toItemResponse(it service.StockItem) ItemResponse {
	out := ItemResponse{Name: it.Name, Group: it.Group, Unit: it.Unit, HSN: it.HSN}
	if it.GSTRateKnown {
		out.GSTRate = it.GSTRate.String()
	}
	if it.StandardRateKnown {
		r := it.StandardRate
		out.StandardRate = &r
	}
	if it.ClosingKnown {
		out.ClosingQuantity = it.Closing.String()
	}
	return out
}
