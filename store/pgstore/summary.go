package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

var _ service.SummaryStore = (*Store)(nil)

// MirrorVouchersOn implements service.SummaryStore: three indexed reads
// (the day's vouchers, then their entries and stock lines), in one
// repeatable-read transaction so the three agree while a sync writes.
func (s *Store) MirrorVouchersOn(ctx context.Context, company string, day time.Time) ([]service.MirrorVoucher, error) {
	co := service.NameKey(company)
	var out []service.MirrorVoucher
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT master_id, alter_id, guid, remote_id, vtype, class, number, date, party, narration
FROM mirror_vouchers
WHERE company = $1 AND date = $2 AND NOT cancelled AND NOT optional
ORDER BY master_id`, co, nullDate(day))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MirrorVoucher, error) {
			var v service.MirrorVoucher
			var d *time.Time
			err := r.Scan(&v.MasterID, &v.AlterID, &v.GUID, &v.RemoteID, &v.Type, &v.Class, &v.Number, &d, &v.Party, &v.Narration)
			v.Date = fromNull(d)
			return v, err
		})
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		at := make(map[int64]int, len(out))
		for i, v := range out {
			ids[i], at[v.MasterID] = v.MasterID, i
		}
		rows, err = tx.Query(ctx, `SELECT voucher_id, ledger, amount FROM mirror_entries
WHERE company = $1 AND voucher_id = ANY($2) ORDER BY voucher_id, line`, co, ids)
		if err != nil {
			return err
		}
		var id int64
		var e service.MirrorEntry
		if _, err := pgx.ForEachRow(rows, []any{&id, &e.Ledger, &e.Amount}, func() error {
			out[at[id]].Entries = append(out[at[id]].Entries, e)
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT voucher_id, item, quantity, rate, amount FROM mirror_inventory
WHERE company = $1 AND voucher_id = ANY($2) ORDER BY voucher_id, line`, co, ids)
		if err != nil {
			return err
		}
		var in service.MirrorInventory
		_, err = pgx.ForEachRow(rows, []any{&id, &in.Item, &in.Quantity, &in.Rate, &in.Amount}, func() error {
			out[at[id]].Inventory = append(out[at[id]].Inventory, in)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, translate(err, "read the day's vouchers")
	}
	return out, nil
}
