package tallysim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// StockItem is an inventory master. Quantities are exact decimals in the
// item's base unit; closing quantity is never stored but computed from the
// vouchers' inventory entries, as balances are (see Company.ClosingQuantity).
//
// Stock groups, categories, godowns and batches are not simulated as
// masters: Parent is carried as given (empty is Primary), and every
// quantity sits in one implicit godown.
type StockItem struct {
	Name      string `json:"name"`
	Parent    string `json:"parent,omitempty"` // the stock group; "" is Primary
	BaseUnits string `json:"baseUnits"`        // "Nos", "Kg", …
	HSN       string `json:"hsn,omitempty"`
	// GSTRate is the item's integrated GST rate in percent ("18"); an
	// intra-state sale splits it into equal central and state halves.
	GSTRate decimal.Decimal `json:"gstRate"`
	// StandardRate is the selling price per base unit (Tally's Standard
	// Rates, STANDARDPRICELIST.LIST); unset when the item has none.
	StandardRate tallyxml.Amount `json:"standardRate,omitzero"`
	OpeningQty   decimal.Decimal `json:"openingQty"`
	OpeningRate  tallyxml.Amount `json:"openingRate,omitzero"` // cost per base unit of the opening stock
	GUID         string          `json:"guid,omitempty"`
	MasterID     int64           `json:"masterId,omitempty"`
	AlterID      int64           `json:"alterId,omitempty"`
}

// InventoryEntry is one ALLINVENTORYENTRIES.LIST row of an invoice voucher.
// Amount follows the ledger convention (a sale's stock line is a credit,
// positive); Allocations are its ACCOUNTINGALLOCATIONS.LIST, the ledgers the
// line's value goes to (the sales ledger), summing to Amount.
type InventoryEntry struct {
	Item string `json:"item"`
	// Inward is ISDEEMEDPOSITIVE: Yes brings stock in (a purchase), No
	// takes it out (a sale). Quantity is always positive.
	Inward      bool            `json:"inward,omitempty"`
	Quantity    decimal.Decimal `json:"quantity"`
	BilledQty   decimal.Decimal `json:"billedQty"`
	Unit        string          `json:"unit,omitempty"`
	Rate        decimal.Decimal `json:"rate"` // per Unit, in rupees
	Amount      tallyxml.Amount `json:"amount"`
	Allocations []Entry         `json:"allocations,omitempty"`
}

// stockItemMissingText is the LINEERROR for an inventory line naming an item
// the company does not have. It follows Tally's "<Type> '<name>' does not
// exist!" family, whose Ledger, Stock Group and Godown members are LIVE
// (tally-protocol.md §9.4); the Stock Item member itself has not been
// captured, so this exact wording is a simulator choice.
func stockItemMissingText(name string) string {
	return fmt.Sprintf("Stock Item '%s' does not exist!", name)
}

func (c *Company) stockItem(name string) *StockItem {
	k := foldName(name)
	for _, it := range c.items {
		if foldName(it.Name) == k {
			return it
		}
	}
	return nil
}

func (c *Company) addStockItem(it StockItem) error {
	if strings.TrimSpace(it.Name) == "" {
		return fmt.Errorf("tallysim: a stock item needs a name")
	}
	if c.stockItem(it.Name) != nil {
		return fmt.Errorf("stock item %q: %w", it.Name, errMastersExists)
	}
	if it.MasterID == 0 {
		it.MasterID, it.AlterID = c.nextMaster()
	} else {
		c.lastMasterID = max(c.lastMasterID, it.MasterID)
		c.lastAlterID = max(c.lastAlterID, it.AlterID)
	}
	if it.GUID == "" {
		it.GUID = c.masterGUID(it.MasterID)
	}
	c.items = append(c.items, &it)
	return nil
}

// AddStockItem adds a stock item (for tests and data files).
func (c *Company) AddStockItem(it StockItem) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addStockItem(it)
}

// StockItem returns a copy of the named stock item (name matched as Tally
// does).
func (c *Company) StockItem(name string) (StockItem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.stockItem(name)
	if it == nil {
		return StockItem{}, false
	}
	return *it, true
}

