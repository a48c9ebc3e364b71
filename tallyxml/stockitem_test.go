package tallyxml_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/tallyxml"
	"github.com/tallyfacade/tallyfacade/tallyxml/tallysim"
)

// TestStockItemsDecode reads the shapes a StockItem export takes: the rate
// per duty head (integrated, or only the intra-state halves), the latest of
// several dated GST details and price lists, an HSN in HSNDETAILS.LIST
// (TallyPrime 4+), and "&#4; Primary" as the parent.
func TestStockItemsDecode(t *testing.T) {
	t.Parallel()
	const doc = `<ENVELOPE><BODY><DATA><COLLECTION>
<STOCKITEM NAME="Steel Sheet 4x8" RESERVEDNAME="">
 <PARENT TYPE="String">Steel</PARENT><BASEUNITS TYPE="String">Nos</BASEUNITS>
 <OPENINGBALANCE TYPE="Quantity"> 120 Nos</OPENINGBALANCE><CLOSINGBALANCE TYPE="Quantity"> 118 Nos</CLOSINGBALANCE>
 <MASTERID TYPE="Number"> 41</MASTERID>
 <GSTDETAILS.LIST><APPLICABLEFROM>20250401</APPLICABLEFROM><HSNCODE>7208</HSNCODE>
  <STATEWISEDETAILS.LIST><STATENAME>&#4; Any</STATENAME>
   <RATEDETAILS.LIST><GSTRATEDUTYHEAD>Integrated Tax</GSTRATEDUTYHEAD><GSTRATE> 12</GSTRATE></RATEDETAILS.LIST>
  </STATEWISEDETAILS.LIST></GSTDETAILS.LIST>
 <GSTDETAILS.LIST><APPLICABLEFROM>20250922</APPLICABLEFROM><HSNCODE>7208</HSNCODE>
  <STATEWISEDETAILS.LIST><STATENAME>&#4; Any</STATENAME>
   <RATEDETAILS.LIST><GSTRATEDUTYHEAD>Central Tax</GSTRATEDUTYHEAD><GSTRATE> 9</GSTRATE></RATEDETAILS.LIST>
   <RATEDETAILS.LIST><GSTRATEDUTYHEAD>State Tax</GSTRATEDUTYHEAD><GSTRATE> 9</GSTRATE></RATEDETAILS.LIST>
   <RATEDETAILS.LIST><GSTRATEDUTYHEAD>Cess</GSTRATEDUTYHEAD><GSTRATE></GSTRATE></RATEDETAILS.LIST>
  </STATEWISEDETAILS.LIST></GSTDETAILS.LIST>
 <STANDARDPRICELIST.LIST><DATE>20250401</DATE><RATE>2400.00/Nos</RATE></STANDARDPRICELIST.LIST>
 <STANDARDPRICELIST.LIST><DATE>20260101</DATE><RATE>2500.00/Nos</RATE></STANDARDPRICELIST.LIST>
</STOCKITEM>
<STOCKITEM NAME="Loose Nails">
 <PARENT>&#4; Primary</PARENT><BASEUNITS>Kg</BASEUNITS><CLOSINGBALANCE>-2.5 Kg</CLOSINGBALANCE>
 <HSNDETAILS.LIST><APPLICABLEFROM>20250401</APPLICABLEFROM><HSNCODE>7317</HSNCODE></HSNDETAILS.LIST>
</STOCKITEM>
</COLLECTION></DATA></BODY></ENVELOPE>`
	var got []tallyxml.StockItem
	for it, err := range tallyxml.StockItems(tallyxml.NewReader(strings.NewReader(doc))) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it)
	}
	if len(got) != 2 {
		t.Fatalf("%d items; want 2: %+v", len(got), got)
	}
	steel, nails := got[0], got[1]
	if steel.Name != "Steel Sheet 4x8" || steel.Parent != "Steel" || steel.BaseUnits != "Nos" || steel.MasterID != 41 ||
		steel.HSNCode != "7208" || !steel.GSTRateSet || !steel.GSTRate.Equal(decimal.NewFromInt(18)) ||
		steel.StandardPrice.String() != "2500.00/Nos" || steel.ClosingBalance.Value.String() != "118" ||
		steel.OpeningBalance.Value.String() != "120" {
		t.Errorf("steel: %+v", steel)
	}
	if nails.HSNCode != "7317" || nails.GSTRateSet || nails.StandardPrice.IsSet() || nails.ClosingBalance.Value.String() != "-2.5" ||
		strings.TrimSpace(nails.Parent) != "Primary" {
		t.Errorf("nails: %+v", nails)
	}
}

