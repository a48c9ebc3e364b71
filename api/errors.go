package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// Problem is the body of every error response: an RFC 9457 problem detail
// (application/problem+json) with tallyfacade's extension members.
type Problem struct {
	// Identifies the kind of problem; a URN built from code.
	Type string `json:"type" validate:"required" example:"urn:tallyfacade:problem:party_not_found"`
	// A short summary of the problem type (the HTTP status text).
	Title string `json:"title" validate:"required" example:"Not Found"`
	// Repeats the HTTP status code.
	Status int `json:"status" validate:"required" example:"404"`
	// Explains this occurrence for a person. For 5xx it is generic.
	Detail string `json:"detail" validate:"required" example:"party 'Rajesh Enterprise' does not exist in 'ABC Traders'"`
	// The request path that failed.
	Instance string `json:"instance" validate:"required" example:"/parties/Rajesh%20Enterprise/balance"`
	// A stable machine-readable identifier to branch on.
	Code string `json:"code" validate:"required" example:"party_not_found"`
	// The X-Request-Id of the request, for support.
	RequestID string `json:"request_id,omitempty" example:"5f0c6a1e9b3d4c2a8e7f6b5a4c3d2e1f"`
	// Tells a person how to fix the problem, when we know.
	Hint string `json:"hint,omitempty" example:"Check the spelling, or list parties with GET /parties?search=rajesh."`
	// Lists each invalid field of a 422 validation failure.
	Errors []FieldError `json:"errors,omitempty"`
	// Tally's LINEERROR texts, verbatim, when Tally refused the work.
	LineErrors []string `json:"line_errors,omitempty" example:"Ledger 'Sales' does not exist!"`
	// The existing party on a party_exists conflict.
	Party *PartyResponse `json:"party,omitempty"`
	// The stored order on an order_ref_conflict.
	Order *OrderStatusResponse `json:"order,omitempty"`
	// The item names no stock item has, on a stock_item_not_found.
	Items []string `json:"items,omitempty" example:"Gold Bar"`
	// The outbound connector agents, on a failure of /tally/status or
	// /readyz when TALLY_URL is agent://NAME.
	Agents []AgentJSON `json:"agents,omitempty"`
}

// FieldError names one invalid input and why.
type FieldError struct {
	// The JSON path of the input (or the query parameter's name).
	Field string `json:"field" validate:"required" example:"lines[0].quantity"`
	// Says what is wrong, for a person.
	Message string `json:"message" validate:"required" example:"must be greater than 0"`
}

// requestError is a malformed or invalid request found by the api itself
// (binding, validation, query parsing), before the service saw it.
type requestError struct {
	status int // 400 or 422
	code   string
	detail string
	fields []FieldError
}

func (e *requestError) Error() string {
	if len(e.fields) == 0 {
		return e.code + ": " + e.detail
	}
	parts := make([]string, len(e.fields))
	for i, f := range e.fields {
		parts[i] = f.Field + " " + f.Message
	}
	return e.code + ": " + strings.Join(parts, "; ")
}

// mergeInvalid combines two validation failures into one problem listing
// every field; any other error wins as it is.
func mergeInvalid(a, b error) error {
	var ra, rb *requestError
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case errors.As(a, &ra) && errors.As(b, &rb) && ra.code == "invalid_request" && rb.code == "invalid_request":
		return invalidFields(append(append([]FieldError{}, ra.fields...), rb.fields...)...)
	}
	return a
}

func invalidFields(fields ...FieldError) *requestError {
	return &requestError{status: http.StatusUnprocessableEntity, code: "invalid_request",
		detail: "The request is well-formed but some fields are invalid; see errors.", fields: fields}
}

