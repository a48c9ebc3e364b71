package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// OrderStatusResponse is a stored order (or receipt) and where it is in the
// queue.
type OrderStatusResponse struct {
	orderRecordJSON
	// received, posting, posted, rejected or needs_attention.
	State string `json:"state" validate:"required" enums:"received,posting,posted,rejected,needs_attention" example:"posted"`
	// What Tally created, once a sales order is posted.
	Result *OrderResponse `json:"result,omitempty"`
	// What Tally did, once a cancellation is posted.
	Cancellation *CancelResponse `json:"cancellation,omitempty"`
}

// OrderQueuedResponse is the 202 answer of POST /orders, POST /receipts and
// POST /orders/{id}/retry: the order is stored and queued, not yet in Tally.
// Its state is never posted (a posted order is answered 201), so a client
// tells the two answers apart by state.
type OrderQueuedResponse struct {
	orderRecordJSON
	// received, posting or needs_attention: never posted (that answer is a 201 with the voucher).
	State string `json:"state" validate:"required" enums:"received,posting,needs_attention" example:"received"`
	// A ready sentence for a chatbot reply.
	Message string `json:"message" validate:"required" example:"Order WA-1001 is received and will be entered in Tally shortly."`
}

// orderRecordJSON is what OrderStatusResponse and OrderQueuedResponse share;
// each declares its own state, since a 202 is never posted.
type orderRecordJSON struct {
	// The order's id.
	ID string `json:"id" validate:"required" example:"0f8fad5b-d9cb-469f-a165-70867728950e"`
	// What the record posts: sales (an order), receipt, or cancel (the cancellation of an order's voucher).
	Kind string `json:"kind" validate:"required" enums:"sales,receipt,cancel" example:"sales"`
	// Company the order is for.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// The bill reference.
	BillRef string `json:"bill_ref" validate:"required" example:"WA-1001"`
	// The voucher's REMOTEID.
	RemoteID string `json:"remote_id" validate:"required" example:"5b9e3c2a-6d1f-5e8a-9c7b-2a4d6f8e0b1c"`
	// The party, as ordered.
	Party string `json:"party" validate:"required" example:"Rajesh Enterprises"`
	// Where the order came from: api or whatsapp.
	Source string `json:"source" validate:"required" example:"api"`
	// Posting attempts so far.
	Attempts int `json:"attempts" validate:"required" example:"1"`
	// The last error: Tally's own text for a rejection.
	LastError string `json:"last_error,omitempty" example:"Ledger 'Sales @ 28%' does not exist!"`
	// The last error's code.
	LastErrorCode string `json:"last_error_code,omitempty" example:"tally_unreachable"`
	// When the next attempt is due, while Tally is unreachable.
	NextAttemptAt string `json:"next_attempt_at,omitempty" format:"date-time" example:"2026-06-23T10:05:00+05:30"`
	// When the order was received.
	CreatedAt string `json:"created_at" validate:"required" format:"date-time" example:"2026-06-23T10:00:00+05:30"`
	// When it last changed.
	UpdatedAt string `json:"updated_at" validate:"required" format:"date-time" example:"2026-06-23T10:00:02+05:30"`
}

// OrderListResponse is a page of orders, newest first.
type OrderListResponse struct {
	// The orders.
	Orders []OrderStatusResponse `json:"orders" validate:"required"`
}

func (s *Server) toOrderStatus(r service.OrderRecord) OrderStatusResponse {
	out := OrderStatusResponse{orderRecordJSON: toOrderRecordJSON(r), State: string(r.State)}
	if res, ok := service.OrderResultOf(r); ok {
		or := toOrderResponse(res)
		out.Result = &or
	}
	if res, ok := service.CancelResultOf(r); ok {
		cr := toCancelResponse(res, r.ID)
		out.Cancellation = &cr
	}
	return out
}

// toOrderQueued is the 202 answer for a stored order or receipt; note adds
// to its message (nil: nothing).
func toOrderQueued(r service.OrderRecord, note func(string) string) OrderQueuedResponse {
	out := OrderQueuedResponse{orderRecordJSON: toOrderRecordJSON(r), State: string(r.State), Message: queuedMessage(r)}
	if note != nil {
		out.Message = note(out.Message)
	}
	return out
}

