package api_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSwaggerUIUnderCSP loads Swagger UI in headless Chromium under the
// page's real Content-Security-Policy: the UI must render the operations of
// our spec (so its scripts ran and the spec was fetched), and Chromium must
// report no CSP violation. It skips where Chromium is not installed
// (apt-get install -y chromium).
func TestSwaggerUIUnderCSP(t *testing.T) {
	t.Parallel()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed")
	}
	b := setup(t, setupOpts{})
	ts := httptest.NewServer(b.srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// The flags keep Chromium off the network it cannot reach here and out
	// of any profile but a fresh one; --virtual-time-budget lets the page's
	// scripts and its fetch of the spec finish before the DOM is dumped.
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000",
		"--dump-dom", ts.URL+"/swagger/index.html")
	var dom, log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &dom, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, log.String())
	}
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, "Content Security Policy") || strings.Contains(l, "Refused to") {
			t.Errorf("CSP violation: %s", l)
		}
	}
	for _, want := range []string{`data-path="/parties/{name}/balance"`, `data-path="/orders"`, "tallyfacade"} {
		if !strings.Contains(dom.String(), want) {
			t.Errorf("Swagger UI did not render %s; page:\n%.2000s", want, dom.String())
		}
	}
}
