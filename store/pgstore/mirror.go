package pgstore

import (
	"context"
	"encoding/json"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyfacade/tallyfacade/service"
)

// The mirror of Tally's books (service.BooksStore, migrations 00004). Every
// method keys the company by service.NameKey, so "ABC Traders" and
// "abc traders " are one company, as in Tally.

var _ service.BooksStore = (*Store)(nil)

// SyncState implements service.BooksStore.
func (s *Store) SyncState(ctx context.Context, company string) (service.SyncState, error) {
	var st service.SyncState
	var probe, sync, change, reconcile, errAt *time.Time
	var ms int64
	var check []byte
	err := s.pool.QueryRow(ctx, `
SELECT name, guid, masters, vouchers, loaded, last_probe, last_sync, last_change, last_reconcile, sync_ms,
       last_error, last_error_at, check_result
FROM mirror_sync WHERE company = $1`, service.NameKey(company)).Scan(&st.Company, &st.GUID, &st.Masters, &st.Vouchers,
		&st.Loaded, &probe, &sync, &change, &reconcile, &ms, &st.LastError, &errAt, &check)
	if err != nil {
		return service.SyncState{}, translate(err, "read sync state")
	}
	st.LastProbe, st.LastSync, st.LastChange = fromNull(probe), fromNull(sync), fromNull(change)
	st.LastReconcile, st.LastErrorAt = fromNull(reconcile), fromNull(errAt)
	st.SyncDuration = time.Duration(ms) * time.Millisecond
	if len(check) > 0 {
		if err := json.Unmarshal(check, &st.Check); err != nil {
			return service.SyncState{}, translate(err, "read sync check")
		}
	}
	return st, nil
}

func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// SaveSyncState implements service.BooksStore.
func (s *Store) SaveSyncState(ctx context.Context, st service.SyncState) error {
	check, err := json.Marshal(st.Check)
	if err != nil {
		return translate(err, "encode sync check")
	}
	_, err = s.pool.Exec(ctx, `
INSERT INTO mirror_sync (company, name, guid, masters, vouchers, loaded, last_probe, last_sync, last_change,
    last_reconcile, sync_ms, last_error, last_error_at, check_result)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (company) DO UPDATE SET name = EXCLUDED.name, guid = EXCLUDED.guid, masters = EXCLUDED.masters,
    vouchers = EXCLUDED.vouchers, loaded = EXCLUDED.loaded, last_probe = EXCLUDED.last_probe,
    last_sync = EXCLUDED.last_sync, last_change = EXCLUDED.last_change, last_reconcile = EXCLUDED.last_reconcile,
    sync_ms = EXCLUDED.sync_ms, last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at,
    check_result = EXCLUDED.check_result`,
		service.NameKey(st.Company), st.Company, st.GUID, st.Masters, st.Vouchers, st.Loaded, nullTime(st.LastProbe),
		nullTime(st.LastSync), nullTime(st.LastChange), nullTime(st.LastReconcile), st.SyncDuration.Milliseconds(),
		st.LastError, nullTime(st.LastErrorAt), check)
	return translate(err, "save sync state")
}

// TrySyncLock implements service.BooksStore with a session advisory lock on
// a connection of its own, held while the syncer talks to Tally; it is not a
// transaction, so no row stays locked across a Tally call. A lost session
// releases it, so a dead replica never blocks the others.
func (s *Store) TrySyncLock(ctx context.Context, company string) (func(), bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, translate(err, "sync lock")
	}
	key := "tallyfacade:mirror:" + service.NameKey(company)
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, translate(err, "sync lock")
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
			// The session may hold the lock still: close it, which releases it.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, true, nil
}

