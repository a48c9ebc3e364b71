package pgstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// The reports Tally gave, kept for when it is off (service.ReportStore,
// migration 00007).

var _ service.ReportStore = (*Store)(nil)

// SaveReport implements service.ReportStore.
func (s *Store) SaveReport(ctx context.Context, r service.ReportSnapshot) error {
	rows, err := json.Marshal(r.Rows)
	if err != nil {
		return translate(err, "encode report")
	}
	_, err = s.pool.Exec(ctx, `
INSERT INTO report_snapshots (company, name, kind, as_of, from_date, rows, fetched_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (company, kind, as_of) DO UPDATE SET name = EXCLUDED.name, from_date = EXCLUDED.from_date,
    rows = EXCLUDED.rows, fetched_at = EXCLUDED.fetched_at`,
		service.NameKey(r.Company), r.Company, string(r.Kind), r.AsOf, nullDate(r.From), rows, dbTime(r.FetchedAt))
	return translate(err, "save report")
}

// LastReport implements service.ReportStore.
func (s *Store) LastReport(ctx context.Context, company string, kind service.ReportKind, asOf time.Time) (service.ReportSnapshot, error) {
	out := service.ReportSnapshot{Kind: kind}
	var from *time.Time
	var rows []byte
	err := s.pool.QueryRow(ctx, `
SELECT name, as_of, from_date, rows, fetched_at FROM report_snapshots
WHERE company = $1 AND kind = $2 AND as_of <= $3
ORDER BY as_of DESC LIMIT 1`, service.NameKey(company), string(kind), asOf).Scan(&out.Company, &out.AsOf, &from, &rows, &out.FetchedAt)
	if err != nil {
		return service.ReportSnapshot{}, translate(err, "read report")
	}
	out.AsOf, out.From, out.FetchedAt = out.AsOf.UTC(), fromNull(from), out.FetchedAt.UTC()
	if err := json.Unmarshal(rows, &out.Rows); err != nil {
		return service.ReportSnapshot{}, translate(err, "decode report")
	}
	return out, nil
}
