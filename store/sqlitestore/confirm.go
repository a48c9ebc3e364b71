package sqlitestore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tallyfacade/tallyfacade/service"
)

// The outbox of invoice confirmations (service.ConfirmStore, migration
// 00008), as pgstore's.

var _ service.ConfirmStore = (*Store)(nil)

const confirmCols = `company, voucher_id, guid, number, date, party, mobile, amount, message, status, attempts, error, created_at, updated_at`

// AddConfirmations implements service.ConfirmStore.
func (s *Store) AddConfirmations(ctx context.Context, cs []service.InvoiceConfirmation) error {
	if len(cs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, `
INSERT INTO invoice_confirmations (company, voucher_id, guid, number, date, party, mobile, mobile_e164, amount, message, status,
    error, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company, voucher_id) DO NOTHING`, service.NameKey(c.Company), c.VoucherID, c.GUID, c.Number, dateText(c.Date), c.Party,
				c.Mobile.Raw, c.Mobile.E164, c.Amount, c.Message, c.Status, c.Error, toDB(c.CreatedAt), toDB(c.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) confirmations(ctx context.Context, q string, args ...any) ([]service.InvoiceConfirmation, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.InvoiceConfirmation
	for rows.Next() {
		var c service.InvoiceConfirmation
		var d sql.NullString
		var mobile string
		var created, updated int64
		if err := rows.Scan(&c.Company, &c.VoucherID, &c.GUID, &c.Number, &d, &c.Party, &mobile, &c.Amount, &c.Message, &c.Status,
			&c.Attempts, &c.Error, &created, &updated); err != nil {
			return nil, translate(err)
		}
		c.Date, c.Mobile, c.CreatedAt, c.UpdatedAt = fromDateText(d), service.NormalizeMobile(mobile), fromDB(created), fromDB(updated)
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// PendingConfirmations implements service.ConfirmStore.
func (s *Store) PendingConfirmations(ctx context.Context, company string, limit int) ([]service.InvoiceConfirmation, error) {
	return s.confirmations(ctx, `SELECT `+confirmCols+` FROM invoice_confirmations
WHERE company = ? AND status = 'pending' ORDER BY created_at, voucher_id LIMIT ?`, service.NameKey(company), limit)
}

// ListConfirmations implements service.ConfirmStore.
func (s *Store) ListConfirmations(ctx context.Context, company string, limit int) ([]service.InvoiceConfirmation, error) {
	return s.confirmations(ctx, `SELECT `+confirmCols+` FROM invoice_confirmations
WHERE company = ? ORDER BY voucher_id DESC LIMIT ?`, service.NameKey(company), limit)
}

// FinishConfirmation implements service.ConfirmStore.
func (s *Store) FinishConfirmation(ctx context.Context, o service.ConfirmationOutcome) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
UPDATE invoice_confirmations SET status = ?, error = ?, attempts = attempts + 1, updated_at = ?
WHERE company = ? AND voucher_id = ? AND (? OR status = 'pending')`, o.Status, o.Error, toDB(o.Now), service.NameKey(o.Company), o.VoucherID,
			boolInt(o.Claimed))
		return err
	})
}

// MirrorVouchersHeld implements service.ConfirmStore.
func (s *Store) MirrorVouchersHeld(ctx context.Context, company string, ids []int64) ([]int64, error) {
	held, err := s.int64s(ctx, `SELECT master_id FROM mirror_vouchers WHERE company = ? AND master_id IN (SELECT value FROM json_each(?))`,
		service.NameKey(company), jsonIDs(ids))
	return held, translate(err)
}

// OrdersByRemoteID implements service.ConfirmStore.
func (s *Store) OrdersByRemoteID(ctx context.Context, remoteIDs []string) (map[string]service.OrderRecord, error) {
	out := map[string]service.OrderRecord{}
	for _, id := range remoteIDs {
		o, err := scanOrder(s.db.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE remote_id = ?`, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, translate(err)
		default:
			out[id] = o
		}
	}
	return out, nil
}
