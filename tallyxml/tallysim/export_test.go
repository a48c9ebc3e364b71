package tallysim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

func TestCollectionShape(t *testing.T) {
	s := startServer(t, Config{})
	body := post(t, s, tdlCollectionReq("ABC Traders", "Debtors", "Ledger", "Name, Parent, ClosingBalance, GUID, AlterID, LedgerMobile",
		`$Parent = "Sundry Debtors"`, ""))
	for _, want := range []string{
		"<ENVELOPE>\r\n <HEADER>\r\n  <VERSION>1</VERSION>\r\n  <STATUS>1</STATUS>\r\n </HEADER>\r\n <BODY>\r\n  <DESC>\r\n   <CMPINFO>\r\n    <COMPANY>0</COMPANY>\r\n",
		"    <VOUCHERNUMBERSERIES>0</VOUCHERNUMBERSERIES>\r\n    <VOUCHER>0</VOUCHER>\r\n   </CMPINFO>\r\n",
		"   <COLLECTION ISMSTDEPTYPE=\"Yes\" MSTDEPTYPE=\"8\">\r\n",
		"    <LEDGER NAME=\"A &amp; B &lt;Traders&gt;\" RESERVEDNAME=\"\">\r\n",
		"<LEDGER NAME=\"Kumar &quot;KK&quot; Stores\" RESERVEDNAME=\"\">",
		"<LEDGER NAME=\"D&apos;Souza &amp; Co.\" RESERVEDNAME=\"\">",
		"     <PARENT TYPE=\"String\">Sundry Debtors</PARENT>\r\n",
		"<CLOSINGBALANCE TYPE=\"Amount\">-48500.00</CLOSINGBALANCE>",
		"<LEDGERMOBILE TYPE=\"String\">9820012345</LEDGERMOBILE>",
		"     <LANGUAGENAME.LIST>\r\n      <NAME.LIST TYPE=\"String\">\r\n       <NAME>Rajesh Enterprises</NAME>\r\n      </NAME.LIST>\r\n      <LANGUAGEID TYPE=\"Number\"> 1033</LANGUAGEID>\r\n     </LANGUAGENAME.LIST>\r\n    </LEDGER>\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("collection lacks %q", want)
		}
	}
	if strings.Contains(body, "Bharat Steel") || strings.Contains(body, "<EMAIL") {
		t.Error("filter or FETCH not applied")
	}
	if !strings.Contains(body, `<ALTERID TYPE="Number"> `) {
		t.Error("ALTERID lacks the leading space")
	}
	e := parse(t, body)
	if n := len(e.path("BODY", "DATA", "COLLECTION").all("LEDGER")); n != 12 {
		t.Errorf("%d debtors, want 12", n)
	}
	// Without FETCH only the NAME attribute and LANGUAGENAME.LIST come back.
	bare := parse(t, post(t, s, tdlCollectionReq("ABC Traders", "Bare", "Ledger", "", `$$IsEqual:$Name:"cash"`, "")))
	row := bare.path("BODY", "DATA", "COLLECTION", "LEDGER")
	if row == nil || len(row.kids) != 1 || row.kids[0].name != "LANGUAGENAME.LIST" {
		t.Errorf("bare row: %+v", row)
	}
	// FETCH * emits everything, including the group's system-name parent.
	groups := post(t, s, tdlCollectionReq("ABC Traders", "G", "Group", "*", `$$IsEqual:$Name:"Capital Account"`, ""))
	if !strings.Contains(groups, "<PARENT TYPE=\"String\">&#4; Primary</PARENT>") || !strings.Contains(groups, "MSTDEPTYPE=\"4\"") ||
		!strings.Contains(groups, "<AFFECTSGROSSPROFIT TYPE=\"Logical\">No</AFFECTSGROSSPROFIT>") {
		t.Errorf("group collection:\n%s", groups)
	}
}

