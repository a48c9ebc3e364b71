package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// QueryRowDeferred and ExecDeferred are the deferred helpers on pool
// (deferred.go). Tests only.
func QueryRowDeferred(ctx context.Context, pool *pgxpool.Pool, scan func(pgx.Row) error, sql string, args ...any) error {
	return (&Store{pool: pool}).queryRowDeferred(ctx, scan, sql, args...)
}

func ExecDeferred(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) error {
	return (&Store{pool: pool}).execDeferred(ctx, sql, args...)
}