// StockItems returns copies of all stock items, sorted by name.
func (c *Company) StockItems() []StockItem {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]StockItem, 0, len(c.items))
	for _, it := range c.sortedItems() {
		out = append(out, *it)
	}
	return out
}

func (c *Company) sortedItems() []*StockItem {
	s := slices.Clone(c.items)
	slices.SortStableFunc(s, func(a, b *StockItem) int { return lessFold(a.Name, b.Name) })
	return s
}

// ClosingQuantity computes an item's closing quantity as of asOf (inclusive;
// the zero Date means every voucher): its opening quantity, plus inward and
// minus outward lines of every voucher that is not cancelled.
func (c *Company) ClosingQuantity(item string, asOf tallyxml.Date) (decimal.Decimal, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := c.stockItem(item)
	if it == nil {
		return decimal.Decimal{}, fmt.Errorf("tallysim: stock item %q does not exist", item)
	}
	return c.closingQty(it, asOf), nil
}

func (c *Company) closingQty(it *StockItem, asOf tallyxml.Date) decimal.Decimal {
	q := it.OpeningQty
	k := foldName(it.Name)
	for _, v := range c.vouchers {
		if v.Cancelled || !inPeriod(v.Date, asOf) {
			continue
		}
		for _, ie := range v.Inventory {
			if foldName(ie.Item) != k {
				continue
			}
			if ie.Inward {
				q = q.Add(ie.Quantity)
			} else {
				q = q.Sub(ie.Quantity)
			}
		}
	}
	return q
}

// ledgerLines are the ledger lines a voucher posts: its own entries and the
// accounting allocations of its inventory lines (which is where an invoice's
// sales ledger is credited).
func ledgerLines(v *Voucher) []Entry {
	if len(v.Inventory) == 0 {
		return v.Entries
	}
	out := slices.Clone(v.Entries)
	for _, ie := range v.Inventory {
		out = append(out, ie.Allocations...)
	}
	return out
}

// simQty renders a quantity as Tally writes it: a leading space, the number
// with the decimals it has (" 2 Nos", " 2.5 Kg"), then the unit.
func simQty(q decimal.Decimal, unit string) string {
	s := " " + q.String()
	if unit != "" {
		s += " " + unit
	}
	return s
}

// simRate renders a rate as "100.00/Nos".
func simRate(r decimal.Decimal, unit string) string {
	s := r.StringFixed(2)
	if r.Exponent() < -2 && !r.Equal(r.Round(2)) {
		s = r.String()
	}
	if unit != "" {
		s += "/" + unit
	}
	return s
}

// parseSimQty reads " 2 Nos", "2.5 Kg", "1 Box = 12 Nos" into a number and
// unit, through the codec's own parser for the value forms.
func parseSimQty(s string) (decimal.Decimal, string, error) {
	q, err := tallyxml.ParseQuantity(s)
	if err != nil {
		return decimal.Decimal{}, "", err
	}
	if !q.IsSet() {
		return decimal.Decimal{}, "", fmt.Errorf("empty quantity")
	}
	return q.Value, q.Unit, nil
}

