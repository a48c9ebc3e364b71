package agentlink

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		names   []string
		wantErr string
	}{
		{"", []string{}, ""},
		{" shop1:0123456789abcdef , shop-2.b:fedcba9876543210 ", []string{"shop-2.b", "shop1"}, ""},
		{"shop1:a:b:0123456789abcdef", []string{"shop1"}, ""}, // the token is everything after the first colon
		{"shop1", nil, "want name:token"},
		{"shop 1:0123456789abcdef", nil, "name"},
		{"shop1:short-secret", nil, "shorter than 16"},
		{"shop1:0123456789abcdef,shop1:fedcba9876543210", nil, "named twice"},
	} {
		tok, err := ParseTokens(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: %v; want %q", tc.in, err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "short-secret") || strings.Contains(err.Error(), "abcdef")) {
				t.Errorf("%q: the error quotes a token: %v", tc.in, err)
			}
			continue
		}
		if err != nil || strings.Join(tok.Names(), ",") != strings.Join(tc.names, ",") {
			t.Errorf("%q: %v, %v; want %v", tc.in, tok.Names(), err, tc.names)
		}
	}
	tok, _ := ParseTokens("shop1:0123456789abcdef")
	for _, tc := range []struct {
		name, token string
		ok          bool
	}{
		{"shop1", "0123456789abcdef", true},
		{"shop1", "0123456789abcdeF", false},
		{"shop1", "", false},
		{"shop2", "0123456789abcdef", false},
		{"", "", false},
	} {
		if got := tok.check(tc.name, tc.token); got != tc.ok {
			t.Errorf("check(%q, %q) = %v", tc.name, tc.token, got)
		}
	}
}

// TestRelayRefuses: the agent relays nothing but gateway requests.
func TestRelayRefuses(t *testing.T) {
	t.Parallel()
	a, err := NewAgent(AgentConfig{Server: "https://facade.example", Name: "shop1", Token: "0123456789abcdef",
		TallyURL: "http://127.0.0.1:1"}) // nothing listens: a relayed request would fail as refused
	if err != nil {
		t.Fatal(err)
	}
	xml := "text/xml; charset=utf-8"
	for _, tc := range []struct {
		name   string
		h      header
		body   string
		status int
	}{
		{"DELETE", header{Method: http.MethodDelete, ContentType: xml}, "", http.StatusMethodNotAllowed},
		{"PUT", header{Method: http.MethodPut, ContentType: xml}, "<ENVELOPE/>", http.StatusMethodNotAllowed},
		{"JSON", header{Method: http.MethodPost, ContentType: "application/json"}, "{}", http.StatusUnsupportedMediaType},
		{"no content type", header{Method: http.MethodPost}, "<ENVELOPE/>", http.StatusUnsupportedMediaType},
		{"GET with a body", header{Method: http.MethodGet}, "<ENVELOPE/>", http.StatusBadRequest},
		{"too large", header{Method: http.MethodPost, ContentType: xml}, strings.Repeat("x", MaxRequest+1), http.StatusRequestEntityTooLarge},
	} {
		tc.h.Type, tc.h.ID = frameRequest, 7
		got, _ := a.relay(context.Background(), tc.h, []byte(tc.body))
		if got.Type != frameAnswer || got.Status != tc.status || got.ID != 7 {
			t.Errorf("%s: %+v; want status %d", tc.name, got, tc.status)
		}
	}
	got, _ := a.relay(context.Background(), header{Type: frameRequest, ID: 8, Method: http.MethodPost, ContentType: xml}, []byte("<ENVELOPE/>"))
	if got.Type != frameError || got.Code != "refused" {
		t.Errorf("a gateway request: %+v; want relayed (and refused by the closed port)", got)
	}
}

func TestLinkURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"https://facade.example", "https://facade.example/agent/link"},
		{"https://facade.example/tally/", "https://facade.example/tally/agent/link"},
		{"wss://user:pw@facade.example:8443?x=1", "https://facade.example:8443/agent/link"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/agent/link"},
		{"http://localhost:8080", "http://localhost:8080/agent/link"},
		{"http://facade.example", ""}, // the token would travel in clear
		{"ftp://facade.example", ""},
		{"facade.example", ""},
	} {
		got, err := linkURL(tc.in)
		if (tc.want == "") != (err != nil) || got != tc.want {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzDecodeFrame: a peer's frame never panics the decoder, and what it
// accepts encodes back to the same header and body.
func FuzzDecodeFrame(f *testing.F) {
	b, _ := encodeFrame(header{Type: frameAnswer, ID: 3, Status: 200, ContentType: "text/xml; charset=utf-16"}, []byte("<\x00A\x00/\x00>\x00"))
	f.Add(b)
	f.Add([]byte{0, 0, 0, 2, '{', '}'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, body, err := decodeFrame(b)
		if err != nil {
			return
		}
		again, err := encodeFrame(h, body)
		if err != nil {
			return // a header re-encoded past maxHeader (escaping grows it)
		}
		h2, body2, err := decodeFrame(again)
		if err != nil || h2 != h || !bytes.Equal(body2, body) {
			t.Fatalf("round trip of %q: %+v %q, %v", b, h2, body2, err)
		}
	})
}

// TestTLSVerified: the agent refuses a certificate it cannot verify, and
// trusts a private CA given as -ca-file.
func TestTLSVerified(t *testing.T) {
	t.Parallel()
	tokens, _ := ParseTokens("shop1:0123456789abcdef")
	hub := NewHub(HubConfig{Tokens: tokens})
	ts := httptest.NewTLSServer(hub)
	t.Cleanup(func() { hub.Close(); ts.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := LoadCAFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  AgentConfig
		ok   bool
	}{
		{"system roots only", AgentConfig{}, false},
		{"the private CA", AgentConfig{RootCAs: pool}, true},
	} {
		tc.cfg.Server, tc.cfg.Name, tc.cfg.Token, tc.cfg.Heartbeat = ts.URL, "shop1", "0123456789abcdef", time.Hour
		a, err := NewAgent(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { _, err := a.session(ctx); errc <- err }()
		if !tc.ok {
			if err := <-errc; err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("%s: %v; want a certificate error", tc.name, err)
			}
			cancel()
			continue
		}
		for !hub.Agents()[0].Connected {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-errc
	}
}
