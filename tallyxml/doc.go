// Package tallyxml speaks TallyPrime's XML-over-HTTP gateway: it builds request
// envelopes, decodes what real Tally emits (tolerating its quirks), classifies
// outcomes into typed errors, and carries a gateway client that respects the
// gateway's one-request-at-a-time nature.
//
// The codec files (values, reader, envelope, decode, outcome) import nothing
// from this module, so they can be fuzzed and golden-tested alone. The quirks
// handled here are documented in docs/tally-protocol.md (at the repository root) and backed by
// the captures copied into testdata/.
package tallyxml
