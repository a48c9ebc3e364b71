package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// The mirror of Tally's books (service.BooksStore, migrations 00004), with
// the same semantics as pgstore's. Lists of keys go to SQLite as a JSON
// array read with json_each; dates are 'YYYY-MM-DD' text, which sorts.

var _ service.BooksStore = (*Store)(nil)

// SyncState implements service.BooksStore.
func (s *Store) SyncState(ctx context.Context, company string) (service.SyncState, error) {
	var st service.SyncState
	var probe, synced, change, reconcile, errAt sql.NullInt64
	var ms int64
	var loaded int
	var check sql.NullString
	err := s.db.QueryRowContext(ctx, `
SELECT name, guid, masters, vouchers, loaded, last_probe, last_sync, last_change, last_reconcile, sync_ms,
       last_error, last_error_at, check_result
FROM mirror_sync WHERE company = ?`, service.NameKey(company)).Scan(&st.Company, &st.GUID, &st.Masters, &st.Vouchers,
		&loaded, &probe, &synced, &change, &reconcile, &ms, &st.LastError, &errAt, &check)
	if err != nil {
		return service.SyncState{}, translate(err)
	}
	st.Loaded = loaded != 0
	st.LastProbe, st.LastSync, st.LastChange = fromDBNull(probe), fromDBNull(synced), fromDBNull(change)
	st.LastReconcile, st.LastErrorAt = fromDBNull(reconcile), fromDBNull(errAt)
	st.SyncDuration = time.Duration(ms) * time.Millisecond
	if check.Valid && check.String != "" {
		if err := json.Unmarshal([]byte(check.String), &st.Check); err != nil {
			return service.SyncState{}, translate(err)
		}
	}
	return st, nil
}

// SaveSyncState implements service.BooksStore.
func (s *Store) SaveSyncState(ctx context.Context, st service.SyncState) error {
	check, err := json.Marshal(st.Check)
	if err != nil {
		return translate(err)
	}
	_, err = s.db.ExecContext(ctx, `
INSERT INTO mirror_sync (company, name, guid, masters, vouchers, loaded, last_probe, last_sync, last_change,
    last_reconcile, sync_ms, last_error, last_error_at, check_result)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company) DO UPDATE SET name = excluded.name, guid = excluded.guid, masters = excluded.masters,
    vouchers = excluded.vouchers, loaded = excluded.loaded, last_probe = excluded.last_probe,
    last_sync = excluded.last_sync, last_change = excluded.last_change, last_reconcile = excluded.last_reconcile,
    sync_ms = excluded.sync_ms, last_error = excluded.last_error, last_error_at = excluded.last_error_at,
    check_result = excluded.check_result`,
		service.NameKey(st.Company), st.Company, st.GUID, st.Masters, st.Vouchers, boolInt(st.Loaded), toDBNull(st.LastProbe),
		toDBNull(st.LastSync), toDBNull(st.LastChange), toDBNull(st.LastReconcile), st.SyncDuration.Milliseconds(),
		st.LastError, toDBNull(st.LastErrorAt), string(check))
	return translate(err)
}

// TrySyncLock implements service.BooksStore. One SQLite file serves one
// process, so an in-process mutex per company is the lock.
func (s *Store) TrySyncLock(_ context.Context, company string) (func(), bool, error) {
	m, _ := s.mirrorLocks.LoadOrStore(service.NameKey(company), &sync.Mutex{})
	mu := m.(*sync.Mutex)
	if !mu.TryLock() {
		return nil, false, nil
	}
	return mu.Unlock, true, nil
}

// jsonKeys encodes keys for json_each; nil stays NULL (every key).
func jsonKeys(keys []string) any {
	if keys == nil {
		return nil
	}
	b, _ := json.Marshal(keys) // a []string always encodes
	return string(b)
}

