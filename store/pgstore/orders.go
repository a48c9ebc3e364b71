package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
	"github.com/tallyfacade/tallyfacade/store/postjob"
)

const orderCols = `id::text, company, source, ref, remote_id, party, request, result, state, attempts,
	ambiguous, party_created, last_error, last_error_code, next_attempt_at, created_at, updated_at, posted_at`

// CreateOrder implements service.Store. The order row and its post_order job
// are written in one transaction: River's InsertTx takes our pgx.Tx.
func (s *Store) CreateOrder(ctx context.Context, o service.OrderRecord) (service.OrderRecord, bool, error) {
	if !service.ValidID(o.ID) {
		return service.OrderRecord{}, false, service.Errorf(service.Invalid, "invalid_order_id", "order id %q is not a UUID", o.ID)
	}
	now := dbTime(time.Now())
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = o.CreatedAt
	}
	request := o.Request
	if request == nil {
		request = []byte{}
	}
	var created service.OrderRecord
	var existing bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// ON CONFLICT DO NOTHING waits for a concurrent insert of the same
		// REMOTEID (or id) to commit, then yields no row: one of two racing
		// creates wins, the other reads the winner below.
		rec, err := scanOrder(tx.QueryRow(ctx, `
INSERT INTO orders (id, company, source, ref, remote_id, party, request, result, state, attempts,
	ambiguous, party_created, last_error, last_error_code, next_attempt_at, created_at, updated_at, posted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT DO NOTHING
RETURNING `+orderCols,
			o.ID, o.Company, o.Source, o.Ref, o.RemoteID, o.Party, request, o.Result, o.Attempts,
			o.Ambiguous, o.PartyCreated, o.LastError, o.LastErrorCode, nullTime(o.NextAttemptAt), o.CreatedAt, o.UpdatedAt, nullTime(o.PostedAt)))
		if errors.Is(err, pgx.ErrNoRows) {
			created, err = scanOrder(tx.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE remote_id = $1 OR id = $2 ORDER BY remote_id = $1 DESC LIMIT 1`, o.RemoteID, o.ID))
			existing = true
			return err
		}
		if err != nil {
			return err
		}
		created = rec
		if err := linkIdempotencyKey(ctx, tx, o.Key, o.ID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, o.ID)
	})
	if err != nil {
		return service.OrderRecord{}, false, translate(err, "create order")
	}
	return created, !existing, nil
}

// GetOrder implements service.Store.
func (s *Store) GetOrder(ctx context.Context, id string) (service.OrderRecord, error) {
	if !service.ValidID(id) {
		return service.OrderRecord{}, orderNotFound(id)
	}
	rec, err := scanOrder(s.pool.QueryRow(ctx, `SELECT `+orderCols+` FROM orders WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return service.OrderRecord{}, orderNotFound(id)
	}
	if err != nil {
		return service.OrderRecord{}, translate(err, "get order")
	}
	return rec, nil
}

