package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
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

func TestOpenAPI3(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	r := b.do(t, call{target: "/openapi/openapi.json", noKey: true})
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
		{"/swagger/", "text/html", "../openapi/swagger.json", http.StatusOK},
		{"/swagger/index.html", "text/html", "SwaggerUIBundle", http.StatusOK},
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
