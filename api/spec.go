package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	swaggerFiles "github.com/swaggo/files/v2"

	"github.com/tallyfacade/tallyfacade/service"
)

// specDocs are the documents served under /openapi/, built once.
type specDocs struct {
	swagger []byte // Swagger 2.0, as swag generated it (host cleared)
	openapi []byte // its OpenAPI 3 conversion
}

// loadSpec checks the swag output and converts it to OpenAPI 3 once, at
// start-up, so a broken spec fails the constructor rather than a request.
//
// Any host is dropped: without one, Swagger UI's "Try it out" calls the host
// the document came from, so it works behind any proxy or port
// (ecosystem.md §5.3).
func loadSpec(spec []byte) (specDocs, error) {
	if len(spec) == 0 {
		return specDocs{}, errors.New("api: no OpenAPI spec (pass openapi.SwaggerInfo.ReadDoc() as Config.Spec)")
	}
	var v2 openapi2.T
	if err := json.Unmarshal(spec, &v2); err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI spec: %w", err)
	}
	v2.Host = ""
	v2.Schemes = nil
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI 3 conversion: %w", err)
	}
	// ToV3 adds a server from host and basePath; "/" is relative to
	// wherever the document was served from, which is what "Try it out" needs.
	v3.Servers = openapi3.Servers{{URL: "/", Description: "the host serving this document"}}
	refineV3(v3)
	var d specDocs
	if d.swagger, err = json.MarshalIndent(&v2, "", "  "); err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI spec: %w", err)
	}
	if d.openapi, err = json.MarshalIndent(v3, "", "  "); err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI 3 spec: %w", err)
	}
	return d, nil
}

// Media types of the answers: success is JSON, every error a problem.
const (
	mimeJSON    = echo.MIMEApplicationJSON
	mimeProblem = "application/problem+json"
)

// moneyPattern is the form of every money string in an answer: exactly two
// decimals, a minus for a negative amount.
const moneyPattern = `^-?\d+\.\d{2}$`

// refineV3 says in the OpenAPI 3 document what Swagger 2.0, and so swag v1,
// cannot:
//   - Swagger 2.0 has one produces list per operation, so swag lists JSON and
//     problem+json for every answer, and client generators then look for a
//     404 under both (oapi-codegen fills ApplicationproblemJSON404 and leaves
//     JSON404 nil). Here a success is application/json only and an error
//     application/problem+json only.
//   - Swagger 2.0 has no bearer scheme: BearerAuth becomes type http, scheme
//     bearer, so clients and Swagger UI add "Bearer " themselves.
//   - swag v1 has no pattern tag (it came in swag v2, swaggo/swag#1553):
//     every format: decimal string (money in answers) gets moneyPattern.
//   - swag gives each error status the same Problem example: each gets its
//     own, built from the first code its description names.
//   - Swagger 2.0 has no example on a query, path or header parameter: the
//     annotations give x-example (the Swagger 2.0 convention), which
//     becomes the parameter's example.
//   - swag writes a nullable object property as x-nullable beside allOf
//     [$ref]; OpenAPI 3.0 wants a type beside nullable, so it gets object.
//   - A success a client can also have as a PDF document (Accept:
//     application/pdf) shares the JSON answer's schema in Swagger 2.0: the
//     PDF gets a binary string.
//   - A property that is an object comes out as allOf [$ref] (swag keeps
//     its description so), which some renderers show as "string": each JSON
//     answer gets a whole example composed from its properties' examples.
//
// It runs once at start-up over swag's output, so the document is
// reproducible from the annotations; TestOpenAPI3 -openapi3-out writes it
// for the linters in .ci/run, and TestContract checks real answers with it.
func refineV3(doc *openapi3.T) {
	if ss := doc.Components.SecuritySchemes["BearerAuth"]; ss != nil && ss.Value != nil {
		ss.Value = &openapi3.SecurityScheme{Type: "http", Scheme: "bearer",
			Description: "The same API key as a bearer token: Authorization: Bearer KEY. Swagger UI and generated clients add the Bearer prefix."}
	}
	for _, ref := range doc.Components.Schemas {
		addMoneyPattern(ref, map[*openapi3.Schema]bool{})
	}
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if ex, ok := p.Value.Extensions["x-example"]; ok {
					p.Value.Example = paramExample(ex, p.Value.Schema)
					delete(p.Value.Extensions, "x-example")
				}
			}
			for status, rr := range op.Responses.Map() {
				if rr.Value != nil {
					refineResponse(path, status, rr.Value)
				}
			}
		}
	}
}

