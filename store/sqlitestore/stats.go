package sqlitestore

import (
	"context"

	"github.com/tallyfacade/tallyfacade/service"
)

// CountOrders counts orders by request kind and state, for the queue's
// metrics.
func (s *Store) CountOrders(ctx context.Context) ([]service.OrderCount, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT COALESCE(json_extract(CAST(request AS TEXT), '$.kind'), ''), state, count(*)
		FROM orders GROUP BY 1, 2 ORDER BY 1, 2`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.OrderCount
	for rows.Next() {
		var c service.OrderCount
		var state string
		if err := rows.Scan(&c.Kind, &state, &c.N); err != nil {
			return nil, translate(err)
		}
		c.State = service.OrderState(state)
		out = append(out, c)
	}
	return out, translate(rows.Err())
}
