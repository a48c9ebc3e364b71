package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
)

const orderColumns = `id, company, source, ref, remote_id, party, request, result, state,
	attempts, ambiguous, party_created, last_error, last_error_code, next_attempt_at,
	created_at, updated_at, posted_at`

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanOrder(row rowScanner) (service.OrderRecord, error) {
	var (
		o                      service.OrderRecord
		state                  string
		ambiguous, partyCreate int
		next, posted           sql.NullInt64
		created, updated       int64
	)
	if err := row.Scan(&o.ID, &o.Company, &o.Source, &o.Ref, &o.RemoteID, &o.Party, &o.Request,
		&o.Result, &state, &o.Attempts, &ambiguous, &partyCreate, &o.LastError, &o.LastErrorCode,
		&next, &created, &updated, &posted); err != nil {
		return o, err
	}
	o.State = service.OrderState(state)
	o.Ambiguous, o.PartyCreated = ambiguous != 0, partyCreate != 0
	o.NextAttemptAt, o.PostedAt = fromDBNull(next), fromDBNull(posted)
	o.CreatedAt, o.UpdatedAt = fromDB(created), fromDB(updated)
	return o, nil
}

func getOrder(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string) (service.OrderRecord, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, orderNotFound(id, err)
	}
	return o, err
}

func orderNotFound(id string, cause error) error {
	return &service.Error{Kind: service.NotFound, Code: "order_not_found", Message: "order " + id + " not found", Err: cause}
}

