package tallyxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/text/encoding/unicode"
)

// cmpOpts compares the values.go types by meaning (their fields are
// unexported, and decimals compare by value).
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b Amount) bool { return a == b }),
	cmp.Comparer(func(a, b Date) bool { return a == b }),
	cmp.Comparer(func(a, b Quantity) bool {
		return a.IsSet() == b.IsSet() && a.Unit == b.Unit && a.Value.Equal(b.Value)
	}),
	cmp.Comparer(func(a, b Rate) bool {
		return a.IsSet() == b.IsSet() && a.Unit == b.Unit && a.Value.Equal(b.Value)
	}),
	cmpopts.EquateEmpty(),
}

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// collect drains a decoder, failing the test on an error.
func collect[T any](t testing.TB, seq iter.Seq2[T, error]) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, v)
	}
	return out
}

// collectErr drains a decoder and returns the rows and the error it ended with.
func collectErr[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func amt(t testing.TB, s string) Amount {
	t.Helper()
	a, err := ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// utf16LE encodes b as UTF-16LE, with or without a BOM.
func utf16(t testing.TB, b []byte, e unicode.Endianness, bom bool) []byte {
	t.Helper()
	policy := unicode.IgnoreBOM
	if bom {
		policy = unicode.UseBOM
	}
	out, err := unicode.UTF16(e, policy).NewEncoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLedgersCollectionSample(t *testing.T) {
	t.Parallel()
	zero := amt(t, "0.00")
	ledger := func(name, reserved, parent, tax, duty string) Ledger {
		return Ledger{Name: name, ReservedName: reserved, Parent: parent, TaxType: tax, GSTDutyHead: duty, OpeningBalance: zero}
	}
	want := []Ledger{
		ledger("Cash", "", "Cash-in-Hand", "Others", ""),
		ledger("CGST", "", "Duties & Taxes", "GST", ""),
		ledger("Coastal Components Pvt Ltd", "", "Sundry Creditors", "Others", ""),
		// "&#4; Primary" in the capture: the reference and its space go.
		ledger("Profit & Loss A/c", "Profit & Loss A/c", "Primary", "Others", ""),
		ledger("Purchase @18%", "", "Purchase Accounts", "Others", ""),
		ledger("SGST", "", "Duties & Taxes", "GST", "State Tax"),
	}
	// CMPINFO says <LEDGER>10</LEDGER>: it must not be counted as rows.
	got := collect(t, Ledgers(bytes.NewReader(sample(t, "ledger-collection-export-02.xml"))))
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("Ledgers (-want +got):\n%s", diff)
	}
	if got[0].OpeningBalance.IsSet() != true || got[0].ClosingBalance.IsSet() {
		t.Errorf("OpeningBalance 0.00 must be set and the absent ClosingBalance unset: %+v", got[0])
	}
}

func TestLedgersListOfLedgersCRCRLF(t *testing.T) {
	t.Parallel()
	got := collect(t, Ledgers(bytes.NewReader(sample(t, "list-of-ledgers-export-02.xml"))))
	var names []string
	for _, l := range got {
		names = append(names, l.Name)
		if l.Aliases != nil {
			t.Errorf("%s: aliases %q; NAME.LIST holds only the name itself", l.Name, l.Aliases)
		}
	}
	want := []string{"Cash", "CGST", "Coastal Components Pvt Ltd", "Profit & Loss A/c", "Purchase @18%", "SGST"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}

func TestGroupsCMPINFOSample(t *testing.T) {
	t.Parallel()
	got := collect(t, Groups(bytes.NewReader(sample(t, "group-collection-export-cmpinfo-01.xml"))))
	if len(got) != 28 {
		t.Fatalf("got %d groups, want the 28 the collection lists", len(got))
	}
	byName := map[string]Group{}
	for _, g := range got {
		byName[g.Name] = g
	}
	want := []Group{
		{Name: "Bank OD A/c", ReservedName: "Bank OD A/c", Parent: "Loans (Liability)", MasterID: 11, Aliases: []string{"Bank OCC A/c"}},
		{Name: "Branch / Divisions", ReservedName: "Branch / Divisions", Parent: "Primary", MasterID: 7},
		{Name: "Direct Expenses", ReservedName: "Direct Expenses", Parent: "Primary", MasterID: 26, AffectsGrossProfit: true, Aliases: []string{"Expenses (Direct)"}},
		{Name: "Duties & Taxes", ReservedName: "Duties & Taxes", Parent: "Current Liabilities", MasterID: 14},
		{Name: "Loans & Advances (Asset)", ReservedName: "Loans & Advances (Asset)", Parent: "Current Assets", MasterID: 19},
		{Name: "Reserves & Surplus", ReservedName: "Reserves & Surplus", Parent: "Capital Account", MasterID: 10, Aliases: []string{"Retained Earnings"}},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, byName[w.Name], cmpOpts); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.Name, diff)
		}
	}
}

