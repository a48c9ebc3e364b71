package tallysim

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

func labCompany(name string) *Company {
	return NewCompany(name, tallyxml.NewDate(2026, time.April, 1))
}

// TestSampleRequests replays the real requests Tally accepted
// (tally-samples/SOURCES.md) and checks their recorded outcome.
func TestSampleRequests(t *testing.T) {
	coastal := labCompany("Coastal Test Traders")
	bridge := labCompany("BRIDGE MASTER FIELDS LAB")
	amend := labCompany("BRIDGE AMEND LAB")
	if err := amend.AddLedger(Ledger{Name: "Test Expense B", Parent: "Indirect Expenses"}); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{}, DemoCompany(fixedToday), coastal, bridge, amend)

	steps := []struct {
		file string
		want map[string]string
	}{
		{"request-import-ledgers-create-01.xml", map[string]string{"CREATED": "4", "ERRORS": "0"}},
		{"request-import-voucher-purchase-minimal-01.xml", map[string]string{"CREATED": "1", "LASTVCHID": "1", "ERRORS": "0"}},
		{"request-import-payment-voucher-accepted-01.xml", map[string]string{"CREATED": "1", "ERRORS": "0"}},
		{"request-import-ledger-create-all-masters-02.xml", map[string]string{"CREATED": "1", "ERRORS": "0"}},
		{"request-import-ledger-alter-partial-01.xml", map[string]string{"CREATED": "0", "ALTERED": "1", "ERRORS": "0"}},
	}
	for _, st := range steps {
		body := post(t, s, sample(t, st.file))
		for k, v := range st.want {
			if got := counter(t, body, k); got != v {
				t.Errorf("%s: %s = %q, want %q\n%s", st.file, k, got, v, body)
			}
		}
	}
	// The legacy form answers a bare RESPONSE, byte-identical in shape to the
	// real capture (modulo the capture's CRCRLF).
	want := strings.ReplaceAll(sample(t, "import-response-ledgers-created-01.xml"), "\r\r\n", "\r\n")
	if got := post(t, s, strings.ReplaceAll(sample(t, "request-import-ledgers-create-01.xml"), "Coastal Test Traders", "BRIDGE AMEND LAB")); got != want {
		t.Errorf("legacy response shape:\n%q\nwant\n%q", got, want)
	}
	// The partial alter kept PARTYGSTIN and changed INCOMETAXNUMBER.
	l, ok := bridge.Ledger("BRIDGE MFLAB PARTIAL ALTER PROBE")
	if !ok || l.GSTIN != "27ZZZZZ0000Z1Z5" || l.IncomeTaxNumber != "ZZZZZ0001Z" || l.Parent != "Sundry Debtors" {
		t.Errorf("partial alter: %+v", l)
	}
	// The purchase is in Coastal's books.
	if bal, _ := coastal.ClosingBalance("Coastal Components Pvt Ltd", tallyxml.Date{}); bal.Paise() != 1840000 {
		t.Errorf("creditor balance = %v", bal)
	}

	// Exports: list of ledgers (active company), the custom collection and
	// the trial balance of Coastal.
	lol := post(t, s, sample(t, "request-list-of-ledgers-01.xml"))
	if !strings.Contains(lol, `<LEDGER NAME="Rajesh Enterprises" RESERVEDNAME="">`) || !strings.Contains(lol, `<COLLECTION ISMSTDEPTYPE="Yes" MSTDEPTYPE="8">`) {
		t.Errorf("list of ledgers:\n%s", lol)
	}
	coll := post(t, s, sample(t, "request-export-custom-ledger-collection-02.xml"))
	for _, want := range []string{
		"    <LEDGER NAME=\"CGST\" RESERVEDNAME=\"\">\r\n     <PARENT TYPE=\"String\">Duties &amp; Taxes</PARENT>\r\n     <TAXTYPE TYPE=\"String\">GST</TAXTYPE>\r\n     <GSTDUTYHEAD TYPE=\"String\">Central Tax</GSTDUTYHEAD>\r\n     <OPENINGBALANCE TYPE=\"Amount\">0.00</OPENINGBALANCE>\r\n",
		"<LEDGER NAME=\"Profit &amp; Loss A/c\" RESERVEDNAME=\"Profit &amp; Loss A/c\">\r\n     <PARENT TYPE=\"String\">&#4; Primary</PARENT>",
		"      <LANGUAGEID TYPE=\"Number\">0</LANGUAGEID>", // imported with a bare <NAME>
		"      <LANGUAGEID TYPE=\"Number\"> 1033</LANGUAGEID>",
	} {
		if !strings.Contains(coll, want) {
			t.Errorf("custom collection lacks %q:\n%s", want, coll)
		}
	}
	tb := post(t, s, sample(t, "request-trial-balance-report-01.xml"))
	if !strings.Contains(tb, "<DSPDISPNAME>Current Liabilities</DSPDISPNAME>") || !strings.Contains(tb, "<DSPCLCRAMTA>18400.00</DSPCLCRAMTA>") {
		t.Errorf("trial balance:\n%s", tb)
	}
}

