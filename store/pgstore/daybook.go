package pgstore

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

// MirrorVouchers implements service.DayBookStore: one walk of the index on
// (company, date, master_id) from the cursor on.
func (s *Store) MirrorVouchers(ctx context.Context, q service.VoucherQuery) ([]service.VoucherRow, error) {
	var afterDate *time.Time
	if q.After.ID != 0 {
		afterDate = nullDate(q.After.Date)
	}
	rows, err := s.pool.Query(ctx, `
SELECT v.master_id, v.date, v.vtype, v.number, v.party, v.narration, v.cancelled, v.optional,
       COALESCE((SELECT sum(-e.amount) FROM mirror_entries e
                 WHERE e.company = v.company AND e.voucher_id = v.master_id AND e.amount < 0), 0)
FROM mirror_vouchers v
WHERE v.company = $1 AND v.date BETWEEN $2 AND $3
  AND ($4::date IS NULL OR (v.date, v.master_id) > ($4::date, $5::int8))
  AND ($6 = '' OR lower(v.vtype) = lower($6))
  AND ($7 = '' OR EXISTS (SELECT 1 FROM mirror_entries e WHERE e.company = v.company AND e.voucher_id = v.master_id AND e.ledger_key = $7))
ORDER BY v.date, v.master_id LIMIT $8`,
		service.NameKey(q.Company), nullDate(q.From), nullDate(q.To), afterDate, q.After.ID, q.Type, q.Party, q.Limit)
	if err != nil {
		return nil, translate(err, "mirror vouchers")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.VoucherRow, error) {
		var v service.VoucherRow
		var date *time.Time
		var amount int64
		err := r.Scan(&v.ID, &date, &v.Type, &v.Number, &v.Party, &v.Narration, &v.Cancelled, &v.Optional, &amount)
		v.Date, v.Amount = fromNull(date), service.Paise(amount)
		return v, err
	})
	return out, translate(err, "mirror vouchers")
}

// MirrorVoucher implements service.DayBookStore.
func (s *Store) MirrorVoucher(ctx context.Context, company string, id int64) (service.MirrorVoucher, error) {
	co := service.NameKey(company)
	var v service.MirrorVoucher
	err := s.readSnapshot(ctx, "mirror voucher", func(tx pgx.Tx) error {
		var date *time.Time
		err := tx.QueryRow(ctx, `
SELECT master_id, alter_id, guid, remote_id, vtype, class, number, date, party, narration, cancelled, optional
FROM mirror_vouchers WHERE company = $1 AND master_id = $2`, co, id).Scan(&v.MasterID, &v.AlterID, &v.GUID, &v.RemoteID,
			&v.Type, &v.Class, &v.Number, &date, &v.Party, &v.Narration, &v.Cancelled, &v.Optional)
		if err != nil {
			return err
		}
		v.Date = fromNull(date)
		rows, err := tx.Query(ctx, `SELECT ledger, amount FROM mirror_entries WHERE company = $1 AND voucher_id = $2 ORDER BY line`, co, id)
		if err != nil {
			return err
		}
		var ledger string
		var amount int64
		if _, err := pgx.ForEachRow(rows, []any{&ledger, &amount}, func() error {
			v.Entries = append(v.Entries, service.MirrorEntry{Ledger: ledger, Amount: service.Paise(amount)})
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT line, name, btype, amount, due FROM mirror_bill_allocs
WHERE company = $1 AND voucher_id = $2 ORDER BY line, seq`, co, id)
		if err != nil {
			return err
		}
		var line int
		var bill service.MirrorBill
		var due *time.Time
		if _, err := pgx.ForEachRow(rows, []any{&line, &bill.Name, &bill.Type, &amount, &due}, func() error {
			if line >= 0 && line < len(v.Entries) {
				bill.Amount, bill.Due = service.Paise(amount), fromNull(due)
				v.Entries[line].Bills = append(v.Entries[line].Bills, bill)
			}
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT item, quantity, rate, amount FROM mirror_inventory
WHERE company = $1 AND voucher_id = $2 ORDER BY line`, co, id)
		if err != nil {
			return err
		}
		var it service.MirrorInventory
		_, err = pgx.ForEachRow(rows, []any{&it.Item, &it.Quantity, &it.Rate, &amount}, func() error {
			it.Amount = service.Paise(amount)
			v.Inventory = append(v.Inventory, it)
			return nil
		})
		return err
	})
	return v, err
}

// SaveMirrorCompany implements service.CompanyStore.
func (s *Store) SaveMirrorCompany(ctx context.Context, company string, c service.Company) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO mirror_company (company, name, address, state, country, pincode, gstin, phone, email)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (company) DO UPDATE SET name = excluded.name, address = excluded.address, state = excluded.state,
    country = excluded.country, pincode = excluded.pincode, gstin = excluded.gstin, phone = excluded.phone, email = excluded.email`,
		service.NameKey(company), c.Name, strings.Join(c.Address, "\n"), c.State, c.Country, c.Pincode, c.GSTIN, c.Phone, c.Email)
	return translate(err, "save mirror company")
}

// MirrorCompany implements service.CompanyStore.
func (s *Store) MirrorCompany(ctx context.Context, company string) (service.Company, error) {
	var c service.Company
	var address string
	err := s.pool.QueryRow(ctx, `SELECT name, address, state, country, pincode, gstin, phone, email FROM mirror_company WHERE company = $1`,
		service.NameKey(company)).Scan(&c.Name, &address, &c.State, &c.Country, &c.Pincode, &c.GSTIN, &c.Phone, &c.Email)
	if address != "" {
		c.Address = strings.Split(address, "\n")
	}
	return c, translate(err, "mirror company")
}
