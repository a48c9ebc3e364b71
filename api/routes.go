package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// routes lists every route. Open routes are the probes, metrics and the
// documentation; everything that reaches Tally needs an API key.
func (s *Server) routes() {
	e := s.e
	e.Pre(rawPathRouting)
	e.Use(s.requestIDMiddleware, s.observeMiddleware, securityHeaders, noStore)
	if len(s.cors) > 0 {
		e.Use(corsMiddleware(s.cors))
	}
	e.Use(s.recoverMiddleware, s.timeoutMiddleware, s.bodyLimitMiddleware, s.queryMiddleware)

	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthzHead)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyzHead)
	e.GET("/metrics", s.metricsHandler)
	e.GET("/openapi/swagger.json", s.swaggerJSON)
	e.GET("/openapi/openapi.json", s.openAPIJSON)
	e.GET("/swagger", s.swaggerRedirect)
	e.GET("/swagger/*", s.swaggerUI)

	auth := s.authenticate
	e.GET("/companies", s.listCompanies, auth)
	e.GET("/tally/status", s.tallyStatus, auth)
	e.GET("/parties", s.listParties, auth)
	e.POST("/parties", s.createParty, auth, s.idempotent)
	e.GET("/parties/by-mobile/:mobile/balance", s.balanceByMobile, auth)
	e.GET("/parties/by-mobile/:mobile/statement", s.statementByMobile, auth)
	e.GET("/parties/:name", s.getParty, auth)
	e.GET("/parties/:name/balance", s.partyBalance, auth)
	e.GET("/parties/:name/statement", s.partyStatement, auth)
	e.GET("/parties/:name/outstanding", s.partyOutstanding, auth)
	e.GET("/items", s.listItems, auth)
	e.GET("/receivables", s.receivables, auth)
	e.GET("/payables", s.payables, auth)
	e.GET("/vouchers", s.listVouchers, auth)
	e.GET("/vouchers/:id", s.getVoucher, auth)
	e.GET("/sync", s.syncStatus, auth)
	e.GET("/reports/trial-balance", s.trialBalance, auth)
	e.GET("/reports/balance-sheet", s.balanceSheet, auth)
	e.GET("/reports/profit-and-loss", s.profitAndLoss, auth)
	e.GET("/reports/sales-summary", s.salesSummary, auth)
	e.POST("/orders", s.placeOrder, auth, s.idempotent)
	e.GET("/orders", s.listOrders, auth)
	e.GET("/orders/:id", s.getOrder, auth)
	e.POST("/orders/:id/retry", s.retryOrder, auth)
	e.POST("/orders/:id/cancel", s.cancelOrder, auth)
	// Receipts go through the same Idempotency-Key middleware as POST
	// /orders, and are then read, listed and retried with the orders.
	e.POST("/receipts", s.postReceipt, auth, s.idempotent)
	e.GET("/imports", s.listImports, auth)
	e.GET("/imports/:id", s.getImport, auth)
	e.GET("/reminders", s.listReminders, auth)
	e.POST("/reminders/dispatch", s.dispatchReminders, auth)

	// The WhatsApp webhook is not behind the API key: Meta cannot send
	// one. The POST is authenticated by its signature instead, the GET
	// handshake by the verify token (webhooks.go).
	e.GET(whatsAppWebhookPath, s.whatsAppVerify)
	e.POST(whatsAppWebhookPath, s.whatsAppNotify)
}

// rawPathRouting makes echo route on the escaped path and hand out escaped
// parameters, always.
//
// Party names are Tally ledger names: "Unit/7 Stores" arrives as
// Unit%2F7%20Stores. Go sets URL.RawPath only when the client's escaping
// differs from Go's default, and echo routes on RawPath when it is set and
// on the decoded Path otherwise; so without this a %2F would split the
// segment, and parameters would sometimes be escaped and sometimes not.
// Setting RawPath to EscapedPath() every time gives one rule: parameters are
// escaped, and handlers unescape them (pathName).
func rawPathRouting(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		u.RawPath = u.EscapedPath()
		return next(c)
	}
}

// healthz reports that the process is up.
//
//	@Summary		Liveness probe
//	@ID			getHealth
//	@Description	Always 200 while the process runs; it does not touch Tally. Use /readyz for "can serve requests".
//	@Tags			system
//	@Produce		json
//	@Success		200	{object}	StatusResponse
//	@Security
//	@Router			/healthz [get]
func (s *Server) healthz(c echo.Context) error {
	return writeJSON(c, http.StatusOK, "", StatusResponse{Status: "ok"})
}