func toOrderRecordJSON(r service.OrderRecord) orderRecordJSON {
	out := orderRecordJSON{ID: r.ID, Kind: service.RecordKind(r), Company: r.Company, BillRef: r.Ref, RemoteID: r.RemoteID,
		Party: r.Party, Source: r.Source, Attempts: r.Attempts, LastError: r.LastError, LastErrorCode: r.LastErrorCode,
		CreatedAt: timestamp(r.CreatedAt), UpdatedAt: timestamp(r.UpdatedAt)}
	if r.State == service.OrderReceived && r.Attempts > 0 && !r.NextAttemptAt.IsZero() {
		out.NextAttemptAt = timestamp(r.NextAttemptAt)
	}
	return out
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// submitOrder stores an order and waits briefly for the queue to post it.
func (s *Server) submitOrder(c echo.Context, o service.Order) error {
	dedupe, _ := c.Get(keyDedupe).(string)
	rec, _, err := s.svc.SubmitOrder(c.Request().Context(), o, "api", dedupe)
	if err != nil {
		return err
	}
	return s.answerOrder(c, rec, o.Ref)
}

// answerOrder answers a request whose sales order is stored (answerStored);
// orderRef is the order_ref the request sent, if any.
func (s *Server) answerOrder(c echo.Context, rec service.OrderRecord, orderRef string) error {
	note := func(msg string) string { return unkeyedNote(c, orderRef, msg) }
	return s.answerStored(c, rec, func(rec service.OrderRecord) (any, bool) {
		res, ok := service.OrderResultOf(rec)
		out := toOrderResponse(res)
		out.Message = note(out.Message)
		return out, ok
	}, note, func(location string) string {
		return "The order is stored as rejected; fix the cause in Tally and POST " + location + "/retry."
	})
}

// answerRecord answers from a stored order or receipt, as a repeat of the
// request that stored it is answered.
func (s *Server) answerRecord(c echo.Context, rec service.OrderRecord) error {
	switch service.RecordKind(rec) {
	case service.KindReceipt:
		return s.answerReceipt(c, rec)
	case service.KindCancel:
		return s.answerCancel(c, rec)
	}
	// Only a request with an Idempotency-Key is answered from its record, so
	// the order_ref does not change the note.
	return s.answerOrder(c, rec, rec.Ref)
}

// answerStored answers a request whose order (or receipt) is stored: it
// waits briefly for the queue (unless Prefer: respond-async), then answers
// 201 with what was posted, the stored rejection, or 202 with the order's
// state and a sentence (note, if not nil, adds to it). From the moment the
// record is stored the answer is at worst a 202, never an error that would
// invite a blind resend.
func (s *Server) answerStored(c echo.Context, rec service.OrderRecord, posted func(service.OrderRecord) (any, bool),
	note func(string) string, rejectedHint func(location string) string) error {
	ctx := c.Request().Context()
	location := "/orders/" + rec.ID
	if !strings.Contains(strings.ToLower(c.Request().Header.Get("Prefer")), "respond-async") {
		if waited, err := s.svc.WaitOrder(ctx, rec.ID, s.orderWait, time.Second); err == nil {
			rec = waited
		} else {
			s.log.WarnContext(ctx, "waiting for the queue failed", "request_id", requestID(c), "order_id", rec.ID, "error", err)
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, location)
	switch rec.State {
	case service.OrderPosted:
		body, ok := posted(rec)
		if !ok {
			// The service stores the result with the posted state, so this
			// is a damaged record; a 202 would claim it is still queued.
			return service.Errorf(service.Internal, "", "order %s is posted but its stored result is unreadable", rec.ID)
		}
		return writeJSON(c, http.StatusCreated, "", body)
	case service.OrderRejected:
		// A deterministic refusal: the record stays stored (GET /orders/{id}).
		return &service.Error{Kind: service.Invalid, Code: rec.LastErrorCode, Message: rec.LastError, Hint: rejectedHint(location)}
	}
	return writeJSON(c, http.StatusAccepted, "", toOrderQueued(rec, note))
}

// listOrders lists stored orders.
//
//	@Summary		List orders
//	@ID			listOrders
//	@Description	Stored orders, newest first, optionally by state.
//	@Tags			orders
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			state	query		string	false	"received, posting, posted, rejected or needs_attention"	Enums(received,posting,posted,rejected,needs_attention)
//	@Param			party	query		string	false	"party name"
//	@Param			limit	query		int		false	"1-500, default 50"
//	@Success		200		{object}	OrderListResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		422		{object}	Problem	"invalid_request"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/orders [get]
func (s *Server) listOrders(c echo.Context) error {
	q := query{c: c}
	f := service.OrderFilter{State: service.OrderState(q.str("state")), Party: q.str("party"), Limit: q.int("limit", service.DefaultPageSize, 1, service.MaxPageSize)}
	switch f.State {
	case "", service.OrderReceived, service.OrderPosting, service.OrderPosted, service.OrderRejected, service.OrderNeedsAttention:
	default:
		q.fail("state", "must be received, posting, posted, rejected or needs_attention")
	}
	if err := q.err(); err != nil {
		return err
	}
	recs, err := s.svc.ListOrders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := OrderListResponse{Orders: make([]OrderStatusResponse, 0, len(recs))}
	for _, r := range recs {
		out.Orders = append(out.Orders, s.toOrderStatus(r))
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// getOrder reads one stored order.
//
//	@Summary		Get an order
//	@ID			getOrder
//	@Description	Where an order is: received, posting, posted (with what Tally created), rejected (with Tally's text) or needs_attention.
//	@Tags			orders
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			id	path		string	true	"order id"
//	@Success		200	{object}	OrderStatusResponse
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		404	{object}	Problem	"order_not_found"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/orders/{id} [get]
func (s *Server) getOrder(c echo.Context) error {
	rec, err := s.svc.GetOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", s.toOrderStatus(rec))
}

// retryOrder puts a parked or rejected order back in the queue.
//
//	@Summary		Retry an order
//	@ID			retryOrder
//	@Description	Puts an order that needs attention (or was rejected, once the cause is fixed in Tally) back in the queue. The voucher keeps its REMOTEID, so a retry never duplicates.
//	@Tags			orders
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			id	path		string	true	"order id"
//	@Success		202	{object}	OrderQueuedResponse	"queued again (state received); follow Location"
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		404	{object}	Problem	"order_not_found"
//	@Failure		409	{object}	Problem	"order_state: only needs_attention and rejected orders can be retried"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/orders/{id}/retry [post]
func (s *Server) retryOrder(c echo.Context) error {
	rec, err := s.svc.RetryOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/orders/"+rec.ID)
	return writeJSON(c, http.StatusAccepted, "", toOrderQueued(rec, nil))
}

// ImportResponse is one Tally import in the audit log.
type ImportResponse struct {
	// The import's id.
	ID int64 `json:"id" validate:"required" example:"17"`
	// The order it belongs to, if any.
	OrderID string `json:"order_id,omitempty" example:"0f8fad5b-d9cb-469f-a165-70867728950e"`
	// The company written to.
	Company string `json:"company" validate:"required" example:"ABC Traders"`
	// masters or vouchers.
	Kind string `json:"kind" validate:"required" example:"vouchers"`
	// The voucher's REMOTEID.
	RemoteID string `json:"remote_id,omitempty" example:"5b9e3c2a-6d1f-5e8a-9c7b-2a4d6f8e0b1c"`
	// The party concerned.
	Party string `json:"party,omitempty" example:"Rajesh Enterprises"`
	// ok, rejected (Tally refused), ambiguous (no answer after sending) or failed (never reached Tally).
	Result string `json:"result" validate:"required" example:"ok"`
	// The error code when not ok.
	ErrorCode string `json:"error_code,omitempty" example:"tally_rejected"`
	// Tally's counters.
	Counters ImportCounters `json:"counters" validate:"required"`
	// Tally's LINEERROR texts, verbatim.
	LineErrors []string `json:"line_errors" validate:"required"`
	// How long the exchange took, in milliseconds.
	DurationMS int64 `json:"duration_ms" validate:"required" example:"84"`
	// When it happened.
	CreatedAt string `json:"created_at" validate:"required" format:"date-time" example:"2026-06-23T10:00:01+05:30"`
	// The XML sent to Tally (UTF-8), bounded in size; empty once retention cleared it.
	Request string `json:"request,omitempty" example:"<ENVELOPE>…</ENVELOPE>"`
	// Tally's answer, bounded in size.
	Response string `json:"response,omitempty" example:"<RESPONSE><CREATED>1</CREATED>…</RESPONSE>"`
	// True when a body was cut to the bound.
	Truncated bool `json:"truncated" validate:"required" example:"false"`
}

// ImportCounters are Tally's import counters.
type ImportCounters struct {
	Created    int `json:"created" validate:"required" example:"1"`
	Altered    int `json:"altered" validate:"required" example:"0"`
	Deleted    int `json:"deleted" validate:"required" example:"0"`
	Cancelled  int `json:"cancelled" validate:"required" example:"0"`
	Combined   int `json:"combined" validate:"required" example:"0"`
	Ignored    int `json:"ignored" validate:"required" example:"0"`
	Errors     int `json:"errors" validate:"required" example:"0"`
	Exceptions int `json:"exceptions" validate:"required" example:"0"`
	LastVchID  int `json:"last_voucher_id" validate:"required" example:"42"`
}

// ImportListResponse is a page of the import audit log, newest first.
type ImportListResponse struct {
	// The imports (without bodies; GET /imports/{id} has them).
	Imports []ImportResponse `json:"imports" validate:"required"`
}

func toImportResponse(r service.ImportRecord, bodies bool) ImportResponse {
	o := r.Outcome
	out := ImportResponse{ID: r.ID, OrderID: r.OrderID, Company: r.Company, Kind: r.Kind, RemoteID: r.RemoteID, Party: r.Party,
		Result: r.Result, ErrorCode: r.ErrorCode, LineErrors: append([]string{}, o.LineErrors...),
		DurationMS: r.Duration.Milliseconds(), CreatedAt: timestamp(r.CreatedAt), Truncated: r.Truncated,
		Counters: ImportCounters{Created: o.Created, Altered: o.Altered, Deleted: o.Deleted, Cancelled: o.Cancelled,
			Combined: o.Combined, Ignored: o.Ignored, Errors: o.Errors, Exceptions: o.Exceptions, LastVchID: o.LastVoucherID}}
	if bodies {
		out.Request, out.Response = string(r.Request), string(r.Response)
	}
	return out
}

// listImports lists the Tally import audit log.
//
//	@Summary		List Tally imports
//	@ID			listImports
//	@Description	Every write sent to Tally, newest first: what was sent and what Tally said, so an accountant can see exactly what happened.
//	@Tags			imports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			order_id	query		string	false	"order id"
//	@Param			party		query		string	false	"party name"
//	@Param			result		query		string	false	"ok, rejected, ambiguous or failed"	Enums(ok,rejected,ambiguous,failed)
//	@Param			since		query		string	false	"from this date (YYYY-MM-DD)"
//	@Param			until		query		string	false	"up to this date (YYYY-MM-DD), inclusive"
//	@Param			limit		query		int		false	"1-500, default 50"
//	@Success		200			{object}	ImportListResponse
//	@Failure		400			{object}	Problem	"malformed_query"
//	@Failure		401			{object}	Problem	"unauthenticated"
//	@Failure		422			{object}	Problem	"invalid_request"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/imports [get]
func (s *Server) listImports(c echo.Context) error {
	q := query{c: c}
	f := service.ImportFilter{OrderID: q.str("order_id"), Party: q.str("party"), Result: q.str("result"),
		Since: q.date("since"), Limit: q.int("limit", service.DefaultPageSize, 1, service.MaxPageSize)}
	if until := q.date("until"); !until.IsZero() {
		f.Until = until.AddDate(0, 0, 1)
	}
	switch f.Result {
	case "", "ok", "rejected", "ambiguous", "failed":
	default:
		q.fail("result", "must be ok, rejected, ambiguous or failed")
	}
	if err := q.err(); err != nil {
		return err
	}
	recs, err := s.svc.ListImports(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := ImportListResponse{Imports: make([]ImportResponse, 0, len(recs))}
	for _, r := range recs {
		out.Imports = append(out.Imports, toImportResponse(r, false))
	}
	return writeJSON(c, http.StatusOK, "", out)
}

// getImport reads one audited import with its bodies.
//
//	@Summary		Get a Tally import
//	@ID			getImport
//	@Description	One write sent to Tally, with the XML sent and Tally's answer.
//	@Tags			imports
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			id	path		int	true	"import id"
//	@Success		200	{object}	ImportResponse
//	@Failure		401	{object}	Problem	"unauthenticated"
//	@Failure		404	{object}	Problem	"import_not_found"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/imports/{id} [get]
func (s *Server) getImport(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return service.Errorf(service.NotFound, "import_not_found", "no import %q", c.Param("id"))
	}
	rec, err := s.svc.GetImport(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", toImportResponse(rec, true))
}
