package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
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
	v3.Servers = nil // ToV3 adds one from host/basePath; relative is what "Try it out" needs
	var d specDocs
	if d.swagger, err = json.MarshalIndent(&v2, "", "  "); err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI spec: %w", err)
	}
	if d.openapi, err = json.MarshalIndent(v3, "", "  "); err != nil {
		return specDocs{}, fmt.Errorf("api: OpenAPI 3 spec: %w", err)
	}
	return d, nil
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
// reloads, so the API key is typed once.
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
  <script>
    window.onload = function () {
      window.ui = SwaggerUIBundle({
        url: "../openapi/swagger.json",
        dom_id: "#swagger-ui",
        deepLinking: true,
        persistAuthorization: true,
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
        plugins: [SwaggerUIBundle.plugins.DownloadUrl],
        layout: "StandaloneLayout"
      });
    };
  </script>
</body>
</html>
`

// swaggerUI serves Swagger UI: our index page, and the UI's assets from
// swaggo/files. echo-swagger is not used: it reads the spec from swag's
// global registry (which api cannot fill, see Config.Spec) and redirects
// /swagger/ to a wrong path (swaggo/echo-swagger#55).
func (s *Server) swaggerUI(c echo.Context) error {
	file := c.Param("*")
	if file == "" || file == "index.html" {
		return c.HTML(http.StatusOK, swaggerIndex)
	}
	if strings.Contains(file, "..") || file == "swagger-initializer.js" {
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
