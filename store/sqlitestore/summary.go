package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

var _ service.SummaryStore = (*Store)(nil)

// MirrorVouchersOn implements service.SummaryStore, as pgstore's. Reads in
// one transaction see one version of the file (WAL snapshot).
func (s *Store) MirrorVouchersOn(ctx context.Context, company string, day time.Time) ([]service.MirrorVoucher, error) {
	co := service.NameKey(company)
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, translate(err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, `
SELECT master_id, alter_id, guid, remote_id, vtype, class, number, date, party, narration
FROM mirror_vouchers
WHERE company = ? AND date = ? AND cancelled = 0 AND optional = 0
ORDER BY master_id`, co, dateText(day))
	if err != nil {
		return nil, translate(err)
	}
	var out []service.MirrorVoucher
	for rows.Next() {
		var v service.MirrorVoucher
		var d sql.NullString
		if err := rows.Scan(&v.MasterID, &v.AlterID, &v.GUID, &v.RemoteID, &v.Type, &v.Class, &v.Number, &d, &v.Party, &v.Narration); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		v.Date = fromDateText(d)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, translate(err)
	}
	ids := make([]int64, len(out))
	at := make(map[int64]int, len(out))
	for i, v := range out {
		ids[i], at[v.MasterID] = v.MasterID, i
	}
	list := jsonIDs(ids)
	rows, err = tx.QueryContext(ctx, `SELECT voucher_id, ledger, amount FROM mirror_entries
WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?)) ORDER BY voucher_id, line`, co, list)
	if err != nil {
		return nil, translate(err)
	}
	for rows.Next() {
		var id int64
		var e service.MirrorEntry
		if err := rows.Scan(&id, &e.Ledger, &e.Amount); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		out[at[id]].Entries = append(out[at[id]].Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT voucher_id, item, quantity, rate, amount FROM mirror_inventory
WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?)) ORDER BY voucher_id, line`, co, list)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var in service.MirrorInventory
		if err := rows.Scan(&id, &in.Item, &in.Quantity, &in.Rate, &in.Amount); err != nil {
			return nil, translate(err)
		}
		out[at[id]].Inventory = append(out[at[id]].Inventory, in)
	}
	return out, translate(rows.Err())
}
