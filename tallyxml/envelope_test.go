package tallyxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"
	"golang.org/x/text/encoding/unicode"
)

var encUpdateGolden = flag.Bool("update-enc-golden", false, "rewrite testdata/golden/*.xml from the request encoders")

// Names that must survive the encoder: XML metacharacters and both quotes,
// Devanagari, and a company name with a period suffix (§7(e)).
const (
	encNastyName = `A & B <Traders> "Quoted" 'Apos'`
	encHindiName = "राजेश एंटरप्राइज़ेज"
	encCompany   = "Coastal & Sons - (from 1-Apr-26)"
)

var (
	encApr1  = NewDate(2026, time.April, 1)
	encJun23 = NewDate(2026, time.June, 23)
	encMar31 = NewDate(2027, time.March, 31)
)

func encPinned() Vars { return Vars{Company: encCompany} }

func encSalesVoucher() VoucherImport {
	return VoucherImport{
		RemoteID:      "wa-order-1001",
		VoucherType:   "Sales",
		View:          ViewAccounting,
		Date:          encJun23,
		EffectiveDate: encJun23,
		Number:        "WA-1001",
		Reference:     "PO 77",
		PartyLedger:   encHindiName,
		Narration:     "WhatsApp order 1001, ₹1,180 incl. GST",
		PersistedView: ViewAccounting,
		IsInvoice:     No,
		Entries: []LedgerEntry{
			Debit(encHindiName, 118000).AsParty().WithBill("WA-1001", BillNewRef, CreditDays(30)),
			Credit("Sales", 100000),
			Credit("Output IGST", 18000),
		},
	}
}

// encInvoiceVoucher is an item invoice: two stock lines whose value goes
// to the sales ledger through their accounting allocations, the GST
// ledgers and the party with its bill, as in Invoice Voucher View.
func encInvoiceVoucher() VoucherImport {
	qty := func(s, unit string) Quantity { return NewQuantity(decimal.RequireFromString(s), unit) }
	rate := func(s, unit string) Rate { return NewRate(decimal.RequireFromString(s), unit) }
	return VoucherImport{
		RemoteID:      "wa-order-1002",
		VoucherType:   "Sales",
		View:          ViewInvoice,
		Date:          encJun23,
		EffectiveDate: encJun23,
		Reference:     "WA-1002",
		PartyLedger:   encHindiName,
		Narration:     "WhatsApp order 1002",
		PersistedView: ViewInvoice,
		IsInvoice:     Yes,
		EntryList:     LedgerEntries,
		Inventory: []InventoryEntry{
			{StockItem: "Steel Sheet 4x8", Quantity: qty("2", "Nos"), Rate: rate("2500", "Nos"), Amount: Paise(500000),
				Allocations: []LedgerEntry{Credit("Sales", 500000)}},
			{StockItem: "Cotton <Fabric> & Co", Quantity: qty("1.25", "Kg"), Rate: rate("350", "Kg"), Amount: Paise(43750),
				Allocations: []LedgerEntry{Credit("Sales", 43750)}},
		},
		Entries: []LedgerEntry{
			Debit(encHindiName, 636094).AsParty().WithBill("WA-1002", BillNewRef, CreditDays(30)),
			Credit("CGST", 46172),
			Credit("SGST", 46172),
		},
	}
}

func encFullLedger() LedgerMaster {
	return LedgerMaster{
		Name:                encNastyName,
		Aliases:             []string{"AB Traders"},
		Parent:              "Sundry Debtors",
		OpeningBalance:      Paise(-125050),
		IsBillWiseOn:        Yes,
		BillCreditPeriod:    CreditDays(30),
		MailingName:         "A & B Traders",
		Address:             []string{"12, M.G. Road", "Near <Bus> Stand"},
		StateName:           "Karnataka",
		CountryName:         "India",
		Pincode:             "560001",
		Mobile:              "9820012345",
		Email:               "ab@example.in",
		GSTRegistrationType: "Regular",
		PartyGSTIN:          "29ABCDE1234F1Z5",
		ApplicableFrom:      encApr1,
	}
}

