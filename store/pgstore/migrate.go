package pgstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/tallyfacade/tallyfacade/migrations"
)

// migrateLockKey names the advisory lock that serialises Migrate across
// replicas starting at once: goose and rivermigrate each migrate in their
// own transactions, and two replicas creating the same table would fail.
const migrateLockKey = "tallyfacade:migrate"

// Migrate brings the database schema up to date: the store's tables with
// goose (migrations/postgres, embedded) and then River's tables with
// rivermigrate, so River's schema matches the River compiled in. It is safe
// to call from several replicas at once and when nothing is pending. The pool
// must allow at least two connections: one holds the migration lock while
// goose and rivermigrate use others.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate(ctx, pool, nil)
}

func migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if pool.Config().MaxConns < 2 {
		return fmt.Errorf("pgstore: migrate needs a pool of at least 2 connections, got %d", pool.Config().MaxConns)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return translate(err, "migrate")
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, migrateLockKey); err != nil {
		return translate(err, "migrate: lock")
	}
	defer func() {
		// On failure to unlock, ending the session releases the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, migrateLockKey); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.PostgresFS(),
		goose.WithDisableGlobalRegistry(true), goose.WithSlog(logger))
	if err != nil {
		return fmt.Errorf("pgstore: goose: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate store tables: %w", err)
	}

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("pgstore: rivermigrate: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("pgstore: migrate river tables: %w", err)
	}
	return nil
}