// ListOrders implements service.Store.
func (s *Store) ListOrders(ctx context.Context, f service.OrderFilter) ([]service.OrderRecord, error) {
	q := filter.Postgres()
	q.Where(f.State != "", "state = ?", string(f.State))
	q.Where(f.Party != "", "party = ?", f.Party)
	q.Where(!f.Before.IsZero() && !f.OldestFirst, "created_at < ?", f.Before)
	order := "created_at DESC, id DESC"
	if f.OldestFirst {
		order = "created_at, id"
	}
	rows, err := s.pool.Query(ctx, q.SQL(`SELECT `+orderCols+` FROM orders`, order, f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err, "list orders")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.OrderRecord, error) { return scanOrder(r) })
	if err != nil {
		return nil, translate(err, "list orders")
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// transitionSQL is the compare-and-set on the order's state: the row changes
// only while its state is one of $2, so of two concurrent transitions out of
// the same state exactly one matches (PostgreSQL re-checks the WHERE on the
// updated row after waiting for the other writer). Only a live worker moves
// an order to posting, so that is also its first heartbeat (store/heartbeat),
// on the database's clock as the rescuer reads it.
const transitionSQL = `
UPDATE orders SET
	state           = $3,
	updated_at      = $4,
	attempts        = attempts + $5,
	ambiguous       = COALESCE($6::boolean, ambiguous),
	party_created   = COALESCE($7::boolean, party_created),
	last_error      = COALESCE($8::text, last_error),
	last_error_code = COALESCE($9::text, last_error_code),
	result          = CASE WHEN $10::boolean THEN $11::bytea ELSE result END,
	next_attempt_at = CASE WHEN $12::boolean THEN $13::timestamptz ELSE next_attempt_at END,
	posted_at       = CASE WHEN $3 = 'posted' THEN $4 ELSE posted_at END,
	heartbeat_at    = CASE WHEN $3 = 'posting' THEN now() ELSE heartbeat_at END,
	party           = COALESCE($14::text, party),
	request         = CASE WHEN $15::boolean THEN $16::bytea ELSE request END
WHERE id = $1 AND state = ANY($2::text[])
RETURNING ` + orderCols

// transitionNotifySQL is transitionSQL that also notifies $17 with the
// order's id when a row changed, so requests waiting for the order on any
// replica are woken when the change commits (ListenOrders). The LATERAL
// subquery runs once per updated row; its volatile call is never dropped.
const transitionNotifySQL = `WITH u AS (` + transitionSQL + `)
SELECT u.* FROM u CROSS JOIN LATERAL (SELECT pg_notify($17, u.id)) AS n`

// transitionFinalSQL is transitionNotifySQL for a move to a final state: the
// same statement deletes the order's post_order jobs still waiting
// (postjob.DropWaiting's rule: queue $18, kind $19, states $20; rows a fetch
// has locked are skipped, as River's JobDeleteMany skips them). River's
// JobDeleteManyTx would need a transaction of its own statements: BEGIN,
// UPDATE, DELETE, COMMIT were four round trips per order where this is one,
// and PostgreSQL posted at 0.93 of the embedded store's pace with them,
// about 1.05 without (issue #14, BenchmarkPaceThroughput).
const transitionFinalSQL = `WITH u AS (` + transitionSQL + `),
d AS (DELETE FROM river_job WHERE id IN (
	SELECT id FROM river_job WHERE queue = $18 AND kind = $19 AND state = ANY($20::river_job_state[])
		AND args->>'order_id' = $1::text AND EXISTS (SELECT 1 FROM u)
	FOR UPDATE SKIP LOCKED))
SELECT u.* FROM u CROSS JOIN LATERAL (SELECT pg_notify($17, u.id)) AS n`

// TransitionOrder implements service.Store.
func (s *Store) TransitionOrder(ctx context.Context, id string, from []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	if t.To == "" {
		return service.OrderRecord{}, service.Errorf(service.Invalid, "invalid_transition", "transition without a target state")
	}
	if !service.ValidID(id) {
		return service.OrderRecord{}, orderNotFound(id)
	}
	now := t.Now
	if now.IsZero() {
		now = time.Now()
	}
	states := make([]string, len(from))
	for i, st := range from {
		states[i] = string(st)
	}
	addAttempt := 0
	if t.AddAttempt {
		addAttempt = 1
	}
	var next *time.Time
	if t.NextAttemptAt != nil {
		next = nullTime(*t.NextAttemptAt)
	}
	args := []any{id, states, string(t.To), now, addAttempt,
		t.Ambiguous, t.PartyCreated, t.LastError, t.LastErrorCode,
		t.Result != nil, t.Result, t.NextAttemptAt != nil, next, t.Party, t.Request != nil, t.Request, OrderChannel}
	var rec service.OrderRecord
	var err error
	switch {
	case t.Enqueue && t.To.Final():
		return service.OrderRecord{}, service.Errorf(service.Invalid, "invalid_transition", "a final state queues no job")
	case t.Enqueue:
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			if t.Deferrable {
				if _, err := tx.Exec(ctx, asyncCommit); err != nil {
					return err
				}
			}
			if rec, err = scanOrder(tx.QueryRow(ctx, transitionNotifySQL, args...)); err != nil {
				return err
			}
			return s.enqueue(ctx, tx, id)
		})
	default:
		// Every other transition (the attempt starting, the plan recorded,
		// the order settled) is one statement, so one round trip:
		// PostgreSQL runs it in a transaction of its own and sends the
		// notification at its commit. Each order makes several, serially,
		// on the one worker; four round trips each (BEGIN, UPDATE, NOTIFY,
		// COMMIT) made PostgreSQL post at half the embedded store's pace
		// (issue #14).
		sql := transitionNotifySQL
		if t.To.Final() {
			waiting := make([]string, len(postjob.WaitingStates))
			for i, st := range postjob.WaitingStates {
				waiting[i] = string(st)
			}
			sql, args = transitionFinalSQL, append(args, postjob.Queue, postjob.Kind, waiting)
		}
		if t.Deferrable {
			err = s.queryRowDeferred(ctx, func(row pgx.Row) (err error) {
				rec, err = scanOrder(row)
				return err
			}, sql, args...)
		} else {
			rec, err = scanOrder(s.pool.QueryRow(ctx, sql, args...))
		}
	}
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return service.OrderRecord{}, translate(err, "transition order")
	}
	// Nothing matched: either there is no such order or it is in another
	// state. The answer may be stale by the time the caller reads it, which
	// is fine: the update itself was the arbiter.
	cur, err := s.GetOrder(ctx, id)
	if err != nil {
		return service.OrderRecord{}, err
	}
	return service.OrderRecord{}, &service.Error{Kind: service.Conflict, Code: "order_state_conflict",
		Message: fmt.Sprintf("order %s is %s, not %s", id, cur.State, joinStates(from)), Subject: cur}
}