func TestFilterFormulae(t *testing.T) {
	s := startServer(t, Config{})
	count := func(body string, row string) int {
		return len(parse(t, body).path("BODY", "DATA", "COLLECTION").all(row))
	}
	tests := []struct {
		name, typ, filter, extra string
		want                     int
	}{
		{"isequal name", "Ledger", `$$IsEqual:$Name:"Rajesh Enterprises"`, "", 1},
		{"case-insensitive", "Ledger", `$Name = "RAJESH enterprises"`, "", 1},
		{"parent", "Ledger", `$Parent = "Sundry Creditors"`, "", 3},
		{"isequal parent or", "Ledger", `$$IsEqual:$Parent:"Sundry Creditors" OR $$IsEqual:$Parent:"Duties & Taxes"`, "", 6},
		{"alterid", "Ledger", `$AlterID > 40`, "", 14},
		{"not", "Ledger", `NOT $$IsEqual:$Parent:"Sundry Debtors" AND $Parent = "Sundry Creditors"`, "", 3},
		{"vouchers in period", "Voucher", `$Date >= ##SVFromDate AND $Date <= ##SVToDate`,
			"<SVFROMDATE>20261101</SVFROMDATE><SVTODATE>20261115</SVTODATE>", 8},
		{"voucher type", "Voucher", `$VoucherTypeName = "Sales" AND $Date < "1-Sep-2026"`, "", 3},
		{"bill debtors", "Bill", `$$IsEqual:($_PrimaryGroup:Group:($Parent:Ledger:$Parent)):"Sundry Debtors"`, "", 11}, // 10 sales bills + the Nair advance
		{"bill creditors", "Bill", `$$IsEqual:($_PrimaryGroup:Group:($Parent:Ledger:$Parent)):"Sundry Creditors"`, "", 2},
		{"isempty", "Ledger", `$$IsEmpty:$LedgerMobile AND $Parent = "Sundry Debtors"`, "", 1},
		{"debit balance", "Ledger", `$$IsDebit:$ClosingBalance AND $Parent = "Sundry Creditors"`, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := post(t, s, tdlCollectionReq("ABC Traders", "C", tt.typ, "Name", tt.filter, tt.extra))
			if got := count(body, strings.ToUpper(tt.typ)); got != tt.want {
				t.Errorf("%d rows, want %d\n%s", got, tt.want, body)
			}
		})
	}
	// An unsupported formula is a simulator limit: STATUS 0 + LINEERROR.
	for _, f := range []string{`$$StringContains:$Name:"Raj"`, `$Name = `, `##SVSomething = 1`} {
		e := parse(t, post(t, s, tdlCollectionReq("ABC Traders", "C", "Ledger", "Name", f, "")))
		if e.path("HEADER").value("STATUS") != "0" || !strings.HasPrefix(e.path("BODY", "DATA").value("LINEERROR"), "tallysim: unsupported filter formula") {
			t.Errorf("%s: %+v", f, e)
		}
	}
}

