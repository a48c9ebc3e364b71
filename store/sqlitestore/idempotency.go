package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tallyfacade/tallyfacade/service"
)

const idemColumns = `scope, key, request_hash, state, locked_until, response_status,
	response_headers, response_body, COALESCE(order_id, ''), created_at, expires_at`

// ClaimIdempotencyKey implements service.Store. The read and the write are
// one BEGIN IMMEDIATE transaction: it holds SQLite's single write lock from
// its first statement, so two claims of one key are serialised and exactly
// one of them creates (or takes over) the record. PostgreSQL gets the same
// guarantee from INSERT … ON CONFLICT and a conditional UPDATE.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c service.IdempotencyClaim) (service.IdempotencyRecord, bool, error) {
	if c.Now.IsZero() {
		c.Now = now()
	}
	var (
		rec     service.IdempotencyRecord
		claimed bool
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		existing, err := scanIdem(tx.QueryRowContext(ctx,
			`SELECT `+idemColumns+` FROM idempotency_keys WHERE scope = ? AND key = ?`, c.Scope, c.Key))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Absent: create below.
		case err != nil:
			return err
		case existing.ExpiresAt.Before(c.Now):
			// An expired record counts as absent; retention may not have
			// pruned it yet.
			if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND key = ?`, c.Scope, c.Key); err != nil {
				return err
			}
		case existing.State == service.IdempotencyInProgress &&
			existing.RequestHash == c.RequestHash &&
			existing.LockedUntil.Before(c.Now):
			// The first owner's lease ran out (it died mid-request): the
			// same request may take over.
			lockedUntil := c.Now.Add(c.Lease)
			if _, err := tx.ExecContext(ctx,
				`UPDATE idempotency_keys SET locked_until = ? WHERE scope = ? AND key = ?`,
				toDB(lockedUntil), c.Scope, c.Key); err != nil {
				return err
			}
			existing.LockedUntil = fromDB(toDB(lockedUntil))
			rec, claimed = existing, true
			return nil
		default:
			rec = existing
			return nil
		}
		rec = service.IdempotencyRecord{
			Scope:       c.Scope,
			Key:         c.Key,
			RequestHash: c.RequestHash,
			State:       service.IdempotencyInProgress,
			LockedUntil: fromDB(toDB(c.Now.Add(c.Lease))),
			CreatedAt:   fromDB(toDB(c.Now)),
			ExpiresAt:   fromDB(toDB(c.Now.Add(c.TTL))),
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO idempotency_keys (scope, key, request_hash, state, locked_until, created_at, expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?)`,
			rec.Scope, rec.Key, rec.RequestHash, string(rec.State),
			toDB(rec.LockedUntil), toDB(rec.CreatedAt), toDB(rec.ExpiresAt)); err != nil {
			return err
		}
		claimed = true
		return nil
	})
	if err != nil {
		return service.IdempotencyRecord{}, false, err
	}
	return rec, claimed, nil
}

// CompleteIdempotencyKey implements service.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, scope, key string, resp service.StoredResponse) error {
	header, err := json.Marshal(resp.Header)
	if err != nil {
		return &service.Error{Kind: service.Internal, Code: "database_error", Message: "cannot encode response headers", Err: err}
	}
	body := resp.Body
	if body == nil {
		body = []byte{} // an empty body is a body: replay it as empty, not as "none"
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE idempotency_keys
			 SET state = 'completed', response_status = ?, response_headers = ?, response_body = ?
			 WHERE scope = ? AND key = ? AND state = 'in_progress'`,
			resp.Status, string(header), body, scope, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var state string
		err = tx.QueryRowContext(ctx, `SELECT state FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return service.Errorf(service.NotFound, "idempotency_key_not_found", "idempotency key %q not found", key)
		}
		if err != nil {
			return err
		}
		return service.Errorf(service.Conflict, "idempotency_key_completed", "idempotency key %q is already completed", key)
	})
}

// ReleaseIdempotencyKey implements service.Store. Releasing a key that is
// gone is not an error (the caller only wants it not to be in progress); a
// completed key is kept and reported as Conflict, because deleting it would
// break the replay of a response a client may already have seen.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'in_progress'`, scope, key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var state string
		err = tx.QueryRowContext(ctx, `SELECT state FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return service.Errorf(service.Conflict, "idempotency_key_completed", "idempotency key %q is completed and cannot be released", key)
	})
}

// linkIdempotencyKey links the in-progress key ref to the order id, in tx
// (CreateOrder's). A key that is not in progress (no key, released, or
// completed) is left alone.
func linkIdempotencyKey(ctx context.Context, tx *sql.Tx, ref service.IdempotencyRef, id string) error {
	if ref.Key == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET order_id = ? WHERE scope = ? AND key = ? AND state = 'in_progress'`,
		id, ref.Scope, ref.Key)
	return err
}

func scanIdem(row *sql.Row) (service.IdempotencyRecord, error) {
	var (
		rec                 service.IdempotencyRecord
		state               string
		status              sql.NullInt64
		header              sql.NullString
		body                []byte
		locked, created, ex int64
	)
	if err := row.Scan(&rec.Scope, &rec.Key, &rec.RequestHash, &state, &locked, &status,
		&header, &body, &rec.OrderID, &created, &ex); err != nil {
		return rec, err
	}
	rec.State = service.IdempotencyState(state)
	rec.LockedUntil, rec.CreatedAt, rec.ExpiresAt = fromDB(locked), fromDB(created), fromDB(ex)
	if rec.State == service.IdempotencyCompleted {
		resp := &service.StoredResponse{Status: int(status.Int64), Body: body}
		if resp.Body == nil {
			resp.Body = []byte{}
		}
		if header.Valid && header.String != "null" {
			if err := json.Unmarshal([]byte(header.String), &resp.Header); err != nil {
				return rec, fmt.Errorf("idempotency key %q: response headers: %w", rec.Key, err)
			}
		}
		rec.Response = resp
	}
	return rec, nil
}
