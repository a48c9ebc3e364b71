package tallyxml_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

func TestCreditPeriodDue(t *testing.T) {
	from := tallyxml.NewDate(2026, 6, 1)
	for _, tc := range []struct {
		in   string
		want tallyxml.Date
		ok   bool
	}{
		{"30 Days", tallyxml.NewDate(2026, 7, 1), true},
		{" 1 day", tallyxml.NewDate(2026, 6, 2), true},
		{"0 Days", from, true},
		{"45", tallyxml.NewDate(2026, 7, 16), true},
		{"15-May-2026", tallyxml.NewDate(2026, 5, 15), true},
		{"20260720", tallyxml.NewDate(2026, 7, 20), true},
		{"", tallyxml.Date{}, false},
		{"soon", tallyxml.Date{}, false},
	} {
		got, ok := tallyxml.CreditPeriodDue(tc.in, from)
		if ok != tc.ok || got != tc.want {
			t.Errorf("CreditPeriodDue(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzCreditPeriodDue(f *testing.F) {
	for _, s := range []string{"30 Days", "15-May-2026", "20260720", "99999 days", "", "1-Jan-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := tallyxml.CreditPeriodDue(s, tallyxml.NewDate(2026, 6, 1))
		if !ok && !d.IsZero() {
			t.Fatalf("not ok but a date %v", d)
		}
	})
}

// TestSyncReads follows the demo books through a sync's reads: counters,
// masters and vouchers since an AlterID, a cancel and a delete.
func TestSyncReads(t *testing.T) {
	ctx := context.Background()
	sim := gwStartSim(t)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	c := gwDemo(t, sim)

	ids, err := gw.AlterIDs(ctx, gwCompany)
	if err != nil {
		t.Fatal(err)
	}
	if ids.Masters == 0 || ids.Vouchers == 0 || ids.GUID != c.GUID() {
		t.Fatalf("AlterIDs = %+v", ids)
	}
	if _, err := gw.AlterIDs(ctx, "No Such Co"); service.KindOf(err) != service.Unavailable {
		t.Fatalf("AlterIDs of a company not loaded: %v", err)
	}

	var groups []service.MirrorGroup
	if err := gw.GroupsSince(ctx, gwCompany, 0, func(g service.MirrorGroup) error { groups = append(groups, g); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(groups) != len(c.Groups()) {
		t.Fatalf("%d groups; the simulator has %d", len(groups), len(c.Groups()))
	}
	for _, g := range groups {
		if g.Name == "Capital Account" && g.Parent != "" || g.Name == "Sundry Debtors" && g.Parent != "Current Assets" {
			t.Errorf("group %+v", g)
		}
	}

	// A ledger altered after the probe is the only one read since it.
	if err := c.AlterLedger("Rajesh Enterprises", func(l *tallysim.Ledger) { l.Mobile = "+91 98200 99999" }); err != nil {
		t.Fatal(err)
	}
	var ledgers []service.MirrorLedger
	if err := gw.LedgersSince(ctx, gwCompany, ids.Masters, func(l service.MirrorLedger) error { ledgers = append(ledgers, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ledgers) != 1 || ledgers[0].Name != "Rajesh Enterprises" || ledgers[0].Mobile.E164 != "+919820099999" || !ledgers[0].BillWise {
		t.Fatalf("ledgers since %d: %+v", ids.Masters, ledgers)
	}
	ids2, err := gw.AlterIDs(ctx, gwCompany)
	if err != nil || ids2.Masters <= ids.Masters || ids2.Vouchers != ids.Vouchers {
		t.Fatalf("after a ledger alter: %+v (before %+v), %v", ids2, ids, err)
	}

	// Vouchers by date range carry their entries and bills.
	all := c.Vouchers()
	var got []service.MirrorVoucher
	if err := gw.VouchersIn(ctx, gwCompany, service.VoucherRange{From: all[0].Date.Time(), To: all[len(all)-1].Date.Time()},
		func(v service.MirrorVoucher) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("%d vouchers in the whole range; the simulator has %d", len(got), len(all))
	}
	var billed *service.MirrorVoucher
	for i, v := range got {
		var sum service.Paise
		for _, e := range v.Entries {
			sum += e.Amount
			if len(e.Bills) > 0 && billed == nil && e.Bills[0].Type == "New Ref" {
				billed = &got[i]
			}
		}
		if sum != 0 || v.MasterID == 0 || v.AlterID == 0 || v.GUID == "" {
			t.Errorf("voucher %+v: entries sum %d", v, sum)
		}
	}
	if billed == nil {
		t.Fatal("no voucher with a New Ref bill in the demo books")
	}
	var oneDay []service.MirrorVoucher
	if err := gw.VouchersIn(ctx, gwCompany, service.VoucherRange{From: all[0].Date.Time(), To: all[0].Date.Time()},
		func(v service.MirrorVoucher) error { oneDay = append(oneDay, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(oneDay) == 0 || len(oneDay) == len(all) {
		t.Fatalf("one day's range read %d of %d vouchers", len(oneDay), len(all))
	}

	// A cancel is an alteration: it moves ALTVCHID and comes back with no entries.
	target := all[len(all)-1]
	if err := c.CancelVoucher(target.MasterID); err != nil {
		t.Fatal(err)
	}
	var since []service.MirrorVoucher
	if err := gw.VouchersIn(ctx, gwCompany, service.VoucherRange{AfterAlterID: ids2.Vouchers},
		func(v service.MirrorVoucher) error { since = append(since, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(since) != 1 || since[0].MasterID != target.MasterID || !since[0].Cancelled || len(since[0].Entries) != 0 {
		t.Fatalf("vouchers since %d after a cancel: %+v", ids2.Vouchers, since)
	}
	ids3, _ := gw.AlterIDs(ctx, gwCompany)
	if ids3.Vouchers <= ids2.Vouchers {
		t.Fatalf("ALTVCHID did not move on a cancel: %d then %d", ids2.Vouchers, ids3.Vouchers)
	}

	// A delete leaves the id list and never takes the counter back.
	if err := c.DeleteVoucher(target.MasterID); err != nil {
		t.Fatal(err)
	}
	var vids []service.ObjectID
	if err := gw.VoucherIDs(ctx, gwCompany, func(id service.ObjectID) error { vids = append(vids, id); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(vids) != len(all)-1 || slices.ContainsFunc(vids, func(id service.ObjectID) bool { return id.MasterID == target.MasterID }) {
		t.Fatalf("voucher ids after a delete: %d of %d, deleted one listed?", len(vids), len(all))
	}
	ids4, _ := gw.AlterIDs(ctx, gwCompany)
	if ids4.Vouchers < ids3.Vouchers {
		t.Fatalf("ALTVCHID went back on a delete: %d then %d", ids3.Vouchers, ids4.Vouchers)
	}
	gids, lids, err := gw.MasterIDs(ctx, gwCompany)
	if err != nil || len(gids) != len(c.Groups()) || len(lids) != len(c.Ledgers()) {
		t.Fatalf("MasterIDs: %d groups, %d ledgers, %v", len(gids), len(lids), err)
	}
}

// TestSyncVoucherClass: the sync reads each voucher's class from Tally's
// $$IsSales/$$IsReceipt (§9.7): a company's own type made under Sales (or
// under one of its own made under Sales) is a Sales voucher whatever its
// name; one under Journal is neither, though named like a sale.
func TestSyncVoucherClass(t *testing.T) {
	ctx := context.Background()
	sim := gwStartSim(t)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	c := gwDemo(t, sim)
	for _, vt := range [][2]string{{"Tax Invoice", "Sales"}, {"Counter Bill", "Tax Invoice"}, {"Bank Receipt", "Receipt"},
		{"Sales Adjustment", "Journal"}} {
		if err := c.AddVoucherType(vt[0], vt[1]); err != nil {
			t.Fatal(err)
		}
	}
	day := tallyxml.NewDate(2026, 6, 23)
	want := map[string]string{"Sales": service.SalesVoucherType, "Receipt": service.ReceiptVoucherType,
		"Tax Invoice": service.SalesVoucherType, "Counter Bill": service.SalesVoucherType,
		"Bank Receipt": service.ReceiptVoucherType, "Sales Adjustment": service.ClassOther, "Journal": service.ClassOther}
	for typ := range want {
		if _, err := c.AddVoucher(tallysim.Voucher{Type: typ, Date: day, Party: "Cash", Entries: []tallysim.Entry{
			{Ledger: "Cash", Amount: tallyxml.Paise(-100)}, {Ledger: "Sales", Amount: tallyxml.Paise(100)}}}); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	got := map[string]string{}
	if err := gw.VouchersIn(ctx, gwCompany, service.VoucherRange{From: day.Time(), To: day.Time()}, func(v service.MirrorVoucher) error {
		if prev, seen := got[v.Type]; seen && prev != v.Class {
			t.Errorf("%s vouchers of two classes: %s and %s", v.Type, prev, v.Class)
		}
		got[v.Type] = v.Class
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for typ, class := range want {
		if got[typ] != class {
			t.Errorf("a %s voucher's class: %q; want %q", typ, got[typ], class)
		}
	}
}

// TestVoucherClassUnanswered: a row without the class elements (a Tally
// that does not know the function leaves them out, §9.7) has no class, so
// its type's name decides; a row with them has one.
func TestVoucherClassUnanswered(t *testing.T) {
	row := func(extra string) string {
		return `<ENVELOPE><BODY><DATA><COLLECTION><VOUCHER><DATE>20260623</DATE><VOUCHERTYPENAME>Tax Invoice</VOUCHERTYPENAME>` +
			`<MASTERID> 7</MASTERID>` + extra + `</VOUCHER></COLLECTION></DATA></BODY></ENVELOPE>`
	}
	for _, tc := range []struct {
		extra string
		want  string
	}{
		{"", ""},
		{`<TFVCHISSALES TYPE="Logical">Yes</TFVCHISSALES>`, ""},
		{`<TFVCHISSALES TYPE="Logical">Yes</TFVCHISSALES><TFVCHISRECEIPT TYPE="Logical">No</TFVCHISRECEIPT>`, service.SalesVoucherType},
		{`<TFVCHISSALES TYPE="Logical">No</TFVCHISSALES><TFVCHISRECEIPT TYPE="Logical">Yes</TFVCHISRECEIPT>`, service.ReceiptVoucherType},
		{`<TFVCHISSALES TYPE="Logical">No</TFVCHISSALES><TFVCHISRECEIPT TYPE="Logical">No</TFVCHISRECEIPT>`, service.ClassOther},
	} {
		var got []service.MirrorVoucher
		for v, err := range tallyxml.Vouchers(strings.NewReader(row(tc.extra))) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tallyxml.MirrorVoucherOf(v))
		}
		if len(got) != 1 || got[0].Class != tc.want {
			t.Errorf("%s: %+v; want class %q", tc.extra, got, tc.want)
		}
	}
}
