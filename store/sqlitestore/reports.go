package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// The reports Tally gave, kept for when it is off (service.ReportStore,
// migration 00007), with the same semantics as pgstore's.

var _ service.ReportStore = (*Store)(nil)

// SaveReport implements service.ReportStore.
func (s *Store) SaveReport(ctx context.Context, r service.ReportSnapshot) error {
	rows, err := json.Marshal(r.Rows)
	if err != nil {
		return translate(err)
	}
	_, err = s.db.ExecContext(ctx, `
INSERT INTO report_snapshots (company, name, kind, as_of, from_date, rows, fetched_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (company, kind, as_of) DO UPDATE SET name = excluded.name, from_date = excluded.from_date,
    rows = excluded.rows, fetched_at = excluded.fetched_at`,
		service.NameKey(r.Company), r.Company, string(r.Kind), r.AsOf.Format(time.DateOnly), dateText(r.From), string(rows), toDB(r.FetchedAt))
	return translate(err)
}

// LastReport implements service.ReportStore.
func (s *Store) LastReport(ctx context.Context, company string, kind service.ReportKind, asOf time.Time) (service.ReportSnapshot, error) {
	out := service.ReportSnapshot{Kind: kind}
	var asOfText sql.NullString
	var from sql.NullString
	var rows string
	var fetched int64
	err := s.db.QueryRowContext(ctx, `
SELECT name, as_of, from_date, rows, fetched_at FROM report_snapshots
WHERE company = ? AND kind = ? AND as_of <= ?
ORDER BY as_of DESC LIMIT 1`, service.NameKey(company), string(kind), asOf.Format(time.DateOnly)).Scan(&out.Company, &asOfText, &from, &rows, &fetched)
	if err != nil {
		return service.ReportSnapshot{}, translate(err)
	}
	out.AsOf, out.From, out.FetchedAt = fromDateText(asOfText), fromDateText(from), fromDB(fetched)
	if err := json.Unmarshal([]byte(rows), &out.Rows); err != nil {
		return service.ReportSnapshot{}, translate(err)
	}
	return out, nil
}