func joinStates(from []service.OrderState) string {
	parts := make([]string, len(from))
	for i, st := range from {
		parts[i] = string(st)
	}
	return strings.Join(parts, " or ")
}

func orderNotFound(id string) error {
	return service.Errorf(service.NotFound, "order_not_found", "order %s not found", id)
}

func scanOrder(row pgx.Row) (service.OrderRecord, error) {
	var (
		r            service.OrderRecord
		state        string
		next, posted *time.Time
		attempts     int32
	)
	err := row.Scan(&r.ID, &r.Company, &r.Source, &r.Ref, &r.RemoteID, &r.Party, &r.Request, &r.Result, &state, &attempts,
		&r.Ambiguous, &r.PartyCreated, &r.LastError, &r.LastErrorCode, &next, &r.CreatedAt, &r.UpdatedAt, &posted)
	if err != nil {
		return r, err
	}
	r.State = service.OrderState(state)
	r.Attempts = int(attempts)
	r.CreatedAt = r.CreatedAt.UTC()
	r.UpdatedAt = r.UpdatedAt.UTC()
	if next != nil {
		r.NextAttemptAt = next.UTC()
	}
	if posted != nil {
		r.PostedAt = posted.UTC()
	}
	return r, nil
}

// nullTime maps the zero time to SQL NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// dbTime rounds t to PostgreSQL's microsecond precision, in UTC, so that a
// time the store chooses reads back equal.
func dbTime(t time.Time) time.Time { return t.UTC().Round(time.Microsecond) }

// startAttemptsSQL is transitionSQL's attempt start for many orders at once,
// with each one's notification.
const startAttemptsSQL = `WITH u AS (
UPDATE orders SET state = 'posting', updated_at = $2, attempts = attempts + 1, heartbeat_at = now()
WHERE id = ANY($1::uuid[]) AND state = 'received'
RETURNING ` + orderCols + `)
SELECT u.* FROM u CROSS JOIN LATERAL (SELECT pg_notify($3, u.id)) AS n`

// StartAttempts implements service.Store: one statement, so one commit.
func (s *Store) StartAttempts(ctx context.Context, ids []string, now time.Time) ([]service.OrderRecord, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if service.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, startAttemptsSQL, valid, now, OrderChannel)
	if err != nil {
		return nil, translate(err, "start attempts")
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.OrderRecord, error) { return scanOrder(r) })
	if err != nil {
		return nil, translate(err, "start attempts")
	}
	pos := make(map[string]int, len(valid))
	for i, id := range valid {
		pos[id] = i
	}
	slices.SortFunc(recs, func(a, b service.OrderRecord) int { return pos[a.ID] - pos[b.ID] })
	return recs, nil
}
