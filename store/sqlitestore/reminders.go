package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/filter"
)

const reminderCols = `key, company, party, mobile, day, message, status, message_id, response, error, attempts, created_at, updated_at`

// dayText stores a calendar day as 'YYYY-MM-DD' (see 00002_reminders.sql).
func dayText(t time.Time) string { return t.Format(time.DateOnly) }

// ClaimReminder implements service.Store. The primary key decides between
// claimants; a failed send is taken over by the one whose UPDATE finds it
// still failed. Writes are serial (BEGIN IMMEDIATE), so RETURNING a row
// means this call won.
func (s *Store) ClaimReminder(ctx context.Context, c service.ReminderClaim) (bool, error) {
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	var claimed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var key string
		err := tx.QueryRowContext(ctx, `
INSERT INTO reminder_sends AS r (key, company, party, mobile, day, message, status, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'claimed', ?7, ?7)
ON CONFLICT (key) DO UPDATE SET
	status     = 'claimed',
	mobile     = excluded.mobile,
	message    = excluded.message,
	error      = '',
	updated_at = excluded.updated_at
WHERE r.status = 'failed'
RETURNING key`, c.Key, c.Company, c.Party, c.Mobile, dayText(c.Day), c.Message, toDB(now)).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		claimed = err == nil
		return err
	})
	return claimed, err
}

// RecordReminderSend implements service.Store.
func (s *Store) RecordReminderSend(ctx context.Context, o service.ReminderOutcome) error {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	resp, _ := truncate(o.Response)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
UPDATE reminder_sends SET status = ?, message_id = ?, response = ?, error = ?, attempts = attempts + ?, updated_at = ?
WHERE key = ?`, o.Status, o.MessageID, resp, o.Error, o.Attempts, toDB(now), o.Key)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return &service.Error{Kind: service.NotFound, Code: "not_found", Message: "record reminder send: no claim " + o.Key}
		}
		return nil
	})
}

// ListReminderSends implements service.Store.
func (s *Store) ListReminderSends(ctx context.Context, f service.ReminderSendFilter) ([]service.ReminderSend, error) {
	q := filter.SQLite()
	q.Where(!f.Day.IsZero(), "day = ?", dayText(f.Day))
	q.Where(f.Party != "", "party = ?", f.Party)
	rows, err := s.db.QueryContext(ctx, q.SQL(`SELECT `+reminderCols+` FROM reminder_sends`, "created_at DESC, key", f.Limit), q.Args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.ReminderSend
	for rows.Next() {
		var (
			rs               service.ReminderSend
			day              string
			created, updated int64
		)
		if err := rows.Scan(&rs.Key, &rs.Company, &rs.Party, &rs.Mobile, &day, &rs.Message, &rs.Status, &rs.MessageID,
			&rs.Response, &rs.Error, &rs.Attempts, &created, &updated); err != nil {
			return nil, translate(err)
		}
		if rs.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, translate(err)
		}
		rs.CreatedAt, rs.UpdatedAt = fromDB(created), fromDB(updated)
		out = append(out, rs)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, nil
}
