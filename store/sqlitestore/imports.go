package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
)

const importColumns = `id, order_id, company, kind, remote_id, party, request, response, truncated,
	created, altered, deleted, cancelled, combined, ignored, errors, exceptions, last_voucher_id,
	line_errors, result, error_code, duration_ms, created_at`

// truncate cuts b to service.MaxAuditBody bytes and says whether it did.
func truncate(b []byte) ([]byte, bool) {
	if len(b) <= service.MaxAuditBody {
		return b, false
	}
	return b[:service.MaxAuditBody:service.MaxAuditBody], true
}

// RecordImport implements service.Store. The record's own Request, Response
// and Truncated are what is kept; the stored record's Outcome carries only
// Tally's counters and LINEERRORs (as on PostgreSQL). Duration is kept in
// milliseconds, as on PostgreSQL. An OrderID naming no order is NotFound.
func (s *Store) RecordImport(ctx context.Context, r service.ImportRecord) (service.ImportRecord, error) {
	if r.OrderID != "" && !service.ValidID(r.OrderID) {
		return service.ImportRecord{}, service.Errorf(service.Invalid, "invalid_order_id", "order id %q is not a UUID", r.OrderID)
	}
	var cutReq, cutResp bool
	r.Request, cutReq = truncate(r.Request)
	r.Response, cutResp = truncate(r.Response)
	r.Truncated = r.Truncated || cutReq || cutResp
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	lineErrors := r.Outcome.LineErrors
	if lineErrors == nil {
		lineErrors = []string{}
	}
	lines, err := json.Marshal(lineErrors)
	if err != nil {
		return service.ImportRecord{}, &service.Error{Kind: service.Internal, Code: "database_error", Message: "cannot encode line errors", Err: err}
	}
	var orderID sql.NullString
	if r.OrderID != "" {
		orderID = sql.NullString{String: r.OrderID, Valid: true}
	}
	oc := r.Outcome
	var out service.ImportRecord
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if orderID.Valid {
			// Checked under the write lock rather than left to the foreign
			// key, so the answer is NotFound as on PostgreSQL, not a
			// generic constraint Conflict.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM orders WHERE id = ?`, r.OrderID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return orderNotFound(r.OrderID, nil)
			}
			if err != nil {
				return err
			}
		}
		var id int64
		if err := tx.QueryRowContext(ctx,
			`INSERT INTO imports (order_id, company, kind, remote_id, party, request, response, truncated,
				created, altered, deleted, cancelled, combined, ignored, errors, exceptions, last_voucher_id,
				line_errors, result, error_code, duration_ms, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			 RETURNING id`,
			orderID, r.Company, r.Kind, r.RemoteID, r.Party, r.Request, r.Response, boolInt(r.Truncated),
			oc.Created, oc.Altered, oc.Deleted, oc.Cancelled, oc.Combined, oc.Ignored, oc.Errors, oc.Exceptions,
			oc.LastVoucherID, string(lines), r.Result, r.ErrorCode, r.Duration.Milliseconds(), toDB(r.CreatedAt),
		).Scan(&id); err != nil {
			return err
		}
		var err error
		out, err = scanImport(tx.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ?`, id))
		return err
	})
	return out, err
}

// GetImport implements service.Store.
func (s *Store) GetImport(ctx context.Context, id int64) (service.ImportRecord, error) {
	r, err := scanImport(s.db.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &service.Error{Kind: service.NotFound, Code: "import_not_found", Message: fmt.Sprintf("import %d not found", id), Err: err}
	}
	return r, translate(err)
}

// ListImports implements service.Store.
func (s *Store) ListImports(ctx context.Context, f service.ImportFilter) ([]service.ImportRecord, error) {
	if f.OrderID != "" && !service.ValidID(f.OrderID) {
		return nil, nil // no import can belong to a malformed order id
	}
	q := filter.SQLite()
	q.Where(f.OrderID != "", "order_id = ?", f.OrderID)
	q.Where(f.Party != "", "party = ?", f.Party)
	q.Where(f.Result != "", "result = ?", f.Result)
	q.Where(!f.Since.IsZero(), "created_at >= ?", toDB(f.Since))
	q.Where(!f.Until.IsZero(), "created_at < ?", toDB(f.Until))
	rows, err := s.db.QueryContext(ctx, q.SQL(`SELECT `+importColumns+` FROM imports`, "created_at DESC, id DESC", f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.ImportRecord
	for rows.Next() {
		r, err := scanImport(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}

func scanImport(row rowScanner) (service.ImportRecord, error) {
	var (
		r         service.ImportRecord
		orderID   sql.NullString
		truncated int
		lines     string
		ms        int64
		created   int64
		oc        = &r.Outcome
	)
	if err := row.Scan(&r.ID, &orderID, &r.Company, &r.Kind, &r.RemoteID, &r.Party, &r.Request,
		&r.Response, &truncated, &oc.Created, &oc.Altered, &oc.Deleted, &oc.Cancelled, &oc.Combined,
		&oc.Ignored, &oc.Errors, &oc.Exceptions, &oc.LastVoucherID, &lines, &r.Result, &r.ErrorCode,
		&ms, &created); err != nil {
		return r, err
	}
	r.OrderID = orderID.String
	r.Truncated = truncated != 0
	r.Duration = time.Duration(ms) * time.Millisecond
	r.CreatedAt = fromDB(created)
	if err := json.Unmarshal([]byte(lines), &oc.LineErrors); err != nil {
		return r, fmt.Errorf("import %d: line errors: %w", r.ID, err)
	}
	if len(oc.LineErrors) == 0 {
		oc.LineErrors = nil
	}
	return r, nil
}

// RecordInboundMessage implements service.Store.
func (s *Store) RecordInboundMessage(ctx context.Context, m service.InboundMessage) (bool, error) {
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = now()
	}
	var inserted bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO inbound_messages (id, "from", type, payload, received_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (id) DO NOTHING`,
			m.ID, m.From, m.Type, m.Payload, toDB(m.ReceivedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		inserted = n == 1
		return err
	})
	return inserted, err
}

// Prune implements service.Store. Import rows stay (they are the audit
// log); only their bodies go.
func (s *Store) Prune(ctx context.Context, p service.PrunePolicy) (service.PruneStats, error) {
	var st service.PruneStats
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if !p.Now.IsZero() {
			res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE expires_at < ?`, toDB(p.Now))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			st.IdempotencyRecords = int(n)
		}
		if !p.BodiesBefore.IsZero() {
			res, err := tx.ExecContext(ctx,
				`UPDATE imports SET request = NULL, response = NULL
				 WHERE created_at < ? AND (request IS NOT NULL OR response IS NOT NULL)`, toDB(p.BodiesBefore))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			st.ImportBodies = int(n)
		}
		return nil
	})
	return st, err
}