// ApplyMasters implements service.BooksStore.
func (s *Store) ApplyMasters(ctx context.Context, company string, groups []service.MirrorGroup, ledgers []service.MirrorLedger, goneGroups, goneLedgers []int64) error {
	co := service.NameKey(company)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, g := range groups {
			if _, err := tx.ExecContext(ctx, `
INSERT INTO mirror_groups (company, master_id, alter_id, guid, name, name_key, parent) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company, master_id) DO UPDATE SET alter_id = excluded.alter_id, guid = excluded.guid, name = excluded.name,
    name_key = excluded.name_key, parent = excluded.parent`,
				co, g.MasterID, g.AlterID, g.GUID, g.Name, service.NameKey(g.Name), g.Parent); err != nil {
				return err
			}
		}
		if len(goneGroups) > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_groups WHERE company = ? AND master_id IN (SELECT value FROM json_each(?))`,
				co, jsonIDs(goneGroups)); err != nil {
				return err
			}
		}
		// A renamed ledger keeps its MasterID and Tally shows the new name in
		// every voucher without a new AlterID: the entries follow it here.
		var touched []string
		for _, l := range ledgers {
			key := service.NameKey(l.Name)
			touched = append(touched, key)
			var old string
			err := tx.QueryRowContext(ctx, `SELECT name_key FROM mirror_ledgers WHERE company = ? AND master_id = ?`, co, l.MasterID).Scan(&old)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if old != "" && old != key {
				touched = append(touched, old)
				if _, err := tx.ExecContext(ctx, `UPDATE mirror_entries SET ledger = ?, ledger_key = ? WHERE company = ? AND ledger_key = ?`, l.Name, key, co, old); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE mirror_bill_allocs SET ledger_key = ? WHERE company = ? AND ledger_key = ?`, key, co, old); err != nil {
					return err
				}
			}
			var credit sql.NullInt64
			if days, ok := l.CreditDays(); ok {
				credit = sql.NullInt64{Int64: int64(days), Valid: true}
			}
			if _, err := tx.ExecContext(ctx, `
INSERT INTO mirror_ledgers (company, master_id, alter_id, guid, name, name_key, parent, parent_key, mobile, mobile_e164,
    email, state, gstin, bill_wise, credit_period, credit_days, opening, address, country, pincode, gst_registration_type)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company, master_id) DO UPDATE SET alter_id = excluded.alter_id, guid = excluded.guid, name = excluded.name,
    name_key = excluded.name_key, parent = excluded.parent, parent_key = excluded.parent_key, mobile = excluded.mobile,
    mobile_e164 = excluded.mobile_e164, email = excluded.email, state = excluded.state, gstin = excluded.gstin,
    bill_wise = excluded.bill_wise, credit_period = excluded.credit_period, credit_days = excluded.credit_days,
    opening = excluded.opening, address = excluded.address, country = excluded.country, pincode = excluded.pincode,
    gst_registration_type = excluded.gst_registration_type`,
				co, l.MasterID, l.AlterID, l.GUID, l.Name, key, l.Parent, service.NameKey(l.Parent), l.Mobile.Raw, l.Mobile.E164,
				l.Email, l.State, l.GSTIN, boolInt(l.BillWise), l.CreditPeriod, credit, int64(l.Opening),
				strings.Join(l.Address, "\n"), l.Country, l.Pincode, l.GSTRegistrationType); err != nil {
				return err
			}
		}
		if len(goneLedgers) > 0 {
			gone, err := queryStrings(ctx, tx, `DELETE FROM mirror_ledgers WHERE company = ? AND master_id IN (SELECT value FROM json_each(?)) RETURNING name_key`,
				co, jsonIDs(goneLedgers))
			if err != nil {
				return err
			}
			touched = append(touched, gone...)
		}
		if len(touched) == 0 {
			return nil
		}
		return s.recompute(ctx, tx, co, touched)
	})
}

func jsonIDs(ids []int64) string {
	b, _ := json.Marshal(ids) // an []int64 always encodes
	return string(b)
}

func queryStrings(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// dateText is a calendar date as 'YYYY-MM-DD', NULL for the zero time.
func dateText(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: t.Format(time.DateOnly), Valid: true}
}

func fromDateText(s sql.NullString) time.Time {
	if !s.Valid || s.String == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.DateOnly, s.String) // written by dateText
	return t
}

