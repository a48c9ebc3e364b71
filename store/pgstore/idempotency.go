package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

const idemCols = `scope, key, request_hash, state, locked_until, response_status, response_headers, response_body, COALESCE(order_id, ''), created_at, expires_at`

// claimSQL is the one arbitrated step of Idempotency-Key handling
// (ecosystem.md §3.3: "the claim has to be a single arbitrated operation").
// The unique primary key decides between concurrent claimants on every
// replica: the INSERT either creates the record, or, on conflict, updates it
// only when the old record has expired (it counts as absent) or is an
// in-progress record with the same request hash whose lease ran out (its
// first owner died). Otherwise nothing is returned and the caller reads the
// record as it stands.
const claimSQL = `
INSERT INTO idempotency_keys AS k (scope, key, request_hash, state, locked_until, created_at, expires_at)
VALUES ($1, $2, $3, 'in_progress', $5, $4, $6)
ON CONFLICT (scope, key) DO UPDATE SET
	request_hash     = EXCLUDED.request_hash,
	state            = 'in_progress',
	locked_until     = EXCLUDED.locked_until,
	response_status  = NULL,
	response_headers = NULL,
	response_body    = NULL,
	-- A takeover (same request, lease ran out) keeps the order its first
	-- run stored; an expired record is a new one.
	order_id         = CASE WHEN k.expires_at < $4 THEN NULL ELSE k.order_id END,
	created_at       = CASE WHEN k.expires_at < $4 THEN EXCLUDED.created_at ELSE k.created_at END,
	expires_at       = CASE WHEN k.expires_at < $4 THEN EXCLUDED.expires_at ELSE k.expires_at END
WHERE k.expires_at < $4
   OR (k.state = 'in_progress' AND k.locked_until < $4 AND k.request_hash = EXCLUDED.request_hash)
RETURNING ` + idemCols

// ClaimIdempotencyKey implements service.Store.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, c service.IdempotencyClaim) (service.IdempotencyRecord, bool, error) {
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	// A record deleted (released or pruned) between the conflicting INSERT
	// and the SELECT makes the SELECT find nothing; the INSERT then wins on
	// the next round. Three rounds are plenty: each needs a concurrent delete.
	for range 3 {
		rec, err := scanIdem(s.pool.QueryRow(ctx, claimSQL, c.Scope, c.Key, c.RequestHash, now, now.Add(c.Lease), now.Add(c.TTL)))
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return service.IdempotencyRecord{}, false, translate(err, "claim idempotency key")
		}
		rec, err = scanIdem(s.pool.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency_keys WHERE scope = $1 AND key = $2`, c.Scope, c.Key))
		if err == nil {
			return rec, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return service.IdempotencyRecord{}, false, translate(err, "read idempotency key")
		}
	}
	return service.IdempotencyRecord{}, false, &service.Error{Kind: service.Unavailable, Code: "idempotency_contention",
		Message: "the idempotency key is contended; try again"}
}

// CompleteIdempotencyKey implements service.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, scope, key string, resp service.StoredResponse) error {
	headers, err := json.Marshal(resp.Header)
	if err != nil {
		return &service.Error{Kind: service.Internal, Code: "database_error", Message: "encode headers", Err: err}
	}
	body := resp.Body
	if body == nil {
		body = []byte{} // an empty body is a body: replay it as empty, not as "none"
	}
	tag, err := s.pool.Exec(ctx, `
UPDATE idempotency_keys
SET state = 'completed', response_status = $3, response_headers = $4, response_body = $5
WHERE scope = $1 AND key = $2 AND state = 'in_progress'`, scope, key, resp.Status, headers, body)
	if err != nil {
		return translate(err, "complete idempotency key")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM idempotency_keys WHERE scope = $1 AND key = $2`, scope, key).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return &service.Error{Kind: service.NotFound, Code: "idempotency_key_not_found", Message: "the idempotency key is gone"}
	}
	if err != nil {
		return translate(err, "complete idempotency key")
	}
	return &service.Error{Kind: service.Conflict, Code: "idempotency_key_completed", Message: "the idempotency key is already completed"}
}

// ReleaseIdempotencyKey implements service.Store. Releasing a key that is
// gone is not an error (the caller only wants it not to be in progress); a
// completed key is kept and reported as Conflict, because deleting it would
// break the replay of a response a client may already have seen.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, scope, key string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'`, scope, key)
	if err != nil {
		return translate(err, "release idempotency key")
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, `SELECT state FROM idempotency_keys WHERE scope = $1 AND key = $2`, scope, key).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return translate(err, "release idempotency key")
	}
	return &service.Error{Kind: service.Conflict, Code: "idempotency_key_completed", Message: "the idempotency key is completed and cannot be released"}
}

// linkIdempotencyKey links the in-progress key ref to the order id, in tx
// (CreateOrder's). A key that is not in progress (no key, released, or
// completed) is left alone.
func linkIdempotencyKey(ctx context.Context, tx pgx.Tx, ref service.IdempotencyRef, id string) error {
	if ref.Key == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE idempotency_keys SET order_id = $3 WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
		ref.Scope, ref.Key, id)
	return err
}

func scanIdem(row pgx.Row) (service.IdempotencyRecord, error) {
	var (
		r       service.IdempotencyRecord
		state   string
		status  *int32
		headers []byte
		body    []byte
	)
	if err := row.Scan(&r.Scope, &r.Key, &r.RequestHash, &state, &r.LockedUntil, &status, &headers, &body, &r.OrderID, &r.CreatedAt, &r.ExpiresAt); err != nil {
		return r, err
	}
	r.State = service.IdempotencyState(state)
	r.LockedUntil = r.LockedUntil.UTC()
	r.CreatedAt = r.CreatedAt.UTC()
	r.ExpiresAt = r.ExpiresAt.UTC()
	if r.State == service.IdempotencyCompleted {
		resp := &service.StoredResponse{Body: body}
		if status != nil {
			resp.Status = int(*status)
		}
		if resp.Body == nil {
			resp.Body = []byte{}
		}
		if len(headers) > 0 && string(headers) != "null" {
			if err := json.Unmarshal(headers, &resp.Header); err != nil {
				return r, fmt.Errorf("decode stored headers: %w", err)
			}
		}
		r.Response = resp
	}
	return r, nil
}
