package sqlitestore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// MirrorVouchers implements service.DayBookStore: one walk of the index on
// (company, date, master_id) from the cursor on.
func (s *Store) MirrorVouchers(ctx context.Context, q service.VoucherQuery) ([]service.VoucherRow, error) {
	// The cursor's date is the lower end of the index range; the MasterID
	// only breaks ties on that date. (A row value or an "IS NULL OR" on the
	// cursor leaves SQLite scanning the range from From, so a late page
	// costs the pages before it: BenchmarkDayBook.)
	from, afterDate := q.From, ""
	if q.After.ID != 0 {
		afterDate = q.After.Date.Format(time.DateOnly)
		if q.After.Date.After(from) {
			from = q.After.Date
		}
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT v.master_id, v.date, v.vtype, v.number, v.party, v.narration, v.cancelled, v.optional,
       COALESCE((SELECT sum(-e.amount) FROM mirror_entries e
                 WHERE e.company = v.company AND e.voucher_id = v.master_id AND e.amount < 0), 0)
FROM mirror_vouchers v
WHERE v.company = ?1 AND v.date BETWEEN ?2 AND ?3
  AND (v.date > ?4 OR v.master_id > ?5)
  AND (?6 = '' OR lower(v.vtype) = lower(?6))
  AND (?7 = '' OR EXISTS (SELECT 1 FROM mirror_entries e WHERE e.company = v.company AND e.voucher_id = v.master_id AND e.ledger_key = ?7))
ORDER BY v.date, v.master_id LIMIT ?8`,
		service.NameKey(q.Company), dateText(from), dateText(q.To), afterDate, q.After.ID, q.Type, q.Party, q.Limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.VoucherRow
	for rows.Next() {
		var v service.VoucherRow
		var date sql.NullString
		var amount int64
		if err := rows.Scan(&v.ID, &date, &v.Type, &v.Number, &v.Party, &v.Narration, &v.Cancelled, &v.Optional, &amount); err != nil {
			return nil, translate(err)
		}
		v.Date, v.Amount = fromDateText(date), service.Paise(amount)
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// MirrorVoucher implements service.DayBookStore.
func (s *Store) MirrorVoucher(ctx context.Context, company string, id int64) (service.MirrorVoucher, error) {
	co := service.NameKey(company)
	var v service.MirrorVoucher
	err := s.readSnapshot(ctx, func(c *sql.Conn) error {
		var date sql.NullString
		err := c.QueryRowContext(ctx, `
SELECT master_id, alter_id, guid, remote_id, vtype, class, number, date, party, narration, cancelled, optional
FROM mirror_vouchers WHERE company = ? AND master_id = ?`, co, id).Scan(&v.MasterID, &v.AlterID, &v.GUID, &v.RemoteID,
			&v.Type, &v.Class, &v.Number, &date, &v.Party, &v.Narration, &v.Cancelled, &v.Optional)
		if err != nil {
			return err
		}
		v.Date = fromDateText(date)
		args := []any{co, id}
		err = queryEach(ctx, c, `SELECT ledger, amount FROM mirror_entries WHERE company = ? AND voucher_id = ? ORDER BY line`,
			args, func(r *sql.Rows) error {
				var e service.MirrorEntry
				var amount int64
				err := r.Scan(&e.Ledger, &amount)
				e.Amount = service.Paise(amount)
				v.Entries = append(v.Entries, e)
				return err
			})
		if err != nil {
			return err
		}
		err = queryEach(ctx, c, `SELECT line, name, btype, amount, due FROM mirror_bill_allocs WHERE company = ? AND voucher_id = ? ORDER BY line, seq`,
			args, func(r *sql.Rows) error {
				var line int
				var b service.MirrorBill
				var amount int64
				var due sql.NullString
				if err := r.Scan(&line, &b.Name, &b.Type, &amount, &due); err != nil {
					return err
				}
				if line >= 0 && line < len(v.Entries) {
					b.Amount, b.Due = service.Paise(amount), fromDateText(due)
					v.Entries[line].Bills = append(v.Entries[line].Bills, b)
				}
				return nil
			})
		if err != nil {
			return err
		}
		return queryEach(ctx, c, `SELECT item, quantity, rate, amount FROM mirror_inventory WHERE company = ? AND voucher_id = ? ORDER BY line`,
			args, func(r *sql.Rows) error {
				var it service.MirrorInventory
				var amount int64
				err := r.Scan(&it.Item, &it.Quantity, &it.Rate, &amount)
				it.Amount = service.Paise(amount)
				v.Inventory = append(v.Inventory, it)
				return err
			})
	})
	return v, err
}

// queryEach runs query with args on c and calls fn for each row.
func queryEach(ctx context.Context, c *sql.Conn, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveMirrorCompany implements service.CompanyStore.
func (s *Store) SaveMirrorCompany(ctx context.Context, company string, c service.Company) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO mirror_company (company, name, address, state, country, pincode, gstin, phone, email)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company) DO UPDATE SET name = excluded.name, address = excluded.address, state = excluded.state,
    country = excluded.country, pincode = excluded.pincode, gstin = excluded.gstin, phone = excluded.phone, email = excluded.email`,
		service.NameKey(company), c.Name, strings.Join(c.Address, "\n"), c.State, c.Country, c.Pincode, c.GSTIN, c.Phone, c.Email)
	return translate(err)
}

// MirrorCompany implements service.CompanyStore.
func (s *Store) MirrorCompany(ctx context.Context, company string) (service.Company, error) {
	var c service.Company
	var address string
	err := s.db.QueryRowContext(ctx, `SELECT name, address, state, country, pincode, gstin, phone, email FROM mirror_company WHERE company = ?`,
		service.NameKey(company)).Scan(&c.Name, &address, &c.State, &c.Country, &c.Pincode, &c.GSTIN, &c.Phone, &c.Email)
	if address != "" {
		c.Address = strings.Split(address, "\n")
	}
	return c, translate(err)
}
