package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// A commit waits for its WAL record to reach the disk (synchronous_commit
// on): about 0.7 ms here, and an order made three or four such commits on
// the one worker after its own insert, which held PostgreSQL's posting pace
// to 0.76-0.80 of the embedded store's (SQLite runs synchronous=NORMAL, no
// flush per commit). With synchronous_commit off PostgreSQL matched it
// (issue #14, BenchmarkPaceThroughput).
//
// So the writes that record what Tally has answered already (a Deferrable
// transition, an import in the audit log, a heartbeat) commit without
// waiting for the flush. Nothing else changes: the write is committed and
// visible at once, and an application crash loses nothing; only a crash of
// PostgreSQL itself within about three wal_writer_delay (600 ms by default)
// can undo it. And not even that once a later commit has flushed, since the
// WAL is flushed in order: River's completion of the job, after every
// attempt, is such a commit. An order whose final state a database crash
// undid is left posting, and its rescue reads Tally back before anything is
// sent again (service.OrderTransition.Deferrable). The order's own insert,
// the attempt's start and the plan, all written before a Tally write, still
// wait for the flush.
//
// set_config(…, true) is local to the transaction, and a batch without
// transaction statements runs as one implicit transaction (pgx.SendBatch),
// so the setting and the write share one round trip and end together.
const asyncCommit = `SELECT set_config('synchronous_commit', 'off', true)`

// queryRowDeferred runs one statement in a transaction of its own that
// commits without waiting for the flush, and hands its row to scan.
func (s *Store) queryRowDeferred(ctx context.Context, scan func(pgx.Row) error, sql string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(asyncCommit)
	b.Queue(sql, args...).QueryRow(scan)
	return s.pool.SendBatch(ctx, b).Close()
}

// execDeferred is queryRowDeferred for a statement that returns no row.
func (s *Store) execDeferred(ctx context.Context, sql string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(asyncCommit)
	b.Queue(sql, args...)
	return s.pool.SendBatch(ctx, b).Close()
}