func TestVouchersDayBookSample(t *testing.T) {
	t.Parallel()
	got := collect(t, Vouchers(bytes.NewReader(sample(t, "voucher-payment-daybook-export-01.xml"))))
	d := date(t, "20250802")
	want := []Voucher{{
		RemoteID:        "6693b1a4-8c69-4689-bb16-fc9f21b79993-00000012",
		VchKey:          "6693b1a4-8c69-4689-bb16-fc9f21b79993-0000b32e:00000008",
		VchType:         "Payment",
		Action:          "Create",
		ObjView:         "Accounting Voucher View",
		Date:            d,
		EffectiveDate:   d,
		GUID:            "6693b1a4-8c69-4689-bb16-fc9f21b79993-00000012",
		MasterID:        18,
		AlterID:         18,
		VoucherTypeName: "Payment",
		VoucherNumber:   "8",
		PartyLedgerName: "HDFC Current A/c",
		Narration:       "Annual insurance premium paid",
		PersistedView:   "Accounting Voucher View",
		LedgerEntries: []VoucherLedgerEntry{
			// Debit negative with ISDEEMEDPOSITIVE Yes; the empty
			// BILLALLOCATIONS.LIST yields no phantom allocation.
			{LedgerName: "Insurance Expense", IsDeemedPositive: true, Amount: amt(t, "-12000.00")},
			{LedgerName: "HDFC Current A/c", IsPartyLedger: true, Amount: amt(t, "12000.00")},
		},
	}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("Vouchers (-want +got):\n%s", diff)
	}
	if got[0].LedgerEntries[0].BillAllocations != nil {
		t.Errorf("whitespace-only BILLALLOCATIONS.LIST produced %v", got[0].LedgerEntries[0].BillAllocations)
	}
}

func TestBillsPayableSample(t *testing.T) {
	t.Parallel()
	got := collect(t, Bills(bytes.NewReader(sample(t, "bills-payable-report-export-01.xml"))))
	want := []Bill{{
		Date: date(t, "1-Aug-26"), Ref: "DELTA-PAY", Party: "BVL Delta Mixed Payable",
		Closing: amt(t, "66666.00"), Due: date(t, "1-Aug-26"), OverdueDays: 0,
	}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("Bills (-want +got):\n%s", diff)
	}
	if got[0].Date.Long() != "1-Aug-2026" {
		t.Errorf("BILLDATE 1-Aug-26 read as %s", got[0].Date.Long())
	}
}

func TestBalanceSheetSample(t *testing.T) {
	t.Parallel()
	got := collect(t, BalanceSheet(bytes.NewReader(sample(t, "balance-sheet-report-export-01.xml"))))
	want := []ReportRow{
		{Name: "Capital Account"},
		{Name: "Loans (Liability)"},
		{Name: "Current Liabilities", Main: amt(t, "147200.00")},
		{Name: "Profit & Loss A/c", Main: amt(t, "-92000.00")},
		{Name: "Current Assets", Main: amt(t, "-55200.00")},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("BalanceSheet (-want +got):\n%s", diff)
	}
}

func TestProfitAndLossSample(t *testing.T) {
	t.Parallel()
	got := collect(t, ProfitAndLoss(bytes.NewReader(sample(t, "profit-and-loss-report-export-01.xml"))))
	want := []ReportRow{
		{Name: "Cost of Sales :", Main: amt(t, "-92000.00")},
		{Name: "Opening Stock"},
		{Name: "Add: Purchase Accounts", Sub: amt(t, "-147200.00")},
		{Name: "Less: Closing Stock", Sub: amt(t, "-55200.00")},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("ProfitAndLoss (-want +got):\n%s", diff)
	}
}

