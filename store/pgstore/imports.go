package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
)

const importCols = `id, COALESCE(order_id::text, ''), company, kind, remote_id, party, request, response, truncated,
	created, altered, deleted, cancelled, combined, ignored, errors, exceptions, last_voucher_id, line_errors,
	result, error_code, duration_ms, created_at`

// RecordImport implements service.Store.
func (s *Store) RecordImport(ctx context.Context, r service.ImportRecord) (service.ImportRecord, error) {
	var orderID *string
	if r.OrderID != "" {
		if !service.ValidID(r.OrderID) {
			return service.ImportRecord{}, service.Errorf(service.Invalid, "invalid_order_id", "order id %q is not a UUID", r.OrderID)
		}
		orderID = &r.OrderID
	}
	var cut1, cut2 bool
	r.Request, cut1 = truncate(r.Request)
	r.Response, cut2 = truncate(r.Response)
	r.Truncated = r.Truncated || cut1 || cut2
	if r.CreatedAt.IsZero() {
		r.CreatedAt = dbTime(time.Now())
	}
	lineErrors := r.Outcome.LineErrors
	if lineErrors == nil {
		lineErrors = []string{}
	}
	o := r.Outcome
	// An import Tally has answered: its commit need not wait (deferred.go).
	var rec service.ImportRecord
	err := s.queryRowDeferred(ctx, func(row pgx.Row) (err error) {
		rec, err = scanImport(row)
		return err
	}, `
INSERT INTO imports (order_id, company, kind, remote_id, party, request, response, truncated,
	created, altered, deleted, cancelled, combined, ignored, errors, exceptions, last_voucher_id, line_errors,
	result, error_code, duration_ms, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
RETURNING `+importCols,
		orderID, r.Company, r.Kind, r.RemoteID, r.Party, r.Request, r.Response, r.Truncated,
		o.Created, o.Altered, o.Deleted, o.Cancelled, o.Combined, o.Ignored, o.Errors, o.Exceptions, o.LastVoucherID, lineErrors,
		r.Result, r.ErrorCode, r.Duration.Milliseconds(), r.CreatedAt)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "23503" { // foreign_key_violation
		return service.ImportRecord{}, service.Errorf(service.NotFound, "order_not_found", "order %s not found", r.OrderID)
	}
	if err != nil {
		return service.ImportRecord{}, translate(err, "record import")
	}
	return rec, nil
}

// truncate bounds an audit body to service.MaxAuditBody bytes. It cuts bytes,
// not characters: the body is evidence of what went over the wire, and Tally
// traffic may be UTF-16 or a legacy code page anyway.
func truncate(b []byte) ([]byte, bool) {
	if len(b) <= service.MaxAuditBody {
		return b, false
	}
	return b[:service.MaxAuditBody:service.MaxAuditBody], true
}

// GetImport implements service.Store.
func (s *Store) GetImport(ctx context.Context, id int64) (service.ImportRecord, error) {
	rec, err := scanImport(s.pool.QueryRow(ctx, `SELECT `+importCols+` FROM imports WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return service.ImportRecord{}, service.Errorf(service.NotFound, "import_not_found", "import %d not found", id)
	}
	if err != nil {
		return service.ImportRecord{}, translate(err, "get import")
	}
	return rec, nil
}

// ListImports implements service.Store.
func (s *Store) ListImports(ctx context.Context, f service.ImportFilter) ([]service.ImportRecord, error) {
	if f.OrderID != "" && !service.ValidID(f.OrderID) {
		return nil, nil // no import can belong to a malformed order id
	}
	q := filter.Postgres()
	q.Where(f.OrderID != "", "order_id = ?", f.OrderID)
	q.Where(f.Party != "", "party = ?", f.Party)
	q.Where(f.Result != "", "result = ?", f.Result)
	q.Where(!f.Since.IsZero(), "created_at >= ?", f.Since)
	q.Where(!f.Until.IsZero(), "created_at < ?", f.Until)
	rows, err := s.pool.Query(ctx, q.SQL(`SELECT `+importCols+` FROM imports`, "created_at DESC, id DESC", f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err, "list imports")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.ImportRecord, error) { return scanImport(r) })
	if err != nil {
		return nil, translate(err, "list imports")
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func scanImport(row pgx.Row) (service.ImportRecord, error) {
	var (
		r          service.ImportRecord
		counts     [9]int32
		lineErrors []string
		durationMS int64
	)
	err := row.Scan(&r.ID, &r.OrderID, &r.Company, &r.Kind, &r.RemoteID, &r.Party, &r.Request, &r.Response, &r.Truncated,
		&counts[0], &counts[1], &counts[2], &counts[3], &counts[4], &counts[5], &counts[6], &counts[7], &counts[8], &lineErrors,
		&r.Result, &r.ErrorCode, &durationMS, &r.CreatedAt)
	if err != nil {
		return r, err
	}
	r.Outcome = service.ImportOutcome{
		Created: int(counts[0]), Altered: int(counts[1]), Deleted: int(counts[2]), Cancelled: int(counts[3]),
		Combined: int(counts[4]), Ignored: int(counts[5]), Errors: int(counts[6]), Exceptions: int(counts[7]),
		LastVoucherID: int(counts[8]),
	}
	if len(lineErrors) > 0 {
		r.Outcome.LineErrors = lineErrors
	}
	r.Duration = time.Duration(durationMS) * time.Millisecond
	r.CreatedAt = r.CreatedAt.UTC()
	return r, nil
}

// RecordInboundMessage implements service.Store. The primary key on Meta's
// message id is the arbiter: of concurrent deliveries exactly one inserts.
func (s *Store) RecordInboundMessage(ctx context.Context, m service.InboundMessage) (bool, error) {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = dbTime(time.Now())
	}
	tag, err := s.pool.Exec(ctx, `
INSERT INTO inbound_messages (id, "from", type, payload, received_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO NOTHING`, m.ID, m.From, m.Type, m.Payload, m.ReceivedAt)
	if err != nil {
		return false, translate(err, "record inbound message")
	}
	return tag.RowsAffected() == 1, nil
}

// Prune implements service.Store. The two statements run separately: each is
// atomic on its own and neither needs the other's result.
func (s *Store) Prune(ctx context.Context, p service.PrunePolicy) (service.PruneStats, error) {
	var st service.PruneStats
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at < $1`, p.Now)
	if err != nil {
		return st, translate(err, "prune idempotency keys")
	}
	st.IdempotencyRecords = int(tag.RowsAffected())
	tag, err = s.pool.Exec(ctx, `
UPDATE imports SET request = NULL, response = NULL
WHERE created_at < $1 AND (request IS NOT NULL OR response IS NOT NULL)`, p.BodiesBefore)
	if err != nil {
		return st, translate(err, "prune import bodies")
	}
	st.ImportBodies = int(tag.RowsAffected())
	return st, nil
}
