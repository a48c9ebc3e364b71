package tallysim

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// invoiceRequest is a Sales invoice of qty Steel Sheet 4x8 at 2,500.00 to
// Rajesh Enterprises (Maharashtra: CGST and SGST at 9%), shaped as the
// tallyxml encoder writes it.
func invoiceRequest(remoteID, item, qty string, taxable, half int64) string {
	total := taxable + 2*half
	return `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Import</TALLYREQUEST><TYPE>Data</TYPE><ID>Vouchers</ID></HEADER>
<BODY><DESC><STATICVARIABLES><SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY></STATICVARIABLES></DESC>
<DATA><TALLYMESSAGE>
<VOUCHER REMOTEID="` + remoteID + `" VCHTYPE="Sales" ACTION="Create" OBJVIEW="Invoice Voucher View">
<DATE>20261120</DATE><VOUCHERTYPENAME>Sales</VOUCHERTYPENAME><PARTYLEDGERNAME>Rajesh Enterprises</PARTYLEDGERNAME>
<PERSISTEDVIEW>Invoice Voucher View</PERSISTEDVIEW><ISINVOICE>Yes</ISINVOICE>
<ALLINVENTORYENTRIES.LIST><STOCKITEMNAME>` + item + `</STOCKITEMNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE>
<RATE>2500.00/Nos</RATE><AMOUNT>` + tallyxml.Paise(taxable).String() + `</AMOUNT><ACTUALQTY> ` + qty + ` Nos</ACTUALQTY><BILLEDQTY> ` + qty + ` Nos</BILLEDQTY>
<ACCOUNTINGALLOCATIONS.LIST><LEDGERNAME>Sales</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>` + tallyxml.Paise(taxable).String() + `</AMOUNT></ACCOUNTINGALLOCATIONS.LIST>
</ALLINVENTORYENTRIES.LIST>
<LEDGERENTRIES.LIST><LEDGERNAME>Rajesh Enterprises</LEDGERNAME><ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><ISPARTYLEDGER>Yes</ISPARTYLEDGER><AMOUNT>` + tallyxml.Paise(-total).String() + `</AMOUNT>
<BILLALLOCATIONS.LIST><NAME>INV-1</NAME><BILLTYPE>New Ref</BILLTYPE><BILLCREDITPERIOD>30 Days</BILLCREDITPERIOD><AMOUNT>` + tallyxml.Paise(-total).String() + `</AMOUNT></BILLALLOCATIONS.LIST></LEDGERENTRIES.LIST>
<LEDGERENTRIES.LIST><LEDGERNAME>CGST</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>` + tallyxml.Paise(half).String() + `</AMOUNT></LEDGERENTRIES.LIST>
<LEDGERENTRIES.LIST><LEDGERNAME>SGST</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>` + tallyxml.Paise(half).String() + `</AMOUNT></LEDGERENTRIES.LIST>
</VOUCHER></TALLYMESSAGE></DATA></BODY></ENVELOPE>`
}

func TestInvoiceImport(t *testing.T) {
	t.Parallel()
	demo := DemoCompany(fixedToday)
	s := startServer(t, Config{}, demo)
	qty := func() string {
		t.Helper()
		q, err := demo.ClosingQuantity("Steel Sheet 4x8", tallyxml.Date{})
		if err != nil {
			t.Fatal(err)
		}
		return q.String()
	}
	sales := func() int64 {
		t.Helper()
		b, err := demo.ClosingBalance("Sales", tallyxml.Date{})
		if err != nil {
			t.Fatal(err)
		}
		return b.Paise()
	}
	salesBefore, rajeshBefore := sales(), mustBalance(t, demo, "Rajesh Enterprises")
	if got := qty(); got != "120" {
		t.Fatalf("opening quantity = %s, want 120", got)
	}

	// 2 × 2,500.00 = 5,000.00, CGST and SGST 450.00 each.
	body := post(t, s, invoiceRequest("inv-1", "Steel Sheet 4x8", "2", 500000, 45000))
	if counter(t, body, "CREATED") != "1" || counter(t, body, "ERRORS") != "0" {
		t.Fatalf("invoice not created:\n%s", body)
	}
	if got := qty(); got != "118" {
		t.Errorf("closing quantity after selling 2 = %s, want 118", got)
	}
	if got := sales() - salesBefore; got != 500000 {
		t.Errorf("Sales credited %d paise, want 500000 (the stock line's allocation)", got)
	}
	if got := mustBalance(t, demo, "Rajesh Enterprises") - rajeshBefore; got != -590000 {
		t.Errorf("party debited %d paise, want -590000", got)
	}

	// The same REMOTEID again replaces the invoice: 3 sold in all, not 5.
	body = post(t, s, invoiceRequest("inv-1", "steel sheet 4x8", "3", 750000, 67500))
	if counter(t, body, "ALTERED") != "1" {
		t.Fatalf("resend not an alter:\n%s", body)
	}
	if got := qty(); got != "117" {
		t.Errorf("closing quantity after the resend = %s, want 117", got)
	}

	// An unknown item is refused with the whole voucher, nothing changes.
	body = post(t, s, invoiceRequest("inv-2", "Gold Bar", "1", 250000, 22500))
	if counter(t, body, "CREATED") != "0" || counter(t, body, "ERRORS") != "1" ||
		!strings.Contains(body, "<LINEERROR>Stock Item &apos;Gold Bar&apos; does not exist!</LINEERROR>") &&
			!strings.Contains(body, "<LINEERROR>Stock Item 'Gold Bar' does not exist!</LINEERROR>") {
		t.Errorf("unknown item:\n%s", body)
	}
	if got := qty(); got != "117" {
		t.Errorf("closing quantity after a refused invoice = %s, want 117", got)
	}

	// Cancelling the invoice gives the stock back.
	var id int64
	for _, v := range demo.Vouchers() {
		if v.RemoteID == "inv-1" {
			id = v.MasterID
			if len(v.Inventory) != 1 || v.Inventory[0].Item != "Steel Sheet 4x8" || v.Inventory[0].Unit != "Nos" {
				t.Errorf("stored stock line: %+v", v.Inventory)
			}
		}
	}
	if err := demo.CancelVoucher(id); err != nil {
		t.Fatal(err)
	}
	if got := qty(); got != "120" {
		t.Errorf("closing quantity after cancelling = %s, want 120", got)
	}
}

