package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

// The outbox of invoice confirmations (service.ConfirmStore, migration
// 00008).

var _ service.ConfirmStore = (*Store)(nil)

const confirmCols = `company, voucher_id, guid, number, date, party, mobile, amount, message, status, attempts, error, created_at, updated_at`

// AddConfirmations implements service.ConfirmStore.
func (s *Store) AddConfirmations(ctx context.Context, cs []service.InvoiceConfirmation) error {
	if len(cs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, c := range cs {
		b.Queue(`
INSERT INTO invoice_confirmations (company, voucher_id, guid, number, date, party, mobile, mobile_e164, amount, message, status,
    error, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
ON CONFLICT (company, voucher_id) DO NOTHING`, service.NameKey(c.Company), c.VoucherID, c.GUID, c.Number, nullDate(c.Date), c.Party,
			c.Mobile.Raw, c.Mobile.E164, c.Amount, c.Message, c.Status, c.Error, dbTime(c.CreatedAt))
	}
	return translate(s.pool.SendBatch(ctx, b).Close(), "add invoice confirmations")
}

func (s *Store) confirmations(ctx context.Context, q string, args ...any) ([]service.InvoiceConfirmation, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "list invoice confirmations")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.InvoiceConfirmation, error) {
		var c service.InvoiceConfirmation
		var d *time.Time
		var mobile string
		err := r.Scan(&c.Company, &c.VoucherID, &c.GUID, &c.Number, &d, &c.Party, &mobile, &c.Amount, &c.Message, &c.Status,
			&c.Attempts, &c.Error, &c.CreatedAt, &c.UpdatedAt)
		c.Date, c.Mobile = fromNull(d), service.NormalizeMobile(mobile)
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return c, err
	})
	return out, translate(err, "list invoice confirmations")
}

// PendingConfirmations implements service.ConfirmStore.
func (s *Store) PendingConfirmations(ctx context.Context, company string, limit int) ([]service.InvoiceConfirmation, error) {
	return s.confirmations(ctx, `SELECT `+confirmCols+` FROM invoice_confirmations
WHERE company = $1 AND status = 'pending' ORDER BY created_at, voucher_id LIMIT $2`, service.NameKey(company), limit)
}

// ListConfirmations implements service.ConfirmStore.
func (s *Store) ListConfirmations(ctx context.Context, company string, limit int) ([]service.InvoiceConfirmation, error) {
	return s.confirmations(ctx, `SELECT `+confirmCols+` FROM invoice_confirmations
WHERE company = $1 ORDER BY voucher_id DESC LIMIT $2`, service.NameKey(company), limit)
}

// FinishConfirmation implements service.ConfirmStore.
func (s *Store) FinishConfirmation(ctx context.Context, o service.ConfirmationOutcome) error {
	_, err := s.pool.Exec(ctx, `
UPDATE invoice_confirmations SET status = $3, error = $4, attempts = attempts + 1, updated_at = $5
WHERE company = $1 AND voucher_id = $2 AND ($6 OR status = 'pending')`, service.NameKey(o.Company), o.VoucherID, o.Status, o.Error,
		dbTime(o.Now), o.Claimed)
	return translate(err, "finish invoice confirmation")
}

// MirrorVouchersHeld implements service.ConfirmStore.
func (s *Store) MirrorVouchersHeld(ctx context.Context, company string, ids []int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT master_id FROM mirror_vouchers WHERE company = $1 AND master_id = ANY($2)`,
		service.NameKey(company), ids)
	if err != nil {
		return nil, translate(err, "find held vouchers")
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, translate(err, "find held vouchers")
}

// OrdersByRemoteID implements service.ConfirmStore.
func (s *Store) OrdersByRemoteID(ctx context.Context, remoteIDs []string) (map[string]service.OrderRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderCols+` FROM orders WHERE remote_id = ANY($1)`, remoteIDs)
	if err != nil {
		return nil, translate(err, "read orders by REMOTEID")
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.OrderRecord, error) { return scanOrder(r) })
	if err != nil {
		return nil, translate(err, "read orders by REMOTEID")
	}
	out := make(map[string]service.OrderRecord, len(recs))
	for _, r := range recs {
		out[r.RemoteID] = r
	}
	return out, nil
}
