package api

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// AgentStatus is one outbound connector agent (`tallyfacade agent`), as the
// hub it dials knows it. cmd converts agentlink's status into it, so api
// does not import tallyxml.
type AgentStatus struct {
	Name          string
	Connected     bool
	Since         time.Time // connected since, or disconnected since; zero if never seen
	LastHeartbeat time.Time
	Version       string
	RTT           time.Duration
}

// AgentJSON is one connector agent in /tally/status, /readyz and their
// problems.
type AgentJSON struct {
	// The agent's name, as in TALLY_URL=agent://NAME.
	Name string `json:"name" validate:"required" example:"shop1"`
	// Tells whether the agent's link is up.
	Connected bool `json:"connected" validate:"required" example:"true"`
	// When the link came up or, when it is down, went down (RFC 3339); absent if the agent has not connected since the service started.
	Since string `json:"since,omitempty" example:"2026-06-23T09:30:00Z"`
	// When a heartbeat last crossed the link (RFC 3339).
	LastHeartbeat string `json:"last_heartbeat,omitempty" example:"2026-06-23T10:15:05Z"`
	// The agent's build.
	Version string `json:"version,omitempty" example:"v1.4.0"`
	// The last heartbeat's round trip, in milliseconds.
	RTTMillis float64 `json:"rtt_ms,omitempty" example:"38.5"`
}

// AgentRelayObservation is one request relayed over an agent's link.
type AgentRelayObservation struct {
	Agent    string
	Outcome  string        // "ok", or a short label ("unreachable", "link_lost", "timeout", "read_only", …)
	Duration time.Duration // from sending to the answer: the link's round trip plus Tally's time
}

// ObserveAgentRelay records a relayed request as
// tally_agent_relay_duration_seconds{agent,outcome}. It does not block, so
// it can be the hub's Observe hook.
func (s *Server) ObserveAgentRelay(o AgentRelayObservation) {
	s.metrics.agentRelay.WithLabelValues(o.Agent, o.Outcome).Observe(o.Duration.Seconds())
}

func (s *Server) agentsJSON() []AgentJSON {
	if s.agents == nil {
		return nil
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	var out []AgentJSON
	for _, a := range s.agents() {
		out = append(out, AgentJSON{Name: a.Name, Connected: a.Connected, Since: stamp(a.Since),
			LastHeartbeat: stamp(a.LastHeartbeat), Version: a.Version, RTTMillis: float64(a.RTT.Microseconds()) / 1000})
	}
	return out
}

// withAgents attaches the agents' state to a failure of /tally/status or
// /readyz: when Tally cannot be reached through an agent, whether the agent
// is connected is the first thing to know.
func (s *Server) withAgents(err error) error {
	if s.agents == nil || err == nil {
		return err
	}
	return &agentsError{err: err, agents: s.agentsJSON()}
}

type agentsError struct {
	err    error
	agents []AgentJSON
}

func (e *agentsError) Error() string { return e.err.Error() }
func (e *agentsError) Unwrap() error { return e.err }

func problemAgents(err error) []AgentJSON {
	if ae, ok := errors.AsType[*agentsError](err); ok {
		return ae.agents
	}
	return nil
}

// agentCollector exports each agent's link state at scrape time.
type agentCollector struct {
	agents               func() []AgentStatus
	connected, rtt, beat *prometheus.Desc
}

func newAgentCollector(agents func() []AgentStatus) *agentCollector {
	return &agentCollector{agents: agents,
		connected: prometheus.NewDesc("tally_agent_connected", "1 while the connector agent's link is up, else 0.", []string{"agent"}, nil),
		rtt:       prometheus.NewDesc("tally_agent_rtt_seconds", "Round trip of the agent link's last heartbeat.", []string{"agent"}, nil),
		beat:      prometheus.NewDesc("tally_agent_last_heartbeat_timestamp_seconds", "When a heartbeat last crossed the agent's link (Unix time).", []string{"agent"}, nil),
	}
}

func (c *agentCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.connected
	ch <- c.rtt
	ch <- c.beat
}

func (c *agentCollector) Collect(ch chan<- prometheus.Metric) {
	for _, a := range c.agents() {
		up := 0.0
		if a.Connected {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, up, a.Name)
		if a.Connected {
			ch <- prometheus.MustNewConstMetric(c.rtt, prometheus.GaugeValue, a.RTT.Seconds(), a.Name)
		}
		if !a.LastHeartbeat.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.beat, prometheus.GaugeValue, float64(a.LastHeartbeat.UnixNano())/1e9, a.Name)
		}
	}
}
