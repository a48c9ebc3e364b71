// Package api is tallyfacade's HTTP interface: echo routes, request and
// response DTOs, the single error handler that writes RFC 9457 problems,
// authentication, metrics and the OpenAPI spec with Swagger UI.
//
// It depends on service only. The swag-generated spec lives in the openapi
// package, which api may not import (service/deps_test.go: api depends only
// on service), so cmd hands the spec to New through Config.Spec.
//
// Regenerate the spec after changing an annotation or a DTO:
//
//	go tool swag init -g doc.go -d api -o openapi --outputTypes json,yaml
//
// TestOpenAPIUpToDate fails when openapi/ is stale.
//
// Response DTOs tag every field that is always in the JSON (no omitempty)
// with validate:"required". Nothing validates a response: the tag is how
// swag marks the property required, so generated clients do not make every
// field optional. Money in responses is format:"decimal", which the
// OpenAPI 3 document gives its pattern (spec.go).
//
//	@title						tallyfacade
//	@version					0.1.0
//	@description				A REST/JSON façade for TallyPrime: party balances, receivables, the trial balance, new parties and sales orders, for chatbot HTTP steps and people.
//	@description
//	@description				Money is a JSON string with exactly two decimals ("48500.00"), never a float. Balances carry a side, Dr or Cr, and a signed amount where positive means the party owes us (a debit balance in Tally); this is the opposite of Tally's own XML sign.
//	@description
//	@description				Party names are Tally ledger names and may contain spaces, &, /, apostrophes and non-Latin letters: percent-encode them in paths (a slash as %2F).
//	@description
//	@description				Errors are application/problem+json (RFC 9457) with a stable `code`.
//	@BasePath					/
//
//	@tag.name					parties
//	@tag.description			Party ledgers (customers and suppliers): list, read, balance, create.
//	@tag.name					items
//	@tag.description			Stock items: the catalogue an order's lines can name, with closing quantities.
//	@tag.name					orders
//	@tag.description			Sales orders posted to Tally as Sales vouchers through the durable queue, and their state.
//	@tag.name					receipts
//	@tag.description			Payments received, posted to Tally as Receipt vouchers through the same queue.
//	@tag.name					reports
//	@tag.description			Outstanding bills (receivables) and the trial balance, as Tally computes them.
//	@tag.name					vouchers
//	@tag.description			The day book from the mirror of the books: vouchers by date, one voucher whole, a sales invoice as a PDF copy.
//	@tag.name					reminders
//	@tag.description			Payment reminders from the overdue bills, and sending them by WhatsApp or a chatbot webhook.
//	@tag.name					whatsapp
//	@tag.description			Meta's WhatsApp Cloud API webhook: orders in, authenticated by Meta's signature instead of an API key.
//	@tag.name					tally
//	@tag.description			What Tally has loaded and whether it answers.
//	@tag.name					imports
//	@tag.description			The audit log: every write sent to Tally, what was sent and what Tally said.
//	@tag.name					system
//	@tag.description			Probes and metrics for operators. Open.
//	@tag.name					docs
//	@tag.description			This API description. Open.
//
//	@securityDefinitions.apikey	ApiKeyAuth
//	@in							header
//	@name						X-API-Key
//	@description				An API key configured in tallyfacade (TALLYFACADE_API_KEYS), sent as the X-API-Key header.
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				The same API key as a bearer token. The OpenAPI 3 document (/openapi/openapi.json, the one Swagger UI shows) declares this as an HTTP bearer scheme, so clients and Swagger UI add the `Bearer ` prefix themselves. Swagger 2.0 has no bearer scheme, so this Swagger 2.0 document declares the Authorization header as an API key: its value must be the whole `Bearer KEY`.
package api