func mustBalance(t *testing.T, c *Company, ledger string) int64 {
	t.Helper()
	b, err := c.ClosingBalance(ledger, tallyxml.Date{})
	if err != nil {
		t.Fatal(err)
	}
	return b.Paise()
}

func TestStockItemExport(t *testing.T) {
	t.Parallel()
	demo := DemoCompany(fixedToday)
	s := startServer(t, Config{}, demo)
	if body := post(t, s, invoiceRequest("inv-1", "Steel Sheet 4x8", "2", 500000, 45000)); counter(t, body, "CREATED") != "1" {
		t.Fatalf("invoice not created:\n%s", body)
	}
	req := `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>TFItems</ID></HEADER>
<BODY><DESC><STATICVARIABLES><SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY><SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT></STATICVARIABLES>
<TDL><TDLMESSAGE><COLLECTION NAME="TFItems" ISMODIFY="No"><TYPE>StockItem</TYPE>
<FETCH>Name, Parent, BaseUnits, ClosingBalance, OpeningBalance, GSTDetails, StandardPriceList, MasterID, AlterID</FETCH>
</COLLECTION></TDLMESSAGE></TDL></DESC></BODY></ENVELOPE>`
	body := post(t, s, req)
	for _, want := range []string{
		`<STOCKITEM NAME="Steel Sheet 4x8" RESERVEDNAME="">`,
		`<PARENT TYPE="String">Steel</PARENT>`,
		`<BASEUNITS TYPE="String">Nos</BASEUNITS>`,
		`<CLOSINGBALANCE TYPE="Quantity"> 118 Nos</CLOSINGBALANCE>`,
		`<OPENINGBALANCE TYPE="Quantity"> 80.5 Kg</OPENINGBALANCE>`,
		`<HSNCODE>7208</HSNCODE>`,
		`<GSTRATEDUTYHEAD>Integrated Tax</GSTRATEDUTYHEAD>`,
		`<GSTRATE> 28</GSTRATE>`,
		`<RATE>2500.00/Nos</RATE>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("export lacks %s:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "<STOCKITEM "); n != len(DemoStockItems()) {
		t.Errorf("%d stock items exported, want %d", n, len(DemoStockItems()))
	}

	// The invoice reads back in Invoice Voucher View with its stock line.
	vreq := `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Object</TYPE><SUBTYPE>Voucher</SUBTYPE><ID TYPE="Name">inv-1</ID></HEADER>
<BODY><DESC><STATICVARIABLES><SVCURRENTCOMPANY>ABC Traders</SVCURRENTCOMPANY></STATICVARIABLES></DESC></BODY></ENVELOPE>`
	vbody := post(t, s, vreq)
	for _, want := range []string{`OBJVIEW="Invoice Voucher View"`, `<STOCKITEMNAME TYPE="String">Steel Sheet 4x8</STOCKITEMNAME>`,
		`<ACTUALQTY TYPE="Quantity"> 2 Nos</ACTUALQTY>`, `<RATE TYPE="Rate">2500.00/Nos</RATE>`, `<ACCOUNTINGALLOCATIONS.LIST>`} {
		if !strings.Contains(vbody, want) {
			t.Errorf("voucher export lacks %s:\n%s", want, vbody)
		}
	}
}

func TestStockItemsDataFile(t *testing.T) {
	t.Parallel()
	demo := DemoCompany(fixedToday)
	var b strings.Builder
	if err := WriteJSON(&b, demo); err != nil {
		t.Fatal(err)
	}
	cs, err := ReadJSON(strings.NewReader(b.String()), fixedToday)
	if err != nil {
		t.Fatal(err)
	}
	it, ok := cs[0].StockItem("Cotton Fabric")
	if !ok || !it.OpeningQty.Equal(decimal.RequireFromString("80.5")) || it.HSN != "5208" || !it.GSTRate.Equal(decimal.NewFromInt(5)) {
		t.Errorf("stock item after a dump and load: %+v", it)
	}
}