// codeStatus overrides kindStatus for codes whose status differs from their
// kind's. An immutable lookup table.
var codeStatus = map[string]int{
	// Tally answered and refused the work: the request must change, so 422,
	// with Tally's LINEERROR texts in line_errors.
	"tally_rejected": http.StatusUnprocessableEntity,
	// Tally answered something we cannot use: a bad gateway.
	"tally_error":           http.StatusBadGateway,
	"tally_unknown_request": http.StatusBadGateway,
	// A caller-chosen company Tally does not have loaded (see serviceProblem).
	"unknown_company": http.StatusNotFound,
	// An order line naming no stock item in items mode: the order must
	// change (service.CodeStockItemNotFound; items lists the names).
	service.CodeStockItemNotFound: http.StatusUnprocessableEntity,
}

// kindStatus maps each service kind to its HTTP status.
var kindStatus = map[service.Kind]int{
	service.Internal:        http.StatusInternalServerError,
	service.Invalid:         http.StatusUnprocessableEntity,
	service.NotFound:        http.StatusNotFound,
	service.Conflict:        http.StatusConflict,
	service.Unavailable:     http.StatusServiceUnavailable,
	service.Upstream:        http.StatusBadGateway,
	service.Unauthenticated: http.StatusUnauthorized,
}

// retryAfter is the Retry-After, in seconds, of each 503 code: short for a
// busy gateway (one request in flight), longer when a person has to act on
// the Tally PC.
var retryAfter = map[string]int{
	"tally_busy":             2,
	"tally_timeout":          10,
	"tally_outcome_unknown":  10,
	"tally_connection_reset": 10,
	"tally_bad_answer":       30,
	"tally_unreachable":      30,
	"company_not_loaded":     60,
	"not_ready":              10,
	"request_timeout":        5,
	// A person must configure the sender; retrying soon will not help.
	"reminder_sender_not_configured": 3600,
}

// genericDetail is the client-facing detail of 5xx codes: a 5xx body never
// carries the cause (which may hold URLs, paths or Tally internals).
var genericDetail = map[string]string{
	"tally_busy":                     "Tally is busy with another request. Try again shortly.",
	"tally_timeout":                  "Tally did not answer in time. A write may still have been applied: read back before sending it again.",
	"tally_outcome_unknown":          "The connection to Tally broke before it answered, so whether the write was applied is unknown: read back before sending it again.",
	"tally_connection_reset":         "The connection to Tally broke while it was answering. Try again shortly.",
	"tally_bad_answer":               "The Tally gateway gave an answer that is not Tally XML.",
	"tally_unreachable":              "Tally could not be reached. Check that TallyPrime is open with its gateway enabled.",
	"company_not_loaded":             "The company configured for this service is not loaded in Tally.",
	"tally_error":                    "Tally reported an error it did not explain.", // used only when Tally gave no text
	"tally_unknown_request":          "Tally did not understand a request; this is a tallyfacade bug or an unsupported Tally version.",
	"agent_read_only":                "The agent that connects this service to Tally runs read-only (-read-only): it relays reads and refuses every import, so nothing was sent to Tally.",
	"not_ready":                      "The service is not ready: Tally or the configured company is not available.",
	"request_timeout":                "The request took longer than the service allows.",
	"internal":                       "An internal error occurred. Quote the request id when reporting it.",
	"reminder_sender_not_configured": "No reminder sender is configured: set the WhatsApp Cloud API (WHATSAPP_API_URL, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_TOKEN) or a webhook (REMINDER_WEBHOOK_URL, REMINDER_WEBHOOK_SECRET).",
}

// readDetail replaces genericDetail for a read (GET, HEAD): a read wrote
// nothing, so it says nothing of writes.
var readDetail = map[string]string{
	"tally_timeout":   "Tally did not answer in time; it may be busy with a long report or waiting for a click on the Tally PC. Try again shortly.",
	"request_timeout": "Tally did not answer within the time a read is allowed. Try again shortly.",
}

// statusClientClosed is nginx's convention for a client that went away; no
// one reads the body, it only keeps logs and metrics honest.
const statusClientClosed = 499