func TestVoucherCollection(t *testing.T) {
	s := startServer(t, Config{})
	post(t, s, v1Import("ABC Traders", "Vouchers", salesVoucher("client-77", "20261121", "Rajesh Enterprises", "1180.00", "WA-77")))
	body := post(t, s, tdlCollectionReq("ABC Traders", "V", "Voucher", "Date,GUID,VoucherTypeName,VoucherNumber,PartyLedgerName,Narration,AllLedgerEntries",
		`$Date >= ##SVFromDate AND $Date <= ##SVToDate`, "<SVFROMDATE>20261121</SVFROMDATE><SVTODATE>20261121</SVTODATE>"))
	for _, want := range []string{
		`<VOUCHER REMOTEID="client-77" VCHKEY="`,
		`VCHTYPE="Sales" ACTION="Create" OBJVIEW="Accounting Voucher View">`,
		"<DATE TYPE=\"Date\">20261121</DATE>",
		"<ALLLEDGERENTRIES.LIST>\r\n      <LEDGERNAME TYPE=\"String\">Rajesh Enterprises</LEDGERNAME>\r\n      <ISDEEMEDPOSITIVE TYPE=\"Logical\">Yes</ISDEEMEDPOSITIVE>",
		"<BILLALLOCATIONS.LIST>\r\n       <NAME TYPE=\"String\">WA-77</NAME>\r\n       <BILLTYPE TYPE=\"String\">New Ref</BILLTYPE>\r\n       <AMOUNT TYPE=\"Amount\">-1180.00</AMOUNT>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("voucher collection lacks %q:\n%s", want, body)
		}
	}
	// Object export by REMOTEID.
	obj := post(t, s, `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Object</TYPE><SUBTYPE>Voucher</SUBTYPE><ID TYPE="RemoteID">client-77</ID></HEADER><BODY><DESC><STATICVARIABLES><SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY></STATICVARIABLES></DESC></BODY></ENVELOPE>`)
	if !strings.Contains(obj, "<VOUCHERTYPENAME TYPE=\"String\">Sales</VOUCHERTYPENAME>") {
		t.Errorf("voucher object:\n%s", obj)
	}
	// Day Book via TYPE Data returns only the last voucher of the period (§9.3 (E)).
	db := parse(t, post(t, s, exportData("ABC Traders", "Day Book", "<SVFROMDATE>20261101</SVFROMDATE><SVTODATE>20261122</SVTODATE>")))
	vs := db.path("BODY", "IMPORTDATA", "REQUESTDATA", "TALLYMESSAGE").all("VOUCHER")
	if len(vs) != 1 || vs[0].attr("REMOTEID") != "client-77" {
		t.Errorf("day book: %+v", vs)
	}
}

func TestObjectExport(t *testing.T) {
	s := startServer(t, Config{})
	object := func(subtype, idType, name, company string) string {
		sv := ""
		if company != "" {
			sv = "<SVCURRENTCOMPANY>" + company + "</SVCURRENTCOMPANY>"
		}
		return `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>EXPORT</TALLYREQUEST><TYPE>OBJECT</TYPE><SUBTYPE>` + subtype +
			`</SUBTYPE><ID TYPE="` + idType + `">` +
			xmlEscape(name) + `</ID></HEADER><BODY><DESC><STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>` + sv +
			`</STATICVARIABLES><FETCHLIST><FETCH>Name</FETCH><FETCH>ClosingBalance</FETCH><FETCH>LedgerMobile</FETCH></FETCHLIST></DESC></BODY></ENVELOPE>`
	}
	req := func(name, company string) string { return object("Ledger", "Name", name, company) }
	e := parse(t, post(t, s, req("Rajesh Enterprises", "")))
	l := e.path("BODY", "DATA", "TALLYMESSAGE", "LEDGER")
	got := map[string]string{"NAME": l.value("NAME"), "CLOSINGBALANCE": l.value("CLOSINGBALANCE"), "LEDGERMOBILE": l.value("LEDGERMOBILE"), "PARENT": l.value("PARENT")}
	want := map[string]string{"NAME": "Rajesh Enterprises", "CLOSINGBALANCE": "-48500.00", "LEDGERMOBILE": "9820012345", "PARENT": ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("object (-want +got):\n%s", diff)
	}
	// SVTODATE bounds the closing balance (before the sale there was nothing).
	asOf := strings.Replace(req("Rajesh Enterprises", "ABC Traders"), "<SVEXPORTFORMAT>", "<SVTODATE>20260401</SVTODATE><SVEXPORTFORMAT>", 1)
	if v := parse(t, post(t, s, asOf)).path("BODY", "DATA", "TALLYMESSAGE", "LEDGER").value("CLOSINGBALANCE"); v != "0.00" {
		t.Errorf("as-of balance %q", v)
	}
	// A missing object is a bare ERRORMSG with no ENVELOPE (§9.3 (B)).
	for _, tc := range []struct{ subtype, idType, id, want string }{
		{"Ledger", "Name", "Nobody", "<ERRORMSG>Could not find Ledger:Nobody!</ERRORMSG>\r\n"},
		{"Ledger", "Name", "A & B", "<ERRORMSG>Could not find Ledger:A &amp; B!</ERRORMSG>\r\n"},
		{"Group", "Name", "Pune Debtors", "<ERRORMSG>Could not find Group:Pune Debtors!</ERRORMSG>\r\n"},
		{"Voucher", "Name", "ID:9999", "<ERRORMSG>Could not find Voucher:ID:9999!</ERRORMSG>\r\n"},
	} {
		if got := post(t, s, object(tc.subtype, tc.idType, tc.id, "ABC Traders")); got != tc.want {
			t.Errorf("missing %s %q: %q, want %q", tc.subtype, tc.id, got, tc.want)
		}
	}
	if got := post(t, s, req("Rajesh Enterprises", "Nope")); !strings.Contains(got, "Could not set &apos;SVCurrentCompany&apos; to &apos;Nope&apos;") {
		t.Errorf("unknown company object: %s", got)
	}
}