// encGoldenCases covers every request kind. Each has a golden file.
func encGoldenCases() []struct {
	name string
	req  *Request
} {
	tdlColl := NewCollection("Party Balances", "Ledger")
	tdlColl.ChildOf = "Sundry Debtors"
	tdlColl.BelongsTo = Yes
	tdlColl.Fetch = []string{"Name", "Parent", "ClosingBalance"}
	tdlColl.Filters = []string{"OnlyParty"}
	partyFilter, err := NameEquals(`A & B <Traders> 'Apos'`)
	if err != nil {
		panic(err)
	}

	vchColl := NewCollection("Vouchers In Period", "Voucher")
	vchColl.Fetch = []string{"Date", "VoucherNumber", "ALLLEDGERENTRIES.AMOUNT"}
	vchColl.Filters = []string{"InPeriod"}
	periodVars := encPinned()
	periodVars.From, periodVars.To = encApr1, encMar31

	legacyBills := ExportReport("Bills Receivable", Vars{Company: encCompany, To: encJun23})
	legacyBills.Form = FormLegacy

	tdlReport := ExportReport("Trial Balance Ledgerwise", encPinned())
	tdlReport.TDL = &TDL{Reports: []TDLReport{{
		Name: "Trial Balance Ledgerwise", Use: "Trial Balance",
		Set: []string{`ExplodeFlag : Yes`, `DSPShowOpening : Yes`},
	}}}

	masters := ImportMasters(Vars{Company: encCompany, ImportDups: DupIgnoreCombine},
		GroupMaster{Name: "Bangalore Debtors", Parent: "Sundry Debtors"},
		encFullLedger(),
		LedgerMaster{Name: encHindiName, Parent: "Bangalore Debtors", OpeningBalance: Paise(0)},
		LedgerMaster{Name: "CGST", Parent: "Duties & Taxes", IsDeemedPositive: No, TaxType: "GST",
			GSTDutyHead: "Central Tax", RateOfTaxCalculation: decimal.NewNullDecimal(decimal.NewFromInt(9))},
	)
	legacyMasters := ImportMasters(encPinned(), encFullLedger())
	legacyMasters.Form = FormLegacy
	legacyVouchers := ImportVouchers(encPinned(), encSalesVoucher())
	legacyVouchers.Form = FormLegacy
	// A batch: several vouchers in one request, each with its own REMOTEID.
	second := encSalesVoucher()
	second.RemoteID, second.Number = second.RemoteID+"-2", second.Number+"-2"
	batchVouchers := ImportVouchers(encPinned(), encSalesVoucher(), second)
	batchVouchers.Form = FormLegacy
	// A batch's new parties: several ledgers in one masters import.
	otherLedger := encFullLedger()
	otherLedger.Name, otherLedger.Mobile, otherLedger.Aliases = "C & D <Fabrics>", "+91 98450 12345", nil
	batchMasters := ImportMasters(encPinned(), encFullLedger(), otherLedger)
	batchMasters.Form = FormLegacy
	cancelVoucher := ImportVouchers(encPinned(), VoucherImport{Action: ActionCancel, RemoteID: "b599ccf4-941b-5683-b9a9-600bb0c4b1e5",
		VoucherType: "Sales", Date: encJun23})
	cancelVoucher.Form = FormLegacy

	return []struct {
		name string
		req  *Request
	}{
		{"export-trial-balance", ExportReport("Trial Balance", Vars{Company: encCompany, From: encApr1, To: encMar31, Explode: Yes})},
		{"export-bills-receivable", ExportReport("Bills Receivable", Vars{Company: encCompany, From: encApr1, To: encJun23})},
		{"export-bills-payable", ExportReport("Bills Payable", Vars{Company: encCompany, To: encJun23})},
		{"export-balance-sheet", ExportReport("Balance Sheet", Vars{Company: encCompany, To: encMar31})},
		{"export-profit-and-loss", ExportReport("Profit & Loss", Vars{Company: encCompany, From: encApr1, To: encMar31})},
		{"export-bills-receivable-legacy", legacyBills},
		{"export-report-tdl", tdlReport},
		{"export-list-of-ledgers", ExportCollection("List of Ledgers", encPinned())},
		{"export-list-of-companies", ExportCollection("List of Companies", Vars{})},
		{"export-collection-tdl-filter", ExportCollectionTDL(tdlColl, encPinned(), Formula{Name: "OnlyParty", Expr: partyFilter})},
		{"export-collection-tdl-period", ExportCollectionTDL(vchColl, periodVars, Formula{Name: "InPeriod", Expr: PeriodFilter})},
		{"export-object-ledger", ExportObject("Ledger", encHindiName, []string{"Name", "ClosingBalance", "LedgerMobile"}, encPinned())},
		{"import-masters", masters},
		{"import-masters-legacy", legacyMasters},
		{"import-master-rename-delete", ImportMasters(encPinned(),
			LedgerMaster{Action: ActionAlter, Name: "ICICI", NewName: encNastyName},
			LedgerMaster{Action: ActionDelete, Name: encHindiName},
			GroupMaster{Action: ActionAlter, Name: "Bangalore Debtors", NewName: "Bengaluru Debtors"},
		)},
		{"import-vouchers", ImportVouchers(encPinned(), encSalesVoucher())},
		{"import-vouchers-legacy", legacyVouchers},
		{"import-vouchers-batch-legacy", batchVouchers},
		{"import-masters-batch-legacy", batchMasters},
		{"import-voucher-cancel", cancelVoucher},
		{"import-invoice", ImportVouchers(encPinned(), encInvoiceVoucher())},
		{"execute-sync", ExecuteAction("Sync", encPinned())},
	}
}