// ApplyMasters implements service.BooksStore.
func (s *Store) ApplyMasters(ctx context.Context, company string, groups []service.MirrorGroup, ledgers []service.MirrorLedger, goneGroups, goneLedgers []int64) error {
	co := service.NameKey(company)
	return s.inTx(ctx, "apply masters", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, g := range groups {
			b.Queue(`
INSERT INTO mirror_groups (company, master_id, alter_id, guid, name, name_key, parent) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (company, master_id) DO UPDATE SET alter_id = EXCLUDED.alter_id, guid = EXCLUDED.guid, name = EXCLUDED.name,
    name_key = EXCLUDED.name_key, parent = EXCLUDED.parent`,
				co, g.MasterID, g.AlterID, g.GUID, g.Name, service.NameKey(g.Name), g.Parent)
		}
		if len(goneGroups) > 0 {
			b.Queue(`DELETE FROM mirror_groups WHERE company = $1 AND master_id = ANY($2)`, co, goneGroups)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		// A renamed ledger keeps its MasterID, and Tally shows the new name
		// in every voucher without giving them a new AlterID, so the
		// mirror's entries follow the rename here.
		var touched []string
		for _, l := range ledgers {
			key := service.NameKey(l.Name)
			touched = append(touched, key)
			var old string
			err := tx.QueryRow(ctx, `SELECT name_key FROM mirror_ledgers WHERE company = $1 AND master_id = $2`, co, l.MasterID).Scan(&old)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if old != "" && old != key {
				touched = append(touched, old)
				rb := &pgx.Batch{}
				rb.Queue(`UPDATE mirror_entries SET ledger = $3, ledger_key = $4 WHERE company = $1 AND ledger_key = $2`, co, old, l.Name, key)
				rb.Queue(`UPDATE mirror_bill_allocs SET ledger_key = $3 WHERE company = $1 AND ledger_key = $2`, co, old, key)
				if err := tx.SendBatch(ctx, rb).Close(); err != nil {
					return err
				}
			}
			days, hasDays := l.CreditDays()
			var credit *int
			if hasDays {
				credit = &days
			}
			if _, err := tx.Exec(ctx, `
INSERT INTO mirror_ledgers (company, master_id, alter_id, guid, name, name_key, parent, parent_key, mobile, mobile_e164,
    email, state, gstin, bill_wise, credit_period, credit_days, opening, address, country, pincode, gst_registration_type)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT (company, master_id) DO UPDATE SET alter_id = EXCLUDED.alter_id, guid = EXCLUDED.guid, name = EXCLUDED.name,
    name_key = EXCLUDED.name_key, parent = EXCLUDED.parent, parent_key = EXCLUDED.parent_key, mobile = EXCLUDED.mobile,
    mobile_e164 = EXCLUDED.mobile_e164, email = EXCLUDED.email, state = EXCLUDED.state, gstin = EXCLUDED.gstin,
    bill_wise = EXCLUDED.bill_wise, credit_period = EXCLUDED.credit_period, credit_days = EXCLUDED.credit_days,
    opening = EXCLUDED.opening, address = EXCLUDED.address, country = EXCLUDED.country, pincode = EXCLUDED.pincode,
    gst_registration_type = EXCLUDED.gst_registration_type`,
				co, l.MasterID, l.AlterID, l.GUID, l.Name, key, l.Parent, service.NameKey(l.Parent), l.Mobile.Raw, l.Mobile.E164,
				l.Email, l.State, l.GSTIN, l.BillWise, l.CreditPeriod, credit, int64(l.Opening),
				strings.Join(l.Address, "\n"), l.Country, l.Pincode, l.GSTRegistrationType); err != nil {
				return err
			}
		}
		if len(goneLedgers) > 0 {
			rows, err := tx.Query(ctx, `DELETE FROM mirror_ledgers WHERE company = $1 AND master_id = ANY($2) RETURNING name_key`, co, goneLedgers)
			if err != nil {
				return err
			}
			gone, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			touched = append(touched, gone...)
		}
		if len(touched) == 0 {
			return nil
		}
		return recompute(ctx, tx, co, touched)
	})
}

// inTx runs fn in a transaction and translates its error.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	return translate(pgx.BeginFunc(ctx, s.pool, fn), op)
}

