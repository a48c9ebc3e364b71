package tallyxml

import (
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

var syncUpdateGolden = flag.Bool("update-sync-golden", false, "rewrite testdata/golden/sync/*.xml")

// TestSyncRequestsGolden pins the envelopes of the mirror's sync.
func TestSyncRequestsGolden(t *testing.T) {
	from, to := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		req  *Request
	}{
		{"alter-ids", AlterIDsRequest()},
		{"groups-all", MastersSinceRequest("ABC & Sons", "Group", 0)},
		{"ledgers-since", MastersSinceRequest("ABC & Sons", "Ledger", 210)},
		{"vouchers-period", VouchersRequest("ABC & Sons", service.VoucherRange{From: from, To: to})},
		{"vouchers-since", VouchersRequest("ABC & Sons", service.VoucherRange{AfterAlterID: 4711})},
		{"voucher-ids", IDsRequest("ABC & Sons", "Voucher")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.Encode(UTF8)
			if err != nil {
				t.Fatal(err)
			}
			compareGolden(t, filepath.Join("testdata", "golden", "sync", tc.name+".xml"), got, *syncUpdateGolden,
				"go test -run TestSyncRequestsGolden -update-sync-golden")
		})
	}
}
