// Package pgstore is the PostgreSQL implementation of service.Store, the
// production store that several replicas share. It uses pgx v5 natively and
// River (riverqueue/river) as the durable order queue: the posting job is
// inserted in the same transaction as the order row, so an order is never
// stored without its job nor queued without its row (ecosystem.md §4.4).
//
// Every database error is translated at this boundary into a *service.Error
// (NotFound, Conflict, Unavailable or Internal); no pgx type escapes.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tallyfacade/tallyfacade/service"
)

// Options configures a Store.
type Options struct {
	// Logger receives River's log lines (River logs at info level on every
	// start and stop, and warns on every job error). Nil discards them; pass
	// a logger with a Warn or Error level to keep River quiet but visible.
	Logger *slog.Logger
}

// Store is the PostgreSQL service.Store. It is safe for concurrent use; it
// owns no connection of its own beyond those it borrows from the pool.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	// inserter is an insert-only River client: it has no queues and is never
	// started, it only writes river_job rows inside our transactions.
	inserter *river.Client[pgx.Tx]
}

var _ service.Store = (*Store)(nil)

// New returns a Store on pool. The schema must already be migrated (Migrate).
// The pool stays the caller's: closing the Store is closing the pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	_ = ctx // kept for symmetry with the other constructors; New does no I/O.
	if pool == nil {
		return nil, errors.New("pgstore: nil pool")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// An insert-only client still limits its insert notifications (River's
	// LISTEN/NOTIFY on PostgreSQL) to one per FetchCooldown and queue; at
	// River's default, 100 ms, an order stored right after another one is
	// not announced and waits for the worker's next poll.
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger, FetchCooldown: river.FetchCooldownMin})
	if err != nil {
		return nil, fmt.Errorf("pgstore: river insert client: %w", err)
	}
	return &Store{pool: pool, logger: logger, inserter: inserter}, nil
}

// Ping implements service.Store.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return translate(err, "ping")
	}
	return nil
}

// codeUnavailable is the error code of every "database cannot be reached".
const codeUnavailable = "database_unavailable"

// translate turns a pgx or network error into a *service.Error. op names the
// operation for logs. It is the only place that knows pgx's error types.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	if _, ok := service.AsError(err); ok {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &service.Error{Kind: service.NotFound, Code: "not_found", Message: op + ": not found", Err: err}
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23505" {
		return &service.Error{Kind: service.Conflict, Code: "conflict", Message: op + ": already exists", Err: errors.New(pgErr.Message)}
	}
	if unavailable(err) {
		return &service.Error{Kind: service.Unavailable, Code: codeUnavailable, Message: "the database is unavailable", Err: fmt.Errorf("%s: %w", op, flatten(err))}
	}
	return &service.Error{Kind: service.Internal, Code: "database_error", Message: "database error", Err: fmt.Errorf("%s: %w", op, flatten(err))}
}

// flatten keeps the message of a pgx error but not its type, so that no pgx
// type escapes the package through Unwrap.
func flatten(err error) error { return errors.New(err.Error()) }

// unavailable reports whether err means the database could not be reached or
// went away, as opposed to refusing a statement: the same call may succeed
// later, so callers answer 503 and the queue retries.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgconn.Timeout(err) {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection_exception class
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // admin/crash shutdown, cannot connect now
			pgErr.Code == "53300": // too_many_connections
			return true
		}
		return false
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