// parseInventoryEntry reads one ALLINVENTORYENTRIES.LIST (or
// INVENTORYENTRIES.LIST) row.
func parseInventoryEntry(k *elem) (InventoryEntry, string) {
	ie := InventoryEntry{Item: k.value("STOCKITEMNAME"), Inward: yes(k.value("ISDEEMEDPOSITIVE"))}
	a, err := tallyxml.ParseAmount(k.value("AMOUNT"))
	if err != nil {
		return ie, fmt.Sprintf("tallysim: AMOUNT '%s' of stock item '%s' is not an amount", k.value("AMOUNT"), ie.Item)
	}
	ie.Amount = tallyxml.Paise(a.Paise())
	if s := k.value("ACTUALQTY"); s != "" {
		if ie.Quantity, ie.Unit, err = parseSimQty(s); err != nil {
			return ie, fmt.Sprintf("tallysim: ACTUALQTY '%s' of stock item '%s' is not a quantity", s, ie.Item)
		}
	}
	ie.BilledQty = ie.Quantity
	if s := k.value("BILLEDQTY"); s != "" {
		if ie.BilledQty, _, err = parseSimQty(s); err != nil {
			return ie, fmt.Sprintf("tallysim: BILLEDQTY '%s' of stock item '%s' is not a quantity", s, ie.Item)
		}
	}
	if s := k.value("RATE"); s != "" {
		r, err := tallyxml.ParseRate(s)
		if err != nil {
			return ie, fmt.Sprintf("tallysim: RATE '%s' of stock item '%s' is not a rate", s, ie.Item)
		}
		ie.Rate = r.Value
	}
	for _, al := range k.all("ACCOUNTINGALLOCATIONS.LIST") {
		x, err := tallyxml.ParseAmount(al.value("AMOUNT"))
		if err != nil {
			return ie, fmt.Sprintf("tallysim: allocation AMOUNT '%s' is not an amount", al.value("AMOUNT"))
		}
		ie.Allocations = append(ie.Allocations, Entry{Ledger: al.value("LEDGERNAME"), Amount: tallyxml.Paise(x.Paise())})
	}
	return ie, ""
}

// validateInventory checks an invoice's stock lines against the books: the
// item exists (Tally's spelling kept), the quantity is positive, and the
// accounting allocations name ledgers and add up to the line. It returns
// the LINEERROR text of the first problem, or "".
func (c *Company) validateInventory(v *Voucher) string {
	for i := range v.Inventory {
		ie := &v.Inventory[i]
		it := c.stockItem(ie.Item)
		if it == nil {
			return stockItemMissingText(ie.Item)
		}
		ie.Item = it.Name
		if ie.Unit == "" {
			ie.Unit = it.BaseUnits
		}
		if ie.Quantity.Sign() <= 0 {
			// Simulator wording: real Tally's text for a line without a
			// quantity is not captured.
			return fmt.Sprintf("tallysim: stock item '%s' has no quantity", it.Name)
		}
		var sum int64
		for j := range ie.Allocations {
			al := &ie.Allocations[j]
			l := c.ledger(al.Ledger)
			if l == nil {
				return ledgerNotExist(al.Ledger)
			}
			al.Ledger = l.Name
			sum += al.Amount.Paise()
		}
		if len(ie.Allocations) > 0 && sum != ie.Amount.Paise() {
			// Simulator wording: the stock line's value must reach the
			// books through its allocations, else the voucher cannot
			// balance as Tally computes it.
			return fmt.Sprintf("tallysim: accounting allocations of stock item '%s' total %s, not its amount %s",
				it.Name, tallyxml.Paise(sum), ie.Amount)
		}
	}
	return ""
}

// inventoryNodes renders a voucher's ALLINVENTORYENTRIES.LIST rows the way a
// voucher export shows them.
func inventoryNodes(v *Voucher, typedOut bool) []*node {
	mk := listLeaf(typedOut)
	var out []*node
	for _, ie := range v.Inventory {
		n := el("ALLINVENTORYENTRIES.LIST",
			mk("STOCKITEMNAME", "String", ie.Item),
			mk("ISDEEMEDPOSITIVE", "Logical", yesNo(ie.Inward)),
			mk("RATE", "Rate", simRate(ie.Rate, ie.Unit)),
			mk("AMOUNT", "Amount", ie.Amount.String()),
			mk("ACTUALQTY", "Quantity", simQty(ie.Quantity, ie.Unit)),
			mk("BILLEDQTY", "Quantity", simQty(ie.BilledQty, ie.Unit)),
		)
		for _, al := range ie.Allocations {
			n.add(el("ACCOUNTINGALLOCATIONS.LIST",
				mk("LEDGERNAME", "String", al.Ledger),
				mk("ISDEEMEDPOSITIVE", "Logical", yesNo(al.Amount.Paise() < 0)),
				mk("AMOUNT", "Amount", al.Amount.String())))
		}
		out = append(out, n)
	}
	return out
}

func itemOf(o any) *StockItem { return o.(*StockItem) }

