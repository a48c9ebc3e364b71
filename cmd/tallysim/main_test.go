package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunDumpDemo(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"-dump-demo", "-today", "20260623"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var books struct {
		Companies []struct {
			Name    string `json:"name"`
			Ledgers []struct {
				Name string `json:"name"`
			} `json:"ledgers"`
		} `json:"companies"`
	}
	if err := json.Unmarshal(out.Bytes(), &books); err != nil {
		t.Fatalf("dump is not JSON: %v", err)
	}
	if len(books.Companies) != 1 || books.Companies[0].Name != "ABC Traders" || len(books.Companies[0].Ledgers) < 12 {
		t.Fatalf("dump = %+v; want the ABC Traders demo company", books)
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-today", "20260623", "-product", "erp9"}, io.Discard, io.Discard)
	}()

	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		break
	}
	if !strings.Contains(body, "Tally.ERP 9 Server is Running") {
		t.Fatalf("liveness = %q; want the ERP 9 text", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after cancel; want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-fault", "explode"}, {"-today", "yesterday"}, {"-product", "busy"}, {"stray"}} {
		if err := run(t.Context(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) = nil; want an error", args)
		}
	}
}
