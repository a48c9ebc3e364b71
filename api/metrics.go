package api

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tallyfacade/tallyfacade/service"
)

// metrics holds the server's own Prometheus registry: no global default
// registry, so two servers (or tests in parallel) never collide.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	tally      *prometheus.HistogramVec
	tallyQueue prometheus.Histogram
	sync       *prometheus.HistogramVec
	syncLag    *prometheus.GaugeVec
	agentRelay *prometheus.HistogramVec
	// The order queue: attempts started and how attempts ended, by record
	// kind (sales, receipt, cancel); queue_records is read from the store at
	// each scrape (queueCollector).
	queueAttempts *prometheus.CounterVec
	queueOutcomes *prometheus.CounterVec
	handler       echo.HandlerFunc
}

func newMetrics(counts func(context.Context) ([]service.QueueCount, error)) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests by method, route template and status.",
	}, []string{"method", "route", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds",
		Help: "HTTP request latency by method, route template and status.",
		// Chatbot platforms give up at 10 s; Tally reports take seconds.
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20},
	}, []string{"method", "route", "status"})
	m.tally = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tally_request_duration_seconds",
		Help:    "Tally gateway requests by kind and outcome, from sending to the end of the answer.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"kind", "outcome"})
	m.tallyQueue = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tally_gateway_queue_wait_seconds",
		Help:    "Time a Tally request waited for the one in flight (the gateway is serial).",
		Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	})
	m.sync = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "mirror_sync_duration_seconds",
		Help:    "Runs of the mirror's sync by kind (probe, incremental, initial, reconcile, check) and outcome.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900},
	}, []string{"kind", "outcome"})
	m.syncLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mirror_lag_seconds",
		Help: "How long ago the mirror of a company was last known to equal Tally, after the last sync run.",
	}, []string{"company"})
	m.agentRelay = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tally_agent_relay_duration_seconds",
		Help:    "Requests relayed over a connector agent's link, by agent and outcome: the link's round trip plus Tally's time.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"agent", "outcome"})
	m.queueAttempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "queue_attempts_total",
		Help: "Attempts at posting a stored record to Tally, by kind (sales, receipt, cancel).",
	}, []string{"kind"})
	m.queueOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "queue_outcomes_total",
		Help: "How posting attempts ended, by kind and outcome: posted, rejected, retry (scheduled again), needs_attention.",
	}, []string{"kind", "outcome"})
	m.reg.MustRegister(m.requests, m.latency, m.tally, m.tallyQueue, m.sync, m.syncLag, m.agentRelay, m.queueAttempts, m.queueOutcomes,
		queueCollector{count: counts, desc: prometheus.NewDesc("queue_records",
			"Stored records by kind (sales, receipt, cancel) and state (the whole store, the same from every replica).",
			[]string{"kind", "state"}, nil)},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// A store that cannot be counted fails queue_records only, not the
	// whole scrape.
	m.handler = echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return m
}

// queueCollector reads the stored orders and receipts by state at each
// scrape: the store is shared by replicas, so only it knows the counts.
type queueCollector struct {
	count func(context.Context) ([]service.QueueCount, error)
	desc  *prometheus.Desc
}

func (q queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := q.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.desc, err)
		return
	}
	n := map[service.QueueCount]int{}
	for _, c := range counts {
		n[service.QueueCount{Kind: c.Kind, State: c.State}] = c.N
	}
	// Every kind and state, zeros included: a state that empties reads 0
	// rather than vanishing.
	for _, kind := range service.RecordKinds() {
		for _, state := range service.OrderStates() {
			ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue,
				float64(n[service.QueueCount{Kind: kind, State: state}]), kind, string(state))
		}
	}
}

// QueueEvent is one step of the order queue, for metrics: an attempt
// started ("attempt") or ended ("posted", "rejected", "retry",
// "needs_attention"), of a record of kind Kind (service.RecordKind: sales,
// receipt, cancel).
type QueueEvent struct {
	Kind  string
	Event string
}

