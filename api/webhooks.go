package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/api/whatsapp"
	"github.com/tallyfacade/tallyfacade/service"
)

// whatsAppWebhookPath is the callback URL to give Meta (App Dashboard →
// WhatsApp → Configuration).
const whatsAppWebhookPath = "/webhooks/whatsapp"

// maxWhatsAppBody is Meta's payload limit: "Webhook payloads can be up to
// 3 MB" (ecosystem.md §1.2). The server-wide body limit (Config.BodyLimit,
// default 1M) applies before this one, so it must allow 3M for this route.
const maxWhatsAppBody = 3 << 20

// WhatsAppWebhookResponse says what a webhook delivery held.
type WhatsAppWebhookResponse struct {
	// Always "ok": the delivery is stored.
	Status string `json:"status" validate:"required" example:"ok"`
	// Order messages stored as orders (rejected ones included).
	Orders int `json:"orders" validate:"required" example:"1"`
	// Messages and statuses seen before: Meta redelivers.
	Duplicates int `json:"duplicates" validate:"required" example:"0"`
	// Other messages and statuses: recorded, not acted on.
	Ignored int `json:"ignored" validate:"required" example:"0"`
}

func whatsAppNotConfigured(what string) error {
	return &service.Error{Kind: service.NotFound, Code: "whatsapp_not_configured",
		Message: "The WhatsApp webhook is not configured.",
		Hint:    "Set " + what + " and restart tallyfacade."}
}

// whatsAppVerify answers Meta's verification handshake.
//
//	@Summary		WhatsApp webhook verification
//	@ID			verifyWhatsAppWebhook
//	@Description	Meta's handshake when the callback URL is set in the App Dashboard: with hub.mode=subscribe and hub.verify_token equal to WHATSAPP_VERIFY_TOKEN, answers hub.challenge as text/plain; otherwise 403. No API key: Meta cannot send one.
//	@Tags			whatsapp
//	@Produce		plain
//	@Produce		application/problem+json
//	@Param			hub.mode			query		string	true	"subscribe"	extensions(x-example=subscribe)
//	@Param			hub.verify_token	query		string	true	"WHATSAPP_VERIFY_TOKEN"
//	@Param			hub.challenge		query		string	true	"echoed back"	extensions(x-example=1158201444)
//	@Success		200					{string}	string	"the challenge"
//	@Failure		403					{object}	Problem	"verify_token_mismatch"
//	@Failure		404					{object}	Problem	"whatsapp_not_configured"
//	@Security
//	@Router			/webhooks/whatsapp [get]
func (s *Server) whatsAppVerify(c echo.Context) error {
	if s.whatsApp.VerifyToken == "" {
		return whatsAppNotConfigured("WHATSAPP_VERIFY_TOKEN")
	}
	// Both checks run, so the answer's timing says nothing about which failed.
	tokenOK := whatsapp.VerifyToken(s.whatsApp.VerifyToken, c.QueryParam("hub.verify_token"))
	if c.QueryParam("hub.mode") != "subscribe" || !tokenOK {
		return &requestError{status: http.StatusForbidden, code: "verify_token_mismatch",
			detail: "hub.mode must be subscribe and hub.verify_token the configured verify token."}
	}
	// Plain text, never a JSON string: Meta compares the bytes (§1.1).
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.String(http.StatusOK, c.QueryParam("hub.challenge"))
}

// whatsAppNotify receives WhatsApp Cloud API notifications.
//
//	@Summary		WhatsApp webhook notifications
//	@ID			receiveWhatsAppWebhook
//	@Description	Meta's POST of messages and statuses, signed with X-Hub-Signature-256 (HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET), checked before anything else: a missing or bad signature is 401 and nothing is stored. Each message is recorded once by its id (Meta redelivers); an order message becomes a stored order, posted to Tally by the queue (GET /orders?state=…), with the party found by the sender's mobile or created from the profile name. Other messages and statuses are recorded and ignored. 200 once stored; 5xx only when storing failed, so Meta delivers again. No API key.
//	@Tags			whatsapp
//	@Accept			json
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			X-Hub-Signature-256	header		string	true	"sha256=<hex HMAC-SHA256 of the body>"
//	@Param			notification		body		object	true	"The Cloud API envelope: object, entry[].changes[].value.{contacts, messages, statuses}"
//	@Success		200					{object}	WhatsAppWebhookResponse
//	@Failure		400					{object}	Problem	"malformed_webhook, unreadable_body"
//	@Failure		401					{object}	Problem	"invalid_signature"
//	@Failure		404					{object}	Problem	"whatsapp_not_configured"
//	@Failure		413					{object}	Problem	"body_too_large"
//	@Failure		500					{object}	Problem	"internal: storing failed; Meta delivers again"
//	@Failure		503					{object}	Problem	"database_unavailable, request_timeout: storing failed; Meta delivers again"
//	@Security
//	@Router			/webhooks/whatsapp [post]
func (s *Server) whatsAppNotify(c echo.Context) error {
	if s.whatsApp.AppSecret == "" {
		return whatsAppNotConfigured("WHATSAPP_APP_SECRET")
	}
	req := c.Request()
	if req.ContentLength > maxWhatsAppBody {
		return &http.MaxBytesError{Limit: maxWhatsAppBody}
	}
	// The raw bytes, read once: the signature covers them exactly as sent
	// (ecosystem.md §1.2), so nothing may decode them first.
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxWhatsAppBody))
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return mbe
		}
		return &requestError{status: http.StatusBadRequest, code: "unreadable_body", detail: "The request body could not be read."}
	}
	if !whatsapp.VerifySignature(s.whatsApp.AppSecret, body, req.Header.Get("X-Hub-Signature-256")) {
		return &service.Error{Kind: service.Unauthenticated, Code: "invalid_signature",
			Message: "X-Hub-Signature-256 is missing or does not match the body.",
			Hint:    "Meta signs with the app secret of the app the webhook is subscribed to: check WHATSAPP_APP_SECRET."}
	}
	n, err := whatsapp.Decode(body)
	if err != nil {
		// Signed but not an envelope: delivering it again cannot help,
		// so 400, never a 5xx that Meta would retry for days.
		se, ok := service.AsError(err)
		if !ok {
			return err
		}
		return &requestError{status: http.StatusBadRequest, code: se.Code, detail: se.Message}
	}
	res := WhatsAppWebhookResponse{Status: "ok", Ignored: n.Ignored}
	count := func(o service.WhatsAppOutcome) {
		switch o {
		case service.WhatsAppOrderStored:
			res.Orders++
		case service.WhatsAppDuplicate:
			res.Duplicates++
		default:
			res.Ignored++
		}
	}
	ctx := req.Context()
	for _, m := range n.Messages {
		o, err := s.svc.HandleWhatsAppMessage(ctx, m)
		if err != nil {
			return err // storage: a 5xx, so Meta delivers again
		}
		count(o)
	}
	for _, st := range n.Statuses {
		o, err := s.svc.HandleWhatsAppStatus(ctx, st)
		if err != nil {
			return err
		}
		count(o)
	}
	return writeJSON(c, http.StatusOK, "", res)
}
