// Package sqlitestore is the embedded service.Store: one SQLite file, pure Go
// (modernc.org/sqlite, no cgo), so a single binary runs with no database
// server. It has the same tables and semantics as store/pgstore and passes
// the same conformance suite (store/storetest); PostgreSQL stays the
// production store and the only one several replicas can share.
//
// SQLite allows one writer at a time. Every write here is one short
// transaction begun with BEGIN IMMEDIATE (the DSN's _txlock=immediate), so
// writers queue on the database's write lock (waiting up to the busy
// timeout) instead of starting as readers and failing with SQLITE_BUSY when
// they try to upgrade; that is also what makes ClaimIdempotencyKey's
// read-then-write atomic. Readers never wait for writers (WAL).
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/riverqueue/river/riverdriver"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tallyfacade/tallyfacade/migrations"
	"github.com/tallyfacade/tallyfacade/service"
)

// Options tunes the embedded store. The zero value is a good default.
type Options struct {
	// BusyTimeout is how long a statement waits for SQLite's write lock
	// before failing as Unavailable (database_unavailable); default 5s.
	BusyTimeout time.Duration
	// MaxOpenConns bounds the store's connection pool (readers run in
	// parallel under WAL; writers queue on the lock); default 8. River's
	// queue has its own pool of one connection.
	MaxOpenConns int
	// Logger receives River's log lines; nil discards them.
	Logger *slog.Logger
}

// Store is the SQLite service.Store. It is safe for concurrent use.
type Store struct {
	// db serves the store's own queries. queueDB is River's: one
	// connection, as riversqlite advises, so River's internal goroutines
	// (fetch, complete, leader election, maintenance) never contend with
	// each other for the write lock; they contend with db only through the
	// busy timeout, like any two writers.
	db      *sql.DB
	queueDB *sql.DB
	// inserter enqueues post_order jobs inside the store's transactions.
	// It has no workers (an insert-only client); RunQueue starts its own
	// working client.
	inserter *river.Client[*sql.Tx]
	logger   *slog.Logger
	// bell wakes RunQueue's workers when a transaction that queued a
	// post_order job commits (wake.go).
	bell jobBell
	// listener, when set, is the listener beneath the bell (tests only,
	// export_test.go).
	listener func(*riverdriver.GetListenenerParams) riverdriver.Listener
	// postMu makes posting serial across RunQueue calls on this store.
	// One SQLite file serves one process, so a mutex is enough.
	postMu sync.Mutex
	// mirrorLocks holds one *sync.Mutex per company: the mirror's sync lock
	// (TrySyncLock), in-process for the same reason.
	mirrorLocks sync.Map
}

var _ service.Store = (*Store)(nil)

// Open opens (creating it and its parent directory when missing) the SQLite
// file at path, applies the store's migrations (goose) and River's
// (rivermigrate), and returns the store.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 8
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlitestore: create data directory: %w", err)
		}
	}
	dsn := dataSourceName(path, opts.BusyTimeout)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	queueDB, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	queueDB.SetMaxOpenConns(1)
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, queueDB: queueDB, logger: logger}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.inserter, err = river.NewClient(riversqlite.New(queueDB), &river.Config{Logger: logger})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlitestore: river client: %w", err)
	}
	return s, nil
}

// dataSourceName builds modernc's DSN. modernc ignores mattn-style
// _journal_mode/_busy_timeout parameters and takes _pragma=name(value)
// instead (ecosystem.md §6.3); each pragma runs on every new connection.
// WAL lets readers run beside the writer; foreign keys are off by default in
// SQLite; _txlock=immediate makes BeginTx issue BEGIN IMMEDIATE.
func dataSourceName(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL is durable across application crashes in WAL mode and only
	// risks the last transactions on power loss; FULL would fsync every
	// commit for no gain on an office PC beside Tally.
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

func (s *Store) migrate(ctx context.Context) error {
	provider, err := goose.NewProvider(goose.DialectSQLite3, s.db, migrations.SQLiteFS())
	if err != nil {
		return fmt.Errorf("sqlitestore: migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", translate(err))
	}
	migrator, err := rivermigrate.New(riversqlite.New(s.queueDB), nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: river migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("sqlitestore: river migrate: %w", translate(err))
	}
	return nil
}

// Close closes the database. Stop RunQueue first.
func (s *Store) Close() error {
	return errors.Join(s.db.Close(), s.queueDB.Close())
}

// Ping checks the database by reading from it, which a plain PingContext on
// an open file would not prove.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return translate(err)
	}
	return nil
}

// inTx runs fn in one BEGIN IMMEDIATE transaction and commits it, or rolls
// it back when fn or the commit fails. Errors come back translated.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return translate(err)
	}
	if err := tx.Commit(); err != nil {
		_ = tx.Rollback()
		return translate(err)
	}
	return nil
}

// translate turns a database error into a *service.Error so that no sqlite
// type crosses the boundary. An error that is already a *service.Error
// passes through.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := service.AsError(err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &service.Error{Kind: service.NotFound, Code: "not_found", Message: "not found", Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &service.Error{Kind: service.Unavailable, Code: "database_unavailable", Message: "the database did not answer in time", Err: err}
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		// Keep the message, drop the driver type: callers log Err.
		cause := errors.New(se.Error())
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return &service.Error{Kind: service.Unavailable, Code: "database_unavailable", Message: "the database is busy", Err: cause}
		case sqlite3.SQLITE_CONSTRAINT:
			return &service.Error{Kind: service.Conflict, Code: "conflict", Message: "the change conflicts with stored data", Err: cause}
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return &service.Error{Kind: service.Unavailable, Code: "database_unavailable", Message: "the database cannot be used", Err: cause}
		}
		return &service.Error{Kind: service.Internal, Code: "database_error", Message: "database error", Err: cause}
	}
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, sql.ErrTxDone) {
		return &service.Error{Kind: service.Unavailable, Code: "database_unavailable", Message: "the database is closed", Err: err}
	}
	return &service.Error{Kind: service.Internal, Code: "database_error", Message: "database error", Err: err}
}

// Times are stored as unix nanoseconds, rounded to microseconds as
// PostgreSQL's TIMESTAMPTZ does, so both stores give back the same instant
// for the same input. The zero time is NULL. Times come back in UTC.

func toDB(t time.Time) int64 { return t.Round(time.Microsecond).UnixNano() }

func toDBNull(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toDB(t), Valid: true}
}

func fromDB(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromDBNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromDB(n.Int64)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// now is the wall clock, for rows whose caller gave no time.
func now() time.Time { return time.Now() }
