package main

import (
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeFile: the compose stack restarts tallyfacade, checks its health
// with the binary itself (the image has no shell), never starts with a
// default key, and publishes nothing beyond this machine unless asked.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Restart     string            `yaml:"restart"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	tf, ok := compose.Services["tallyfacade"]
	if !ok {
		t.Fatal("no tallyfacade service")
	}
	if tf.Restart != "unless-stopped" && tf.Restart != "always" {
		t.Errorf("tallyfacade restart policy %q", tf.Restart)
	}
	if !slices.Equal(tf.Healthcheck.Test, []string{"CMD", "/usr/local/bin/tallyfacade", "health"}) {
		t.Errorf("tallyfacade healthcheck %q", tf.Healthcheck.Test)
	}
	if k := tf.Environment["TALLYFACADE_API_KEYS"]; !strings.HasPrefix(k, "${TALLYFACADE_API_KEYS:?") || strings.Contains(k, "change-me") {
		t.Errorf("TALLYFACADE_API_KEYS %q: want it required from the environment, with no default", k)
	}
	if strings.Contains(string(b), "change-me") {
		t.Error("docker-compose.yml still mentions the key change-me")
	}
	for name, svc := range compose.Services {
		for _, p := range svc.Ports {
			if !strings.HasPrefix(p, "${TALLYFACADE_PUBLISH:-127.0.0.1:") && !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q beyond this machine by default", name, p)
			}
		}
	}
	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "data", "**/*.db"} {
		if !slices.Contains(strings.Fields(string(ignore)), want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// TestHealthCommand: health exits 0 against a serving tallyfacade and fails
// when nothing answers.
func TestHealthCommand(t *testing.T) {
	t.Parallel()
	r, stop := startRun(t, []string{"demo", "-addr", "127.0.0.1:0"}, nil)
	defer stop()
	addr := strings.TrimPrefix(r.base, "http://")
	if err := run(t.Context(), []string{"health", "-addr", addr}, func(string) string { return "" }, io.Discard, io.Discard); err != nil {
		t.Errorf("health against a serving demo: %v", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if err := run(t.Context(), []string{"health"}, func(k string) string { return map[string]string{"TALLYFACADE_ADDR": ":" + port}[k] }, io.Discard, io.Discard); err != nil {
		t.Errorf("health with TALLYFACADE_ADDR=:%s (all interfaces): %v", port, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if err := run(t.Context(), []string{"health", "-addr", closed}, func(string) string { return "" }, io.Discard, io.Discard); err == nil {
		t.Error("health with nothing listening: want an error")
	}
}