func TestTrialBalance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []TrialBalanceRow
	}{{
		name: "sibling pairs (tally-protocol.md §9.3 (E))",
		in: "<ENVELOPE>\r\n <DSPACCNAME>\r\n  <DSPDISPNAME>Capital Account</DSPDISPNAME>\r\n</DSPACCNAME>\r\n" +
			" <DSPACCINFO>\r\n  <DSPCLDRAMT>\r\n   <DSPCLDRAMTA></DSPCLDRAMTA>\r\n</DSPCLDRAMT>\r\n" +
			"  <DSPCLCRAMT>\r\n   <DSPCLCRAMTA>750000.00</DSPCLCRAMTA>\r\n</DSPCLCRAMT>\r\n</DSPACCINFO>\r\n" +
			" <DSPACCNAME>\r\n  <DSPDISPNAME>Current Assets</DSPDISPNAME>\r\n</DSPACCNAME>\r\n" +
			" <DSPACCINFO>\r\n  <DSPCLDRAMT>\r\n   <DSPCLDRAMTA>-334650.00</DSPCLDRAMTA>\r\n</DSPCLDRAMT>\r\n" +
			"  <DSPCLCRAMT>\r\n   <DSPCLCRAMTA></DSPCLCRAMTA>\r\n</DSPCLCRAMT>\r\n</DSPACCINFO>\r\n</ENVELOPE>\r\n",
		want: []TrialBalanceRow{
			{Name: "Capital Account", Credit: amt(t, "750000.00")},
			{Name: "Current Assets", Debit: amt(t, "-334650.00")},
		},
	}, {
		// Tally's integration text (seeds/tally-xml-integration.txt), its
		// elided rows removed: DSPACCINFO nested inside DSPACCNAME, and a
		// second DSPACCINFO whose name the text lost.
		name: "seed text nesting",
		in: "<ENVELOPE>\n<DSPACCNAME>\n<DSPDISPNAME>Capital Account</DSPDISPNAME>\n</DSPACCNAME>\n<DSPACCINFO>\n" +
			"<DSPCLDRAMT>\n<DSPCLDRAMTA></DSPCLDRAMTA>\n</DSPCLDRAMT>\n<DSPCLCRAMT>\n<DSPCLCRAMTA>100000.00</DSPCLCRAMTA>\n</DSPCLCRAMT>\n</DSPACCINFO>\n" +
			"<DSPACCINFO>\n<DSPCLDRAMT>\n<DSPCLDRAMTA>-100000.00</DSPCLDRAMTA>\n</DSPCLDRAMT>\n<DSPCLCRAMT>\n<DSPCLCRAMTA></DSPCLCRAMTA>\n</DSPCLCRAMT>\n</DSPACCINFO>\n" +
			"<DSPACCNAME>\n<DSPDISPNAME>Cash</DSPDISPNAME>\n<DSPACCINFO><DSPCLDRAMT><DSPCLDRAMTA>-5.00</DSPCLDRAMTA></DSPCLDRAMT></DSPACCINFO>\n</DSPACCNAME>\n</ENVELOPE>",
		want: []TrialBalanceRow{
			{Name: "Capital Account", Credit: amt(t, "100000.00")},
			{Debit: amt(t, "-100000.00")},
			{Name: "Cash", Debit: amt(t, "-5.00")},
		},
	}, {
		// The live capture's shape (§9.3 (E), caos-platform): one group row
		// with both columns; each column totals 163760.00.
		name: "a group row with both columns",
		in:   string(sample(t, "trial-balance-mixed-group-01.xml")),
		want: []TrialBalanceRow{
			{Name: "Current Liabilities", Debit: amt(t, "-16560.00"), Credit: amt(t, "163760.00")},
			{Name: "Purchase Accounts", Debit: amt(t, "-147200.00")},
		},
	}, {
		name: "detailed view with opening columns, a name with no amounts last",
		in: `<ENVELOPE><DSPACCNAME><DSPDISPNAME>Sundry Debtors</DSPDISPNAME></DSPACCNAME>` +
			`<DSPACCINFO><DSPOPDRAMT><DSPOPDRAMTA>-1,000.00</DSPOPDRAMTA></DSPOPDRAMT><DSPOPCRAMT><DSPOPCRAMTA></DSPOPCRAMTA></DSPOPCRAMT>` +
			`<DSPCLDRAMT><DSPCLDRAMTA> -2500.50</DSPCLDRAMTA></DSPCLDRAMT><DSPCLCRAMT><DSPCLCRAMTA></DSPCLCRAMTA></DSPCLCRAMT></DSPACCINFO>` +
			`<DSPACCNAME><DSPDISPNAME>Suspense A/c</DSPDISPNAME></DSPACCNAME></ENVELOPE>`,
		want: []TrialBalanceRow{
			{Name: "Sundry Debtors", OpeningDebit: amt(t, "-1000.00"), Debit: amt(t, "-2500.50")},
			{Name: "Suspense A/c"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := collect(t, TrialBalance(strings.NewReader(tt.in)))
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("TrialBalance (-want +got):\n%s", diff)
			}
			if !got[0].Credit.IsSet() && !got[0].Debit.IsSet() {
				t.Errorf("first row has no amount at all: %+v", got[0])
			}
		})
	}
}