// ApplyVouchers implements service.BooksStore. A batch is deleted and
// copied in again (COPY), which is both the upsert and the fastest way in.
func (s *Store) ApplyVouchers(ctx context.Context, company string, vouchers []service.MirrorVoucher, gone []int64, doRecompute bool) error {
	co := service.NameKey(company)
	ids := make([]int64, 0, len(vouchers)+len(gone))
	for _, v := range vouchers {
		ids = append(ids, v.MasterID)
	}
	ids = append(ids, gone...)
	if len(ids) == 0 {
		return nil
	}
	return s.inTx(ctx, "apply vouchers", func(tx pgx.Tx) error {
		var touched []string
		if doRecompute {
			rows, err := tx.Query(ctx, `SELECT DISTINCT ledger_key FROM mirror_entries WHERE company = $1 AND voucher_id = ANY($2)`, co, ids)
			if err != nil {
				return err
			}
			if touched, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		for _, t := range []string{"mirror_entries", "mirror_bill_allocs", "mirror_inventory"} {
			b.Queue(`DELETE FROM `+t+` WHERE company = $1 AND voucher_id = ANY($2)`, co, ids)
		}
		b.Queue(`DELETE FROM mirror_vouchers WHERE company = $1 AND master_id = ANY($2)`, co, ids)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		var vrows, erows, arows, irows [][]any
		for _, v := range vouchers {
			vrows = append(vrows, []any{co, v.MasterID, v.AlterID, v.GUID, v.RemoteID, v.Type, v.Class, v.Number, nullDate(v.Date),
				v.Party, v.Narration, v.Cancelled, v.Optional})
			for i, e := range v.Entries {
				key := service.NameKey(e.Ledger)
				touched = append(touched, key)
				erows = append(erows, []any{co, v.MasterID, i, e.Ledger, key, int64(e.Amount)})
				for j, a := range e.Bills {
					arows = append(arows, []any{co, v.MasterID, i, j, key, a.Name, a.Type, int64(a.Amount), nullDate(a.Due)})
				}
			}
			for i, it := range v.Inventory {
				irows = append(irows, []any{co, v.MasterID, i, it.Item, it.Quantity, it.Rate, int64(it.Amount)})
			}
		}
		for _, c := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"mirror_vouchers", []string{"company", "master_id", "alter_id", "guid", "remote_id", "vtype", "class", "number", "date", "party", "narration", "cancelled", "optional"}, vrows},
			{"mirror_entries", []string{"company", "voucher_id", "line", "ledger", "ledger_key", "amount"}, erows},
			{"mirror_bill_allocs", []string{"company", "voucher_id", "line", "seq", "ledger_key", "name", "btype", "amount", "due"}, arows},
			{"mirror_inventory", []string{"company", "voucher_id", "line", "item", "quantity", "rate", "amount"}, irows},
		} {
			if len(c.rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return err
			}
		}
		if !doRecompute {
			return nil
		}
		return recompute(ctx, tx, co, touched)
	})
}

// nullDate is a calendar date for a DATE column, nil for the zero time.
func nullDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// closingSQL recomputes closing balances: the opening balance plus every
// entry of a voucher that is neither cancelled nor optional (neither affects
// Tally's balances). $2 NULL means every ledger of the company.
const closingSQL = `
UPDATE mirror_ledgers l SET closing = l.opening + COALESCE((
    SELECT SUM(e.amount) FROM mirror_entries e
    JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
    WHERE e.company = l.company AND e.ledger_key = l.name_key AND NOT v.cancelled AND NOT v.optional), 0)
WHERE l.company = $1 AND ($2::text[] IS NULL OR l.name_key = ANY($2))`

// allocsSQL reads bill allocations in the order service.FoldBills wants.
const allocsSQL = `
SELECT a.ledger_key, l.name, a.name, a.btype, v.date, a.due, a.amount, l.credit_days
FROM mirror_bill_allocs a
JOIN mirror_vouchers v ON v.company = a.company AND v.master_id = a.voucher_id
JOIN mirror_ledgers l ON l.company = a.company AND l.name_key = a.ledger_key
WHERE a.company = $1 AND ($2::text[] IS NULL OR a.ledger_key = ANY($2))
  AND NOT v.cancelled AND NOT v.optional AND l.bill_wise
ORDER BY a.ledger_key, a.name, v.date, v.master_id, a.line, a.seq`

var billCols = []string{"company", "ledger_key", "ref", "party", "bill_date", "due", "pending"}

