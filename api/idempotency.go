package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// Idempotency-Key handling (draft-ietf-httpapi-idempotency-key-header) for
// the POST routes that write to Tally.
//
// Choices, documented in README and the spec:
//   - The key is one Structured Field string ("…") or a bare token, 1 to 255
//     bytes of visible ASCII; a list or a second header is 400.
//   - A request without a key is accepted and runs once, unprotected; its
//     response says so with "Idempotency: none", because chatbot platforms
//     that cannot set headers must still work.
//   - Keys are scoped per API key, method and route; the payload is
//     identified by the SHA-256 of the body's canonical JSON (keys sorted,
//     whitespace gone), so a re-serialised retry still matches.
//   - Responses below 500 are stored and replayed with "Idempotent-Replayed:
//     true"; a 5xx releases the key so a retry runs again.
//   - A repeat while the first request is still in flight is 409, unless
//     the first already stored its order: then the repeat is answered from
//     the order (201 posted, 202 not yet), also "Idempotent-Replayed: true".
//     This is what makes a retry after a crash answer at once.
const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	headerIdempotency    = "Idempotency"
)

// idempotent wraps a handler with Idempotency-Key handling. It runs after
// authentication (the scope needs the caller) and reads the body itself.
func (s *Server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		values := req.Header.Values(headerIdempotencyKey)
		if len(values) == 0 {
			c.Response().Header().Set(headerIdempotency, "none")
			return next(c)
		}
		key, ok := parseIdempotencyKey(values)
		if !ok {
			return &requestError{status: http.StatusBadRequest, code: "invalid_idempotency_key",
				detail: "Idempotency-Key must be one string of 1 to 255 visible ASCII characters, such as \"order-1001\"."}
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return decodeError(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))

		client, _ := c.Get(keyClient).(string)
		scope := client + " " + req.Method + " " + c.Path()
		ctx := req.Context()
		claim, replay, err := s.svc.BeginIdempotent(ctx, scope, key, payloadHash(req.Method, c.Path(), body))
		if rec, ok := storedBy(err); ok {
			// The first request is in flight, or died (kill -9) after
			// storing its order: answer from the order, as any repeat of
			// a stored order is answered; nothing runs again.
			c.Response().Header().Set(headerReplayed, "true")
			return s.answerRecord(c, rec)
		}
		if err != nil {
			return err
		}
		// Handlers that store something derive its identity from this, so a
		// re-run of the same request finds what the first run stored.
		c.Set(keyDedupe, service.IdempotencyDedupe(scope, key))
		if replay != nil {
			h := c.Response().Header()
			for k, v := range replay.Header {
				h.Set(k, v)
			}
			h.Set(headerReplayed, "true")
			c.Response().WriteHeader(replay.Status)
			_, err := c.Response().Write(replay.Body)
			return err
		}

		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		handlerErr := next(c)
		if handlerErr != nil {
			// The error handler writes the problem now, through the
			// recorder, so the stored response is exactly what was sent.
			c.Error(handlerErr)
		}
		status := c.Response().Status
		stored := service.StoredResponse{Status: status, Body: rec.body.Bytes(), Header: map[string]string{}}
		for _, k := range []string{echo.HeaderContentType, echo.HeaderLocation, "Retry-After"} {
			if v := c.Response().Header().Get(k); v != "" {
				stored.Header[k] = v
			}
		}
		// Detached: the response is out, and the record must be written
		// even if the client has hung up.
		if err := claim.Finish(context.WithoutCancel(ctx), stored, status < 500); err != nil {
			s.log.ErrorContext(ctx, "storing an idempotent response failed", "request_id", requestID(c), "error", err)
		}
		return nil
	}
}

// storedBy is the order (or receipt) an in-flight key's request already
// stored, from BeginIdempotent's idempotency_key_in_flight.
func storedBy(err error) (service.OrderRecord, bool) {
	e, ok := service.AsError(err)
	if !ok || e.Code != "idempotency_key_in_flight" {
		return service.OrderRecord{}, false
	}
	rec, ok := e.Subject.(service.OrderRecord)
	return rec, ok
}

// parseIdempotencyKey accepts one sf-string or bare token.
func parseIdempotencyKey(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	v := strings.TrimSpace(values[0])
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" || len(v) > 255 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\' || v[i] == ',' {
			return "", false
		}
	}
	return v, true
}

// payloadHash identifies a request's payload: the method, the route and the
// body as canonical JSON (a body that is not JSON is hashed as sent; the
// handler will refuse it anyway).
func payloadHash(method, route string, body []byte) string {
	canon := body
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	h := sha256.New()
	io.WriteString(h, method+"\x00"+route+"\x00")
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}

// recorder keeps a copy of what a handler writes, for replay.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}
