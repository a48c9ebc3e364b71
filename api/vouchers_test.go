package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dayBookIDs follows a day book's cursors from target and returns every
// voucher id in order, and the number of pages.
func dayBookIDs(t *testing.T, b *testBundle, target string) ([]float64, int) {
	t.Helper()
	var ids []float64
	for pages := 1; pages < 100; pages++ {
		r := b.do(t, call{target: target})
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", target, r.status, r.body)
		}
		m := decode(t, r.body).(map[string]any)
		for _, v := range m["vouchers"].([]any) {
			ids = append(ids, v.(map[string]any)["id"].(float64))
		}
		next, _ := m["next"].(string)
		if next == "" {
			return ids, pages
		}
		u, _ := url.Parse(target)
		q := u.Query()
		q.Set("cursor", next)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	t.Fatal("too many pages")
	return nil, 0
}

// TestDayBook: the day book pages by cursor through the whole period, on
// both stores; filters by type and party; one voucher reads back whole.
func TestDayBook(t *testing.T) {
	t.Parallel()
	for _, durable := range []string{"sqlite", "postgres"} {
		t.Run(durable, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{mirror: true, durable: durable})
			// The demo's vouchers from 1 March (some are before 1 April).
			whole, pages := dayBookIDs(t, b, "/vouchers?from=2026-03-01&limit=500")
			paged, many := dayBookIDs(t, b, "/vouchers?from=2026-03-01&limit=3")
			if len(whole) < 25 || pages != 1 || many < 9 || !cmp.Equal(whole, paged) {
				t.Errorf("%d vouchers in %d page; by 3 a page %d in %d pages: %v vs %v", len(whole), pages, len(paged), many, whole, paged)
			}
			fy, _ := dayBookIDs(t, b, "/vouchers")
			if len(fy) >= len(whole) || len(fy) == 0 {
				t.Errorf("the financial year to date has %d vouchers; from 1 March %d", len(fy), len(whole))
			}
			sales, _ := dayBookIDs(t, b, "/vouchers?from=2026-03-01&type=SALES")
			rajesh, _ := dayBookIDs(t, b, "/vouchers?from=2026-03-01&party=rajesh%20enterprises")
			if len(sales) != 12 || len(rajesh) != 2 {
				t.Errorf("%d sales (want 12), %d vouchers of Rajesh (want 2)", len(sales), len(rajesh))
			}
			r := b.do(t, call{target: "/vouchers/" + strconv.FormatFloat(rajesh[0], 'f', 0, 64)})
			if r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
			checkGolden(t, "voucher_rajesh_sale", withoutSyncedAt(t, r.body))
		})
	}
}

// TestDayBookRefusals: what the day book and a voucher read refuse.
func TestDayBookRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{mirror: true})
	for _, tc := range []struct {
		target string
		status int
		code   string
	}{
		{"/vouchers?cursor=nonsense", http.StatusUnprocessableEntity, "invalid_request"},
		{"/vouchers?from=2026-06-01&to=2026-05-01", http.StatusUnprocessableEntity, "invalid_period"},
		{"/vouchers?limit=501", http.StatusUnprocessableEntity, "invalid_request"},
		{"/vouchers/0", http.StatusUnprocessableEntity, "invalid_request"},
		{"/vouchers/abc", http.StatusUnprocessableEntity, "invalid_request"},
		{"/vouchers/99999", http.StatusNotFound, "voucher_not_found"},
	} {
		r := b.do(t, call{target: tc.target})
		if r.status != tc.status || field(t, r.body, "code") != tc.code {
			t.Errorf("%s: %d %s; want %d %s", tc.target, r.status, r.body, tc.status, tc.code)
		}
	}
}