// ApplyVouchers implements service.BooksStore.
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
	idList := jsonIDs(ids)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var touched []string
		if doRecompute {
			var err error
			touched, err = queryStrings(ctx, tx, `SELECT DISTINCT ledger_key FROM mirror_entries WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?))`, co, idList)
			if err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM mirror_entries WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?))`,
			`DELETE FROM mirror_bill_allocs WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?))`,
			`DELETE FROM mirror_inventory WHERE company = ? AND voucher_id IN (SELECT value FROM json_each(?))`,
			`DELETE FROM mirror_vouchers WHERE company = ? AND master_id IN (SELECT value FROM json_each(?))`,
		} {
			if _, err := tx.ExecContext(ctx, q, co, idList); err != nil {
				return err
			}
		}
		stmts := map[string]*sql.Stmt{}
		for name, q := range map[string]string{
			"v": `INSERT INTO mirror_vouchers (company, master_id, alter_id, guid, remote_id, vtype, class, number, date, party, narration, cancelled, optional) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"e": `INSERT INTO mirror_entries (company, voucher_id, line, ledger, ledger_key, amount) VALUES (?, ?, ?, ?, ?, ?)`,
			"a": `INSERT INTO mirror_bill_allocs (company, voucher_id, line, seq, ledger_key, name, btype, amount, due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"i": `INSERT INTO mirror_inventory (company, voucher_id, line, item, quantity, rate, amount) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		} {
			st, err := tx.PrepareContext(ctx, q)
			if err != nil {
				return err
			}
			defer st.Close()
			stmts[name] = st
		}
		for _, v := range vouchers {
			if _, err := stmts["v"].ExecContext(ctx, co, v.MasterID, v.AlterID, v.GUID, v.RemoteID, v.Type, v.Class, v.Number, dateText(v.Date),
				v.Party, v.Narration, boolInt(v.Cancelled), boolInt(v.Optional)); err != nil {
				return err
			}
			for i, e := range v.Entries {
				key := service.NameKey(e.Ledger)
				touched = append(touched, key)
				if _, err := stmts["e"].ExecContext(ctx, co, v.MasterID, i, e.Ledger, key, int64(e.Amount)); err != nil {
					return err
				}
				for j, a := range e.Bills {
					if _, err := stmts["a"].ExecContext(ctx, co, v.MasterID, i, j, key, a.Name, a.Type, int64(a.Amount), dateText(a.Due)); err != nil {
						return err
					}
				}
			}
			for i, it := range v.Inventory {
				if _, err := stmts["i"].ExecContext(ctx, co, v.MasterID, i, it.Item, it.Quantity, it.Rate, int64(it.Amount)); err != nil {
					return err
				}
			}
		}
		if !doRecompute {
			return nil
		}
		return s.recompute(ctx, tx, co, touched)
	})
}

// closingSQL and allocsSQL are pgstore's; ?2 NULL means every ledger.
const closingSQL = `
UPDATE mirror_ledgers AS l SET closing = l.opening + COALESCE((
    SELECT SUM(e.amount) FROM mirror_entries e
    JOIN mirror_vouchers v ON v.company = e.company AND v.master_id = e.voucher_id
    WHERE e.company = l.company AND e.ledger_key = l.name_key AND NOT v.cancelled AND NOT v.optional), 0)
WHERE l.company = ?1 AND (?2 IS NULL OR l.name_key IN (SELECT value FROM json_each(?2)))`

const allocsSQL = `
SELECT a.ledger_key, l.name, a.name, a.btype, v.date, a.due, a.amount, l.credit_days
FROM mirror_bill_allocs a
JOIN mirror_vouchers v ON v.company = a.company AND v.master_id = a.voucher_id
JOIN mirror_ledgers l ON l.company = a.company AND l.name_key = a.ledger_key
WHERE a.company = ?1 AND (?2 IS NULL OR a.ledger_key IN (SELECT value FROM json_each(?2)))
  AND NOT v.cancelled AND NOT v.optional AND l.bill_wise
ORDER BY a.ledger_key, a.name, v.date, v.master_id, a.line, a.seq`