// refineResponse keeps one media type per answer and sets its example.
func refineResponse(path, status string, r *openapi3.Response) {
	code, _ := strconv.Atoi(status)
	if code >= 400 {
		mt := r.Content[mimeProblem]
		if mt == nil {
			mt = r.Content[mimeJSON]
		}
		if mt == nil {
			return
		}
		mt.Example = problemExample(path, code, deref(r.Description))
		r.Content = openapi3.Content{mimeProblem: mt}
		return
	}
	delete(r.Content, mimeProblem)
	if mt := r.Content[mimePDF]; mt != nil {
		mt.Schema = openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Format: "binary",
			Description: "The document as a PDF file (Content-Disposition: attachment)."})
		mt.Example = nil
	}
	if mt := r.Content[mimeJSON]; mt != nil && mt.Schema != nil && mt.Example == nil {
		if ex, ok := composeExample(mt.Schema, 0).(map[string]any); ok && len(ex) > 0 {
			mt.Example = ex
		}
	}
}

// exampleDetail is the detail shown in the example of the first code a 4xx
// answer names (a 5xx shows the generic detail it carries).
var exampleDetail = map[string]string{
	"unauthenticated":           "An API key is required.",
	"unknown_company":           "Company 'XYZ Ltd' is not loaded in Tally (or does not exist).",
	"party_not_found":           "party 'Rajesh Enterprise' does not exist in 'ABC Traders'",
	"order_not_found":           "order 0f8fad5b-d9cb-469f-a165-70867728950e not found",
	"import_not_found":          `no import "17"`,
	"malformed_query":           "The query string is not valid percent-encoding. Percent-encode names (a space as %20, & as %26, ; as %3B).",
	"malformed_json":            "The body is not valid JSON.",
	"invalid_request":           "The request is well-formed but some fields are invalid; see errors.",
	"invalid_name":              "name must not hold invisible or text-direction characters",
	"unsupported_media_type":    "Send the body as application/json.",
	"body_too_large":            "The request body is larger than 1048576 bytes.",
	"party_exists":              "party 'Rajesh Enterprises' already exists",
	"idempotency_key_in_flight": "A request with this Idempotency-Key is still running; send it again shortly.",
	"order_state":               "only needs_attention and rejected orders can be retried",
	"whatsapp_not_configured":   "The WhatsApp webhook is not configured.",
	"verify_token_mismatch":     "hub.verify_token does not match WHATSAPP_VERIFY_TOKEN.",
	"invalid_signature":         "X-Hub-Signature-256 is missing or does not match the body.",
	"malformed_webhook":         "The notification is not a WhatsApp Cloud API envelope.",
	"books_not_synced":          "the books of company 'ABC Traders' have not been read from Tally yet",
	"voucher_not_found":         "no voucher 17 in company 'ABC Traders'",
	"not_an_invoice":            "Only a Sales voucher can be had as a PDF invoice; this one is Receipt. Ask for JSON instead.",
	"invalid_period":            "from (2026-06-01) is after to (2026-05-01)",
	"mirror_off":                "this read needs the mirror of the books, which is off without a pinned company",
}

// firstCode is the code an error answer's description starts with
// ("party_not_found, unknown_company" names party_not_found).
var firstCode = regexp.MustCompile(`^[a-z][a-z0-9_]*`)

// problemExample is an example body for an error answer of path.
func problemExample(path string, status int, description string) map[string]any {
	code := firstCode.FindString(description)
	if code == "" {
		code = echoCode(status)
	}
	// As problemFor writes them: a 5xx carries its code's generic detail.
	detail, ok := genericDetail[code]
	switch {
	case ok:
	case status >= 500:
		detail = genericDetail["internal"]
	default:
		if detail, ok = exampleDetail[code]; !ok {
			detail = http.StatusText(status)
		}
	}
	return map[string]any{
		"type": "urn:tallyfacade:problem:" + code, "title": http.StatusText(status), "status": status,
		"code": code, "detail": detail, "instance": path, "request_id": "5f0c6a1e9b3d4c2a8e7f6b5a4c3d2e1f",
	}
}