// TestGatewayStockItemsAndInvoice reads the demo company's stock items and
// posts an item invoice through the simulator: the closing quantity moves,
// the sales ledger is credited through the stock line, and an unknown item
// is Tally's rejection.
func TestGatewayStockItemsAndInvoice(t *testing.T) {
	t.Parallel()
	sim := gwStartSim(t)
	demo := gwDemo(t, sim)
	gw := gwNew(t, sim.URL(), tallyxml.ClientConfig{})
	ctx := t.Context()

	items, err := gw.StockItems(ctx, gwCompany)
	if err != nil {
		t.Fatal(err)
	}
	var steel service.StockItem
	for _, it := range items {
		if it.Name == "Steel Sheet 4x8" {
			steel = it
		}
	}
	want := service.StockItem{Name: "Steel Sheet 4x8", Group: "Steel", Unit: "Nos", HSN: "7208", GSTRate: decimal.NewFromInt(18),
		GSTRateKnown: true, StandardRate: 250000, StandardRateKnown: true, Closing: decimal.NewFromInt(120), ClosingKnown: true}
	if len(items) != len(tallysim.DemoStockItems()) || !cmp.Equal(want, steel, cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })) {
		t.Fatalf("stock items %+v; want %d with %+v", items, len(tallysim.DemoStockItems()), want)
	}

	salesBefore := gwClosing(t, demo, "Sales", tallyxml.Date{})
	v := service.Voucher{Type: "Sales", RemoteID: "gw-inv-1", Date: time.Date(2026, time.June, 20, 0, 0, 0, 0, time.UTC),
		Reference: "INV/1", Party: "Rajesh Enterprises", Narration: "Item invoice",
		Entries: []service.Entry{
			{Ledger: "Rajesh Enterprises", Amount: -590000, IsParty: true,
				Bills: []service.BillRef{{Name: "INV/1", Type: "New Ref", CreditDays: 30, Amount: -590000}}},
			{Ledger: "CGST", Amount: 45000}, {Ledger: "SGST", Amount: 45000},
		},
		Inventory: []service.InventoryLine{{Item: "Steel Sheet 4x8", Quantity: decimal.NewFromInt(2), Unit: "Nos", Rate: 250000,
			Amount: 500000, Ledger: "Sales"}},
	}
	out, err := gw.PostVoucher(ctx, gwCompany, v)
	if err != nil || out.Created != 1 {
		t.Fatalf("post: %v %+v", err, out)
	}
	q, err := demo.ClosingQuantity("Steel Sheet 4x8", tallyxml.Date{})
	if err != nil || q.String() != "118" {
		t.Errorf("closing quantity %v (%v); want 118", q, err)
	}
	if got := gwClosing(t, demo, "Sales", tallyxml.Date{}).Signed - salesBefore.Signed; got != 500000 {
		t.Errorf("Sales moved by %d paise; want a credit of 500000", got)
	}
	if !strings.Contains(string(out.Request), `OBJVIEW="Invoice Voucher View"`) || !strings.Contains(string(out.Request), "<ACTUALQTY> 2 Nos</ACTUALQTY>") {
		t.Errorf("request sent:\n%s", out.Request)
	}

	// The mirror's sync reads the invoice with its stock line, and the
	// line's allocation as an entry, so the mirror's Sales balance moves.
	var synced []service.MirrorVoucher
	if err := gw.VouchersIn(ctx, gwCompany, service.VoucherRange{}, func(mv service.MirrorVoucher) error {
		if mv.RemoteID == "gw-inv-1" {
			synced = append(synced, mv)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 1 || len(synced[0].Inventory) != 1 || synced[0].Inventory[0].Item != "Steel Sheet 4x8" ||
		!slices.ContainsFunc(synced[0].Entries, func(e service.MirrorEntry) bool { return e.Ledger == "Sales" && e.Amount == 500000 }) {
		t.Errorf("synced invoice: %+v", synced)
	}

	v.RemoteID, v.Inventory[0].Item = "gw-inv-2", "Gold Bar"
	out, err = gw.PostVoucher(ctx, gwCompany, v)
	se := gwWantError(t, err, service.Upstream, "tally_rejected")
	if se.Message != "Stock Item 'Gold Bar' does not exist!" || out.Created != 0 {
		t.Errorf("unknown item: %q %+v", se.Message, out)
	}
}
