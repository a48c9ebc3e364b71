package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
	"github.com/labstack/gommon/bytes"

	"github.com/tallyfacade/tallyfacade/service"
)

// Config configures a Server. New fills in the defaults.
type Config struct {
	// APIKeys are the accepted API keys. Empty is a constructor error unless
	// InsecureNoAuth is set: an unauthenticated façade would expose the books.
	APIKeys []string
	// InsecureNoAuth turns authentication off, for local experiments only.
	InsecureNoAuth bool
	// BodyLimit bounds request bodies, e.g. "1M" (the default) or "512K".
	BodyLimit string
	// Logger receives one line per failed request. Default: discard.
	Logger *slog.Logger
	// Ready is the /readyz check; nil means always ready. cmd wires
	// Service.Readiness: the store, and the mirror or else Tally.
	Ready func(ctx context.Context) (service.Readiness, error)
	// RequestTimeout is each write's (POST) context deadline. Default 20s:
	// a write that reached Tally is better finished than abandoned.
	RequestTimeout time.Duration
	// ReadTimeout is each read's (GET, HEAD) context deadline. Default 8s:
	// chatbot platforms give up on an HTTP step at about 10 s, so a read
	// while Tally hangs must answer its 503 before that.
	ReadTimeout time.Duration
	// RateLimit is how many requests a second each API key may make, with
	// bursts of RateBurst; 0 turns limiting off. Requests with a missing or
	// wrong key are limited per client address (wrongKeyRate).
	RateLimit float64
	RateBurst int
	// CORSOrigins are the browser origins (https://widget.example.com) allowed
	// to call the API from a page; empty (the default) sends no CORS headers.
	CORSOrigins []string
	// Spec is the swag-generated Swagger 2.0 JSON (openapi.SwaggerInfo.ReadDoc()).
	// cmd passes it because api may not import openapi (service/deps_test.go).
	// Required: it is served at /openapi/swagger.json and converted once to
	// OpenAPI 3 for /openapi/openapi.json.
	Spec []byte
	// Agents, when set, lists the outbound connector agents (TALLY_URL=
	// agent://NAME) for /tally/status, /readyz and /metrics.
	Agents func() []AgentStatus
	// OrderWait is how long POST /orders waits for the queue to post an
	// order before answering 202. Default 8s: chatbot platforms give a
	// reply a few seconds more than that at most.
	OrderWait time.Duration
	// Books is the mirror of Tally's books that party, balance,
	// receivables and reminder reads are answered from; nil reads Tally
	// live (no pinned company).
	Books *service.Books
	// WhatsApp configures the WhatsApp Cloud API webhook (webhooks.go).
	WhatsApp WhatsAppConfig
	// Reports relays Tally's Balance Sheet and Profit & Loss, keeping each
	// for when Tally is off; nil answers those two endpoints 503
	// reports_not_configured.
	Reports *service.Reports
	// Summaries computes the daily sales summary from the mirror; nil (no
	// pinned company, so no mirror) answers it 404 mirror_off.
	Summaries *service.Summaries
}

// WhatsAppConfig configures the webhook that receives WhatsApp Cloud API
// notifications (ecosystem.md §1); what an order message becomes is
// service's (service.WhatsAppConfig).
type WhatsAppConfig struct {
	// VerifyToken is the string of our choosing that Meta echoes in the GET
	// handshake's hub.verify_token (WHATSAPP_VERIFY_TOKEN). Empty turns the
	// handshake off.
	VerifyToken string
	// AppSecret is the Meta app secret, the HMAC-SHA256 key of
	// X-Hub-Signature-256 (WHATSAPP_APP_SECRET). Empty turns notifications
	// off: an unsigned webhook would let anyone book sales.
	AppSecret string
}

// Server is tallyfacade's HTTP server: an echo instance with every route,
// middleware and the error handler installed. It has no package-level state:
// two Servers in one process share nothing.
type Server struct {
	e        *echo.Echo
	svc      *service.Service
	books    *service.Books
	reports  *service.Reports
	summary  *service.Summaries
	log      *slog.Logger
	validate *validator.Validate
	keys     [][sha256.Size]byte
	noAuth   bool
	limit    int64
	timeout  time.Duration
	ready    func(context.Context) (service.Readiness, error)
	// orderWait bounds how long POST /orders waits for the queue.
	orderWait   time.Duration
	readTimeout time.Duration
	keyNames    []string // keyNames[i] names keys[i] in logs: "key1", "key2", …
	limits      *limits  // nil when rate limiting is off
	cors        []string
	metrics     *metrics
	agents      func() []AgentStatus
	spec        specDocs
	paths       map[string]struct{} // registered route templates, for metric labels
	whatsApp    WhatsAppConfig
}

// New builds the server over svc.
func New(svc *service.Service, cfg Config) (*Server, error) {
	if svc == nil {
		return nil, errors.New("api: nil service")
	}
	s := &Server{svc: svc, books: cfg.Books, reports: cfg.Reports, summary: cfg.Summaries, log: cfg.Logger, noAuth: cfg.InsecureNoAuth,
		timeout: cfg.RequestTimeout, ready: cfg.Ready, whatsApp: cfg.WhatsApp}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.timeout <= 0 {
		s.timeout = 20 * time.Second
	}
	s.orderWait = cfg.OrderWait
	if s.orderWait <= 0 {
		s.orderWait = 8 * time.Second
	}
	s.readTimeout = cfg.ReadTimeout
	if s.readTimeout <= 0 {
		s.readTimeout = 8 * time.Second
	}
	s.limits = newLimits(cfg.RateLimit, cfg.RateBurst)
	s.cors = cfg.CORSOrigins
	if len(cfg.APIKeys) == 0 && !cfg.InsecureNoAuth {
		return nil, errors.New("api: no API keys configured (set at least one, or InsecureNoAuth for local use)")
	}
	for i, k := range cfg.APIKeys {
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("api: API key #%d is empty", i+1)
		}
		// Keys are kept and compared as SHA-256 digests: equal lengths make
		// the constant-time comparison leak nothing, not even the length.
		s.keys = append(s.keys, sha256.Sum256([]byte(k)))
		s.keyNames = append(s.keyNames, fmt.Sprintf("key%d", i+1))
	}
	limit := cfg.BodyLimit
	if limit == "" {
		limit = "1M"
	}
	n, err := bytes.Parse(limit)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("api: body limit %q: want a size such as 1M or 512K", limit)
	}
	s.limit = n
	if s.spec, err = loadSpec(cfg.Spec); err != nil {
		return nil, err
	}
	s.validate = newValidator()
	s.metrics = newMetrics(svc.QueueCounts)
	if s.agents = cfg.Agents; s.agents != nil {
		s.metrics.reg.MustRegister(newAgentCollector(s.agents))
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The client address (wrong-key rate limits) is the connection's:
	// X-Forwarded-For is whatever the client wrote, unless a proxy we
	// trust sets it, and none is configured.
	e.IPExtractor = echo.ExtractIPDirect()
	s.e = e
	s.routes()
	s.paths = map[string]struct{}{}
	for _, r := range e.Routes() {
		s.paths[r.Path] = struct{}{}
	}
	return s, nil
}

// Handler returns the server as an http.Handler, for cmd's http.Server.
func (s *Server) Handler() http.Handler { return s.e }

// Echo returns the echo instance, for tests and route listings.
func (s *Server) Echo() *echo.Echo { return s.e }
