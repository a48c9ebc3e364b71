package tallysim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestImportBatchPartial: a request of several vouchers commits each one
// Tally accepts; a refused one is an exception with its LINEERROR, which
// does not name the voucher, as real TallyPrime answered a batch (CREATED
// 49, EXCEPTIONS 1).
func TestImportBatchPartial(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		demo := DemoCompany(fixedToday)
		s := startServer(t, Config{}, demo)
		before := len(demo.Vouchers())
		var objs strings.Builder
		for i := range 50 {
			date := "20261120"
			if i == 17 {
				date = "20240101" // before the books
			}
			objs.WriteString(salesVoucher(fmt.Sprintf("batch-%d", i), date, "Priya Textiles", "100.00", fmt.Sprintf("B-%d", i)))
		}
		var body string
		if legacy {
			body = post(t, s, legacyImport("ABC Traders", "Vouchers", objs.String()))
		} else {
			body = post(t, s, v1Import("ABC Traders", "Vouchers", objs.String()))
		}
		for tag, want := range map[string]string{"CREATED": "49", "EXCEPTIONS": "1", "ERRORS": "0"} {
			if got := counter(t, body, tag); got != want {
				t.Errorf("legacy=%v %s = %s; want %s\n%s", legacy, tag, got, want, body)
			}
		}
		if got := lineErrors(t, body); len(got) != 1 || got[0] != dateOutOfRange {
			t.Errorf("legacy=%v LINEERRORs %q; want the one refusal's text", legacy, got)
		}
		if n := len(demo.Vouchers()); n != before+49 {
			t.Errorf("legacy=%v %d vouchers committed; want 49", legacy, n-before)
		}
		for _, v := range demo.Vouchers() {
			if v.RemoteID == "batch-17" {
				t.Errorf("legacy=%v the refused voucher is in the books", legacy)
			}
		}
	}
}

// TestImportCost: an import costs ImportCost plus VoucherCost per voucher
// (a lower bound only: how much longer it takes depends on the machine).
func TestImportCost(t *testing.T) {
	s := startServer(t, Config{ImportCost: 40 * time.Millisecond, VoucherCost: 20 * time.Millisecond}, DemoCompany(fixedToday))
	var objs strings.Builder
	for i := range 3 {
		objs.WriteString(salesVoucher(fmt.Sprintf("cost-%d", i), "20261120", "Priya Textiles", "100.00", ""))
	}
	post(t, s, v1Import("ABC Traders", "Vouchers", objs.String()))
	reqs := s.Requests()
	if d := reqs[0].Duration; d < 100*time.Millisecond {
		t.Errorf("import of 3 vouchers took %v; want at least 40ms + 3×20ms", d)
	}
}