// composeExample builds an example of a schema from the examples of its
// parts: objects from their properties, arrays from their items. A part
// without an example gets its type's zero value (its first enum value), so
// the example has every property the schema requires.
func composeExample(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 20 { // no schema here nests deeper; a bound against a cycle
		return nil
	}
	sc := ref.Value
	if sc.Example != nil {
		return sc.Example
	}
	if len(sc.AllOf) > 0 {
		merged := map[string]any{}
		for _, part := range sc.AllOf {
			if m, ok := composeExample(part, depth+1).(map[string]any); ok {
				maps.Copy(merged, m)
			}
		}
		return merged
	}
	switch {
	case len(sc.Enum) > 0:
		return sc.Enum[0]
	case sc.Type.Is(openapi3.TypeObject) || len(sc.Properties) > 0:
		out := map[string]any{}
		for name, p := range sc.Properties {
			if v := composeExample(p, depth+1); v != nil {
				out[name] = v
			}
		}
		return out
	case sc.Type.Is(openapi3.TypeArray):
		if v := composeExample(sc.Items, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	case sc.Type.Is(openapi3.TypeString):
		return ""
	case sc.Type.Is(openapi3.TypeBoolean):
		return false
	case sc.Type.Is(openapi3.TypeInteger), sc.Type.Is(openapi3.TypeNumber):
		return 0
	}
	return nil
}

// addMoneyPattern gives every money string under ref its pattern, and a
// nullable allOf its type.
func addMoneyPattern(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	sc := ref.Value
	seen[sc] = true
	if sc.Type.Is(openapi3.TypeString) && sc.Format == "decimal" {
		sc.Pattern = moneyPattern
	}
	if sc.Nullable && sc.Type.IsEmpty() && len(sc.AllOf) > 0 {
		sc.Type = &openapi3.Types{openapi3.TypeObject}
	}
	for _, p := range sc.Properties {
		addMoneyPattern(p, seen)
	}
	addMoneyPattern(sc.Items, seen)
	for _, part := range sc.AllOf {
		addMoneyPattern(part, seen)
	}
}

// paramExample types an x-example, which swag always writes as a string,
// as its parameter's schema says.
func paramExample(ex any, sc *openapi3.SchemaRef) any {
	str, ok := ex.(string)
	if !ok || sc == nil || sc.Value == nil {
		return ex
	}
	switch {
	case sc.Value.Type.Is(openapi3.TypeInteger):
		if n, err := strconv.ParseInt(str, 10, 64); err == nil {
			return n
		}
	case sc.Value.Type.Is(openapi3.TypeBoolean):
		if b, err := strconv.ParseBool(str); err == nil {
			return b
		}
	}
	return ex
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// swaggerJSON serves the Swagger 2.0 spec.
//
//	@Summary		OpenAPI spec (Swagger 2.0)
//	@ID			getSwaggerSpec
//	@Description	The API description as swag generated it. Open.
//	@Tags			docs
//	@Produce		json
//	@Success		200	{object}	object
//	@Security
//	@Router			/openapi/swagger.json [get]
func (s *Server) swaggerJSON(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.spec.swagger)
}

// openAPIJSON serves the OpenAPI 3 conversion of the spec.
//
//	@Summary		OpenAPI spec (OpenAPI 3)
//	@ID			getOpenAPISpec
//	@Description	The same API description converted to OpenAPI 3. Open.
//	@Tags			docs
//	@Produce		json
//	@Success		200	{object}	object
//	@Security
//	@Router			/openapi/openapi.json [get]
func (s *Server) openAPIJSON(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.spec.openapi)
}

// swaggerRedirect sends /swagger to /swagger/, where the UI's relative asset
// links resolve.
func (s *Server) swaggerRedirect(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/swagger/")
}

// swaggerIndex is Swagger UI's page, pointed at our spec by a relative URL
// (so it works under any host or prefix) with authorization persisted across
// reloads, so the API key is typed once. It shows the OpenAPI 3 document,
// which says what Swagger 2.0 cannot (a bearer scheme, problem+json for
// errors only; see refineV3).
const swaggerIndex = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>tallyfacade API</title>
  <link rel="stylesheet" type="text/css" href="./swagger-ui.css">
  <link rel="stylesheet" type="text/css" href="./index.css">
  <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="./swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="./swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script src="./swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
`

// swaggerInitializer starts Swagger UI; it is a file, not an inline script,
// so the page's Content-Security-Policy (swaggerCSP) allows scripts from this
// origin only. It replaces swaggo/files' own, which loads the petstore.
const swaggerInitializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "../openapi/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
`

// swaggerUI serves Swagger UI: our index page, and the UI's assets from
// swaggo/files. echo-swagger is not used: it reads the spec from swag's
// global registry (which api cannot fill, see Config.Spec) and redirects
// /swagger/ to a wrong path (swaggo/echo-swagger#55).
func (s *Server) swaggerUI(c echo.Context) error {
	file := c.Param("*")
	if file == "" || file == "index.html" {
		c.Response().Header().Set(echo.HeaderContentSecurityPolicy, swaggerCSP)
		return c.HTML(http.StatusOK, swaggerIndex)
	}
	if file == "swagger-initializer.js" {
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte(swaggerInitializer))
	}
	if strings.Contains(file, "..") {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(swaggerFiles.FS, file)
	if err != nil {
		return echo.ErrNotFound
	}
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(file, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(file, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(file, ".png"):
		ct = "image/png"
	case strings.HasSuffix(file, ".html"):
		ct = echo.MIMETextHTMLCharsetUTF8
	case strings.HasSuffix(file, ".map"):
		ct = echo.MIMEApplicationJSON
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, ct, b)
}

// notReady turns a readiness failure into a 503 problem: an Unavailable
// error keeps its own code (tally_unreachable, company_not_loaded, …) and
// hint; anything else is the generic not_ready.
func notReady(err error) error {
	if service.KindOf(err) == service.Unavailable {
		return err
	}
	return &service.Error{Kind: service.Unavailable, Code: "not_ready", Message: "not ready", Err: err}
}
