// Package agentlink is the outbound connector between a hosted tallyfacade
// and a Tally that no one can reach from outside: `tallyfacade agent` runs on
// the Tally PC, dials out to the façade over a WebSocket (TLS verified), and
// relays the façade's gateway requests to its local Tally, so the Tally PC
// needs no open port and no tunnel (the seed guide's "outbound connector",
// the bridge it calls the safest).
//
// The link is a transport, nothing more: Hub.Transport(name) is the
// http.RoundTripper a tallyxml.Client uses for TALLY_URL=agent://NAME, so
// every promise of the client carries over unchanged: one request in flight
// to a Tally, the queue wait, the typed errors, no retry of a write. The link
// maps its own failures onto the same kinds: an agent that is not connected
// is tallyxml.ErrUnreachable (nothing was sent), a link that breaks after a
// request went out is a reset, which the client reports as ambiguous for a
// write (read back before resending), and an error the agent met talking to
// Tally comes back as the kind a direct client would have seen.
//
// # Wire
//
// The agent dials GET Path with `Authorization: Bearer <token>` and its name
// and version in HeaderName and HeaderVersion; the hub answers 401 to a wrong
// name or token and 409 while another agent of that name is connected. Each
// message is binary: a 4-byte big-endian length, a JSON header of that
// length, then the body, which is Tally's bytes untouched (the charset and
// every quirk reach the codec exactly as Tally wrote them). A request header
// carries an id, the method, the Content-Type and what is left of the
// caller's deadline; the answer carries the same id and either Tally's HTTP
// status and Content-Type, or an error code (a tallyxml transport kind label,
// or read_only). Both ends ping every heartbeat interval and drop a link
// whose pong does not come back within the next, so a dead link is noticed
// within two intervals (10 s by default); the agent then reconnects with
// capped, jittered exponential backoff.
//
// The agent forwards only what a gateway client sends: a POST of XML
// (text/xml or application/xml, at most MaxRequest bytes) or the bodiless
// liveness GET, always to its own configured Tally URL (a request names no
// URL) and with no header but Content-Type. With ReadOnly it judges each
// request with tallyxml.RequestVerb and refuses anything but an export.
package agentlink