// recompute recomputes the closing balances and bills of the ledgers keyed
// keys (nil: all) inside tx. The allocations are read in full before the
// bills are written (one connection cannot do both at once); the ledgers of
// one incremental sync are few.
func recompute(ctx context.Context, tx pgx.Tx, co string, keys []string) error {
	if _, err := tx.Exec(ctx, closingSQL, co, keys); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM mirror_bills WHERE company = $1 AND ($2::text[] IS NULL OR ledger_key = ANY($2))`, co, keys); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, allocsSQL, co, keys)
	if err != nil {
		return err
	}
	var bills [][]any
	err = service.FoldBills(scanAllocs(rows), func(b service.MirrorBillRow) error {
		bills = append(bills, billRow(co, b))
		return nil
	})
	if err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"mirror_bills"}, billCols, pgx.CopyFromRows(bills))
	return err
}

func billRow(co string, b service.MirrorBillRow) []any {
	return []any{co, b.Key, b.Ref, b.Party, nullDate(b.Date), nullDate(b.Due), int64(b.Pending)}
}

func scanAllocs(rows pgx.Rows) iter.Seq2[service.BillAlloc, error] {
	return func(yield func(service.BillAlloc, error) bool) {
		defer rows.Close()
		for rows.Next() {
			var a service.BillAlloc
			var date, due *time.Time
			var amount int64
			var days *int
			if err := rows.Scan(&a.LedgerKey, &a.Party, &a.Name, &a.Type, &date, &due, &amount, &days); err != nil {
				yield(a, err)
				return
			}
			a.Date, a.Due, a.Amount = fromNull(date), fromNull(due), service.Paise(amount)
			if days != nil {
				a.CreditDays, a.HasCreditDays = *days, true
			}
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(service.BillAlloc{}, err)
		}
	}
}

// RecomputeAll implements service.BooksStore. The allocations stream from
// one connection while the bills are copied in chunks through the
// transaction on another, so memory stays flat however many bills there are.
func (s *Store) RecomputeAll(ctx context.Context, company string) error {
	if err := s.recomputeAll(ctx, company); err != nil {
		return err
	}
	// A bulk load leaves the planner without statistics until autovacuum
	// comes round, and a page read then scans every bill: analyze now.
	_, err := s.pool.Exec(ctx, `ANALYZE mirror_bills, mirror_ledgers, mirror_vouchers, mirror_entries, mirror_bill_allocs`)
	return translate(err, "analyze mirror")
}

func (s *Store) recomputeAll(ctx context.Context, company string) error {
	co := service.NameKey(company)
	return s.inTx(ctx, "recompute mirror", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, closingSQL, co, nil); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mirror_bills WHERE company = $1`, co); err != nil {
			return err
		}
		rows, err := s.pool.Query(ctx, allocsSQL, co, nil)
		if err != nil {
			return err
		}
		var chunk [][]any
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"mirror_bills"}, billCols, pgx.CopyFromRows(chunk))
			chunk = chunk[:0]
			return err
		}
		err = service.FoldBills(scanAllocs(rows), func(b service.MirrorBillRow) error {
			chunk = append(chunk, billRow(co, b))
			if len(chunk) == 5000 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	})
}

