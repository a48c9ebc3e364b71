package tallyxml

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

func encMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatalf("xml.Marshal: %v", err)
	}
	return string(b)
}

func TestLedgerMasterShapes(t *testing.T) {
	tests := []struct {
		name string
		l    LedgerMaster
		want string
	}{
		{"create minimal", LedgerMaster{Name: "ICICI", Parent: "Bank Accounts", OpeningBalance: Paise(-1250000)},
			`<LEDGER NAME="ICICI" ACTION="Create"><NAME>ICICI</NAME><PARENT>Bank Accounts</PARENT><OPENINGBALANCE>-12500.00</OPENINGBALANCE></LEDGER>`},
		{"empty amount and toggles not sent", LedgerMaster{Name: "X"},
			`<LEDGER NAME="X" ACTION="Create"><NAME>X</NAME></LEDGER>`},
		{"zero amount is sent", LedgerMaster{Name: "X", OpeningBalance: Paise(0), IsBillWiseOn: No},
			`<LEDGER NAME="X" ACTION="Create"><NAME>X</NAME><OPENINGBALANCE>0.00</OPENINGBALANCE><ISBILLWISEON>No</ISBILLWISEON></LEDGER>`},
		{"aliases", LedgerMaster{Name: "Alpha", Aliases: []string{"A1", "A2"}},
			`<LEDGER NAME="Alpha" ACTION="Create"><NAME>Alpha</NAME><LANGUAGENAME.LIST><NAME.LIST TYPE="String"><NAME>Alpha</NAME><NAME>A1</NAME><NAME>A2</NAME></NAME.LIST><LANGUAGEID>1033</LANGUAGEID></LANGUAGENAME.LIST></LEDGER>`},
		{"rename", LedgerMaster{Action: ActionAlter, Name: "ICICI", NewName: "HDFC"},
			`<LEDGER NAME="ICICI" ACTION="Alter"><NAME>HDFC</NAME><LANGUAGENAME.LIST><NAME.LIST TYPE="String"><NAME>HDFC</NAME></NAME.LIST><LANGUAGEID>1033</LANGUAGEID></LANGUAGENAME.LIST></LEDGER>`},
		{"partial alter sends no NAME element", LedgerMaster{Action: ActionAlter, Name: "ICICI", Email: "a@b.in"},
			`<LEDGER NAME="ICICI" ACTION="Alter"><EMAIL>a@b.in</EMAIL></LEDGER>`},
		{"delete sends only the name", LedgerMaster{Action: ActionDelete, Name: "ICICI", Parent: "ignored"},
			`<LEDGER NAME="ICICI" ACTION="Delete"><NAME>ICICI</NAME></LEDGER>`},
		{"flat fields only without ApplicableFrom", LedgerMaster{Name: "P", StateName: "Karnataka", PartyGSTIN: "29X"},
			`<LEDGER NAME="P" ACTION="Create"><NAME>P</NAME><LEDSTATENAME>Karnataka</LEDSTATENAME><PARTYGSTIN>29X</PARTYGSTIN></LEDGER>`},
		{"dated lists with ApplicableFrom", LedgerMaster{Name: "P", Address: []string{"L1", "L2"}, StateName: "Karnataka",
			CountryName: "India", GSTRegistrationType: "Regular", PartyGSTIN: "29X", ApplicableFrom: encApr1, BillCreditPeriod: CreditDays(45)},
			`<LEDGER NAME="P" ACTION="Create"><NAME>P</NAME><BILLCREDITPERIOD>45 Days</BILLCREDITPERIOD>` +
				`<ADDRESS.LIST TYPE="String"><ADDRESS>L1</ADDRESS><ADDRESS>L2</ADDRESS></ADDRESS.LIST>` +
				`<LEDSTATENAME>Karnataka</LEDSTATENAME><COUNTRYNAME>India</COUNTRYNAME><GSTREGISTRATIONTYPE>Regular</GSTREGISTRATIONTYPE><PARTYGSTIN>29X</PARTYGSTIN>` +
				`<LEDMAILINGDETAILS.LIST><APPLICABLEFROM>20260401</APPLICABLEFROM><ADDRESS.LIST TYPE="String"><ADDRESS>L1</ADDRESS><ADDRESS>L2</ADDRESS></ADDRESS.LIST><STATE>Karnataka</STATE><COUNTRY>India</COUNTRY></LEDMAILINGDETAILS.LIST>` +
				`<LEDGSTREGDETAILS.LIST><APPLICABLEFROM>20260401</APPLICABLEFROM><GSTREGISTRATIONTYPE>Regular</GSTREGISTRATIONTYPE><PLACEOFSUPPLY>Karnataka</PLACEOFSUPPLY><GSTIN>29X</GSTIN></LEDGSTREGDETAILS.LIST></LEDGER>`},
		{"ApplicableFrom alone adds no empty list", LedgerMaster{Name: "P", ApplicableFrom: encApr1},
			`<LEDGER NAME="P" ACTION="Create"><NAME>P</NAME></LEDGER>`},
		{"extras last", LedgerMaster{Name: "P", Parent: "G", Extra: []Field{{"CREDITLIMIT", "-50000.00"}}},
			`<LEDGER NAME="P" ACTION="Create"><NAME>P</NAME><PARENT>G</PARENT><CREDITLIMIT>-50000.00</CREDITLIMIT></LEDGER>`},
		{"due-date credit period", LedgerMaster{Name: "P", BillCreditPeriod: CreditDueOn(encJun23)},
			`<LEDGER NAME="P" ACTION="Create"><NAME>P</NAME><BILLCREDITPERIOD>23-Jun-2026</BILLCREDITPERIOD></LEDGER>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := encMarshal(t, tc.l); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestGroupMaster(t *testing.T) {
	tests := []struct {
		g    GroupMaster
		want string
	}{
		{GroupMaster{Name: "Bangalore Debtors", Parent: "Sundry Debtors"},
			`<GROUP NAME="Bangalore Debtors" ACTION="Create"><NAME>Bangalore Debtors</NAME><PARENT>Sundry Debtors</PARENT></GROUP>`},
		{GroupMaster{Action: ActionDelete, Name: "Old"},
			`<GROUP NAME="Old" ACTION="Delete"><NAME>Old</NAME></GROUP>`},
	}
	for _, tc := range tests {
		if got := encMarshal(t, tc.g); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestMasterValidate(t *testing.T) {
	tests := []struct {
		name string
		obj  ImportObject
		want error
	}{
		{"no name", LedgerMaster{Parent: "X"}, ErrInvalidObject},
		{"rename on create", LedgerMaster{Name: "A", NewName: "B"}, ErrInvalidObject},
		{"cancel a ledger", LedgerMaster{Action: ActionCancel, Name: "A"}, ErrInvalidObject},
		{"blank alias", LedgerMaster{Name: "A", Aliases: []string{" "}}, ErrInvalidObject},
		{"negative credit days", LedgerMaster{Name: "A", BillCreditPeriod: CreditDays(-1)}, ErrInvalidObject},
		{"extra tag injection", LedgerMaster{Name: "A", Extra: []Field{{"X><Y", "v"}}}, ErrInvalidRequest},
		{"control char in address", LedgerMaster{Name: "A", Address: []string{"ok", "bad\x1b"}}, ErrInvalidXMLChar},
		{"group without name", GroupMaster{}, ErrInvalidObject},
		{"group rename on delete", GroupMaster{Action: ActionDelete, Name: "A", NewName: "B"}, ErrInvalidObject},
		{"valid ledger", LedgerMaster{Name: "A"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.obj.Validate()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
			if _, merr := xml.Marshal(tc.obj); (merr == nil) != (err == nil) {
				t.Errorf("xml.Marshal err = %v, but Validate = %v", merr, err)
			}
		})
	}
}

func TestEntrySignDerivation(t *testing.T) {
	tests := []struct {
		e          LedgerEntry
		wantAmount string
		wantDeemed string
	}{
		{Debit("Cash", 150), "-1.50", "Yes"},
		{Debit("Cash", -150), "-1.50", "Yes"}, // the side comes from the constructor
		{Credit("Sales", 150), "1.50", "No"},
		{Credit("Sales", -150), "1.50", "No"},
		{LedgerEntry{Ledger: "Raw", Amount: Paise(-7)}, "-0.07", "Yes"},
		{LedgerEntry{Ledger: "Raw", Amount: Paise(7)}, "0.07", "No"},
	}
	for _, tc := range tests {
		v := VoucherImport{VoucherType: "Journal", Date: encApr1,
			Entries: []LedgerEntry{tc.e, {Ledger: "Balancing", Amount: tc.e.Amount.Neg()}}}
		var got struct {
			Entries []struct {
				Deemed string `xml:"ISDEEMEDPOSITIVE"`
				Amount string `xml:"AMOUNT"`
			} `xml:"ALLLEDGERENTRIES.LIST"`
		}
		if err := xml.Unmarshal([]byte(encMarshal(t, v)), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Entries) != 2 {
			t.Fatalf("%d entries", len(got.Entries))
		}
		if e := got.Entries[0]; e.Amount != tc.wantAmount || e.Deemed != tc.wantDeemed {
			t.Errorf("%+v: AMOUNT %s ISDEEMEDPOSITIVE %s, want %s %s", tc.e, e.Amount, e.Deemed, tc.wantAmount, tc.wantDeemed)
		}
		// The balancing line is on the other side, so the flags must differ.
		if got.Entries[1].Deemed == got.Entries[0].Deemed && tc.e.Amount.Paise() != 0 {
			t.Errorf("%+v: both lines have ISDEEMEDPOSITIVE %s", tc.e, got.Entries[0].Deemed)
		}
	}
}

func TestVoucherValidate(t *testing.T) {
	base := func(entries ...LedgerEntry) VoucherImport {
		return VoucherImport{VoucherType: "Sales", Date: encApr1, Number: "S-1", Entries: entries}
	}
	twoBills := Debit("Party", 118000).AsParty()
	twoBills.Bills = []BillAllocation{
		{Name: "S-1", Type: BillNewRef, Amount: Paise(-100000)},
		{Name: "S-0", Type: BillAgstRef, Amount: Paise(-18000)},
	}
	shortBills := twoBills
	shortBills.Bills = []BillAllocation{{Name: "S-1", Type: BillNewRef, Amount: Paise(-117999)}}
	tests := []struct {
		name    string
		v       VoucherImport
		want    error
		balance int64
		msg     string // a substring the error must carry
	}{
		{"balanced", base(Debit("Party", 118000).WithBill("S-1", BillNewRef, CreditDays(30)), Credit("Sales", 100000), Credit("IGST", 18000)), nil, 0, ""},
		{"balanced, two bills", base(twoBills, Credit("Sales", 118000)), nil, 0, ""},
		{"on account needs no name", base(Debit("Party", 100).WithBill("", BillOnAccount, CreditPeriod{}), Credit("Sales", 100)), nil, 0, ""},
		{"off by one paisa", base(Debit("Party", 118000), Credit("Sales", 100000), Credit("IGST", 17999)), ErrUnbalanced, -1, "difference -0.01"},
		{"credit heavy", base(Debit("Party", 100), Credit("Sales", 250)), ErrUnbalanced, 150, "Dr 1.00, Cr 2.50, difference 1.50"},
		{"bills short of the line", base(shortBills, Credit("Sales", 118000)), ErrBillAllocation, 0, "difference 0.01"},
		{"bill without name", base(Debit("P", 100).WithBill("", BillNewRef, CreditPeriod{}), Credit("S", 100)), ErrInvalidObject, 0, "needs a name"},
		{"unknown bill type", base(Debit("P", 100).WithBill("x", "Fresh Ref", CreditPeriod{}), Credit("S", 100)), ErrInvalidObject, 0, "unknown bill type"},
		{"one line", base(Debit("P", 0)), ErrInvalidObject, 0, "at least two"},
		{"empty amount", base(LedgerEntry{Ledger: "P"}, Credit("S", 0)), ErrInvalidObject, 0, "no amount"},
		{"no ledger", base(Debit("", 1), Credit("S", 1)), ErrInvalidObject, 0, "no ledger"},
		{"no date", VoucherImport{VoucherType: "Sales", Entries: []LedgerEntry{Debit("P", 1), Credit("S", 1)}}, ErrInvalidObject, 0, "no date"},
		{"no type", VoucherImport{Date: encApr1, Entries: []LedgerEntry{Debit("P", 1), Credit("S", 1)}}, ErrInvalidObject, 0, "no voucher type"},
		{"alter refused", VoucherImport{Action: ActionAlter, RemoteID: "r1", VoucherType: "Sales", Date: encApr1,
			Entries: []LedgerEntry{Debit("P", 1), Credit("S", 1)}}, ErrVoucherAlter, 0, "ACTION Create with the same REMOTEID"},
		{"delete needs remote id", VoucherImport{Action: ActionDelete, VoucherType: "Sales"}, ErrInvalidObject, 0, "REMOTEID"},
		{"delete by remote id", VoucherImport{Action: ActionDelete, RemoteID: "r1"}, nil, 0, ""},
		{"control char in narration", VoucherImport{VoucherType: "J", Date: encApr1, Narration: "a\x01",
			Entries: []LedgerEntry{Debit("P", 1), Credit("S", 1)}}, ErrInvalidXMLChar, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.Balance(); got != tc.balance {
				t.Errorf("Balance() = %d, want %d", got, tc.balance)
			}
			err := tc.v.Validate()
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			// MarshalXML validates too: an invalid voucher is never encoded.
			if _, merr := xml.Marshal(tc.v); !errors.Is(merr, tc.want) {
				t.Errorf("xml.Marshal err = %v, want %v", merr, tc.want)
			}
		})
	}
}

func TestVoucherImportShapes(t *testing.T) {
	tests := []struct {
		name string
		v    VoucherImport
		want string
	}{
		{"ledger entries list option", VoucherImport{VoucherType: "Sales", Date: encApr1, EntryList: LedgerEntries,
			Entries: []LedgerEntry{Debit("P", 100).AsParty(), Credit("S", 100)}},
			`<VOUCHER VCHTYPE="Sales" ACTION="Create"><DATE>20260401</DATE><VOUCHERTYPENAME>Sales</VOUCHERTYPENAME>` +
				`<LEDGERENTRIES.LIST><LEDGERNAME>P</LEDGERNAME><ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><ISPARTYLEDGER>Yes</ISPARTYLEDGER><AMOUNT>-1.00</AMOUNT></LEDGERENTRIES.LIST>` +
				`<LEDGERENTRIES.LIST><LEDGERNAME>S</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>1.00</AMOUNT></LEDGERENTRIES.LIST></VOUCHER>`},
		{"delete by remote id", VoucherImport{Action: ActionDelete, RemoteID: "r-1", VoucherType: "Sales",
			Entries: []LedgerEntry{Debit("ignored", 5)}},
			`<VOUCHER REMOTEID="r-1" VCHTYPE="Sales" ACTION="Delete"><VOUCHERTYPENAME>Sales</VOUCHERTYPENAME></VOUCHER>`},
		{"cancel", VoucherImport{Action: ActionCancel, RemoteID: "r-1"},
			`<VOUCHER REMOTEID="r-1" ACTION="Cancel"></VOUCHER>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := encMarshal(t, tc.v); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// encLedgerNamesOnWire is what a plain encoding/xml reader sees of an import.
type encLedgerNamesOnWire struct {
	Company string `xml:"BODY>DESC>STATICVARIABLES>SVCURRENTCOMPANY"`
	Ledgers []struct {
		Attr    string   `xml:"NAME,attr"`
		Name    string   `xml:"NAME"`
		Aliases []string `xml:"LANGUAGENAME.LIST>NAME.LIST>NAME"`
		Address []string `xml:"ADDRESS.LIST>ADDRESS"`
	} `xml:"BODY>DATA>TALLYMESSAGE>LEDGER"`
}

// encRoundTripLedger encodes a ledger named s through the whole request path
// in UTF-16, decodes it back, and reports what came out.
func encRoundTripLedger(t testing.TB, s string) (encLedgerNamesOnWire, error) {
	req := ImportMasters(Vars{Company: s}, LedgerMaster{Name: s, Aliases: []string{s}, Address: []string{s}})
	b, err := req.Encode(UTF16)
	if err != nil {
		return encLedgerNamesOnWire{}, err
	}
	u8, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Bytes(b)
	if err != nil {
		t.Fatalf("UTF-16 decode: %v", err)
	}
	var got encLedgerNamesOnWire
	if err := xml.Unmarshal(u8, &got); err != nil {
		t.Fatalf("encoder output does not parse: %v\n%s", err, u8)
	}
	return got, nil
}

func encCheckLedgerRoundTrip(t testing.TB, s string) {
	got, err := encRoundTripLedger(t, s)
	if err != nil {
		t.Fatalf("Encode(%q): %v", s, err)
	}
	if got.Company != s || len(got.Ledgers) != 1 {
		t.Fatalf("%q: company %q, %d ledgers", s, got.Company, len(got.Ledgers))
	}
	l := got.Ledgers[0]
	want := []string{s, s, s, s, s}
	have := []string{l.Attr, l.Name}
	have = append(have, l.Aliases...)
	have = append(have, l.Address...)
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("%q did not round-trip (attr, NAME, NAME.LIST x2, ADDRESS) (-want +got):\n%s", s, diff)
	}
}

func TestLedgerNameRoundTrip(t *testing.T) {
	for _, s := range []string{
		encNastyName, encHindiName, "₹ Cash", "Duties & Taxes", "]]>", "&amp;", "&#4; Primary",
		"tab\there", "line\nbreak", "cr\r\nlf", " lead and trail ", "emoji 😀", "<LEDGER NAME=\"x\">",
	} {
		t.Run(s, func(t *testing.T) { encCheckLedgerRoundTrip(t, s) })
	}
}

func encValidXMLString(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return false
		}
	}
	return true
}

// FuzzLedgerNameEscaping: any string XML can carry must come back exactly
// from a plain encoding/xml reader; any other string must be refused with
// ErrInvalidXMLChar, never silently altered.
func FuzzLedgerNameEscaping(f *testing.F) {
	for _, s := range []string{encNastyName, encHindiName, "a\r\nb", "x\x04y", "\xff", "\"'<>&", "\uFFFD", "\U0010FFFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.TrimSpace(s) == "" {
			return // a blank name is refused by design (ErrInvalidObject)
		}
		if !encValidXMLString(s) {
			if _, err := encRoundTripLedger(t, s); !errors.Is(err, ErrInvalidXMLChar) {
				t.Fatalf("%q: err = %v, want ErrInvalidXMLChar", s, err)
			}
			return
		}
		encCheckLedgerRoundTrip(t, s)
	})
}