// ObserveQueue records a queue event as queue_attempts_total or
// queue_outcomes_total. It does not block.
func (s *Server) ObserveQueue(e QueueEvent) {
	if e.Event == "attempt" {
		s.metrics.queueAttempts.WithLabelValues(e.Kind).Inc()
		return
	}
	s.metrics.queueOutcomes.WithLabelValues(e.Kind, e.Event).Inc()
}

// TallyObservation is one Tally gateway request, for metrics. Its fields
// match tallyxml.Observation, so cmd can convert one to the other
// (api.TallyObservation(o)) without api importing tallyxml.
type TallyObservation struct {
	Kind      string        // the request kind ("export:object:Ledger", "status", …)
	Outcome   string        // "ok" or a short error label ("timeout", "refused", …)
	QueueWait time.Duration // time spent waiting for the request in flight
	Duration  time.Duration // time from sending to the end of the answer
}

// ObserveTally records a Tally gateway request as
// tally_request_duration_seconds{kind,outcome} and
// tally_gateway_queue_wait_seconds. It does not block, so it can be the
// Tally client's Observe hook.
func (s *Server) ObserveTally(o TallyObservation) {
	s.metrics.tally.WithLabelValues(o.Kind, o.Outcome).Observe(o.Duration.Seconds())
	s.metrics.tallyQueue.Observe(o.QueueWait.Seconds())
}

// observeMiddleware counts, times and logs every request: one access log
// line each, with the method, route template (never the path: it holds
// party names), status, duration, request id and the API key's name (never
// the key, never a body), plus the problem's code, and its detail or, for a
// 5xx, the cause. It hands an error to the error handler itself, so the
// status it records is the one the client got. Successful probes and
// scrapes (/healthz, /readyz, /metrics) are logged at Debug: an orchestrator
// polls them every few seconds.
func (s *Server) observeMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		code := c.Response().Status
		status := strconv.Itoa(code)
		route := s.routeLabel(c)
		method := methodLabel(c.Request().Method)
		s.metrics.requests.WithLabelValues(method, route, status).Inc()
		s.metrics.latency.WithLabelValues(method, route, status).Observe(took.Seconds())

		attrs := []slog.Attr{
			slog.String("request_id", requestID(c)),
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", code),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		}
		if name, ok := c.Get(keyKeyName).(string); ok {
			attrs = append(attrs, slog.String("key", name))
		}
		level := slog.LevelInfo
		if o, ok := c.Get(keyOutcome).(problemOutcome); ok {
			attrs = append(attrs, slog.String("code", o.code))
			if o.cause != nil {
				level = slog.LevelError
				attrs = append(attrs, slog.String("error", o.cause.Error()))
			} else {
				attrs = append(attrs, slog.String("detail", o.detail))
			}
		} else if probeRoutes[route] {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

// probeRoutes are polled by machines; their successes are logged at Debug.
var probeRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// methodLabel keeps the method label to the methods HTTP defines: a client
// can send any token as a method, and each would be a new series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// routeLabel is the route template, never the raw path, so party names do
// not explode the label cardinality.
// Echo leaves a partial match's path in c.Path() on a 404, so only
// registered templates count.
func (s *Server) routeLabel(c echo.Context) string {
	if _, ok := s.paths[c.Path()]; ok {
		return c.Path()
	}
	return "unmatched"
}

// metricsHandler serves Prometheus metrics.
//
//	@Summary		Prometheus metrics
//	@ID			getMetrics
//	@Description	Request counts and latencies by route template and status, Tally gateway request durations and queue waits, and the order queue: records by kind and state, attempts and outcomes. Open, like the probes.
//	@Tags			system
//	@Produce		plain
//	@Success		200	{string}	string	"Prometheus text exposition format"
//	@Security
//	@Router			/metrics [get]
func (s *Server) metricsHandler(c echo.Context) error { return s.metrics.handler(c) }