// readyz reports whether this replica can serve reads.
//
//	@Summary		Readiness probe
//	@ID			getReadiness
//	@Description	200 when the store answers and reads can be served: from the mirror of the books once it has loaded the company (even while Tally is off or hung: reads then answer stale), or else live from Tally, which must answer with the company loaded. The body reports Tally's reachability (from the mirror's last probe when there is a mirror, so the probe never waits on Tally) and the mirror's age. Otherwise a 503 problem with Retry-After and a hint saying what to fix.
//	@Tags			system
//	@Produce		json
//	@Produce		application/problem+json
//	@Success		200	{object}	StatusResponse
//	@Failure		503	{object}	Problem	"tally_unreachable, company_not_loaded, not_ready, …: not ready; the hint says what to fix on the Tally PC"
//	@Security
//	@Router			/readyz [get]
func (s *Server) readyz(c echo.Context) error {
	res := StatusResponse{Status: "ready", Agents: s.agentsJSON()}
	if s.ready != nil {
		r, err := s.ready(c.Request().Context())
		if err != nil {
			return s.withAgents(notReady(err))
		}
		res.Tally, res.Mirror = toReadyJSON(r)
	}
	return writeJSON(c, http.StatusOK, "", res)
}

// healthzHead is /healthz for probes that send HEAD (no body is sent).
//
//	@Summary		Liveness probe (HEAD)
//	@ID			headHealth
//	@Description	The status of GET /healthz without its body.
//	@Tags			system
//	@Success		200
//	@Security
//	@Router			/healthz [head]
func (s *Server) healthzHead(c echo.Context) error { return s.healthz(c) }

// readyzHead is /readyz for probes that send HEAD (no body is sent).
//
//	@Summary		Readiness probe (HEAD)
//	@ID			headReadiness
//	@Description	The status of GET /readyz without its body: 200 when ready, 503 with Retry-After otherwise.
//	@Tags			system
//	@Success		200
//	@Failure		503
//	@Security
//	@Router			/readyz [head]
func (s *Server) readyzHead(c echo.Context) error { return s.readyz(c) }

// StatusResponse is the body of the probes.
type StatusResponse struct {
	// "ok" for /healthz and "ready" for /readyz.
	Status string `json:"status" validate:"required" example:"ready"`
	// The outbound connector agents, on /readyz when TALLY_URL is agent://NAME.
	Agents []AgentJSON `json:"agents,omitempty"`
	// Tally's reachability, on /readyz.
	Tally *ReadyTally `json:"tally,omitempty"`
	// The mirror of the books, on /readyz when there is one (a pinned company).
	Mirror *ReadyMirror `json:"mirror,omitempty"`
}

// ReadyTally is what /readyz knows of Tally.
type ReadyTally struct {
	// Tally answered when last asked, with the company loaded.
	Reachable bool `json:"reachable" example:"true"`
	// When Tally was last asked: the mirror's last probe, or now.
	CheckedAt *time.Time `json:"checked_at,omitempty" example:"2026-06-23T10:00:00+05:30"`
	// Why Tally is not reachable: "code: message".
	Error string `json:"error,omitempty" example:"tally_unreachable: Tally is not reachable at http://192.168.1.20:9000"`
}

// ReadyMirror is the mirror of the books on /readyz.
type ReadyMirror struct {
	// The initial load of the company finished: reads are served from the mirror.
	Loaded bool `json:"loaded" example:"true"`
	// When the mirror was last known to equal Tally.
	SyncedAt *time.Time `json:"synced_at,omitempty" example:"2026-06-23T09:59:55+05:30"`
	// Seconds since SyncedAt.
	AgeSeconds *float64 `json:"age_seconds,omitempty" example:"5"`
}

func toReadyJSON(r service.Readiness) (*ReadyTally, *ReadyMirror) {
	t := &ReadyTally{Reachable: r.TallyReachable, Error: r.TallyError}
	if !r.TallyCheckedAt.IsZero() {
		t.CheckedAt = &r.TallyCheckedAt
	}
	if !r.Mirror {
		return t, nil
	}
	m := &ReadyMirror{Loaded: r.MirrorLoaded}
	if r.MirrorLoaded {
		age := r.MirrorAge.Seconds()
		m.SyncedAt, m.AgeSeconds = &r.MirrorSyncedAt, &age
	}
	return t, m
}
