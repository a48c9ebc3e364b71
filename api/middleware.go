package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// Context keys of values the middleware and handlers share.
const (
	keyRequestID = "tallyfacade.request_id"
	keyCompany   = "tallyfacade.company"
	keyClient    = "tallyfacade.client" // a digest of the caller's API key
	keyDedupe    = "tallyfacade.dedupe" // the request's Idempotency-Key and scope
	keyKeyName   = "tallyfacade.key"    // the API key's name (key1, …), for the access log
	keyOutcome   = "tallyfacade.outcome"
)

// headerRequestID is read from the client (when sane) and always answered.
const headerRequestID = "X-Request-Id"

// requestIDMiddleware gives every request an id, taken from X-Request-Id
// when the caller sent a sane one (so a chatbot platform's id can be traced
// through our logs) and generated otherwise.
func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !saneRequestID(id) {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(keyRequestID, id)
		c.Response().Header().Set(headerRequestID, id)
		return next(c)
	}
}

// saneRequestID accepts short ids of URL-safe characters only, so a caller
// cannot inject text into logs or response headers.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == ':':
		default:
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	id, _ := c.Get(keyRequestID).(string)
	return id
}

// recoverMiddleware turns a panic into an Internal error with its stack, for
// the error handler to log once and answer 500.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r) // net/http's own way to abort a response
				}
				err = &service.Error{Kind: service.Internal, Code: "internal",
					Err: fmt.Errorf("panic: %v\n%s", r, debug.Stack())}
			}
		}()
		return next(c)
	}
}

// timeoutMiddleware puts a deadline on the request's context, so a stuck
// Tally cannot hold a request (and its goroutine) forever. The Tally client
// honours the earlier of this and its own timeout. A read gets the shorter
// deadline, within a chatbot's budget; a write the longer one.
func (s *Server) timeoutMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		d := s.timeout
		if isRead(c.Request().Method) {
			d = s.readTimeout
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), d)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// isRead reports whether a request only reads: GET and HEAD.
func isRead(method string) bool { return method == http.MethodGet || method == http.MethodHead }

// bodyLimitMiddleware refuses bodies over the limit: at once when
// Content-Length says so, else when reading passes it (chunked bodies). The
// error handler answers 413 in both cases.
func (s *Server) bodyLimitMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit := s.limit
		if c.Path() == whatsAppWebhookPath {
			// Meta's payloads can be larger than anything a client sends.
			limit = max(limit, maxWhatsAppBody)
		}
		if req.ContentLength > limit {
			return &http.MaxBytesError{Limit: limit}
		}
		if req.Body != nil {
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		}
		return next(c)
	}
}

// queryMiddleware refuses a query string that does not decode. Go's
// URL.Query (which echo's QueryParam uses) silently drops a pair it cannot
// unescape, so GET /receivables?party=%zz would answer for every party
// instead of the one asked; a name that is not valid UTF-8 once unescaped
// (%ff) could never match a Tally ledger either. Either is the caller's
// mistake, said once here for every route.
func (s *Server) queryMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.Request().URL.RawQuery
		if raw == "" {
			return next(c)
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			return &requestError{status: http.StatusBadRequest, code: "malformed_query",
				detail: "The query string is not valid percent-encoding: " + err.Error() + ". Percent-encode names (a space as %20, & as %26, ; as %3B)."}
		}
		for k, vs := range q {
			for _, v := range vs {
				if !utf8.ValidString(k) || !utf8.ValidString(v) {
					return &requestError{status: http.StatusBadRequest, code: "malformed_query",
						detail: "The query string is not valid UTF-8 once unescaped; percent-encode the UTF-8 bytes of each name."}
				}
			}
		}
		return next(c)
	}
}

// authenticate accepts "Authorization: Bearer <key>" or "X-API-Key: <key>".
// Keys are never logged (the access log names a key by its position, key1,
// key2, …), and the comparison runs over every configured key without
// stopping at a match, in constant time. Each key has its own rate limit;
// requests with a missing or wrong key share one per client address.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.noAuth {
			if err := s.limits.allowKey("addr:" + c.RealIP()); err != nil {
				return err
			}
			return next(c)
		}
		key := c.Request().Header.Get("X-API-Key")
		if key == "" {
			if scheme, rest, ok := strings.Cut(c.Request().Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
				key = strings.TrimSpace(rest)
			}
		}
		if key == "" {
			if err := s.limits.allowWrongKey(c); err != nil {
				return err
			}
			return &service.Error{Kind: service.Unauthenticated, Code: "unauthenticated",
				Message: "An API key is required.",
				Hint:    "Send the key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."}
		}
		i := s.keyIndex(key)
		if i < 0 {
			if err := s.limits.allowWrongKey(c); err != nil {
				return err
			}
			return &service.Error{Kind: service.Unauthenticated, Code: "unauthenticated",
				Message: "The API key is not valid."}
		}
		c.Set(keyKeyName, s.keyNames[i])
		if err := s.limits.allowKey("key:" + s.keyNames[i]); err != nil {
			return err
		}
		// Idempotency keys are scoped per API key; the scope is a digest,
		// so the key itself is kept nowhere.
		sum := sha256.Sum256([]byte(key))
		c.Set(keyClient, hex.EncodeToString(sum[:8]))
		return next(c)
	}
}

// keyIndex is the position of key among the configured keys, or -1.
func (s *Server) keyIndex(key string) int {
	got := sha256.Sum256([]byte(key))
	idx := -1
	for i := range s.keys {
		idx = subtle.ConstantTimeSelect(subtle.ConstantTimeCompare(got[:], s.keys[i][:]), i, idx)
	}
	return idx
}

// writeJSON writes v as JSON without HTML escaping, so "A & B <Traders>"
// reads as typed in bodies that chatbots template.
func writeJSON(c echo.Context, status int, contentType string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if contentType == "" {
		contentType = echo.MIMEApplicationJSON
	}
	return c.Blob(status, contentType, buf.Bytes())
}