// TestObjectExportNameMatching: an object export finds a ledger by the name
// matching TallyPrime 7.1 showed (tally-protocol.md §9.4 "Name matching").
func TestObjectExportNameMatching(t *testing.T) {
	s := startServer(t, Config{})
	req := func(name string) string {
		return `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>EXPORT</TALLYREQUEST><TYPE>OBJECT</TYPE><SUBTYPE>Ledger</SUBTYPE><ID TYPE="Name">` +
			xmlEscape(name) + `</ID></HEADER><BODY><DESC><STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>` +
			`</STATICVARIABLES><FETCHLIST><FETCH>Name</FETCH></FETCHLIST></DESC></BODY></ENVELOPE>`
	}
	for _, tc := range []struct{ ask, want string }{
		{"RAJESH ENTERPRISES", "Rajesh Enterprises"},
		{"Rajesh Enterprises ", "Rajesh Enterprises"},
		{" Rajesh Enterprises", "Rajesh Enterprises"},
		{"Rajesh   Enterprises", "Rajesh Enterprises"},
		{"Rajesh-Enterprises", "Rajesh Enterprises"},
		{"Rajesh Enterprise", ""}, // a missing letter is another name
		{"Sharma and Sons", ""},   // AND for & is rejected
		{"RajeshEnterprises", ""}, // a missing space is another name
		{"Sharma &  Sons", "Sharma & Sons"},
	} {
		got := parse(t, post(t, s, req(tc.ask))).path("BODY", "DATA", "TALLYMESSAGE", "LEDGER").value("NAME")
		if got != tc.want {
			t.Errorf("object export of %q found %q; want %q", tc.ask, got, tc.want)
		}
	}
}

func TestBillsReports(t *testing.T) {
	s := startServer(t, Config{})
	br := post(t, s, exportData("ABC Traders", "Bills Receivable", "<SVFROMDATE>20260401</SVFROMDATE><SVTODATE>20261122</SVTODATE>"))
	first := "<ENVELOPE>\r\n <BILLFIXED>\r\n  <BILLDATE>11-May-26</BILLDATE>\r\n  <BILLREF>ABC/S/101</BILLREF>\r\n  <BILLPARTY>Rajesh Enterprises</BILLPARTY>\r\n</BILLFIXED>\r\n <BILLCL>-48500.00</BILLCL>\r\n <BILLDUE>10-Jun-26</BILLDUE>\r\n <BILLOVERDUE>165</BILLOVERDUE>\r\n"
	if !strings.HasPrefix(br, first) {
		t.Errorf("bills receivable starts:\n%q", br[:min(len(br), 400)])
	}
	rows := parseBills(t, br)
	if _, ok := rows["SP-ADV-01"]; !ok {
		t.Error("supplier advance (debit) missing from Bills Receivable")
	}
	if _, ok := rows["ABC/S/104"]; ok {
		t.Error("settled bill listed")
	}
	for ref, cl := range rows {
		if !strings.HasPrefix(cl, "-") {
			t.Errorf("receivable %s has BILLCL %s", ref, cl)
		}
	}
	if strings.Contains(br, "<HEADER>") {
		t.Error("bills report must have no HEADER on success")
	}
	bp := parseBills(t, post(t, s, exportData("ABC Traders", "Bills Payable", "")))
	want := map[string]string{"BSS/1123": "29000.00", "ADV-NAIR-1": "10000.00"}
	if diff := cmp.Diff(want, bp); diff != "" {
		t.Errorf("bills payable (-want +got):\n%s", diff)
	}
	// Legacy Export Data form answers the same report.
	legacy := `<ENVELOPE><HEADER><TALLYREQUEST>Export Data</TALLYREQUEST></HEADER><BODY><EXPORTDATA><REQUESTDESC><REPORTNAME>Bills Receivable</REPORTNAME><STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT><SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY></STATICVARIABLES></REQUESTDESC></EXPORTDATA></BODY></ENVELOPE>`
	if got := post(t, s, legacy); got != post(t, s, exportData("ABC Traders", "Bills Receivable", "")) {
		t.Errorf("legacy form differs:\n%s", got)
	}
}