func TestEncodeGolden(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range encGoldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.req.Encode(UTF8)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			path := filepath.Join("testdata", "golden", tc.name+".xml")
			seen[filepath.Base(path)] = true
			compareGolden(t, path, got, *encUpdateGolden, "go test -run TestEncodeGolden -update-enc-golden")
			again, err := tc.req.Encode(UTF8)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("second Encode differs (err %v): output is not deterministic", err)
			}
			if err := encWellFormed(got); err != nil {
				t.Errorf("not well-formed: %v", err)
			}
		})
	}
	// A golden file nobody produces any more is a stale expectation.
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.xml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] && !*encUpdateGolden {
			t.Errorf("stale golden file %s", f)
		}
	}
}

// compareGolden compares got with the golden file at path, rewriting it
// first when update is set; hint says how to update it.
func compareGolden(t *testing.T, path string, got []byte, update bool, hint string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s)", err, hint)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", filepath.Base(path), got, want)
	}
}

func encWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// The golden files themselves must show the properties the tests are named
// after, or a wrong -update-enc-golden run would bless a bug.
func TestGoldenContents(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		file string
		want []string
		not  []string
	}{
		{"import-masters", []string{
			`<LEDGER NAME="A &amp; B &lt;Traders&gt; &#34;Quoted&#34; &#39;Apos&#39;" ACTION="Create">`,
			`<NAME>` + encHindiName + `</NAME>`,
			`<SVCURRENTCOMPANY>Coastal &amp; Sons - (from 1-Apr-26)</SVCURRENTCOMPANY>`,
			`<IMPORTDUPS>@@DUPIGNORECOMBINE</IMPORTDUPS>`,
			`<OPENINGBALANCE>-1250.50</OPENINGBALANCE>`,
			`<OPENINGBALANCE>0.00</OPENINGBALANCE>`,
			`<RATEOFTAXCALCULATION>9</RATEOFTAXCALCULATION>`,
		}, []string{"xmlns:UDF", "SVEXPORTFORMAT", "IMPORTDATA"}},
		{"import-vouchers", []string{
			`<VOUCHER REMOTEID="wa-order-1001" VCHTYPE="Sales" ACTION="Create" OBJVIEW="Accounting Voucher View">`,
			`<NARRATION>WhatsApp order 1001, ₹1,180 incl. GST</NARRATION>`,
			`<LEDGERNAME>` + encHindiName + `</LEDGERNAME><ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><ISPARTYLEDGER>Yes</ISPARTYLEDGER><AMOUNT>-1180.00</AMOUNT>`,
			`<BILLALLOCATIONS.LIST><NAME>WA-1001</NAME><BILLTYPE>New Ref</BILLTYPE><BILLCREDITPERIOD>30 Days</BILLCREDITPERIOD><AMOUNT>-1180.00</AMOUNT></BILLALLOCATIONS.LIST>`,
			`<LEDGERNAME>Sales</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>1000.00</AMOUNT>`,
		}, []string{"<LEDGERENTRIES.LIST>"}},
		{"import-vouchers-legacy", []string{
			`<ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><IMPORTDATA><REQUESTDESC><REPORTNAME>Vouchers</REPORTNAME>`,
			`<TALLYMESSAGE xmlns:UDF="TallyUDF">`,
		}, []string{"<VERSION>"}},
		{"export-bills-receivable", []string{
			`<SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT><SVCURRENTCOMPANY>`,
			`<SVFROMDATE TYPE="Date">20260401</SVFROMDATE><SVTODATE TYPE="Date">20260623</SVTODATE>`,
		}, nil},
		{"export-bills-receivable-legacy", []string{
			`<HEADER><TALLYREQUEST>Export Data</TALLYREQUEST></HEADER><BODY><EXPORTDATA><REQUESTDESC><REPORTNAME>Bills Receivable</REPORTNAME><STATICVARIABLES>`,
		}, []string{"<VERSION>", "<ID>"}},
		{"export-collection-tdl-filter", []string{
			`<ID>Party Balances</ID>`,
			`<COLLECTION NAME="Party Balances" ISMODIFY="No" ISINITIALIZE="Yes"><TYPE>Ledger</TYPE><CHILDOF>Sundry Debtors</CHILDOF><BELONGSTO>Yes</BELONGSTO><FETCH>Name,Parent,ClosingBalance</FETCH><FILTERS>OnlyParty</FILTERS></COLLECTION>`,
			`<SYSTEM TYPE="Formulae" NAME="OnlyParty">$$IsEqual:$Name:&#34;A &amp; B &lt;Traders&gt; &#39;Apos&#39;&#34;</SYSTEM>`,
		}, nil},
		{"export-collection-tdl-period", []string{
			`$Date &gt;= ##SVFromDate AND $Date &lt;= ##SVToDate`,
		}, nil},
		{"export-object-ledger", []string{
			`<TYPE>Object</TYPE><SUBTYPE>Ledger</SUBTYPE><ID TYPE="Name">` + encHindiName + `</ID>`,
			`<FETCHLIST><FETCH>Name</FETCH><FETCH>ClosingBalance</FETCH><FETCH>LedgerMobile</FETCH></FETCHLIST>`,
		}, nil},
		{"execute-sync", []string{
			`<HEADER><VERSION>1</VERSION><TALLYREQUEST>Execute</TALLYREQUEST><TYPE>TDLAction</TYPE><ID>Sync</ID></HEADER>`,
		}, []string{"SVEXPORTFORMAT"}},
	}
	for _, tc := range tests {
		got := read(tc.file)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: missing %s", tc.file, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: must not contain %s", tc.file, n)
			}
		}
	}
}

