// Package pgtest gives tests a fresh, migrated PostgreSQL database each, so
// that store tests are isolated and can run in parallel (ecosystem.md §6.2).
//
// The server comes from TEST_DATABASE_URL when it is set; otherwise from a
// testcontainers-go PostgreSQL container when a Docker engine answers within
// two seconds; otherwise the test is skipped, except under CI=true, where a
// missing database fails the test so that CI is never green by skipping.
//
// Each database is a CREATE DATABASE … TEMPLATE copy of a template migrated
// once (store tables and River's) and named after a hash of the migrations,
// so the template is shared by every test binary that runs at the same time
// and rebuilt only when the migrations change. The package keeps no state of
// its own: the database server is the state.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/tallyfacade/tallyfacade/migrations"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
)

// Environment variables the helper reads.
const (
	// EnvURL names the server to use, e.g.
	// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. The user must
	// be allowed to CREATE DATABASE.
	EnvURL = "TEST_DATABASE_URL"
	// envCI makes a missing database a failure rather than a skip.
	envCI = "CI"
)

// dbPrefix starts the name of every database the helper creates, so that
// leftovers of a killed run are easy to find and drop.
const dbPrefix = "tfpgtest_"

// containerName is the name under which the fallback container is reused by
// every test in every package of one run (testcontainers' reaper removes it).
const containerName = "tallyfacade-pgtest"

// New returns a pool on a fresh, migrated database for t. The pool is closed
// and the database dropped when t's cleanup runs.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("pgtest: parse url: %v", err)
	}
	// Enough for the 50-way concurrency tests and a River client at once,
	// small enough that many parallel tests stay under max_connections (100).
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL returns the connection URL of a fresh, migrated database for t,
// dropped (with any connections still open) when t's cleanup runs.
func NewURL(t testing.TB) string {
	t.Helper()
	server := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		failOrSkip(t, fmt.Sprintf("pgtest: connect to %s: %v", redact(server), err))
	}
	defer admin.Close(context.Background())

	tmpl, err := ensureTemplate(ctx, admin, server)
	if err != nil {
		t.Fatalf("pgtest: template: %v", err)
	}
	name := dbPrefix + randomHex(8)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return withDatabase(server, name)
}

// ServerURL returns the URL of a PostgreSQL server for tests: TEST_DATABASE_URL,
// or a reused testcontainers container, or it skips t (fails it under CI=true).
func ServerURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	if !dockerAnswers(2 * time.Second) {
		failOrSkip(t, "pgtest: no database: set "+EnvURL+" (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) or start a Docker engine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := postgres.Run(ctx, "postgres:16-alpine",
		postgres.WithDatabase("test"), postgres.WithUsername("postgres"), postgres.WithPassword("postgres"),
		postgres.BasicWaitStrategies(), testcontainers.WithReuseByName(containerName))
	if err != nil {
		failOrSkip(t, "pgtest: start postgres container: "+err.Error())
	}
	u, err := c.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		t.Fatalf("pgtest: container connection string: %v", err)
	}
	return u
}

func failOrSkip(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv(envCI) == "true" {
		t.Fatal(msg + " (CI=true: a missing database is a failure)")
	}
	t.Skip(msg)
}

// dockerAnswers reports whether a Docker engine answers within d. The docker
// CLI alone proves nothing (ecosystem.md §6.1: this machine has the client
// and no engine), and testcontainers panics or hangs without an engine, so
// the probe recovers and runs under its own deadline.
func dockerAnswers(d time.Duration) bool {
	done := make(chan bool, 1)
	go func() {
		defer func() {
			if recover() != nil {
				done <- false
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		p, err := testcontainers.NewDockerProvider()
		if err != nil {
			done <- false
			return
		}
		defer p.Close()
		done <- p.Health(ctx) == nil
	}()
	select {
	case ok := <-done:
		return ok
	case <-time.After(d + time.Second):
		return false
	}
}

// templateLockKey serialises template creation across concurrent tests and
// test binaries.
const templateLockKey = "tallyfacade:pgtest:template"

// ensureTemplate returns the name of the migrated template database, creating
// it if needed. It is built under another name and renamed when complete, so
// a run killed half-way never leaves a half-migrated template behind.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, server string) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", templateLockKey); err != nil {
		return "", err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", templateLockKey) //nolint:errcheck // closing the session unlocks too
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	for _, q := range []string{
		"DROP DATABASE IF EXISTS " + pgx.Identifier{building}.Sanitize() + " WITH (FORCE)",
		"CREATE DATABASE " + pgx.Identifier{building}.Sanitize(),
	} {
		if _, err := admin.Exec(ctx, q); err != nil {
			return "", err
		}
	}
	pool, err := pgxpool.New(ctx, withDatabase(server, building))
	if err != nil {
		return "", err
	}
	err = pgstore.Migrate(ctx, pool)
	pool.Close() // a template must have no connections when it is copied
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return name, nil
}

// templateName hashes the store migrations and River's migration count, so a
// changed migration gets a new template instead of a stale one.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.PostgresFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.PostgresFS(), path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", err
	}
	versions := m.AllVersions()
	fmt.Fprintf(h, "river\x00%d", versions[len(versions)-1].Version)
	return dbPrefix + "tmpl_" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// withDatabase returns server's URL pointing at database name.
func withDatabase(server, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		return server // pgx.Connect already accepted it; keyword/value DSNs are not supported here
	}
	u.Path = "/" + name
	return u.String()
}

// redact hides a password in a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