// handleError is echo's HTTPErrorHandler: the one place where an error
// becomes a response and a log line.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, hdr, cause := s.problemFor(err, c)
	for k, v := range hdr {
		c.Response().Header().Set(k, v)
	}

	// The request's access log line (observeMiddleware) carries the
	// outcome: the cause of a 5xx at Error, the detail of a refusal.
	o := problemOutcome{code: p.Code, detail: p.Detail}
	if p.Status >= 500 && p.Status != statusClientClosed {
		o.cause = cause
	}
	c.Set(keyOutcome, o)
	if err := writeJSON(c, p.Status, "application/problem+json", p); err != nil {
		s.log.Debug("write problem", "request_id", requestID(c), "error", err)
	}
}

// problemOutcome is what the access log says of a problem answer.
type problemOutcome struct {
	code, detail string
	cause        error // set for a 5xx
}

// problemFor maps err to a problem, extra headers and the error to log.
func (s *Server) problemFor(err error, c echo.Context) (Problem, map[string]string, error) {
	p := Problem{Instance: c.Request().URL.EscapedPath(), RequestID: requestID(c)}
	hdr := map[string]string{}

	var (
		re  *requestError
		he  *echo.HTTPError
		mbe *http.MaxBytesError
		rl  *rateLimitedError
	)
	switch {
	case errors.As(err, &rl):
		p.Status, p.Code, p.Detail = http.StatusTooManyRequests, "rate_limited", rl.detail
		hdr[echo.HeaderRetryAfter] = strconv.Itoa(rl.retryAfter)
	case errors.As(err, &mbe):
		p.Status, p.Code, p.Detail = http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)
	case errors.As(err, &re):
		p.Status, p.Code, p.Detail, p.Errors = re.status, re.code, re.detail, re.fields
	case errors.As(err, &he):
		// The router's 404/405 and anything else echo itself raises.
		p.Status = he.Code
		p.Code = echoCode(he.Code)
		p.Detail = http.StatusText(he.Code)
		if msg, ok := he.Message.(string); ok && he.Code < 500 {
			p.Detail = msg
		}
	case errors.Is(err, context.Canceled):
		p.Status, p.Code, p.Detail = statusClientClosed, "client_closed_request", "The client closed the request."
	case service.KindOf(err) == service.Internal && errors.Is(err, context.DeadlineExceeded):
		p.Status, p.Code = http.StatusServiceUnavailable, "request_timeout"
	default:
		s.serviceProblem(err, c, &p)
	}

	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
		if p.Status == statusClientClosed {
			p.Title = "Client Closed Request"
		}
	}
	if p.Type == "" {
		p.Type = "urn:tallyfacade:problem:" + p.Code
	}
	switch p.Status {
	case http.StatusUnauthorized:
		hdr["WWW-Authenticate"] = `Bearer realm="tallyfacade"`
	case http.StatusServiceUnavailable:
		secs, ok := retryAfter[p.Code]
		if !ok {
			secs = 5
		}
		hdr["Retry-After"] = strconv.Itoa(secs)
	}
	p.Agents = problemAgents(err)
	if p.Status >= 500 && p.Status != statusClientClosed {
		if p.Code == "tally_error" && p.Detail != "" {
			// Tally's own words (a STATUS 0 LINEERROR, an ERRORMSG): not
			// our internals, and what a person needs to fix the books.
			p.Errors, p.LineErrors, p.Party, p.Order = nil, nil, nil, nil
			return p, hdr, err
		}
		if d, ok := genericDetail[p.Code]; ok {
			p.Detail = d
			if r, ok := readDetail[p.Code]; ok && isRead(c.Request().Method) {
				p.Detail = r
			}
		} else {
			p.Detail = genericDetail["internal"]
		}
		p.Errors, p.LineErrors, p.Party, p.Order = nil, nil, nil, nil
	}
	return p, hdr, err
}