func TestEncodeUTF16(t *testing.T) {
	for _, tc := range encGoldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			u8, err := tc.req.Encode(UTF8)
			if err != nil {
				t.Fatal(err)
			}
			u16, err := tc.req.Encode(UTF16)
			if err != nil {
				t.Fatal(err)
			}
			if len(u16) < 4 || u16[0] != 0x3c || u16[1] != 0x00 || u16[2] != 'E' || u16[3] != 0x00 {
				t.Fatalf("UTF-16 body starts % x, want 3c 00 45 00 (no BOM, little-endian)", u16[:min(4, len(u16))])
			}
			back, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Bytes(u16)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(u8), string(back)); diff != "" {
				t.Errorf("UTF-16 decodes to something else than the UTF-8 form (-utf8 +utf16):\n%s", diff)
			}
		})
	}
}

func TestCharset(t *testing.T) {
	tests := []struct {
		cs          Charset
		contentType string
		name        string
	}{
		{UTF16, "text/xml; charset=utf-16", "utf-16"},
		{UTF8, "text/xml; charset=utf-8", "utf-8"},
	}
	for _, tc := range tests {
		if got := tc.cs.ContentType(); got != tc.contentType {
			t.Errorf("%v.ContentType() = %q, want %q", tc.cs, got, tc.contentType)
		}
		if got := tc.cs.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
	}
	var zero Charset
	if zero != UTF16 {
		t.Error("the zero Charset must be UTF16, the default")
	}
}

