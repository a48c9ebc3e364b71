package api

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// CancelResponse is a cancellation that Tally was proven to have made.
type CancelResponse struct {
	// Always posted: the cancellation is proven in Tally (a 202 answer's state is never posted).
	State string `json:"state" validate:"required" enums:"posted" example:"posted"`
	// The cancellation's own id (GET /orders/{id}).
	ID string `json:"id" validate:"required" example:"7c9e6679-7425-40de-944b-e07fc1f90ae7"`
	// The order (or receipt) whose voucher was cancelled.
	OrderID string `json:"order_id" validate:"required" example:"0f8fad5b-d9cb-469f-a165-70867728950e"`
	// Company written to.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The party of the voucher.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// Sales or Receipt.
	VoucherType string `json:"voucher_type" validate:"required" example:"Sales"`
	// The order's bill reference, which leaves receivables.
	BillRef string `json:"bill_ref" validate:"required" example:"WA-1001"`
	// The cancelled voucher's REMOTEID.
	RemoteID string `json:"remote_id" validate:"required" example:"5b9e3c2a-6d1f-5e8a-9c7b-2a4d6f8e0b1c"`
	// The voucher's date.
	Date string `json:"date" validate:"required" format:"date" example:"2026-06-22"`
	// The cancelled voucher's id in Tally (MASTERID), as read back.
	VoucherID int `json:"voucher_id" validate:"required" example:"27"`
	// A ready sentence for a chatbot reply.
	Message string `json:"message" validate:"required" example:"Order WA-1001 for Rajesh Enterprises is cancelled in Tally."`
}

func toCancelResponse(r service.CancelResult, id string) CancelResponse {
	what := "Order"
	if r.VoucherType == "Receipt" {
		what = "Receipt"
	}
	return CancelResponse{State: string(service.OrderPosted), ID: id, OrderID: r.OrderID, Company: r.Company, Party: r.Party, VoucherType: r.VoucherType,
		BillRef: r.Ref, RemoteID: r.RemoteID, Date: dateString(r.Date), VoucherID: r.VoucherID,
		Message: fmt.Sprintf("%s %s for %s is cancelled in Tally.", what, r.Ref, r.Party)}
}

// cancelOrder cancels a posted order's voucher in Tally.
//
//	@Summary		Cancel an order
//	@ID			cancelOrder
//	@Description	Cancels the voucher of a posted order (or receipt, or WhatsApp order) in Tally, through the same durable queue as posting: the cancellation is stored first, sent with ACTION Cancel by the voucher's REMOTEID, retried while Tally is away, and audited under GET /imports. Tally's answer proves nothing (some builds answer a cancel by creating a duplicate), so the voucher is read back: the cancellation is posted (201) only when the voucher is found cancelled and no live voucher carries its REMOTEID; otherwise it is needs_attention with what was seen (202). The cancelled bill leaves receivables. The cancellation is its own record (listed with the orders, kind cancel); cancelling again answers with it. A cancelled order cannot be amended.
//	@Tags			orders
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			id	path		string	true	"order id"
//	@Param			Prefer	header		string	false	"respond-async: answer 202 at once and cancel in the background"	extensions(x-example=respond-async)
//	@Success		201	{object}	CancelResponse	"cancelled, proven by read-back; Location names the cancellation"
//	@Success		202	{object}	OrderQueuedResponse	"stored and queued, or needs_attention (last_error says what was seen); follow Location"
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		404	{object}	Problem	"order_not_found"
//	@Failure		409	{object}	Problem	"order_not_posted: only a posted order can be cancelled"
//	@Failure		422	{object}	Problem	"not_cancellable (a cancellation); tally_rejected (the voucher is not in Tally)"
//	@Failure		503	{object}	Problem	"database_unavailable: the cancellation was not stored; send it again"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/orders/{id}/cancel [post]
func (s *Server) cancelOrder(c echo.Context) error {
	rec, _, err := s.svc.CancelOrder(c.Request().Context(), c.Param("id"), "api")
	if err != nil {
		return err
	}
	return s.answerCancel(c, rec)
}

// answerCancel answers a request whose cancellation is stored (answerStored).
func (s *Server) answerCancel(c echo.Context, rec service.OrderRecord) error {
	return s.answerStored(c, rec, func(rec service.OrderRecord) (any, bool) {
		res, ok := service.CancelResultOf(rec)
		return toCancelResponse(res, rec.ID), ok
	}, nil, func(location string) string {
		return "The cancellation is stored as rejected; fix the cause in Tally and POST " + location + "/retry."
	})
}
