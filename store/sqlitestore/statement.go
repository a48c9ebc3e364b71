package sqlitestore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/tallyfacade/tallyfacade/service"
)

// counted is the condition on a voucher v that its entries count in Tally's
// balances: neither cancelled nor optional.
const counted = `NOT v.cancelled AND NOT v.optional`

// readSnapshot runs fn on one connection inside a deferred transaction, so
// the several queries of one answer read one snapshot of the WAL even while
// a sync writes. (BeginTx cannot: the store's DSN makes every transaction
// BEGIN IMMEDIATE, which would wait for the writer.)
func (s *Store) readSnapshot(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return translate(err)
	}
	err = fn(conn)
	// A read-only transaction has nothing to keep: end it either way, even
	// when ctx is done, so the connection goes back to the pool clean.
	_, rerr := conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	if err == nil {
		err = rerr
	}
	return translate(err)
}

// MirrorStatement implements service.StatementStore.
func (s *Store) MirrorStatement(ctx context.Context, q service.StatementQuery) (service.Paise, []service.StatementLine, error) {
	co := service.NameKey(q.Company)
	var opening int64
	var lines []service.StatementLine
	err := s.readSnapshot(ctx, func(c *sql.Conn) error {
		err := c.QueryRowContext(ctx, `
SELECT l.opening + COALESCE((SELECT sum(e.amount) FROM mirror_entries e
    JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
    WHERE e.company = l.company AND e.ledger_key = l.name_key AND `+counted+` AND v.date < ?3), 0)
FROM mirror_ledgers l WHERE l.company = ?1 AND l.name_key = ?2 ORDER BY l.master_id LIMIT 1`,
			co, q.Key, dateText(q.From)).Scan(&opening)
		if err != nil {
			return err
		}
		rows, err := c.QueryContext(ctx, `
SELECT v.master_id, v.date, v.vtype, v.number, v.narration, sum(e.amount)
FROM mirror_entries e JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
WHERE e.company = ?1 AND e.ledger_key = ?2 AND `+counted+` AND v.date BETWEEN ?3 AND ?4
GROUP BY v.master_id ORDER BY v.date, v.master_id`, co, q.Key, dateText(q.From), dateText(q.To))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l service.StatementLine
			var date sql.NullString
			var amount int64
			if err := rows.Scan(&l.VoucherID, &date, &l.Type, &l.Number, &l.Narration, &amount); err != nil {
				return err
			}
			l.Date, l.Amount = fromDateText(date), service.Paise(amount)
			lines = append(lines, l)
		}
		if err := rows.Err(); err != nil || len(lines) == 0 {
			return err
		}
		brows, err := c.QueryContext(ctx, `
SELECT a.voucher_id, a.name FROM mirror_bill_allocs a
JOIN mirror_vouchers v ON v.company = a.company AND v.master_id = a.voucher_id
WHERE a.company = ?1 AND a.ledger_key = ?2 AND `+counted+` AND v.date BETWEEN ?3 AND ?4 AND a.name <> ''
ORDER BY a.voucher_id, a.line, a.seq`, co, q.Key, dateText(q.From), dateText(q.To))
		if err != nil {
			return err
		}
		defer brows.Close()
		bills := map[int64][]string{}
		for brows.Next() {
			var id int64
			var name string
			if err := brows.Scan(&id, &name); err != nil {
				return err
			}
			if !slices.Contains(bills[id], name) {
				bills[id] = append(bills[id], name)
			}
		}
		for i := range lines {
			lines[i].Bills = bills[lines[i].VoucherID]
		}
		return brows.Err()
	})
	return service.Paise(opening), lines, err
}