// ResetBooks implements service.BooksStore.
func (s *Store) ResetBooks(ctx context.Context, company string) error {
	co := service.NameKey(company)
	return s.inTx(ctx, "reset mirror", func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, t := range []string{"mirror_bills", "mirror_inventory", "mirror_bill_allocs", "mirror_entries", "mirror_vouchers",
			"mirror_ledgers", "mirror_groups", "mirror_company", "mirror_sync"} {
			b.Queue(`DELETE FROM `+t+` WHERE company = $1`, co)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// MirrorIDs implements service.BooksStore.
func (s *Store) MirrorIDs(ctx context.Context, company string) (groups, ledgers []int64, vouchers []service.ObjectID, err error) {
	co := service.NameKey(company)
	ids := func(table string) ([]int64, error) {
		rows, err := s.pool.Query(ctx, `SELECT master_id FROM `+table+` WHERE company = $1`, co)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if groups, err = ids("mirror_groups"); err != nil {
		return nil, nil, nil, translate(err, "mirror ids")
	}
	if ledgers, err = ids("mirror_ledgers"); err != nil {
		return nil, nil, nil, translate(err, "mirror ids")
	}
	rows, err := s.pool.Query(ctx, `SELECT master_id, alter_id FROM mirror_vouchers WHERE company = $1`, co)
	if err != nil {
		return nil, nil, nil, translate(err, "mirror ids")
	}
	vouchers, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.ObjectID, error) {
		var id service.ObjectID
		err := r.Scan(&id.MasterID, &id.AlterID)
		return id, err
	})
	return groups, ledgers, vouchers, translate(err, "mirror ids")
}

// MirrorCounts implements service.BooksStore.
func (s *Store) MirrorCounts(ctx context.Context, company string) (service.MirrorCounts, error) {
	var c service.MirrorCounts
	err := s.pool.QueryRow(ctx, `
SELECT (SELECT count(*) FROM mirror_groups WHERE company = $1), (SELECT count(*) FROM mirror_ledgers WHERE company = $1),
       (SELECT count(*) FROM mirror_vouchers WHERE company = $1), (SELECT count(*) FROM mirror_bills WHERE company = $1)`,
		service.NameKey(company)).Scan(&c.Groups, &c.Ledgers, &c.Vouchers, &c.Bills)
	return c, translate(err, "count mirror")
}

// MirrorGroups implements service.BooksStore.
func (s *Store) MirrorGroups(ctx context.Context, company string) ([]service.MirrorGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT master_id, alter_id, guid, name, parent FROM mirror_groups WHERE company = $1 ORDER BY name_key`,
		service.NameKey(company))
	if err != nil {
		return nil, translate(err, "mirror groups")
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MirrorGroup, error) {
		var g service.MirrorGroup
		err := r.Scan(&g.MasterID, &g.AlterID, &g.GUID, &g.Name, &g.Parent)
		return g, err
	})
	return out, translate(err, "mirror groups")
}

const ledgerCols = `master_id, alter_id, guid, name, parent, mobile, email, state, gstin, bill_wise, credit_period, opening, closing,
    address, country, pincode, gst_registration_type`

func scanLedger(r pgx.Row) (service.MirrorPartyRow, error) {
	var p service.MirrorPartyRow
	var mobile string
	var opening, closing int64
	var address string
	err := r.Scan(&p.MasterID, &p.AlterID, &p.GUID, &p.Name, &p.Parent, &mobile, &p.Email, &p.State, &p.GSTIN,
		&p.BillWise, &p.CreditPeriod, &opening, &closing, &address, &p.Country, &p.Pincode, &p.GSTRegistrationType)
	if address != "" {
		p.Address = strings.Split(address, "\n")
	}
	p.Mobile = service.NormalizeMobile(mobile)
	p.Opening, p.Closing = service.Paise(opening), service.Paise(closing)
	return p, err
}

// MirrorLedger implements service.BooksStore.
func (s *Store) MirrorLedger(ctx context.Context, company, key string) (service.MirrorLedger, service.Paise, error) {
	p, err := scanLedger(s.pool.QueryRow(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE company = $1 AND name_key = $2
ORDER BY master_id LIMIT 1`, service.NameKey(company), key))
	if err != nil {
		return service.MirrorLedger{}, 0, translate(err, "mirror ledger")
	}
	return p.MirrorLedger, p.Closing, nil
}

func collectLedgers(rows pgx.Rows, err error) ([]service.MirrorPartyRow, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MirrorPartyRow, error) { return scanLedger(r) })
}