// TestReproduceSamples encodes, from typed values, the requests that real
// Tally accepted, and compares them with the captures canonically.
func TestReproduceSamples(t *testing.T) {
	legacy := func(r *Request) *Request { r.Form = FormLegacy; return r }
	zero := Paise(0)
	coastal := Vars{Company: "Coastal Test Traders"}
	customColl := Collection{Name: "CAOS Ledger Coll", IsInitialize: Yes, Type: "Ledger",
		NativeMethods: []string{"Name", "Parent", "TaxType", "GSTDutyHead", "PartyGSTIN", "OpeningBalance"}}
	taxLedger := func(name, head string) LedgerMaster {
		return LedgerMaster{Name: name, Parent: "Duties & Taxes", OpeningBalance: zero, IsDeemedPositive: No,
			TaxType: "GST", GSTDutyHead: head, RateOfTaxCalculation: decimal.NewNullDecimal(decimal.Zero)}
	}
	tests := []struct {
		sample string
		req    *Request
	}{
		{"request-import-ledger-create-all-masters-02.xml", ImportMasters(Vars{Company: "BRIDGE MASTER FIELDS LAB"},
			LedgerMaster{Name: "BRIDGE MFLAB PARTIAL ALTER PROBE", Parent: "Sundry Debtors",
				IncomeTaxNumber: "ZZZZZ0000Z", NameOnPAN: "BRIDGE MFLAB PROBE", PartyGSTIN: "27ZZZZZ0000Z1Z5"})},
		{"request-import-ledger-alter-partial-01.xml", ImportMasters(Vars{Company: "BRIDGE MASTER FIELDS LAB"},
			LedgerMaster{Action: ActionAlter, Name: "BRIDGE MFLAB PARTIAL ALTER PROBE", IncomeTaxNumber: "ZZZZZ0001Z"})},
		{"request-import-ledgers-create-01.xml", legacy(ImportMasters(coastal,
			LedgerMaster{Name: "Coastal Components Pvt Ltd", Parent: "Sundry Creditors", OpeningBalance: zero},
			LedgerMaster{Name: "Purchase @18%", Parent: "Purchase Accounts", OpeningBalance: zero},
			taxLedger("CGST", "Central Tax"),
			taxLedger("SGST", "State Tax"),
		))},
		{"request-import-voucher-purchase-minimal-01.xml", legacy(ImportVouchers(coastal, VoucherImport{
			VoucherType: "Purchase", Date: NewDate(2026, time.August, 1), EffectiveDate: NewDate(2026, time.August, 1),
			Number: "VAR-A", PartyLedger: "Coastal Components Pvt Ltd",
			Entries: []LedgerEntry{Credit("Coastal Components Pvt Ltd", 1840000), Debit("Purchase @18%", 1840000)},
		}))},
		{"request-import-payment-voucher-accepted-01.xml", legacy(ImportVouchers(Vars{Company: "BRIDGE AMEND LAB"}, VoucherImport{
			RemoteID: "fb9eac30-a125-8dcc-b70d-027a147ce3d1", VoucherType: "Payment", View: ViewAccounting,
			Date: NewDate(2026, time.April, 3), EffectiveDate: NewDate(2026, time.April, 3),
			PartyLedger: "Test Expense B", Narration: "LANE-A W-A1 Payment [BRIDGE:fb9eac30-a125-8dcc-b70d-027a147ce3d1]",
			Entries: []LedgerEntry{Debit("Test Expense B", 100), Credit("Cash", 100)},
		}))},
		{"request-list-of-ledgers-01.xml", ExportCollection("List of Ledgers", Vars{})},
		{"request-export-custom-ledger-collection-02.xml", ExportCollectionTDL(customColl, coastal)},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", "samples", tc.sample))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.req.Encode(UTF8)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(encCanonical(t, want), encCanonical(t, got)); diff != "" {
				t.Errorf("encoded request differs from the accepted sample (-sample +ours):\n%s\nours: %s", diff, got)
			}
		})
	}
}