func TestBillsTolerance(t *testing.T) {
	t.Parallel()
	in := "<ENVELOPE>" +
		"<BILLFIXED><BILLDATE>1-Apr-26</BILLDATE><BILLREF>2</BILLREF><BILLPARTY>Alpha Customer</BILLPARTY></BILLFIXED>" +
		"<BILLCL>-508989.00</BILLCL><BILLDUE>1-Apr-26</BILLDUE><BILLOVERDUE>62</BILLOVERDUE>" +
		// No BILLDUE/BILLOVERDUE for the next bill.
		"<BILLFIXED><BILLDATE>3-May-26</BILLDATE><BILLREF># 4</BILLREF><BILLPARTY>A &amp; B &lt;Traders&gt;</BILLPARTY></BILLFIXED>" +
		"<BILLCL>-1,500.00</BILLCL>" +
		// A BILLCL repeated without a BILLFIXED starts a new bill.
		"<BILLCL>-10.00</BILLCL><BILLOVERDUE>5 Days</BILLOVERDUE>" +
		"<BILLFIXED><BILLDATE>4-May-26</BILLDATE><BILLREF>#1</BILLREF><BILLPARTY>Supplier Advance</BILLPARTY></BILLFIXED>" +
		"</ENVELOPE>"
	got := collect(t, Bills(strings.NewReader(in)))
	want := []Bill{
		{Date: date(t, "20260401"), Ref: "2", Party: "Alpha Customer", Closing: amt(t, "-508989.00"), Due: date(t, "20260401"), OverdueDays: 62},
		{Date: date(t, "20260503"), Ref: "# 4", Party: "A & B <Traders>", Closing: amt(t, "-1500.00")},
		{Closing: amt(t, "-10.00"), OverdueDays: 5},
		{Date: date(t, "20260504"), Ref: "#1", Party: "Supplier Advance"},
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("Bills (-want +got):\n%s", diff)
	}
	if n := got[0].Overdue(date(t, "20260602")); n != 62 {
		t.Errorf("Overdue = %d, want 62", n)
	}
	if n := got[1].Overdue(date(t, "20260502")); n != -1 {
		t.Errorf("Overdue without BILLDUE = %d, want -1 (from BILLDATE)", n)
	}
}