func TestImportLineErrors(t *testing.T) {
	party := `<PARTYLEDGERNAME>Priya Textiles</PARTYLEDGERNAME>`
	entries := func(a, b string) string {
		return `<ALLLEDGERENTRIES.LIST><LEDGERNAME>Priya Textiles</LEDGERNAME><AMOUNT>` + a + `</AMOUNT></ALLLEDGERENTRIES.LIST>` +
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Sales</LEDGERNAME><AMOUNT>` + b + `</AMOUNT></ALLLEDGERENTRIES.LIST>`
	}
	tests := []struct {
		name, objects, want string
	}{
		{"unknown ledger", `<VOUCHER VCHTYPE="Sales" ACTION="Create"><DATE>20261101</DATE>` +
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Nobody</LEDGERNAME><AMOUNT>-1.00</AMOUNT></ALLLEDGERENTRIES.LIST>` +
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Sales</LEDGERNAME><AMOUNT>1.00</AMOUNT></ALLLEDGERENTRIES.LIST></VOUCHER>`,
			"Ledger 'Nobody' does not exist!"},
		{"AND is not &", `<VOUCHER VCHTYPE="Sales"><DATE>20261101</DATE>` +
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Sharma AND Sons</LEDGERNAME><AMOUNT>-1.00</AMOUNT></ALLLEDGERENTRIES.LIST>` +
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Sales</LEDGERNAME><AMOUNT>1.00</AMOUNT></ALLLEDGERENTRIES.LIST></VOUCHER>`,
			"Ledger 'Sharma AND Sons' does not exist!"},
		{"totals", `<VOUCHER VCHTYPE="Sales"><DATE>20261101</DATE>` + party + entries("-1180.00", "1179.99") + `</VOUCHER>`,
			"Voucher totals do not match! Dr: 1,180.00 Dr Cr: 1,179.99 Cr Diff: 0.01 Dr"},
		{"totals Indian grouping", `<VOUCHER VCHTYPE="Sales"><DATE>20261101</DATE>` + party + entries("-123456.00", "1234567.50") + `</VOUCHER>`,
			"Voucher totals do not match! Dr: 1,23,456.00 Dr Cr: 12,34,567.50 Cr Diff: 11,11,111.50 Cr"},
		{"voucher type", `<VOUCHER VCHTYPE="Quotation"><DATE>20261101</DATE>` + party + entries("-1.00", "1.00") + `</VOUCHER>`,
			"Voucher Type 'Quotation' does not exist!"},
		{"bad date", `<VOUCHER VCHTYPE="Sales"><DATE>2026-13-45</DATE><VOUCHERNUMBER>BAD-1</VOUCHERNUMBER>` + party + entries("-1.00", "1.00") + `</VOUCHER>`,
			"Voucher date is missing for: 'Sales' voucher BAD-1."},
		{"before books", `<VOUCHER VCHTYPE="Sales"><DATE>20240101</DATE>` + party + entries("-1.00", "1.00") + `</VOUCHER>`,
			"The date is out of range! Can't import!"},
		{"alter missing master", `<LEDGER NAME="Ghost" ACTION="Alter"><EMAIL>x@y</EMAIL></LEDGER>`, "Item does not exist!"},
		{"delete missing master", `<LEDGER NAME="Ghost" ACTION="Delete"></LEDGER>`, "Item does not exist!"},
		{"delete used ledger", `<LEDGER NAME="Rajesh Enterprises" ACTION="Delete"></LEDGER>`, "Cannot be deleted!"},
		{"missing parent group", `<LEDGER NAME="New Party" ACTION="Create"><PARENT>Pune Debtors</PARENT></LEDGER>`, "Group 'Pune Debtors' does not exist!"},
		{"delete missing voucher", `<VOUCHER REMOTEID="nope" VCHTYPE="Sales" ACTION="Delete"></VOUCHER>`, "Voucher does not exist!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, legacy := range []bool{false, true} {
				demo := DemoCompany(fixedToday)
				s := startServer(t, Config{}, demo)
				before := len(demo.Vouchers())
				var body string
				if legacy {
					body = post(t, s, legacyImport("ABC Traders", "Vouchers", tt.objects))
				} else {
					body = post(t, s, v1Import("ABC Traders", "All Masters", tt.objects))
				}
				if diff := cmp.Diff([]string{tt.want}, lineErrors(t, body)); diff != "" {
					t.Errorf("legacy=%v LINEERROR (-want +got):\n%s\n%s", legacy, diff, body)
				}
				if got := counter(t, body, "ERRORS"); got != "1" {
					t.Errorf("legacy=%v ERRORS = %s", legacy, got)
				}
				if n := len(demo.Vouchers()); n != before {
					t.Errorf("a rejected object changed the books: %d → %d vouchers", before, n)
				}
				if legacy && !strings.HasPrefix(body, "<RESPONSE>\r\n <LINEERROR>") {
					t.Errorf("legacy LINEERROR must come first:\n%s", body)
				}
			}
		})
	}
}

func TestImportResponseShapes(t *testing.T) {
	s := startServer(t, Config{}, labCompany("BRIDGE MASTER FIELDS LAB"))
	post(t, s, sample(t, "request-import-ledger-create-all-masters-02.xml"))
	got := post(t, s, sample(t, "request-import-ledger-alter-partial-01.xml"))
	want := sample(t, "import-response-importresult-ledger-altered-01.xml")
	// Same envelope as the real capture up to the CMPINFO counters (the
	// capture also has CMPINFOEX/MSTALTIDINFO, which the simulator omits).
	cut := func(s string) string { return s[:strings.Index(s, "<CMPINFO>")] }
	if diff := cmp.Diff(cut(want), cut(got)); diff != "" {
		t.Errorf("version-1 import response (-capture +sim):\n%s", diff)
	}
}

func TestSilentAlterAndRename(t *testing.T) {
	demo := DemoCompany(fixedToday)
	s := startServer(t, Config{}, demo)
	body := post(t, s, v1Import("ABC Traders", "All Masters",
		`<LEDGER NAME="priya textiles " ACTION="Create"><PARENT>Sundry Creditors</PARENT><OPENINGBALANCE>-500.00</OPENINGBALANCE></LEDGER>`))
	if counter(t, body, "CREATED") != "0" || counter(t, body, "ALTERED") != "1" {
		t.Fatalf("create on existing:\n%s", body)
	}
	l, _ := demo.Ledger("Priya Textiles")
	if l.Parent != "Sundry Creditors" || l.OpeningBalance.Paise() != -50000 || l.BillWise || l.Mobile != "98201 23456" {
		t.Errorf("silent alter result: %+v", l)
	}
	// Rename via Alter: NAME attribute old, LANGUAGENAME new; vouchers follow.
	body = post(t, s, legacyImport("ABC Traders", "All Masters",
		`<LEDGER NAME="Rajesh Enterprises" ACTION="Alter"><LANGUAGENAME.LIST><NAME.LIST TYPE="String"><NAME>Rajesh Enterprises Pvt Ltd</NAME></NAME.LIST><LANGUAGEID>1033</LANGUAGEID></LANGUAGENAME.LIST></LEDGER>`))
	if counter(t, body, "ALTERED") != "1" {
		t.Fatalf("rename:\n%s", body)
	}
	if _, ok := demo.Ledger("Rajesh Enterprises"); ok {
		t.Error("old name still exists")
	}
	if bal, err := demo.ClosingBalance("Rajesh Enterprises Pvt Ltd", tallyxml.Date{}); err != nil || bal.Paise() != -4850000 {
		t.Errorf("renamed balance = %v, %v", bal, err)
	}
	// Delete an unused ledger; counters aggregate over a batch and a bad
	// object does not undo a good one.
	body = post(t, s, v1Import("ABC Traders", "All Masters",
		`<LEDGER NAME="Office Supplies" ACTION="Create"><PARENT>Indirect Expenses</PARENT></LEDGER>`+
			`<LEDGER NAME="Bad" ACTION="Create"><PARENT>Nowhere</PARENT></LEDGER>`+
			`<GROUP NAME="Pune Debtors" ACTION="Create"><PARENT>Sundry Debtors</PARENT></GROUP>`+
			`<LEDGER NAME="Pune Party" ACTION="Create"><PARENT>Pune Debtors</PARENT><ISBILLWISEON>Yes</ISBILLWISEON></LEDGER>`))
	if counter(t, body, "CREATED") != "3" || counter(t, body, "ERRORS") != "1" {
		t.Errorf("batch:\n%s", body)
	}
	if g, ok := demo.Group("Pune Debtors"); !ok || g.Nature != Assets {
		t.Errorf("group: %+v", g)
	}
	body = post(t, s, v1Import("ABC Traders", "All Masters", `<LEDGER NAME="Office Supplies" ACTION="Delete"/>`))
	if counter(t, body, "DELETED") != "1" {
		t.Errorf("delete:\n%s", body)
	}
}

func TestVoucherRemoteIDUpsert(t *testing.T) {
	demo := DemoCompany(fixedToday)
	s := startServer(t, Config{}, demo)
	n0 := len(demo.Vouchers())
	first := post(t, s, v1Import("ABC Traders", "Vouchers", salesVoucher("idem-1", "20261120", "Priya Textiles", "1000.00", "WA-1")))
	if counter(t, first, "CREATED") != "1" {
		t.Fatalf("first:\n%s", first)
	}
	id := counter(t, first, "LASTVCHID")
	v1 := findByRemote(t, demo, "idem-1")
	if id != strconv.FormatInt(v1.MasterID, 10) {
		t.Errorf("LASTVCHID %s, voucher id %d", id, v1.MasterID)
	}
	// Same REMOTEID, changed payload: replaced, not duplicated.
	second := post(t, s, v1Import("ABC Traders", "Vouchers", salesVoucher("idem-1", "20261121", "Priya Textiles", "2000.00", "WA-1")))
	if counter(t, second, "CREATED") != "0" || counter(t, second, "ALTERED") != "1" {
		t.Fatalf("second:\n%s", second)
	}
	v2 := findByRemote(t, demo, "idem-1")
	if v2.GUID != v1.GUID || v2.AlterID <= v1.AlterID || v2.Entries[0].Amount.Paise() != -200000 || v2.Date != tallyxml.NewDate(2026, 11, 21) ||
		v1.Number == "" || v2.Number != v1.Number {
		t.Errorf("upsert: before %+v after %+v", v1, v2)
	}
	if n := len(demo.Vouchers()); n != n0+1 {
		t.Errorf("%d vouchers, want %d", n, n0+1)
	}
	// Without a REMOTEID every send duplicates.
	for range 2 {
		b := post(t, s, legacyImport("ABC Traders", "Vouchers", salesVoucher("", "20261120", "Priya Textiles", "10.00", "")))
		if counter(t, b, "CREATED") != "1" {
			t.Fatalf("dup:\n%s", b)
		}
	}
	if n := len(demo.Vouchers()); n != n0+3 {
		t.Errorf("%d vouchers, want %d", n, n0+3)
	}
	// Cancel by REMOTEID: ALTERED=1, CANCELLED=0, voucher cancelled.
	b := post(t, s, v1Import("ABC Traders", "Vouchers", `<VOUCHER REMOTEID="idem-1" VCHTYPE="Sales" ACTION="Cancel"></VOUCHER>`))
	if counter(t, b, "ALTERED") != "1" || counter(t, b, "CANCELLED") != "0" || !findByRemote(t, demo, "idem-1").Cancelled {
		t.Errorf("cancel:\n%s", b)
	}
	// Delete by REMOTEID.
	b = post(t, s, v1Import("ABC Traders", "Vouchers", `<VOUCHER REMOTEID="idem-1" VCHTYPE="Sales" ACTION="Delete"></VOUCHER>`))
	if counter(t, b, "DELETED") != "1" || len(demo.Vouchers()) != n0+2 {
		t.Errorf("delete:\n%s", b)
	}
}

func findByRemote(t *testing.T, c *Company, id string) Voucher {
	t.Helper()
	for _, v := range c.Vouchers() {
		if v.RemoteID == id {
			return v
		}
	}
	t.Fatalf("no voucher with REMOTEID %q", id)
	return Voucher{}
}

func TestBillAllocationRules(t *testing.T) {
	demo := DemoCompany(fixedToday)
	s := startServer(t, Config{}, demo)
	// Agst Ref reduces the bill by exactly its amount.
	rcpt := `<VOUCHER VCHTYPE="Receipt" ACTION="Create"><DATE>20261121</DATE><PARTYLEDGERNAME>Rajesh Enterprises</PARTYLEDGERNAME>` +
		`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Rajesh Enterprises</LEDGERNAME><AMOUNT>8500.25</AMOUNT>` +
		`<BILLALLOCATIONS.LIST><NAME>ABC/S/101</NAME><BILLTYPE>Agst Ref</BILLTYPE><AMOUNT>8500.25</AMOUNT></BILLALLOCATIONS.LIST></ALLLEDGERENTRIES.LIST>` +
		`<ALLLEDGERENTRIES.LIST><LEDGERNAME>HDFC Bank</LEDGERNAME><AMOUNT>-8500.25</AMOUNT></ALLLEDGERENTRIES.LIST></VOUCHER>`
	if b := post(t, s, v1Import("ABC Traders", "Vouchers", rcpt)); counter(t, b, "CREATED") != "1" {
		t.Fatal(b)
	}
	bill := billOfRef(t, demo, "ABC/S/101")
	if bill.Closing.Paise() != -4850000+850025 {
		t.Errorf("after Agst Ref: %v", bill.Closing)
	}
	// Bill allocations on a non-bill-wise ledger are silently discarded.
	jv := `<VOUCHER VCHTYPE="Journal"><DATE>20261121</DATE>` +
		`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Freight Charges</LEDGERNAME><AMOUNT>-100.00</AMOUNT></ALLLEDGERENTRIES.LIST>` +
		`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Vijay Transport</LEDGERNAME><AMOUNT>100.00</AMOUNT>` +
		`<BILLALLOCATIONS.LIST><NAME>VT-9</NAME><BILLTYPE>New Ref</BILLTYPE><AMOUNT>100.00</AMOUNT></BILLALLOCATIONS.LIST></ALLLEDGERENTRIES.LIST></VOUCHER>`
	post(t, s, v1Import("ABC Traders", "Vouchers", jv))
	vs := demo.Vouchers()
	last := vs[len(vs)-1]
	for _, e := range last.Entries {
		if len(e.Bills) != 0 {
			t.Errorf("bills kept on a non-bill-wise ledger: %+v", e)
		}
	}
	// Advance naming an existing ref is stored as Agst Ref.
	adv := strings.Replace(strings.ReplaceAll(rcpt, "Agst Ref", "Advance"), "8500.25", "100.00", -1)
	post(t, s, v1Import("ABC Traders", "Vouchers", adv))
	vs = demo.Vouchers()
	if got := vs[len(vs)-1].Entries[0].Bills[0].Type; got != AgstRef {
		t.Errorf("advance on existing ref stored as %q", got)
	}
}

func billOfRef(t *testing.T, c *Company, ref string) Bill {
	t.Helper()
	for _, b := range c.OutstandingBills(fixedToday) {
		if b.Ref == ref {
			return b
		}
	}
	t.Fatalf("no bill %s", ref)
	return Bill{}
}