// encCanonical renders XML as an indented tree that ignores what Tally ignores:
// the XML declaration, whitespace-only text between elements, attribute
// order, the case of the HEADER TALLYREQUEST/TYPE values, and the spelling
// of amounts ("0" and "0.00" are the same OPENINGBALANCE).
func encCanonical(t *testing.T, b []byte) string {
	t.Helper()
	numeric := map[string]bool{"OPENINGBALANCE": true, "AMOUNT": true, "RATEOFTAXCALCULATION": true}
	caseless := map[string]bool{"TALLYREQUEST": true, "TYPE": true}
	var out strings.Builder
	var stack []string
	var text strings.Builder
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("encCanonical: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			text.Reset()
			var attrs []string
			for _, a := range tok.Attr {
				name := a.Name.Local
				if a.Name.Space != "" {
					name = a.Name.Space + ":" + name
				}
				attrs = append(attrs, fmt.Sprintf("%s=%q", name, a.Value))
			}
			sort.Strings(attrs)
			fmt.Fprintf(&out, "%s<%s %s>\n", strings.Repeat(" ", len(stack)), tok.Name.Local, strings.Join(attrs, " "))
			stack = append(stack, tok.Name.Local)
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			s := strings.TrimSpace(text.String())
			text.Reset()
			name := stack[len(stack)-1]
			if numeric[name] && s != "" {
				a, err := ParseAmount(s)
				if err != nil {
					t.Fatalf("encCanonical: %s %q: %v", name, s, err)
				}
				s = a.String()
			}
			if caseless[name] && len(stack) >= 2 && stack[len(stack)-2] == "HEADER" {
				s = strings.ToLower(s)
			}
			if s != "" {
				fmt.Fprintf(&out, "%s%q\n", strings.Repeat(" ", len(stack)), s)
			}
			stack = stack[:len(stack)-1]
		}
	}
	return out.String()
}

