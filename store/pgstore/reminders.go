package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
)

const reminderCols = `key, company, party, mobile, day, message, status, message_id, response, error, attempts, created_at, updated_at`

// claimReminderSQL arbitrates a reminder send: the primary key on the dedupe
// key lets exactly one of concurrent claimants insert; a failed send is
// taken over (its row updated back to claimed) by exactly one claimant too,
// because the conflicting row is locked while the WHERE is checked. RETURNING
// yields a row only for the winner.
const claimReminderSQL = `
INSERT INTO reminder_sends AS r (key, company, party, mobile, day, message, status, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'claimed', $7, $7)
ON CONFLICT (key) DO UPDATE SET
	status     = 'claimed',
	mobile     = EXCLUDED.mobile,
	message    = EXCLUDED.message,
	error      = '',
	updated_at = EXCLUDED.updated_at
WHERE r.status = 'failed'
RETURNING key`

// ClaimReminder implements service.Store.
func (s *Store) ClaimReminder(ctx context.Context, c service.ReminderClaim) (bool, error) {
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	var key string
	err := s.pool.QueryRow(ctx, claimReminderSQL, c.Key, c.Company, c.Party, c.Mobile, c.Day, c.Message, dbTime(now)).Scan(&key)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err, "claim reminder")
	}
	return true, nil
}

// RecordReminderSend implements service.Store.
func (s *Store) RecordReminderSend(ctx context.Context, o service.ReminderOutcome) error {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	resp, _ := truncate(o.Response)
	tag, err := s.pool.Exec(ctx, `
UPDATE reminder_sends SET status = $2, message_id = $3, response = $4, error = $5, attempts = attempts + $6, updated_at = $7
WHERE key = $1`, o.Key, o.Status, o.MessageID, resp, o.Error, o.Attempts, dbTime(now))
	if err != nil {
		return translate(err, "record reminder send")
	}
	if tag.RowsAffected() == 0 {
		return &service.Error{Kind: service.NotFound, Code: "not_found", Message: "record reminder send: no claim " + o.Key}
	}
	return nil
}

// ListReminderSends implements service.Store.
func (s *Store) ListReminderSends(ctx context.Context, f service.ReminderSendFilter) ([]service.ReminderSend, error) {
	q := filter.Postgres()
	q.Where(!f.Day.IsZero(), "day = ?", f.Day)
	q.Where(f.Party != "", "party = ?", f.Party)
	rows, err := s.pool.Query(ctx, q.SQL(`SELECT `+reminderCols+` FROM reminder_sends`, "created_at DESC, key", f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err, "list reminder sends")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.ReminderSend, error) {
		var rs service.ReminderSend
		err := r.Scan(&rs.Key, &rs.Company, &rs.Party, &rs.Mobile, &rs.Day, &rs.Message, &rs.Status, &rs.MessageID,
			&rs.Response, &rs.Error, &rs.Attempts, &rs.CreatedAt, &rs.UpdatedAt)
		rs.CreatedAt, rs.UpdatedAt = rs.CreatedAt.UTC(), rs.UpdatedAt.UTC()
		return rs, err
	})
	if err != nil {
		return nil, translate(err, "list reminder sends")
	}
	return out, nil
}
