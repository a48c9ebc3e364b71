package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestSpecListsEveryRoute checks the served Swagger 2.0 spec against echo's
// routing table, so an endpoint cannot ship undocumented (or a documented
// one go missing).
func TestSpecListsEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	r := b.do(t, call{target: "/openapi/swagger.json", noKey: true})
	if r.status != http.StatusOK {
		t.Fatalf("swagger.json: %d", r.status)
	}
	var spec struct {
		Swagger             string                                `json:"swagger"`
		Host                string                                `json:"host"`
		Paths               map[string]map[string]json.RawMessage `json:"paths"`
		SecurityDefinitions map[string]any                        `json:"securityDefinitions"`
	}
	if err := json.Unmarshal(r.body, &spec); err != nil {
		t.Fatalf("swagger.json is not JSON: %v", err)
	}
	if spec.Swagger != "2.0" || spec.Host != "" {
		t.Errorf("swagger %q host %q: want 2.0 and no host (Try it out must call the serving host)", spec.Swagger, spec.Host)
	}
	for _, name := range []string{"ApiKeyAuth", "BearerAuth"} {
		if spec.SecurityDefinitions[name] == nil {
			t.Errorf("no %s security definition (Swagger UI's Authorize button)", name)
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	routes := map[string]bool{}
	for _, rt := range b.srv.Echo().Routes() {
		if strings.HasPrefix(rt.Path, "/swagger") || strings.HasPrefix(rt.Path, "/test/") {
			continue // the UI's own pages, not API operations
		}
		key := strings.ToLower(rt.Method) + " " + param.ReplaceAllString(rt.Path, "{$1}")
		routes[key] = true
	}
	documented := map[string]bool{}
	for path, ops := range spec.Paths {
		for method := range ops {
			documented[method+" "+path] = true
		}
	}
	for k := range routes {
		if !documented[k] {
			t.Errorf("route %s is not in swagger.json", k)
		}
	}
	for k := range documented {
		if !routes[k] {
			t.Errorf("swagger.json documents %s, which echo does not route", k)
		}
	}
	if len(routes) < 14 {
		t.Errorf("only %d routes found", len(routes))
	}
}

var openapi3Out = flag.String("openapi3-out", "", "write the served OpenAPI 3 document to this file (.ci/run lints it)")

// TestOpenAPI3 checks the OpenAPI 3 document the server serves: it is a
// valid document (examples included), and what refineV3 adds is there.
// With -openapi3-out it writes the document, for the linters in .ci/run.
func TestOpenAPI3(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	r := b.do(t, call{target: "/openapi/openapi.json", noKey: true})
	if *openapi3Out != "" {
		if err := os.WriteFile(*openapi3Out, r.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loaded, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := loaded.Validate(t.Context()); err != nil {
		t.Errorf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	if bearer := loaded.Components.SecuritySchemes["BearerAuth"]; bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" {
		t.Errorf("BearerAuth is not an HTTP bearer scheme: %+v", bearer)
	}
	for path, item := range loaded.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			for status, rr := range op.Responses.Map() {
				want := "application/json"
				if status >= "400" {
					want = "application/problem+json"
				}
				for ct := range rr.Value.Content {
					if ct != want && (ct == "application/json" || ct == "application/problem+json") {
						t.Errorf("%s %s %s: %s; want %s only", method, path, status, ct, want)
					}
				}
			}
		}
	}
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas         map[string]any `json:"schemas"`
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/parties/{name}/balance"]["get"] == nil ||
		doc.Components.Schemas["api.BalanceResponse"] == nil || doc.Components.SecuritySchemes["ApiKeyAuth"] == nil {
		t.Errorf("openapi.json: version %q, %d paths, %d schemas", doc.OpenAPI, len(doc.Paths), len(doc.Components.Schemas))
	}
}

func TestSwaggerUI(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	for _, tc := range []struct {
		target, wantType, wantBody string
		wantStatus                 int
	}{
		{"/swagger/", "text/html", "./swagger-initializer.js", http.StatusOK},
		{"/swagger/index.html", "text/html", "./swagger-ui-bundle.js", http.StatusOK},
		{"/swagger/swagger-initializer.js", "text/javascript", "../openapi/openapi.json", http.StatusOK},
		{"/swagger/swagger-ui-bundle.js", "text/javascript", "", http.StatusOK},
		{"/swagger/swagger-ui.css", "text/css", "", http.StatusOK},
		{"/swagger", "", "", http.StatusMovedPermanently},
		{"/swagger/nope.js", "application/problem+json", "route_not_found", http.StatusNotFound},
	} {
		r := b.do(t, call{target: tc.target, noKey: true})
		if r.status != tc.wantStatus || !strings.HasPrefix(r.header.Get("Content-Type"), tc.wantType) || !bytes.Contains(r.body, []byte(tc.wantBody)) {
			t.Errorf("%s: %d %q (%d bytes); want %d %s containing %q", tc.target, r.status, r.header.Get("Content-Type"), len(r.body),
				tc.wantStatus, tc.wantType, tc.wantBody)
		}
	}
}

// TestOpenAPIUpToDate regenerates the spec into a temporary directory and
// compares it with the committed openapi/: a changed annotation or DTO must
// come with a regenerated spec. CI runs the same check.
func TestOpenAPIUpToDate(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("go", "tool", "-n", "swag").CombinedOutput(); err != nil {
		t.Skipf("go tool swag is not runnable here (%v: %s); CI checks the spec", err, bytes.TrimSpace(out))
	}
	tmp := t.TempDir()
	cmd := exec.Command("go", "tool", "swag", "init", "--quiet", "-g", "doc.go", "-d", "api", "-o", tmp, "--outputTypes", "json,yaml")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("swag init: %v\n%s", err, out)
	}
	var stale []string
	for _, name := range []string{"swagger.json", "swagger.yaml"} {
		want, err := os.ReadFile(filepath.Join(tmp, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, "openapi", name))
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	if len(stale) > 0 {
		slices.Sort(stale)
		t.Errorf("openapi/ is stale (%s); regenerate it from the module root with:\n"+
			"\tgo tool swag init -g doc.go -d api -o openapi --outputTypes json,yaml", strings.Join(stale, ", "))
	}
}