const insertBillSQL = `INSERT INTO mirror_bills (company, ledger_key, ref, party, bill_date, due, pending) VALUES (?, ?, ?, ?, ?, ?, ?)`

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// writeBills folds the allocations read through from and inserts the bills
// through tx, one row at a time as they fold, so memory stays flat. from may
// be the transaction itself: database/sql buffers nothing, but SQLite lets a
// connection step a SELECT while it inserts into another table.
func writeBills(ctx context.Context, tx *sql.Tx, from queryer, co string, keys any) error {
	if _, err := tx.ExecContext(ctx, closingSQL, co, keys); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_bills WHERE company = ?1 AND (?2 IS NULL OR ledger_key IN (SELECT value FROM json_each(?2)))`, co, keys); err != nil {
		return err
	}
	ins, err := tx.PrepareContext(ctx, insertBillSQL)
	if err != nil {
		return err
	}
	defer ins.Close()
	rows, err := from.QueryContext(ctx, allocsSQL, co, keys)
	if err != nil {
		return err
	}
	var bills []service.MirrorBillRow
	err = service.FoldBills(scanAllocs(rows), func(b service.MirrorBillRow) error {
		bills = append(bills, b)
		if len(bills) < 1000 {
			return nil
		}
		return flushBills(ctx, ins, co, &bills)
	})
	if err != nil {
		return err
	}
	return flushBills(ctx, ins, co, &bills)
}

func flushBills(ctx context.Context, ins *sql.Stmt, co string, bills *[]service.MirrorBillRow) error {
	for _, b := range *bills {
		if _, err := ins.ExecContext(ctx, co, b.Key, b.Ref, b.Party, dateText(b.Date), dateText(b.Due), int64(b.Pending)); err != nil {
			return err
		}
	}
	*bills = (*bills)[:0]
	return nil
}

func scanAllocs(rows *sql.Rows) iter.Seq2[service.BillAlloc, error] {
	return func(yield func(service.BillAlloc, error) bool) {
		defer rows.Close()
		for rows.Next() {
			var a service.BillAlloc
			var date, due sql.NullString
			var amount int64
			var days sql.NullInt64
			if err := rows.Scan(&a.LedgerKey, &a.Party, &a.Name, &a.Type, &date, &due, &amount, &days); err != nil {
				yield(a, err)
				return
			}
			a.Date, a.Due, a.Amount = fromDateText(date), fromDateText(due), service.Paise(amount)
			a.CreditDays, a.HasCreditDays = int(days.Int64), days.Valid
			if !yield(a, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(service.BillAlloc{}, err)
		}
	}
}

func (s *Store) recompute(ctx context.Context, tx *sql.Tx, co string, keys []string) error {
	return writeBills(ctx, tx, tx, co, jsonKeys(keys))
}

// RecomputeAll implements service.BooksStore.
func (s *Store) RecomputeAll(ctx context.Context, company string) error {
	co := service.NameKey(company)
	return s.inTx(ctx, func(tx *sql.Tx) error { return writeBills(ctx, tx, tx, co, nil) })
}

// ResetBooks implements service.BooksStore.
func (s *Store) ResetBooks(ctx context.Context, company string) error {
	co := service.NameKey(company)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"mirror_bills", "mirror_inventory", "mirror_bill_allocs", "mirror_entries", "mirror_vouchers",
			"mirror_ledgers", "mirror_groups", "mirror_company", "mirror_sync"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE company = ?`, co); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) int64s(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// MirrorIDs implements service.BooksStore.
func (s *Store) MirrorIDs(ctx context.Context, company string) (groups, ledgers []int64, vouchers []service.ObjectID, err error) {
	co := service.NameKey(company)
	if groups, err = s.int64s(ctx, `SELECT master_id FROM mirror_groups WHERE company = ?`, co); err != nil {
		return nil, nil, nil, translate(err)
	}
	if ledgers, err = s.int64s(ctx, `SELECT master_id FROM mirror_ledgers WHERE company = ?`, co); err != nil {
		return nil, nil, nil, translate(err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT master_id, alter_id FROM mirror_vouchers WHERE company = ?`, co)
	if err != nil {
		return nil, nil, nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id service.ObjectID
		if err := rows.Scan(&id.MasterID, &id.AlterID); err != nil {
			return nil, nil, nil, translate(err)
		}
		vouchers = append(vouchers, id)
	}
	return groups, ledgers, vouchers, translate(rows.Err())
}

// MirrorCounts implements service.BooksStore.
func (s *Store) MirrorCounts(ctx context.Context, company string) (service.MirrorCounts, error) {
	var c service.MirrorCounts
	co := service.NameKey(company)
	err := s.db.QueryRowContext(ctx, `
SELECT (SELECT count(*) FROM mirror_groups WHERE company = ?1), (SELECT count(*) FROM mirror_ledgers WHERE company = ?1),
       (SELECT count(*) FROM mirror_vouchers WHERE company = ?1), (SELECT count(*) FROM mirror_bills WHERE company = ?1)`,
		co).Scan(&c.Groups, &c.Ledgers, &c.Vouchers, &c.Bills)
	return c, translate(err)
}

// MirrorGroups implements service.BooksStore.
func (s *Store) MirrorGroups(ctx context.Context, company string) ([]service.MirrorGroup, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT master_id, alter_id, guid, name, parent FROM mirror_groups WHERE company = ? ORDER BY name_key`,
		service.NameKey(company))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.MirrorGroup
	for rows.Next() {
		var g service.MirrorGroup
		if err := rows.Scan(&g.MasterID, &g.AlterID, &g.GUID, &g.Name, &g.Parent); err != nil {
			return nil, translate(err)
		}
		out = append(out, g)
	}
	return out, translate(rows.Err())
}

const ledgerCols = `master_id, alter_id, guid, name, parent, mobile, email, state, gstin, bill_wise, credit_period, opening, closing,
    address, country, pincode, gst_registration_type`

type scanner interface{ Scan(dest ...any) error }

func scanLedger(r scanner) (service.MirrorPartyRow, error) {
	var p service.MirrorPartyRow
	var mobile string
	var opening, closing int64
	var address string
	var billWise int
	err := r.Scan(&p.MasterID, &p.AlterID, &p.GUID, &p.Name, &p.Parent, &mobile, &p.Email, &p.State, &p.GSTIN,
		&billWise, &p.CreditPeriod, &opening, &closing, &address, &p.Country, &p.Pincode, &p.GSTRegistrationType)
	if address != "" {
		p.Address = strings.Split(address, "\n")
	}
	p.Mobile = service.NormalizeMobile(mobile)
	p.BillWise = billWise != 0
	p.Opening, p.Closing = service.Paise(opening), service.Paise(closing)
	return p, err
}

// MirrorLedger implements service.BooksStore.
func (s *Store) MirrorLedger(ctx context.Context, company, key string) (service.MirrorLedger, service.Paise, error) {
	p, err := scanLedger(s.db.QueryRowContext(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE company = ? AND name_key = ?
ORDER BY master_id LIMIT 1`, service.NameKey(company), key))
	if err != nil {
		return service.MirrorLedger{}, 0, translate(err)
	}
	return p.MirrorLedger, p.Closing, nil
}

func (s *Store) ledgers(ctx context.Context, q string, args ...any) ([]service.MirrorPartyRow, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []service.MirrorPartyRow
	for rows.Next() {
		p, err := scanLedger(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, p)
	}
	return out, translate(rows.Err())
}

// MirrorParties implements service.BooksStore. lower() in SQLite folds ASCII
// only, so a search matches the case of non-Latin letters as typed.
func (s *Store) MirrorParties(ctx context.Context, q service.MirrorPartyQuery) ([]service.MirrorPartyRow, int, error) {
	co := service.NameKey(q.Company)
	parents := make([]string, len(q.Groups))
	for i, g := range q.Groups {
		parents[i] = service.NameKey(g)
	}
	pj := jsonKeys(parents)
	const where = `company = ?1 AND parent_key IN (SELECT value FROM json_each(?2)) AND (?3 = '' OR instr(lower(name), ?3) > 0)`
	page, err := s.ledgers(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE `+where+`
AND name_key > ?4 ORDER BY name_key LIMIT ?5`, co, pj, strings.ToLower(q.Search), q.After, q.Limit)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM mirror_ledgers WHERE `+where, co, pj, strings.ToLower(q.Search)).Scan(&total); err != nil {
		return nil, 0, translate(err)
	}
	return page, total, nil
}

// MirrorPartiesByMobile implements service.BooksStore.
func (s *Store) MirrorPartiesByMobile(ctx context.Context, company, e164 string) ([]service.MirrorPartyRow, error) {
	return s.ledgers(ctx, `SELECT `+ledgerCols+` FROM mirror_ledgers WHERE company = ? AND mobile_e164 = ? ORDER BY name_key`,
		service.NameKey(company), e164)
}

// billWhere is pgstore's: ?1 company, ?2 party, ?3 due-before, ?4 minimum
// owed, ?5 the side's sign.
const billWhere = `b.company = ?1 AND (?5 = 0 OR ?5 * b.pending > 0) AND (?2 = '' OR b.ledger_key = ?2)
  AND (?3 IS NULL OR COALESCE(b.due, b.bill_date) < ?3) AND (?5 = 0 OR ?5 * b.pending >= ?4)`

// MirrorBills implements service.BooksStore.
func (s *Store) MirrorBills(ctx context.Context, q service.MirrorBillQuery, asOf time.Time) ([]service.MirrorBillRow, service.BillTotals, error) {
	co := service.NameKey(q.Company)
	limit := -1 // SQLite: a negative LIMIT is no limit
	if q.Limit > 0 {
		limit = q.Limit
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT b.party, b.ledger_key, b.ref, b.bill_date, b.due, b.pending FROM mirror_bills b
WHERE `+billWhere+` AND b.ledger_key IN (
    SELECT b.ledger_key FROM mirror_bills b WHERE `+billWhere+` AND b.ledger_key > ?6
    GROUP BY b.ledger_key ORDER BY b.ledger_key LIMIT ?7)
ORDER BY b.ledger_key, COALESCE(b.due, b.bill_date), b.ref`,
		co, q.Party, dateText(q.DueBefore), int64(q.MinOwed), q.Side.Sign(), q.After, limit)
	if err != nil {
		return nil, service.BillTotals{}, translate(err)
	}
	defer rows.Close()
	var page []service.MirrorBillRow
	for rows.Next() {
		var b service.MirrorBillRow
		var date, due sql.NullString
		var pending int64
		if err := rows.Scan(&b.Party, &b.Key, &b.Ref, &date, &due, &pending); err != nil {
			return nil, service.BillTotals{}, translate(err)
		}
		b.Date, b.Due, b.Pending = fromDateText(date), fromDateText(due), service.Paise(pending)
		page = append(page, b)
	}
	if err := rows.Err(); err != nil {
		return nil, service.BillTotals{}, translate(err)
	}
	var t service.BillTotals
	if q.NoTotals {
		return page, t, nil
	}
	var total, overdue int64
	err = s.db.QueryRowContext(ctx, `
SELECT count(*), COALESCE(sum(b.pending), 0), COALESCE(sum(CASE WHEN COALESCE(b.due, b.bill_date) < ?6 THEN b.pending ELSE 0 END), 0)
FROM mirror_bills b WHERE `+billWhere, co, q.Party, dateText(q.DueBefore), int64(q.MinOwed), q.Side.Sign(), dateText(asOf)).Scan(&t.Bills, &total, &overdue)
	t.Total, t.OverdueTotal = service.Paise(total), service.Paise(overdue)
	if err != nil || q.Ageing == nil {
		return page, t, translate(err)
	}
	// The bucket of a bill is the number of bounds below its days past
	// due (service.AgeingIndex); a bill without dates is in the first.
	bounds, err := json.Marshal(q.Ageing)
	if err != nil {
		return nil, service.BillTotals{}, translate(err)
	}
	arows, err := s.db.QueryContext(ctx, `
SELECT k, count(*), sum(pending) FROM (
    SELECT (SELECT count(*) FROM json_each(?7) x
            WHERE x.value < CAST(julianday(?6) - julianday(COALESCE(b.due, b.bill_date)) AS INTEGER)) AS k, b.pending
    FROM mirror_bills b WHERE `+billWhere+`) aged
GROUP BY k`, co, q.Party, dateText(q.DueBefore), int64(q.MinOwed), q.Side.Sign(), dateText(asOf), string(bounds))
	if err != nil {
		return nil, service.BillTotals{}, translate(err)
	}
	defer arows.Close()
	t.Ageing = service.NewAgeing(q.Ageing)
	for arows.Next() {
		var k, n, sum int64
		if err := arows.Scan(&k, &n, &sum); err != nil {
			return nil, service.BillTotals{}, translate(err)
		}
		t.Ageing[k].Bills, t.Ageing[k].Amount = int(n), service.Paise(sum)
	}
	return page, t, translate(arows.Err())
}