// parseBills maps BILLREF to BILLCL from the flat sibling groups.
func parseBills(t *testing.T, body string) map[string]string {
	t.Helper()
	e := parse(t, body)
	out := map[string]string{}
	ref := ""
	for _, k := range e.kids {
		switch k.name {
		case "BILLFIXED":
			ref = k.value("BILLREF")
		case "BILLCL":
			out[ref] = strings.TrimSpace(k.text)
		}
	}
	return out
}

func sumPairs(t *testing.T, body, dr, cr string) (int64, int64, int) {
	t.Helper()
	e := parse(t, body)
	var d, c int64
	rows := 0
	for _, k := range e.kids {
		if k.name != "DSPACCINFO" {
			continue
		}
		rows++
		a, err := tallyxml.ParseAmount(k.path(dr).value(dr + "A"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := tallyxml.ParseAmount(k.path(cr).value(cr + "A"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Paise() > 0 || b.Paise() < 0 {
			t.Errorf("sign: dr %v cr %v", a, b)
		}
		d += a.Paise()
		c += b.Paise()
	}
	return d, c, rows
}

func TestTrialBalanceAndStatements(t *testing.T) {
	s := startServer(t, Config{})
	for _, explode := range []string{"", "<EXPLODEFLAG>Yes</EXPLODEFLAG>"} {
		body := post(t, s, exportData("ABC Traders", "Trial Balance", explode))
		dr, cr, rows := sumPairs(t, body, "DSPCLDRAMT", "DSPCLCRAMT")
		if dr+cr != 0 || dr == 0 {
			t.Errorf("explode=%q: debit %d + credit %d != 0", explode, dr, cr)
		}
		if explode == "" && rows > 10 || explode != "" && rows < 20 {
			t.Errorf("explode=%q: %d rows", explode, rows)
		}
		if !strings.Contains(body, "</DSPACCNAME>\r\n <DSPACCINFO>\r\n  <DSPCLDRAMT>\r\n   <DSPCLDRAMTA>") {
			t.Errorf("layout:\n%s", body)
		}
		if !strings.Contains(body, "<DSPCLCRAMTA></DSPCLCRAMTA>") {
			t.Error("zero must be an empty tag")
		}
	}
	bs := parse(t, post(t, s, exportData("ABC Traders", "Balance Sheet", "")))
	var sum int64
	names := []string{}
	for _, k := range bs.kids {
		switch k.name {
		case "BSNAME":
			names = append(names, k.path("DSPACCNAME").value("DSPDISPNAME"))
		case "BSAMT":
			a, _ := tallyxml.ParseAmount(k.value("BSMAINAMT"))
			sum += a.Paise()
		}
	}
	if sum != 0 {
		t.Errorf("balance sheet does not balance: %d", sum)
	}
	if diff := cmp.Diff([]string{"Capital Account", "Loans (Liability)", "Current Liabilities", "Profit & Loss A/c", "Current Assets"}, names); diff != "" {
		t.Errorf("balance sheet rows (-want +got):\n%s", diff)
	}
	pl := post(t, s, exportData("ABC Traders", "Profit & Loss", ""))
	if !strings.HasPrefix(pl, "<ENVELOPE>\r\n <DSPACCNAME>\r\n  <DSPDISPNAME>Cost of Sales :</DSPDISPNAME>\r\n</DSPACCNAME>\r\n <PLAMT>\r\n  <PLSUBAMT></PLSUBAMT>\r\n  <BSMAINAMT>-50000.00</BSMAINAMT>\r\n</PLAMT>") {
		t.Errorf("P&L:\n%s", pl)
	}
}

func TestBuiltinCollections(t *testing.T) {
	s := startServer(t, Config{}, DemoCompany(fixedToday), labCompany("Coastal Test Traders"))
	companies := post(t, s, `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>List of Companies</ID></HEADER><BODY><DESC><STATICVARIABLES><SVCURRENTCOMPANY>Nope</SVCURRENTCOMPANY></STATICVARIABLES></DESC></BODY></ENVELOPE>`)
	if !strings.Contains(companies, `<COMPANY NAME="ABC Traders" RESERVEDNAME="">`) || !strings.Contains(companies, `<COMPANY NAME="Coastal Test Traders" RESERVEDNAME="">`) {
		t.Errorf("companies:\n%s", companies)
	}
	groups := parse(t, post(t, s, `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>List of Groups</ID></HEADER></ENVELOPE>`))
	if n := len(groups.path("BODY", "DATA", "COLLECTION").all("GROUP")); n != 28 {
		t.Errorf("%d groups", n)
	}
	lol := post(t, s, sample(t, "request-list-of-ledgers-01.xml"))
	if !strings.Contains(lol, "      <LANGUAGEID> 1033</LANGUAGEID>\r\n") {
		t.Error("List of Ledgers writes LANGUAGEID without TYPE")
	}
}

func TestDemoCompanyInvariants(t *testing.T) {
	c := DemoCompany(fixedToday)
	var debtors []Ledger
	escaping, devanagari := false, false
	for _, l := range c.Ledgers() {
		if l.Parent != "Sundry Debtors" {
			continue
		}
		debtors = append(debtors, l)
		if strings.ContainsAny(l.Name, `&<>"'`) {
			escaping = true
		}
		if strings.ContainsRune(l.Name, 'ग') {
			devanagari = true
		}
	}
	if len(debtors) != 12 || !escaping || !devanagari {
		t.Errorf("%d debtors, escaping %v, devanagari %v", len(debtors), escaping, devanagari)
	}
	overdue, current := 0, 0
	for _, b := range c.OutstandingBills(fixedToday) {
		if !b.Closing.IsDebit() {
			continue
		}
		if b.OverdueDays > 0 {
			overdue++
		} else {
			current++
		}
	}
	if overdue == 0 || current == 0 {
		t.Errorf("overdue %d, current %d", overdue, current)
	}
	b := billOfRef(t, c, "ABC/S/101")
	if b.Ledger != "Rajesh Enterprises" || b.Closing.Paise() != -4850000 || b.Due != tallyxml.NewDate(2026, 6, 10) {
		t.Errorf("Rajesh bill: %+v", b)
	}
	// Early in the year 10 June is not past: the bill is still overdue.
	early := DemoCompany(tallyxml.NewDate(2027, 1, 15))
	for _, b := range early.OutstandingBills(tallyxml.NewDate(2027, 1, 15)) {
		if b.Ref == "ABC/S/101" && (b.OverdueDays <= 0 || b.Closing.Paise() != -4850000) {
			t.Errorf("early-year Rajesh bill: %+v", b)
		}
	}
}

func TestDataFileRoundTrip(t *testing.T) {
	demo := DemoCompany(fixedToday)
	var dump bytes.Buffer
	if err := WriteJSON(&dump, demo); err != nil {
		t.Fatal(err)
	}
	loaded, err := ReadJSON(bytes.NewReader(dump.Bytes()), fixedToday)
	if err != nil {
		t.Fatal(err)
	}
	c := loaded[0]
	opts := cmp.Comparer(func(a, b tallyxml.Amount) bool { return a == b })
	dateCmp := cmp.Comparer(func(a, b tallyxml.Date) bool { return a == b })
	if diff := cmp.Diff(demo.Ledgers(), c.Ledgers(), opts, dateCmp); diff != "" {
		t.Errorf("ledgers (-demo +loaded):\n%s", diff)
	}
	if diff := cmp.Diff(demo.Vouchers(), c.Vouchers(), opts, dateCmp); diff != "" {
		t.Errorf("vouchers (-demo +loaded):\n%s", diff)
	}
	if diff := cmp.Diff(demo.OutstandingBills(fixedToday), c.OutstandingBills(fixedToday), opts, dateCmp); diff != "" {
		t.Errorf("bills (-demo +loaded):\n%s", diff)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, c); err != nil {
		t.Fatal(err)
	}
	if dump.String() != again.String() {
		t.Error("dump → load → dump is not stable")
	}

	ex, err := LoadFile("testdata/example-books.json", fixedToday)
	if err != nil {
		t.Fatal(err)
	}
	if b := billOfRef(t, ex[0], "CT/1"); b.Closing.Paise() != -680000 || b.Due != tallyxml.NewDate(2026, 8, 31) {
		t.Errorf("example bill: %+v", b)
	}
	s := startServer(t, Config{}, ex...)
	if got := post(t, s, exportData("", "Bills Receivable", "")); !strings.Contains(got, "<BILLPARTY>RK Builders Pvt Ltd</BILLPARTY>") {
		t.Errorf("example books over HTTP:\n%s", got)
	}
}

// TestTrialBalanceMixedGroup rebuilds the books of the live capture in
// tally-protocol.md §9.3 (E) (caos-platform, TallyPrime Educational): one
// purchase of ₹1,47,200 with ₹16,560 input GST from a creditor. Current
// Liabilities then holds a debit ledger (the input tax) and a credit ledger
// (the creditor), and the group-wise Trial Balance shows both columns, as Tally
// does: Dr -16560.00 and Cr 163760.00, totals 163760.00 each side.
func TestTrialBalanceMixedGroup(t *testing.T) {
	c := NewCompany("Mixed Co", tallyxml.NewDate(2026, time.April, 1))
	for _, l := range []Ledger{
		{Name: "Purchase", Parent: "Purchase Accounts"},
		{Name: "Input IGST", Parent: "Duties & Taxes"},
		{Name: "Steel Supplier", Parent: "Sundry Creditors"},
	} {
		if err := c.AddLedger(l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AddVoucher(Voucher{Type: "Purchase", Date: tallyxml.NewDate(2026, time.May, 2), Entries: []Entry{
		{Ledger: "Purchase", Amount: tallyxml.Paise(-14720000)},
		{Ledger: "Input IGST", Amount: tallyxml.Paise(-1656000)},
		{Ledger: "Steel Supplier", Amount: tallyxml.Paise(16376000)},
	}}); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, Config{}, c)
	type row struct{ name, dr, cr string }
	rows := func(body string) []row {
		var out []row
		for _, k := range parse(t, body).kids {
			switch k.name {
			case "DSPACCNAME":
				out = append(out, row{name: k.value("DSPDISPNAME")})
			case "DSPACCINFO":
				out[len(out)-1].dr = k.path("DSPCLDRAMT").value("DSPCLDRAMTA")
				out[len(out)-1].cr = k.path("DSPCLCRAMT").value("DSPCLCRAMTA")
			}
		}
		return out
	}
	for _, tc := range []struct {
		explode string
		want    []row
	}{
		{"", []row{{"Current Liabilities", "-16560.00", "163760.00"}, {"Purchase Accounts", "-147200.00", ""}}},
		// Ledger rows keep one side each.
		{"<EXPLODEFLAG>Yes</EXPLODEFLAG>", []row{{"Input IGST", "-16560.00", ""}, {"Steel Supplier", "", "163760.00"}, {"Purchase", "-147200.00", ""}}},
	} {
		got := rows(post(t, s, exportData("Mixed Co", "Trial Balance", tc.explode)))
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(row{})); diff != "" {
			t.Errorf("explode=%q (-want +got):\n%s", tc.explode, diff)
		}
	}
}