func TestDecodeLedgerShapes(t *testing.T) {
	t.Parallel()
	env := func(rows string) string {
		return `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC><CMPINFO><LEDGER>3</LEDGER></CMPINFO></DESC>` +
			`<DATA><COLLECTION>` + rows + `</COLLECTION></DATA></BODY></ENVELOPE>`
	}
	tests := []struct {
		name string
		in   string
		want []Ledger
	}{{
		name: "flat fields, addresses, aliases, UDF skipped",
		in: env(`<LEDGER NAME="Alpha &amp; Co" RESERVEDNAME="">` +
			`<GUID TYPE="String">g-1</GUID><MASTERID TYPE="Number"> 208</MASTERID><ALTERID> 210</ALTERID>` +
			`<PARENT TYPE="String">Sundry Debtors</PARENT><CLOSINGBALANCE TYPE="Amount">-1180.00</CLOSINGBALANCE>` +
			`<OPENINGBALANCE></OPENINGBALANCE><LEDGERMOBILE>98450 12345</LEDGERMOBILE><LEDGERPHONE>080-1234</LEDGERPHONE>` +
			`<EMAIL>a@b.in</EMAIL><LEDSTATENAME>Karnataka</LEDSTATENAME><STATENAME>Ignored</STATENAME><COUNTRYNAME>India</COUNTRYNAME>` +
			`<PARTYGSTIN>29ABCDE1234F1Z5</PARTYGSTIN><GSTREGISTRATIONTYPE>Regular</GSTREGISTRATIONTYPE>` +
			`<ISBILLWISEON>Yes</ISBILLWISEON><BILLCREDITPERIOD>30 Days</BILLCREDITPERIOD>` +
			`<ADDRESS.LIST TYPE="String"><ADDRESS>12 MG Road</ADDRESS><ADDRESS>Bengaluru</ADDRESS></ADDRESS.LIST>` +
			`<MAILINGNAME>Alpha and Co</MAILINGNAME><PINCODE>560001</PINCODE>` +
			`<UDF:PARENT xmlns:UDF="TallyUDF">Not the parent</UDF:PARENT>` +
			`<LANGUAGENAME.LIST><NAME.LIST TYPE="String"><NAME>Alpha &amp; Co</NAME><NAME>ALPHA</NAME></NAME.LIST><LANGUAGEID> 1033</LANGUAGEID></LANGUAGENAME.LIST>` +
			`</LEDGER>`),
		want: []Ledger{{
			Name: "Alpha & Co", GUID: "g-1", MasterID: 208, AlterID: 210, Parent: "Sundry Debtors",
			ClosingBalance: amt(t, "-1180.00"), Mobile: "98450 12345", Phone: "080-1234", Email: "a@b.in",
			State: "Karnataka", Country: "India", PartyGSTIN: "29ABCDE1234F1Z5", GSTRegistrationType: "Regular",
			IsBillWiseOn: true, BillCreditPeriod: "30 Days", Addresses: []string{"12 MG Road", "Bengaluru"},
			MailingName: "Alpha and Co", PinCode: "560001", Aliases: []string{"ALPHA"},
		}},
	}, {
		name: "TallyPrime dated lists, latest APPLICABLEFROM wins; contact details",
		in: env(`<LEDGER NAME="Probe">` +
			`<ADDRESS.LIST>  </ADDRESS.LIST>` +
			`<LEDGSTREGDETAILS.LIST><APPLICABLEFROM>20260401</APPLICABLEFROM><GSTREGISTRATIONTYPE>Regular</GSTREGISTRATIONTYPE><GSTIN>33AABCC1234D1Z9</GSTIN></LEDGSTREGDETAILS.LIST>` +
			`<LEDGSTREGDETAILS.LIST><APPLICABLEFROM>20200401</APPLICABLEFROM><GSTREGISTRATIONTYPE>Composition</GSTREGISTRATIONTYPE><GSTIN>33OLD</GSTIN></LEDGSTREGDETAILS.LIST>` +
			`<LEDMAILINGDETAILS.LIST><ADDRESS.LIST TYPE="String"><ADDRESS>12 Anna Salai</ADDRESS><ADDRESS>Chennai</ADDRESS></ADDRESS.LIST>` +
			`<APPLICABLEFROM>20260401</APPLICABLEFROM><PINCODE>600002</PINCODE><MAILINGNAME>Probe Pvt Ltd</MAILINGNAME><STATE>Tamil Nadu</STATE><COUNTRY>India</COUNTRY></LEDMAILINGDETAILS.LIST>` +
			`<LEDMAILINGDETAILS.LIST>      </LEDMAILINGDETAILS.LIST>` +
			`<CONTACTDETAILS.LIST><NAME>Office</NAME><PHONENUMBER>044-1111</PHONENUMBER></CONTACTDETAILS.LIST>` +
			`<CONTACTDETAILS.LIST><NAME>Owner</NAME><PHONENUMBER>9876543210</PHONENUMBER><ISDEFAULTWHATSAPPNUM>Yes</ISDEFAULTWHATSAPPNUM></CONTACTDETAILS.LIST>` +
			`<CONTACTDETAILS.LIST>      </CONTACTDETAILS.LIST>` +
			`</LEDGER>`),
		want: []Ledger{{
			Name: "Probe", PartyGSTIN: "33AABCC1234D1Z9", GSTRegistrationType: "Regular",
			Addresses: []string{"12 Anna Salai", "Chennai"}, PinCode: "600002", MailingName: "Probe Pvt Ltd",
			State: "Tamil Nadu", Country: "India", Mobile: "9876543210",
		}},
	}, {
		name: "name from NAME child, else NAME.LIST; STATENAME and GSTIN fallbacks; CRLF in a name kept",
		in: env(`<LEDGER><NAME>Child Name</NAME><STATENAME>Goa</STATENAME><GSTIN>30AAAAA0000A1Z5</GSTIN></LEDGER>` +
			`<LEDGER RESERVEDNAME=""><LANGUAGENAME.LIST><NAME.LIST><NAME>Line1&#13;&#10;Line2</NAME><NAME>Alias</NAME></NAME.LIST></LANGUAGENAME.LIST></LEDGER>`),
		want: []Ledger{
			{Name: "Child Name", State: "Goa", PartyGSTIN: "30AAAAA0000A1Z5"},
			{Name: "Line1\r\nLine2", Aliases: []string{"Alias"}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := collect(t, Ledgers(strings.NewReader(tt.in)))
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("Ledgers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeVoucherShapes(t *testing.T) {
	t.Parallel()
	in := `<ENVELOPE><HEADER><STATUS>1</STATUS></HEADER><BODY><DATA><TALLYMESSAGE xmlns:UDF="TallyUDF">` +
		`<VOUCHER VCHTYPE="Sales" ACTION="Create" OBJVIEW="Invoice Voucher View">` +
		`<DATE TYPE="Date">20260401</DATE><VOUCHERTYPENAME>Sales</VOUCHERTYPENAME><VOUCHERNUMBER>S/1</VOUCHERNUMBER>` +
		`<REFERENCE>PO-9</REFERENCE><ISCANCELLED>Yes</ISCANCELLED><ISOPTIONAL>No</ISOPTIONAL>` +
		`<LEDGERENTRIES.LIST><LEDGERNAME>Alpha</LEDGERNAME><ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><ISPARTYLEDGER>Yes</ISPARTYLEDGER><AMOUNT>-1180.00</AMOUNT>` +
		`<BILLALLOCATIONS.LIST><NAME>S/1</NAME><BILLTYPE>New Ref</BILLTYPE><BILLCREDITPERIOD JD="46142" P="30 Days">30 Days</BILLCREDITPERIOD><AMOUNT>-1180.00</AMOUNT></BILLALLOCATIONS.LIST>` +
		`<BILLALLOCATIONS.LIST>   </BILLALLOCATIONS.LIST></LEDGERENTRIES.LIST>` +
		`<ALLINVENTORYENTRIES.LIST><STOCKITEMNAME>Widget</STOCKITEMNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><RATE>200.00/NOS</RATE>` +
		`<AMOUNT>1000.00</AMOUNT><ACTUALQTY> 5.0000 NOS</ACTUALQTY><BILLEDQTY> 5.0000 NOS</BILLEDQTY></ALLINVENTORYENTRIES.LIST>` +
		`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Sales</LEDGERNAME><AMOUNT>1000.00</AMOUNT><UDF:AMOUNT>999</UDF:AMOUNT></ALLLEDGERENTRIES.LIST>` +
		`<ALLLEDGERENTRIES.LIST>      </ALLLEDGERENTRIES.LIST>` +
		`<LEDGERENTRIES.LIST><LEDGERNAME>Output GST</LEDGERNAME><AMOUNT>180.00</AMOUNT></LEDGERENTRIES.LIST>` +
		`</VOUCHER></TALLYMESSAGE></DATA></BODY></ENVELOPE>`
	v, err := VoucherObject(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Voucher{
		VchType: "Sales", Action: "Create", ObjView: "Invoice Voucher View",
		Date: date(t, "20260401"), VoucherTypeName: "Sales", VoucherNumber: "S/1", Reference: "PO-9", IsCancelled: true,
		LedgerEntries: []VoucherLedgerEntry{
			{LedgerName: "Alpha", IsDeemedPositive: true, IsPartyLedger: true, Amount: amt(t, "-1180.00"),
				BillAllocations: []VoucherBillAllocation{{Name: "S/1", BillType: BillNewRef, BillCreditPeriod: "30 Days", Amount: amt(t, "-1180.00")}}},
			{LedgerName: "Sales", Amount: amt(t, "1000.00")},
			{LedgerName: "Output GST", Amount: amt(t, "180.00")},
		},
		InventoryEntries: []VoucherInventoryEntry{{
			StockItemName: "Widget", Rate: mustRate(t, "200.00/NOS"), Amount: amt(t, "1000.00"),
			ActualQty: mustQty(t, "5 NOS"), BilledQty: mustQty(t, "5 NOS"),
		}},
	}
	if diff := cmp.Diff(want, v, cmpOpts); diff != "" {
		t.Errorf("VoucherObject (-want +got):\n%s", diff)
	}
}

func mustRate(t testing.TB, s string) Rate {
	t.Helper()
	r, err := ParseRate(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustQty(t testing.TB, s string) Quantity {
	t.Helper()
	q, err := ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestCompanies(t *testing.T) {
	t.Parallel()
	in := "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC><CMPINFO><COMPANY>1</COMPANY></CMPINFO></DESC><DATA><COLLECTION>\r\n" +
		`<COMPANY NAME="Coastal Test Traders" RESERVEDNAME=""><GUID TYPE="String">c-guid</GUID>` +
		`<STARTINGFROM TYPE="Date">20260401</STARTINGFROM><BOOKSFROM TYPE="Date">20260401</BOOKSFROM>` +
		`<BASICCOMPANYFORMALNAME>Coastal Test Traders Pvt Ltd</BASICCOMPANYFORMALNAME><STATENAME>Kerala</STATENAME>` +
		`<COUNTRYNAME>India</COUNTRYNAME><ALTMSTID TYPE="Number"> 42</ALTMSTID><ALTVCHID> 7</ALTVCHID>` +
		`<ISSECURITYON TYPE="Logical">No</ISSECURITYON></COMPANY>` +
		"\r\n</COLLECTION></DATA></BODY></ENVELOPE>"
	got := collect(t, Companies(strings.NewReader(in)))
	want := []Company{{
		Name: "Coastal Test Traders", GUID: "c-guid", StartingFrom: date(t, "20260401"), BooksFrom: date(t, "20260401"),
		BasicCompanyFormalName: "Coastal Test Traders Pvt Ltd", StateName: "Kerala", CountryName: "India", AltMstID: 42, AltVchID: 7,
	}}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("Companies (-want +got):\n%s", diff)
	}
}

func TestObjectExport(t *testing.T) {
	t.Parallel()
	obj := `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC><CMPINFO><LEDGER>0</LEDGER></CMPINFO></DESC>` +
		`<DATA><TALLYMESSAGE><LEDGER NAME="Alpha Customer" RESERVEDNAME=""><NAME TYPE="String">Alpha Customer</NAME>` +
		`<PARENT TYPE="String">Sundry Debtors</PARENT><CLOSINGBALANCE TYPE="Amount">-1180.00</CLOSINGBALANCE></LEDGER></TALLYMESSAGE></DATA></BODY></ENVELOPE>`
	l, err := LedgerObject(strings.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "Alpha Customer" || l.Parent != "Sundry Debtors" || l.ClosingBalance != Paise(-118000) {
		t.Errorf("LedgerObject = %+v", l)
	}
	empty := `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DESC><CMPINFO><LEDGER>0</LEDGER></CMPINFO></DESC><DATA></DATA></BODY></ENVELOPE>`
	if _, err := LedgerObject(strings.NewReader(empty)); !errors.Is(err, ErrNoObject) {
		t.Errorf("empty DATA: err = %v, want ErrNoObject", err)
	}
	if _, err := GroupObject(strings.NewReader(obj)); !errors.Is(err, ErrNoObject) {
		t.Errorf("GroupObject on a ledger export: err = %v, want ErrNoObject", err)
	}
}

// TestObjectExportMissing reads Tally's answer for a missing object, a bare
// "Could not find" ERRORMSG (§9.3 (B)), as ErrNoObject, keeping Tally's text,
// while the *Object decoders keep any other ERRORMSG an error.
func TestObjectExportMissing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		body    []byte
		decode  func(io.Reader) error
		missing string // Tally's text; "" when the answer is not "no such object"
	}{
		{"voucher gone", sample(t, "object-export-missing-voucher-errormsg-01.xml"),
			func(r io.Reader) error { _, err := VoucherObject(r); return err }, "Could not find Voucher:ID:295!"},
		{"ledger name not read", sample(t, "object-export-missing-null-ledger-errormsg-01.xml"),
			func(r io.Reader) error { _, err := LedgerObject(r); return err }, "Could not find (null):Ledger!"},
		{"group", []byte("<ERRORMSG>Could not find Group:Pune Debtors!</ERRORMSG>"),
			func(r io.Reader) error { _, err := GroupObject(r); return err }, "Could not find Group:Pune Debtors!"},
		{"other errormsg", []byte("<ERRORMSG>Company is busy</ERRORMSG>"),
			func(r io.Reader) error { _, err := LedgerObject(r); return err }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.decode(bytes.NewReader(tc.body))
			nf, isNF := errors.AsType[*ObjectNotFoundError](err)
			if tc.missing == "" {
				if _, ok := errors.AsType[*ErrorMessage](err); !ok || isNF || errors.Is(err, ErrNoObject) {
					t.Errorf("err = %#v, want an *ErrorMessage that is not ErrNoObject", err)
				}
				return
			}
			if !errors.Is(err, ErrNoObject) || !isNF || nf.Text != tc.missing {
				t.Errorf("err = %#v, want an *ObjectNotFoundError %q matching ErrNoObject", err, tc.missing)
			}
		})
	}
}

// TestDecodersFailureShapes checks that the streaming decoders recognise the
// failure shapes themselves, so skipping CheckResponse cannot turn a failure
// into an empty result.
func TestDecodersFailureShapes(t *testing.T) {
	t.Parallel()
	notLoaded := `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>0</STATUS></HEADER>` +
		`<BODY><DATA><LINEERROR>Could not set &apos;SVCurrentCompany&apos; to &apos;Bhrama Enterprises&apos;</LINEERROR></DATA></BODY></ENVELOPE>`
	tests := []struct {
		name  string
		in    string
		check func(error) bool
	}{
		{"empty body", "", func(err error) bool { return errors.Is(err, ErrEmptyBody) }},
		{"whitespace body", " \r\n", func(err error) bool { return errors.Is(err, ErrEmptyBody) }},
		{"unknown request", string(sample(t, "error-response-unknown-request-01.xml")), func(err error) bool { return errors.Is(err, ErrUnknownRequest) }},
		{"company not loaded", notLoaded, func(err error) bool {
			var cn *CompanyNotLoadedError
			return errors.As(err, &cn) && cn.Company == "Bhrama Enterprises"
		}},
		{"DESC not found", `<ENVELOPE><HEADER><STATUS>0</STATUS></HEADER><BODY><DATA>DESC not found</DATA></BODY></ENVELOPE>`, func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && cmp.Equal(se.LineErrors, []string{"DESC not found"})
		}},
		{"exception", `<EXCEPTION>Bad formula</EXCEPTION>`, func(err error) bool {
			var ee *ExceptionError
			return errors.As(err, &ee) && ee.Text == "Bad formula"
		}},
		{"errormsg", `<ERRORMSG>No such report</ERRORMSG>`, func(err error) bool {
			var em *ErrorMessage
			return errors.As(err, &em) && em.Text == "No such report"
		}},
		{"garbage", `<ENVELOPE><LEDGER NAME="x">`, func(err error) bool {
			return err != nil && !errors.Is(err, ErrEmptyBody)
		}},
		{"html", `<html><body>502 Bad Gateway</body>`, func(err error) bool { return err != nil }},
	}
	decoders := map[string]func(io.Reader) error{
		"Ledgers":      func(r io.Reader) error { _, err := collectErr(Ledgers(r)); return err },
		"Vouchers":     func(r io.Reader) error { _, err := collectErr(Vouchers(r)); return err },
		"Bills":        func(r io.Reader) error { _, err := collectErr(Bills(r)); return err },
		"TrialBalance": func(r io.Reader) error { _, err := collectErr(TrialBalance(r)); return err },
	}
	for _, tt := range tests {
		for name, dec := range decoders {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				if err := dec(strings.NewReader(tt.in)); !tt.check(err) {
					t.Errorf("err = %v (%T)", err, err)
				}
			})
		}
	}
}

func TestDecodeErrorStopsOnce(t *testing.T) {
	t.Parallel()
	in := `<ENVELOPE><BODY><DATA><COLLECTION><LEDGER NAME="A"><CLOSINGBALANCE>1.00</CLOSINGBALANCE></LEDGER>` +
		`<LEDGER NAME="B"><CLOSINGBALANCE>1.005</CLOSINGBALANCE></LEDGER><LEDGER NAME="C"/></COLLECTION></DATA></BODY></ENVELOPE>`
	var names []string
	var errs []error
	for l, err := range Ledgers(strings.NewReader(in)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, l.Name)
	}
	if !cmp.Equal(names, []string{"A"}) || len(errs) != 1 || !errors.Is(errs[0], ErrInexactAmount) {
		t.Fatalf("names %v errs %v; want [A] and one ErrInexactAmount", names, errs)
	}
	if !strings.Contains(errs[0].Error(), `"B"`) || !strings.Contains(errs[0].Error(), "CLOSINGBALANCE") {
		t.Errorf("error %q does not say which ledger and field", errs[0])
	}
}

func TestEarlyBreak(t *testing.T) {
	t.Parallel()
	n := 0
	for range Groups(bytes.NewReader(sample(t, "group-collection-export-cmpinfo-01.xml"))) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("n = %d", n)
	}
}

// TestSamplesAsUTF16 decodes every response sample transcoded the way Tally
// answers a UTF-16 request (BOM-less UTF-16LE) and as BOM'd LE/BE files, and
// expects exactly what the UTF-8 bytes give.
func TestSamplesAsUTF16(t *testing.T) {
	t.Parallel()
	decode := func(b []byte) string {
		r := func() io.Reader { return bytes.NewReader(b) }
		var out strings.Builder
		for _, d := range []func(io.Reader) (any, error){
			func(r io.Reader) (any, error) { return collectErr(Ledgers(r)) },
			func(r io.Reader) (any, error) { return collectErr(Groups(r)) },
			func(r io.Reader) (any, error) { return collectErr(Vouchers(r)) },
			func(r io.Reader) (any, error) { return collectErr(Bills(r)) },
			func(r io.Reader) (any, error) { return collectErr(BalanceSheet(r)) },
			func(r io.Reader) (any, error) { return collectErr(ProfitAndLoss(r)) },
			func(r io.Reader) (any, error) { v, err := DecodeImportResult(r); return v, err },
		} {
			v, err := d(r())
			fmt.Fprintf(&out, "%+v | %v\n", v, err)
		}
		return out.String()
	}
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "request-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := sample(t, name)
			want := decode(b)
			for _, v := range []struct {
				name string
				b    []byte
			}{
				{"utf16le-nobom", utf16(t, b, unicode.LittleEndian, false)},
				{"utf16le-bom", utf16(t, b, unicode.LittleEndian, true)},
				{"utf16be-bom", utf16(t, b, unicode.BigEndian, true)},
				{"utf8-bom", append([]byte("\xEF\xBB\xBF"), b...)},
			} {
				if v.name == "utf16le-nobom" && !bytes.HasPrefix(v.b, []byte{'<', 0}) {
					t.Fatalf("test setup: %x", v.b[:4])
				}
				if got := decode(v.b); got != want {
					t.Errorf("%s decodes differently:\n%s\nwant\n%s", v.name, got, want)
				}
			}
		})
	}
}