// CreateOrder implements service.Store: the order row and its post_order job
// are written in one transaction.
func (s *Store) CreateOrder(ctx context.Context, o service.OrderRecord) (service.OrderRecord, bool, error) {
	if !service.ValidID(o.ID) {
		return service.OrderRecord{}, false, service.Errorf(service.Invalid, "invalid_order_id", "order id %q is not a UUID", o.ID)
	}
	o.State = service.OrderReceived // a new order is always received
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now()
	}
	if o.UpdatedAt.IsZero() {
		o.UpdatedAt = o.CreatedAt
	}
	if o.Request == nil {
		o.Request = []byte{} // NOT NULL: an order always has its request, maybe empty
	}
	var stored service.OrderRecord
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The transaction holds the write lock, so this check and the
		// insert cannot be raced; the UNIQUE constraint stays as the
		// last line of defence.
		existing, err := scanOrder(tx.QueryRowContext(ctx,
			`SELECT `+orderColumns+` FROM orders WHERE remote_id = ? OR id = ? ORDER BY remote_id = ? DESC LIMIT 1`,
			o.RemoteID, o.ID, o.RemoteID))
		if err == nil {
			stored = existing // nothing is written: the order is that one
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO orders (`+orderColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, o.Company, o.Source, o.Ref, o.RemoteID, o.Party, o.Request, o.Result, string(o.State),
			o.Attempts, boolInt(o.Ambiguous), boolInt(o.PartyCreated), o.LastError, o.LastErrorCode,
			toDBNull(o.NextAttemptAt), toDB(o.CreatedAt), toDB(o.UpdatedAt), toDBNull(o.PostedAt)); err != nil {
			return err
		}
		if err := linkIdempotencyKey(ctx, tx, o.Key, o.ID); err != nil {
			return err
		}
		if err := s.enqueuePostOrder(ctx, tx, o.ID); err != nil {
			return err
		}
		stored, err = getOrder(ctx, tx, o.ID)
		created = err == nil
		return err
	})
	if err != nil {
		return service.OrderRecord{}, false, err
	}
	if created {
		s.bell.ring()
	}
	return stored, created, nil
}

// GetOrder implements service.Store.
func (s *Store) GetOrder(ctx context.Context, id string) (service.OrderRecord, error) {
	if !service.ValidID(id) {
		return service.OrderRecord{}, orderNotFound(id, nil)
	}
	o, err := getOrder(ctx, s.db, id)
	return o, translate(err)
}

// ListOrders implements service.Store.
func (s *Store) ListOrders(ctx context.Context, f service.OrderFilter) ([]service.OrderRecord, error) {
	q := filter.SQLite()
	q.Where(f.State != "", "state = ?", string(f.State))
	q.Where(f.Party != "", "party = ?", f.Party)
	q.Where(!f.Before.IsZero() && !f.OldestFirst, "created_at < ?", toDB(f.Before))
	order := "created_at DESC, id DESC"
	if f.OldestFirst {
		order = "created_at, id"
	}
	rows, err := s.db.QueryContext(ctx, q.SQL(`SELECT `+orderColumns+` FROM orders`, order, f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.OrderRecord
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

// TransitionOrder implements service.Store. The state check and the update
// run in one BEGIN IMMEDIATE transaction, which is the compare-and-set.
func (s *Store) TransitionOrder(ctx context.Context, id string, from []service.OrderState, t service.OrderTransition) (service.OrderRecord, error) {
	if t.To == "" {
		return service.OrderRecord{}, service.Errorf(service.Invalid, "invalid_transition", "transition without a target state")
	}
	if !service.ValidID(id) {
		return service.OrderRecord{}, orderNotFound(id, nil)
	}
	if t.Now.IsZero() {
		t.Now = now()
	}
	var out service.OrderRecord
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := getOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, cur.State) {
			return &service.Error{Kind: service.Conflict, Code: "order_state_conflict",
				Message: fmt.Sprintf("order %s is %s, not %s", id, cur.State, joinStates(from)), Subject: cur}
		}
		set := []string{"state = ?", "updated_at = ?"}
		args := []any{string(t.To), toDB(t.Now)}
		if t.AddAttempt {
			set = append(set, "attempts = attempts + 1")
		}
		if t.Ambiguous != nil {
			set, args = append(set, "ambiguous = ?"), append(args, boolInt(*t.Ambiguous))
		}
		if t.PartyCreated != nil {
			set, args = append(set, "party_created = ?"), append(args, boolInt(*t.PartyCreated))
		}
		if t.Party != nil {
			set, args = append(set, "party = ?"), append(args, *t.Party)
		}
		if t.LastError != nil {
			set, args = append(set, "last_error = ?"), append(args, *t.LastError)
		}
		if t.LastErrorCode != nil {
			set, args = append(set, "last_error_code = ?"), append(args, *t.LastErrorCode)
		}
		if t.Result != nil {
			set, args = append(set, "result = ?"), append(args, t.Result)
		}
		if t.Request != nil {
			set, args = append(set, "request = ?"), append(args, t.Request)
		}
		if t.NextAttemptAt != nil {
			set, args = append(set, "next_attempt_at = ?"), append(args, toDBNull(*t.NextAttemptAt))
		}
		if t.To == service.OrderPosted {
			// The transition has no PostedAt of its own: the moment it
			// reached posted is the transition's Now.
			set, args = append(set, "posted_at = ?"), append(args, toDB(t.Now))
		}
		if t.To == service.OrderPosting {
			// Only a live worker moves an order to posting: that is its
			// first heartbeat (store/heartbeat), on the clock the rescuer
			// reads, not the transition's.
			set, args = append(set, "heartbeat_at = ?"), append(args, toDB(now()))
		}
		args = append(args, id, string(cur.State))
		res, err := tx.ExecContext(ctx,
			`UPDATE orders SET `+strings.Join(set, ", ")+` WHERE id = ? AND state = ?`, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			// Cannot happen under the write lock; fail loudly if it does.
			return service.Errorf(service.Conflict, "order_state_conflict", "order %s changed state concurrently", id)
		}
		if t.To.Final() {
			if err := s.dropJobs(ctx, tx, id); err != nil {
				return err
			}
		}
		if t.Enqueue {
			if err := s.enqueuePostOrder(ctx, tx, id); err != nil {
				return err
			}
		}
		out, err = getOrder(ctx, tx, id)
		return err
	})
	if err == nil && t.Enqueue {
		s.bell.ring()
	}
	return out, err
}

func joinStates(from []service.OrderState) string {
	parts := make([]string, len(from))
	for i, st := range from {
		parts[i] = string(st)
	}
	return strings.Join(parts, " or ")
}

// StartAttempts implements service.Store: one transaction.
func (s *Store) StartAttempts(ctx context.Context, ids []string, at time.Time) ([]service.OrderRecord, error) {
	var out []service.OrderRecord
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, id := range ids {
			if !service.ValidID(id) {
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE orders SET state = 'posting', updated_at = ?, attempts = attempts + 1, heartbeat_at = ?
WHERE id = ? AND state = 'received'`, toDB(at), toDB(now()), id)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				continue // taken meanwhile, or gone
			}
			rec, err := getOrder(ctx, tx, id)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
