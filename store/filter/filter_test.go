package filter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

func TestQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		q        *Query
		party    string
		state    string
		limit    int
		want     string
		wantArgs []any
	}{
		{"postgres, two filters", Postgres(), "P", "posted", 10,
			"SELECT * FROM orders WHERE state = $1 AND party = $2 ORDER BY created_at DESC LIMIT $3", []any{"posted", "P", 10}},
		{"postgres, one filter left empty", Postgres(), "P", "", 0,
			"SELECT * FROM orders WHERE party = $1 ORDER BY created_at DESC LIMIT $2", []any{"P", service.DefaultPageSize}},
		{"sqlite, no filter, page too large", SQLite(), "", "", 10_000,
			"SELECT * FROM orders ORDER BY created_at DESC LIMIT ?", []any{service.MaxPageSize}},
		{"sqlite, two filters", SQLite(), "P", "posted", 2,
			"SELECT * FROM orders WHERE state = ? AND party = ? ORDER BY created_at DESC LIMIT ?", []any{"posted", "P", 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Where(tc.state != "", "state = ?", tc.state)
			tc.q.Where(tc.party != "", "party = ?", tc.party)
			if got := tc.q.SQL("SELECT * FROM orders", "created_at DESC", tc.limit); got != tc.want {
				t.Errorf("SQL\n got %s\nwant %s", got, tc.want)
			}
			if diff := cmp.Diff(tc.wantArgs, tc.q.Args); diff != "" {
				t.Errorf("Args (-want +got):\n%s", diff)
			}
		})
	}
}