func istr(get func(it *StockItem) string) func(*xctx, any) fval {
	return func(_ *xctx, o any) fval { return str(get(itemOf(o))) }
}

// stockItemKind is the STOCKITEM rows of a collection or object export. The
// field set follows what integrations fetch from a StockItem collection
// (Name, Parent, BaseUnits, Opening/ClosingBalance as " 3 Nos" quantities,
// GSTDETAILS.LIST with HSNCODE and the rate per duty head, the Standard Rates
// as STANDARDPRICELIST.LIST); no real capture of a StockItem export is in
// tallyxml/testdata/samples, so the exact nesting is the simulator's.
var stockItemKind = &kindDef{name: "STOCKITEM", fields: []*field{
	{tag: "GUID", typ: "String", get: istr(func(it *StockItem) string { return it.GUID })},
	{tag: "NAME", typ: "String", objectOnly: true, get: istr(func(it *StockItem) string { return it.Name })},
	{tag: "PARENT", typ: "String", sysPrimary: true, get: istr(func(it *StockItem) string { return it.Parent })},
	{tag: "BASEUNITS", typ: "String", get: istr(func(it *StockItem) string { return it.BaseUnits })},
	{tag: "GSTAPPLICABLE", typ: "String", get: istr(func(_ *StockItem) string { return sysName("Applicable") })},
	{tag: "GSTTYPEOFSUPPLY", typ: "String", get: istr(func(_ *StockItem) string { return "Goods" })},
	{tag: "MASTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(itemOf(o).MasterID) }},
	{tag: "ALTERID", typ: "Number", get: func(_ *xctx, o any) fval { return num(itemOf(o).AlterID) }},
	{tag: "OPENINGBALANCE", typ: "Quantity", get: istr(func(it *StockItem) string { return simQty(it.OpeningQty, it.BaseUnits) })},
	{tag: "OPENINGRATE", typ: "Rate", get: istr(func(it *StockItem) string {
		if !it.OpeningRate.IsSet() {
			return ""
		}
		return it.OpeningRate.String() + "/" + it.BaseUnits
	})},
	{tag: "CLOSINGBALANCE", typ: "Quantity", get: func(x *xctx, o any) fval {
		it := itemOf(o)
		return str(simQty(x.c.closingQty(it, x.asOf), it.BaseUnits))
	}},
	{tag: "GSTDETAILS.LIST", aliases: []string{"GSTDETAILS", "HSNCODE", "GSTRATE"}, get: func(_ *xctx, o any) fval {
		return str(itemOf(o).HSN)
	}, list: func(x *xctx, o any, _ bool) *node {
		it := itemOf(o)
		rates := el("STATEWISEDETAILS.LIST", leaf("STATENAME", sysName("Any")))
		half := it.GSTRate.Div(decimal.NewFromInt(2))
		for _, r := range []struct {
			head string
			rate decimal.Decimal
		}{{"Central Tax", half}, {"State Tax", half}, {"Integrated Tax", it.GSTRate}} {
			rates.add(el("RATEDETAILS.LIST", leaf("GSTRATEDUTYHEAD", r.head),
				leaf("GSTRATEVALUATIONTYPE", "Based on Value"), leaf("GSTRATE", " "+r.rate.String())))
		}
		return el("GSTDETAILS.LIST",
			leaf("APPLICABLEFROM", x.c.booksFrom.String()),
			leaf("HSNCODE", it.HSN),
			leaf("TAXABILITY", "Taxable"),
			rates)
	}},
	{tag: "STANDARDPRICELIST.LIST", aliases: []string{"STANDARDPRICE", "STANDARDPRICELIST"}, get: func(_ *xctx, o any) fval {
		return str(itemOf(o).StandardRate.String())
	}, list: func(x *xctx, o any, _ bool) *node {
		it := itemOf(o)
		if !it.StandardRate.IsSet() {
			return nil
		}
		return el("STANDARDPRICELIST.LIST", leaf("DATE", x.c.booksFrom.String()),
			leaf("RATE", it.StandardRate.String()+"/"+it.BaseUnits))
	}},
}}
