package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// This file is what protects the server and its callers beyond keys:
// security headers on every answer, CORS for the configured browser origins,
// and rate limits per API key and, for wrong keys, per client address.

const (
	// apiCSP is the Content-Security-Policy of every answer but Swagger UI's
	// page: a JSON answer is never a document, so it may load nothing and be
	// framed by no one.
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
	// swaggerCSP lets Swagger UI's page run from this origin only: its
	// scripts and styles are files under /swagger/ (the page has no inline
	// script), its icons are data: URIs in its CSS, it fetches the spec
	// from /openapi/ and sends "Try it out" requests to this origin. Checked
	// in headless Chromium (TestSwaggerUIUnderCSP).
	swaggerCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

// securityHeaders are sent on every answer, errors included.
var securityHeaders = middleware.SecureWithConfig(middleware.SecureConfig{
	ContentTypeNosniff:    "nosniff",
	XFrameOptions:         "DENY", // for browsers that predate frame-ancestors
	ContentSecurityPolicy: apiCSP,
	ReferrerPolicy:        "no-referrer",
})

// noStore keeps API answers (balances, orders, parties) out of browser and
// proxy caches: they are personal and change. Swagger UI's static files
// override it.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// corsMiddleware lets pages on the configured origins (a chat widget) call
// the API with a key; with no origins configured there is none, and browsers
// keep other sites' pages out.
func corsMiddleware(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost},
		AllowHeaders:  []string{echo.HeaderAuthorization, "X-API-Key", echo.HeaderContentType, "Idempotency-Key", headerRequestID},
		ExposeHeaders: []string{headerRequestID, echo.HeaderRetryAfter, echo.HeaderLocation},
		MaxAge:        600,
	})
}

// Requests with a missing or wrong API key are limited per client address to
// wrongKeyRate a second, in bursts of wrongKeyBurst: room for a person fixing
// a typo, none for guessing keys. Not a setting: no real client needs more.
const (
	wrongKeyRate  = 1
	wrongKeyBurst = 10
)

// limits holds the token buckets: one per API key (or per client address when
// authentication is off), and one per client address for wrong keys.
// echo's memory store (golang.org/x/time/rate underneath) forgets idle
// buckets after three minutes.
type limits struct {
	perKey, wrongKey          *middleware.RateLimiterMemoryStore
	keyRetryAfter, wrongRetry int // seconds until a token is back
}

// newLimits returns nil, no limiting, when perSecond is 0.
func newLimits(perSecond float64, burst int) *limits {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(perSecond)))
	}
	store := func(r float64, b int) *middleware.RateLimiterMemoryStore {
		return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{Rate: rate.Limit(r), Burst: b})
	}
	return &limits{perKey: store(perSecond, burst), wrongKey: store(wrongKeyRate, wrongKeyBurst),
		keyRetryAfter: retryAfterSeconds(perSecond), wrongRetry: retryAfterSeconds(wrongKeyRate)}
}

// retryAfterSeconds is how long one token takes to come back, in whole
// seconds (Retry-After has no fractions), at least 1.
func retryAfterSeconds(perSecond float64) int {
	return max(1, int(math.Ceil(1/perSecond)))
}

// allowKey takes a token for a request with a valid key (or, without
// authentication, from a client address).
func (l *limits) allowKey(id string) error {
	if l == nil {
		return nil
	}
	if ok, _ := l.perKey.Allow(id); !ok {
		return &rateLimitedError{retryAfter: l.keyRetryAfter,
			detail: "Too many requests with this API key; slow down and retry after the Retry-After seconds."}
	}
	return nil
}

// allowWrongKey takes a token for a request whose key is missing or wrong.
func (l *limits) allowWrongKey(c echo.Context) error {
	if l == nil {
		return nil
	}
	if ok, _ := l.wrongKey.Allow(c.RealIP()); !ok {
		return &rateLimitedError{retryAfter: l.wrongRetry,
			detail: "Too many requests without a valid API key from this address; retry after the Retry-After seconds."}
	}
	return nil
}

// rateLimitedError is a request over its rate limit: 429 rate_limited with
// Retry-After.
type rateLimitedError struct {
	retryAfter int
	detail     string
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("rate_limited: retry after %ss", strconv.Itoa(e.retryAfter))
}