func TestRequestKindAndWrite(t *testing.T) {
	tests := []struct {
		req   *Request
		kind  string
		write bool
	}{
		{ExportReport("Bills Receivable", Vars{}), "export:Bills Receivable", false},
		{ExportReport("Trial Balance", Vars{}), "export:Trial Balance", false},
		{ExportCollection("List of Ledgers", Vars{}), "export:collection", false},
		{ExportCollectionTDL(NewCollection("X", "Ledger"), Vars{}), "export:collection", false},
		{ExportObject("Ledger", "X", nil, Vars{}), "export:object", false},
		{ImportMasters(Vars{}, LedgerMaster{Name: "X"}), "import:masters", true},
		{ImportVouchers(Vars{}, encSalesVoucher()), "import:vouchers", true},
		{ExecuteAction("Sync", Vars{}), "execute", true},
	}
	for _, tc := range tests {
		if got := tc.req.Kind(); got != tc.kind {
			t.Errorf("Kind() = %q, want %q", got, tc.kind)
		}
		if got := tc.req.IsWrite(); got != tc.write {
			t.Errorf("%s: IsWrite() = %v, want %v", tc.kind, got, tc.write)
		}
	}
}

func TestStaticVariables(t *testing.T) {
	tests := []struct {
		name string
		req  *Request
		want string // the STATICVARIABLES element, or "" for none
	}{
		{"export default format", ExportReport("Day Book", Vars{}),
			`<STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT></STATICVARIABLES>`},
		{"export format omitted", ExportReport("Day Book", Vars{Format: FormatOmit}), ""},
		{"import has no format by default", ImportMasters(Vars{}, LedgerMaster{Name: "X"}), ""},
		{"import format forced", ImportMasters(Vars{Format: FormatXML}, LedgerMaster{Name: "X"}),
			`<STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT></STATICVARIABLES>`},
		{"fixed order, extras last", ExportReport("Group Outstandings", Vars{
			Extra:   []Var{{"GROUPNAME", "Sundry Debtors"}, {"SHOWBYBILL", "Yes"}},
			Explode: No, To: encJun23, From: encApr1, Company: "C", ImportDups: DupModify,
		}), `<STATICVARIABLES><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT><SVCURRENTCOMPANY>C</SVCURRENTCOMPANY>` +
			`<SVFROMDATE TYPE="Date">20260401</SVFROMDATE><SVTODATE TYPE="Date">20260623</SVTODATE>` +
			`<EXPLODEFLAG>No</EXPLODEFLAG><IMPORTDUPS>@@DUPMODIFY</IMPORTDUPS>` +
			`<GROUPNAME>Sundry Debtors</GROUPNAME><SHOWBYBILL>Yes</SHOWBYBILL></STATICVARIABLES>`},
		{"dup combine", ImportMasters(Vars{ImportDups: DupCombine}, LedgerMaster{Name: "X"}),
			`<STATICVARIABLES><IMPORTDUPS>@@DUPCOMBINE</IMPORTDUPS></STATICVARIABLES>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.req.Encode(UTF8)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if i := strings.Index(string(b), "<STATICVARIABLES>"); i >= 0 {
				j := strings.Index(string(b), "</STATICVARIABLES>")
				got = string(b[i : j+len("</STATICVARIABLES>")])
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	legacyColl := ExportCollection("List of Ledgers", Vars{})
	legacyColl.Form = FormLegacy
	wrongID := ExportCollectionTDL(NewCollection("Mine", "Ledger"), Vars{})
	wrongID.ID = "Other"
	fetchOnReport := ExportReport("Trial Balance", Vars{})
	fetchOnReport.Fetch = []string{"Name"}
	legacyTDL := ExportReport("R", Vars{})
	legacyTDL.TDL = &TDL{Reports: []TDLReport{{Name: "R", Use: "Trial Balance"}}}
	legacyTDL.Form = FormLegacy
	badColl := NewCollection("C", "Ledger")
	badColl.Fetch = []string{"Name,Parent"}
	tests := []struct {
		name string
		req  *Request
		want error
	}{
		{"empty ID", ExportReport(" ", Vars{}), ErrInvalidRequest},
		{"legacy collection", legacyColl, ErrInvalidRequest},
		{"TDL collection not named by ID", wrongID, ErrInvalidRequest},
		{"object without subtype", ExportObject("", "X", nil, Vars{}), ErrInvalidRequest},
		{"fetch list on a report", fetchOnReport, ErrInvalidRequest},
		{"TDL in legacy form", legacyTDL, ErrInvalidRequest},
		{"comma inside a FETCH item", ExportCollectionTDL(badColl, Vars{}), ErrInvalidRequest},
		{"bad static variable name", ExportReport("R", Vars{Extra: []Var{{"A><B", "x"}}}), ErrInvalidRequest},
		{"period backwards", ExportReport("R", Vars{From: encMar31, To: encApr1}), ErrInvalidRequest},
		{"import without objects", ImportMasters(Vars{}), ErrInvalidRequest},
		{"control char in company", ExportReport("R", Vars{Company: "Acme\x04"}), ErrInvalidXMLChar},
		{"invalid UTF-8 in ID", ExportReport("R\xff", Vars{}), ErrInvalidXMLChar},
		{"control char in ledger", ImportMasters(Vars{}, LedgerMaster{Name: "A\x00B"}), ErrInvalidXMLChar},
		{"unbalanced voucher", ImportVouchers(Vars{}, VoucherImport{VoucherType: "Journal", Date: encApr1,
			Entries: []LedgerEntry{Debit("A", 100), Credit("B", 99)}}), ErrUnbalanced},
		{"nil object", ImportMasters(Vars{}, nil), ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.req.Encode(UTF16)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Encode err = %v, want %v (output %q)", err, tc.want, b)
			}
		})
	}
}

func TestTDLString(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"Alpha Customer", `"Alpha Customer"`, nil},
		{"A & B <Traders>", `"A & B <Traders>"`, nil}, // XML escaping is the encoder's job
		{encHindiName, `"` + encHindiName + `"`, nil},
		{"it's", `"it's"`, nil},
		{`say "hi"`, "", ErrTDLQuote},
		{"two\nlines", "", ErrInvalidXMLChar},
	}
	for _, tc := range tests {
		got, err := TDLString(tc.in)
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("TDLString(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	if got, err := NameEquals("Alpha Customer"); err != nil || got != `$$IsEqual:$Name:"Alpha Customer"` {
		t.Errorf("NameEquals = %q, %v", got, err)
	}
	if _, err := EqualsFormula("Name:$$Quit", "x"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("EqualsFormula with a formula in the method name: err = %v", err)
	}
	if _, err := NameEquals(encNastyName); !errors.Is(err, ErrTDLQuote) {
		t.Errorf("NameEquals(%q): err = %v, want ErrTDLQuote", encNastyName, err)
	}
}

// TestTDLFilterRoundTrip checks that the filter text Tally receives, after
// XML decoding, is exactly the TDL the helper built.
func TestTDLFilterRoundTrip(t *testing.T) {
	expr, err := NameEquals(`A & B <Traders> 'Apos'`)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollection("C", "Ledger")
	c.Filters = []string{"F1", "F2"}
	b, err := ExportCollectionTDL(c, Vars{}, Formula{Name: "F1", Expr: expr}, Formula{Name: "F2", Expr: PeriodFilter}).Encode(UTF8)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Filters string `xml:"BODY>DESC>TDL>TDLMESSAGE>COLLECTION>FILTERS"`
		Systems []struct {
			Name string `xml:"NAME,attr"`
			Expr string `xml:",chardata"`
		} `xml:"BODY>DESC>TDL>TDLMESSAGE>SYSTEM"`
	}
	if err := xml.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if env.Filters != "F1,F2" {
		t.Errorf("FILTERS = %q", env.Filters)
	}
	want := []string{`$$IsEqual:$Name:"A & B <Traders> 'Apos'"`, `$Date >= ##SVFromDate AND $Date <= ##SVToDate`}
	var got []string
	for _, s := range env.Systems {
		got = append(got, s.Expr)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("formulae after XML decoding (-want +got):\n%s", diff)
	}
}