// MirrorParties implements service.BooksStore.
func (s *Store) MirrorParties(ctx context.Context, q service.MirrorPartyQuery) ([]service.MirrorPartyRow, int, error) {
	co := service.NameKey(q.Company)
	parents := make([]string, len(q.Groups))
	for i, g := range q.Groups {
		parents[i] = service.NameKey(g)
	}
	const where = `company = $1 AND parent_key = ANY($2) AND ($3 = '' OR strpos(lower(name), $3) > 0)`
	page, err := collectLedgers(s.pool.Query(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE `+where+`
AND name_key > $4 ORDER BY name_key LIMIT $5`, co, parents, q.Search, q.After, q.Limit))
	if err != nil {
		return nil, 0, translate(err, "mirror parties")
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM mirror_ledgers WHERE `+where, co, parents, q.Search).Scan(&total); err != nil {
		return nil, 0, translate(err, "count mirror parties")
	}
	return page, total, nil
}

// MirrorPartiesByMobile implements service.BooksStore.
func (s *Store) MirrorPartiesByMobile(ctx context.Context, company, e164 string) ([]service.MirrorPartyRow, error) {
	out, err := collectLedgers(s.pool.Query(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE company = $1 AND mobile_e164 = $2
ORDER BY name_key`, service.NameKey(company), e164))
	return out, translate(err, "mirror parties by mobile")
}

// billWhere selects outstanding bills for a query; its parameters are $1
// company, $2 party, $3 due-before, $4 minimum owed, $5 the side's sign
// (service.BillSide.Sign: -1 a debit pending, 1 a credit, 0 either; a
// stored bill is never zero).
const billWhere = `b.company = $1 AND ($5::int8 = 0 OR $5::int8 * b.pending > 0) AND ($2 = '' OR b.ledger_key = $2)
  AND ($3::date IS NULL OR COALESCE(b.due, b.bill_date) < $3) AND ($5::int8 = 0 OR $5::int8 * b.pending >= $4)`

// MirrorBills implements service.BooksStore.
func (s *Store) MirrorBills(ctx context.Context, q service.MirrorBillQuery, asOf time.Time) ([]service.MirrorBillRow, service.BillTotals, error) {
	co := service.NameKey(q.Company)
	args := []any{co, q.Party, nullDate(q.DueBefore), int64(q.MinOwed), int64(q.Side.Sign())}
	var limit *int
	if q.Limit > 0 {
		limit = &q.Limit
	}
	rows, err := s.pool.Query(ctx, `
SELECT b.party, b.ledger_key, b.ref, b.bill_date, b.due, b.pending FROM mirror_bills b
WHERE `+billWhere+` AND b.ledger_key IN (
    SELECT b.ledger_key FROM mirror_bills b WHERE `+billWhere+` AND b.ledger_key > $6
    GROUP BY b.ledger_key ORDER BY b.ledger_key LIMIT $7)
ORDER BY b.ledger_key, COALESCE(b.due, b.bill_date), b.ref`, append(args, q.After, limit)...)
	if err != nil {
		return nil, service.BillTotals{}, translate(err, "mirror bills")
	}
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (service.MirrorBillRow, error) {
		var b service.MirrorBillRow
		var date, due *time.Time
		var pending int64
		err := r.Scan(&b.Party, &b.Key, &b.Ref, &date, &due, &pending)
		b.Date, b.Due, b.Pending = fromNull(date), fromNull(due), service.Paise(pending)
		return b, err
	})
	if err != nil {
		return nil, service.BillTotals{}, translate(err, "mirror bills")
	}
	var t service.BillTotals
	if q.NoTotals {
		return page, t, nil
	}
	var total, overdue int64
	err = s.pool.QueryRow(ctx, `
SELECT count(*), COALESCE(sum(b.pending), 0), COALESCE(sum(CASE WHEN COALESCE(b.due, b.bill_date) < $6 THEN b.pending ELSE 0 END), 0)
FROM mirror_bills b WHERE `+billWhere, append(args, nullDate(asOf))...).Scan(&t.Bills, &total, &overdue)
	t.Total, t.OverdueTotal = service.Paise(total), service.Paise(overdue)
	if err != nil || q.Ageing == nil {
		return page, t, translate(err, "mirror bill totals")
	}
	// The bucket of a bill is the number of bounds below its days past
	// due (service.AgeingIndex); a bill without dates is in the first.
	bounds := make([]int32, len(q.Ageing))
	for i, b := range q.Ageing {
		bounds[i] = int32(b)
	}
	rows, err = s.pool.Query(ctx, `
SELECT k, count(*), sum(pending) FROM (
    SELECT (SELECT count(*) FROM unnest($7::int4[]) x WHERE x < $6::date - COALESCE(b.due, b.bill_date)) AS k, b.pending
    FROM mirror_bills b WHERE `+billWhere+`) aged
GROUP BY k`, append(args, nullDate(asOf), bounds)...)
	if err != nil {
		return nil, service.BillTotals{}, translate(err, "mirror ageing")
	}
	t.Ageing = service.NewAgeing(q.Ageing)
	var k, n, sum int64
	_, err = pgx.ForEachRow(rows, []any{&k, &n, &sum}, func() error {
		t.Ageing[k].Bills, t.Ageing[k].Amount = int(n), service.Paise(sum)
		return nil
	})
	return page, t, translate(err, "mirror ageing")
}
