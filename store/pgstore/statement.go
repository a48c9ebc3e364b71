package pgstore

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

// counted is the condition on a voucher v that its entries count in Tally's
// balances: neither cancelled nor optional.
const counted = `NOT v.cancelled AND NOT v.optional`

// readSnapshot runs fn in a read-only repeatable-read transaction, so the
// several queries of one answer see one version of the books even while a
// sync writes.
func (s *Store) readSnapshot(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	return translate(pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn), op)
}

// MirrorStatement implements service.StatementStore.
func (s *Store) MirrorStatement(ctx context.Context, q service.StatementQuery) (service.Paise, []service.StatementLine, error) {
	co := service.NameKey(q.Company)
	var opening int64
	var lines []service.StatementLine
	err := s.readSnapshot(ctx, "mirror statement", func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
SELECT l.opening + COALESCE((SELECT sum(e.amount) FROM mirror_entries e
    JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
    WHERE e.company = l.company AND e.ledger_key = l.name_key AND `+counted+` AND v.date < $3), 0)
FROM mirror_ledgers l WHERE l.company = $1 AND l.name_key = $2 ORDER BY l.master_id LIMIT 1`,
			co, q.Key, nullDate(q.From)).Scan(&opening)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT v.master_id, v.date, v.vtype, v.number, v.narration, sum(e.amount)
FROM mirror_entries e JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
WHERE e.company = $1 AND e.ledger_key = $2 AND `+counted+` AND v.date BETWEEN $3 AND $4
GROUP BY v.company, v.master_id ORDER BY v.date, v.master_id`, co, q.Key, nullDate(q.From), nullDate(q.To))
		if err != nil {
			return err
		}
		lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.StatementLine, error) {
			var l service.StatementLine
			var date *time.Time
			var amount int64
			err := r.Scan(&l.VoucherID, &date, &l.Type, &l.Number, &l.Narration, &amount)
			l.Date, l.Amount = fromNull(date), service.Paise(amount)
			return l, err
		})
		if err != nil || len(lines) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, `
SELECT a.voucher_id, a.name FROM mirror_bill_allocs a
JOIN mirror_vouchers v ON v.company = a.company AND v.master_id = a.voucher_id
WHERE a.company = $1 AND a.ledger_key = $2 AND `+counted+` AND v.date BETWEEN $3 AND $4 AND a.name <> ''
ORDER BY a.voucher_id, a.line, a.seq`, co, q.Key, nullDate(q.From), nullDate(q.To))
		if err != nil {
			return err
		}
		bills := map[int64][]string{}
		var id int64
		var name string
		_, err = pgx.ForEachRow(rows, []any{&id, &name}, func() error {
			if !slices.Contains(bills[id], name) {
				bills[id] = append(bills[id], name)
			}
			return nil
		})
		for i := range lines {
			lines[i].Bills = bills[lines[i].VoucherID]
		}
		return err
	})
	return service.Paise(opening), lines, err
}
