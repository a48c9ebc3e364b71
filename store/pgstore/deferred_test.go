package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
)

// TestDeferredCommitIsLocal: the deferred helpers turn synchronous_commit
// off for their own statement's transaction (the batch is one implicit
// transaction, so the statement sees it off) and for nothing after it on
// the same connection, where every other write still waits for the flush.
func TestDeferredCommitIsLocal(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // every call below runs on one connection
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	setting := func() string {
		var v string
		if err := pool.QueryRow(t.Context(), `SELECT current_setting('synchronous_commit')`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := setting(); got != "on" {
		t.Fatalf("before: synchronous_commit %s, want on (the server's default)", got)
	}
	var inside string
	if err := pgstore.QueryRowDeferred(t.Context(), pool, func(row pgx.Row) error { return row.Scan(&inside) },
		`SELECT current_setting('synchronous_commit')`); err != nil {
		t.Fatal(err)
	}
	if inside != "off" {
		t.Errorf("in the deferred statement: synchronous_commit %s, want off", inside)
	}
	if err := pgstore.ExecDeferred(t.Context(), pool, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if got := setting(); got != "on" {
		t.Errorf("after: synchronous_commit %s, want on again", got)
	}
}
