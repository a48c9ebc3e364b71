package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tallyfacade/tallyfacade/store/postjob"
)

// beat records that a live worker is posting order id (store/heartbeat).
func (s *Store) beat(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE orders SET heartbeat_at = ? WHERE id = ?`, toDB(now()), id)
	return err
}

// rescue claims the orders whose worker died mid-post (posting, with no
// heartbeat for cfg.RescueAfter, or none at all: posting since before
// heartbeats existed) and inserts a rescue job for each in the same
// transaction. The claim sets the heartbeat to now, so one rescue job is
// inserted per interval, not one per round.
func (s *Store) rescue(ctx context.Context, cfg QueueConfig) {
	var ids []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t := now()
		rows, err := tx.QueryContext(ctx, `
UPDATE orders SET heartbeat_at = ?
WHERE state = 'posting' AND (heartbeat_at IS NULL OR heartbeat_at < ?)
RETURNING id`, toDB(t), toDB(t.Add(-cfg.RescueAfter)))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		// Closed before the inserts below use the transaction's connection.
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.inserter.InsertTx(ctx, tx, PostOrderArgs{OrderID: id, Rescue: true}, nil); err != nil {
				return fmt.Errorf("enqueue rescue: %w", err)
			}
		}
		return nil
	})
	if err == nil && len(ids) > 0 {
		s.bell.ring()
	}
	postjob.Rescued(ctx, cfg.Logger, ids, err)
}
