package service_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tallyfacade/tallyfacade"

// TestDependencyDirection enforces the layering of DEVELOPERS.md rule 1: cmd
// wires everything; api, store and tallyxml depend on service; service imports
// none of them, and each adapter keeps its library to itself.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}`, module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	type rule struct {
		name    string
		applies func(pkg string) bool
		forbid  func(imp string) bool
	}
	under := func(dir string) func(string) bool {
		return func(p string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	}
	not := func(f func(string) bool) func(string) bool { return func(p string) bool { return !f(p) } }
	anyOf := func(fs ...func(string) bool) func(string) bool {
		return func(p string) bool {
			for _, f := range fs {
				if f(p) {
					return true
				}
			}
			return false
		}
	}
	prefix := func(ps ...string) func(string) bool {
		return func(p string) bool {
			for _, q := range ps {
				if p == q || strings.HasPrefix(p, q+"/") {
					return true
				}
			}
			return false
		}
	}
	inModule := prefix(module)
	rules := []rule{
		{"service is plain Go", under("service"), anyOf(inModule, prefix("encoding/xml", "github.com/labstack", "github.com/jackc", "github.com/swaggo", "github.com/go-playground", "net/http"))},
		{"tallyxml depends only on service", under("tallyxml"), func(p string) bool { return inModule(p) && !under("service")(p) && !under("tallyxml")(p) }},
		{"store depends only on service and migrations", under("store"), func(p string) bool {
			return inModule(p) && !under("service")(p) && !under("store")(p) && !under("migrations")(p)
		}},
		{"api depends only on service", under("api"), func(p string) bool { return inModule(p) && !under("service")(p) && !under("api")(p) }},
		{"nothing imports cmd", not(under("cmd")), under("cmd")},
		{"encoding/xml stays in tallyxml", not(under("tallyxml")), prefix("encoding/xml")},
		{"pgx stays in store and cmd", not(anyOf(under("store"), under("cmd"))), prefix("github.com/jackc/pgx")},
		{"echo, swag and validator stay in api and cmd", not(anyOf(under("api"), under("cmd"), under("openapi"))), prefix("github.com/labstack", "github.com/swaggo", "github.com/go-playground")},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, "|")
		for _, imp := range strings.Fields(imports) {
			for _, r := range rules {
				if r.applies(pkg) && r.forbid(imp) {
					t.Errorf("%s: %s imports %s", r.name, pkg, imp)
				}
			}
		}
	}
}
