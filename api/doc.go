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
//	go tool swag init -g doc.go -d api -o openapi --outputTypes go,json,yaml --packageName openapi
//
// TestOpenAPIUpToDate fails when openapi/ is stale.
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
//	@securityDefinitions.apikey	ApiKeyAuth
//	@in							header
//	@name						X-API-Key
//	@description				An API key configured in tallyfacade.
//	@securityDefinitions.apikey	BearerAuth
//	@in							header
//	@name						Authorization
//	@description				The same API key as "Bearer <key>".
package api