// serviceProblem maps a service error through the code and kind tables.
func (s *Server) serviceProblem(err error, c echo.Context, p *Problem) {
	se, ok := service.AsError(err)
	if !ok {
		p.Status, p.Code = http.StatusInternalServerError, "internal"
		return
	}
	code := se.Code
	if code == "" {
		code = se.Kind.String()
	}
	if code == "company_not_loaded" && s.callerPickedOtherCompany(c) {
		// Tally cannot tell "not loaded" from "does not exist". For the
		// configured company that is an outage the operator must fix (503);
		// for a company the caller named it is the caller's mistake (404).
		p.Status, p.Code = http.StatusNotFound, "unknown_company"
		p.Detail = "Company " + quote(companyParam(c)) + " is not loaded in Tally (or does not exist)."
		p.Hint = "List the loaded companies with GET /companies, or omit company to use the configured one."
		return
	}
	status, ok := codeStatus[code]
	if !ok {
		status, ok = kindStatus[se.Kind]
		if !ok {
			status = http.StatusInternalServerError
		}
	}
	p.Status, p.Code, p.Detail, p.Hint = status, code, se.Message, withRemedy(se.Hint, se.Setting, se.Remedy)
	if p.Detail == "" {
		p.Detail = http.StatusText(status)
	}
	if code == "tally_rejected" {
		p.LineErrors = lineErrors(se)
	}
	if party, ok := se.Subject.(service.Party); ok && code == "party_exists" {
		pr := toPartyResponse(party)
		p.Party = &pr
	}
	if nf, ok := se.Subject.(service.StockItemsNotFound); ok && code == service.CodeStockItemNotFound {
		p.Items = nf.Names
	}
	if rec, ok := se.Subject.(service.OrderRecord); ok && code == "order_ref_conflict" {
		or := s.toOrderStatus(rec)
		p.Order = &or
	}
}

// lineErrors returns Tally's LINEERROR texts from a rejection: from the
// ImportOutcome or []string the gateway attached as Subject, else the
// message, which for a rejection is Tally's own text (service.Error).
func lineErrors(se *service.Error) []string {
	switch v := se.Subject.(type) {
	case service.ImportOutcome:
		if len(v.LineErrors) > 0 {
			return v.LineErrors
		}
	case *service.ImportOutcome:
		if v != nil && len(v.LineErrors) > 0 {
			return v.LineErrors
		}
	case []string:
		if len(v) > 0 {
			return v
		}
	}
	if se.Message != "" {
		return []string{se.Message}
	}
	return nil
}

// echoCode names the problems echo raises itself.
func echoCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "route_not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthenticated"
	}
	if status >= 500 {
		return "internal"
	}
	return "http_" + strconv.Itoa(status)
}

func quote(s string) string { return "'" + s + "'" }

// settingWords says a service setting as an operator sets it: the
// environment variables (each is also a flag, README's table).
var settingWords = map[service.Setting]string{
	service.SettingSalesLedger:    "TALLY_SALES_LEDGER",
	service.SettingBankLedger:     "TALLY_BANK_LEDGER",
	service.SettingCashLedger:     "TALLY_CASH_LEDGER",
	service.SettingReminderSender: "WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID (WhatsApp Cloud API) or REMINDER_WEBHOOK_URL (a chatbot platform)",
}

// remedyWords says a service remedy as a caller does it: the route.
var remedyWords = map[service.Remedy]string{
	service.RemedySearchParties: "GET /parties?search=…",
	service.RemedyPostOrder:     "POST /orders",
	service.RemedyDryRun:        `dry_run: true`,
	service.RemedyListItems:     "GET /items?q=…",
}

// withRemedy is a service hint with the setting and the route it names, in
// the words of this API.
func withRemedy(hint string, setting service.Setting, remedy service.Remedy) string {
	var parts []string
	if w := settingWords[setting]; w != "" {
		parts = append(parts, "Setting: "+w+".")
	}
	if w := remedyWords[remedy]; w != "" {
		parts = append(parts, "Through the API: "+w+".")
	}
	return strings.TrimSpace(strings.Join(append([]string{hint}, parts...), " "))
}
