package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

// CountOrders counts orders by request kind and state, for the queue's
// metrics. It reads every row's request kind, which is cheap next to a scrape
// interval for the order counts a Tally company has.
func (s *Store) CountOrders(ctx context.Context) ([]service.OrderCount, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT COALESCE(convert_from(request, 'UTF8')::jsonb->>'kind', ''), state, count(*)
		FROM orders GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return nil, translate(err, "count orders")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.OrderCount, error) {
		var c service.OrderCount
		var state string
		err := r.Scan(&c.Kind, &state, &c.N)
		c.State = service.OrderState(state)
		return c, err
	})
	if err != nil {
		return nil, translate(err, "count orders")
	}
	return out, nil
}
