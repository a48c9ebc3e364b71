package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/tallyfacade/tallyfacade/store/postjob"
)

// beat records that a live worker is posting order id (store/heartbeat).
// The database's clock is the one clock of every replica's beats and
// rescues, so a skewed host clock cannot make a live order look dead.
func (s *Store) beat(ctx context.Context, id string) error {
	return s.execDeferred(ctx, `UPDATE orders SET heartbeat_at = now() WHERE id = $1`, id)
}

// rescueSQL claims the orders whose worker died mid-post: posting, with no
// heartbeat for the rescue interval (or none at all: posting since before
// heartbeats existed). The claim sets the heartbeat to now, so one rescue
// job is inserted per interval however many replicas run the rescuer, and
// a rescue job that has not started within the interval (the post lock is
// busy) is followed by another, which River dedupes by args.
const rescueSQL = `
UPDATE orders SET heartbeat_at = now()
WHERE state = 'posting' AND (heartbeat_at IS NULL OR heartbeat_at < now() - $1 * interval '1 millisecond')
RETURNING id::text`

// rescue inserts a rescue job for every order of a dead worker, in the
// transaction that claims them.
func (s *Store) rescue(ctx context.Context, cfg QueueConfig) {
	var ids []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, rescueSQL, cfg.RescueAfter.Milliseconds())
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.inserter.InsertTx(ctx, tx, PostOrderArgs{OrderID: id, Rescue: true}, nil); err != nil {
				return fmt.Errorf("enqueue rescue: %w", err)
			}
		}
		return nil
	})
	postjob.Rescued(ctx, cfg.Logger, ids, err)
}
