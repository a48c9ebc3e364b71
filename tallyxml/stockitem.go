package tallyxml

import (
	"encoding/xml"
	"io"
	"iter"
	"strings"

	"github.com/shopspring/decimal"
)

// StockItem is a STOCKITEM row of a collection or object export.
//
// Quantities and rates keep Tally's text exactly (decimal, never float):
// OpeningBalance and ClosingBalance are quantities in the base unit
// (" 118 Nos"), StandardPrice is the latest Standard Rates selling price
// (STANDARDPRICELIST.LIST, "2500.00/Nos"). HSNCode and GSTRate come from the
// latest GSTDETAILS.LIST by APPLICABLEFROM (TallyPrime 4+ may carry the HSN
// in HSNDETAILS.LIST instead, which is read too); GSTRate is the integrated
// rate, or the central and state halves added when only those are given.
// GSTRateSet is false when the item carries no rate (GST set at the group or
// company level, which an item export does not show).
type StockItem struct {
	Name           string
	Aliases        []string
	ReservedName   string
	GUID           string
	MasterID       Number
	AlterID        Number
	Parent         string
	Category       string
	BaseUnits      string
	OpeningBalance Quantity
	ClosingBalance Quantity
	OpeningRate    Rate
	StandardPrice  Rate
	HSNCode        string
	GSTRate        decimal.Decimal
	GSTRateSet     bool
}

// StockItems streams the STOCKITEM rows of a collection or object export.
func StockItems(r io.Reader) iter.Seq2[StockItem, error] {
	return rows(r, "STOCKITEM", decodeStockItem)
}

// StockItemObject decodes the single STOCKITEM of an object export.
func StockItemObject(r io.Reader) (StockItem, error) { return first(StockItems(r)) }

func decodeStockItem(d *xml.Decoder, start xml.StartElement) (StockItem, error) {
	var it StockItem
	attrName, _ := attr(start, "NAME")
	it.ReservedName, _ = attr(start, "RESERVEDNAME")
	var child string
	var names []string
	var gst gstDetails
	var hsn dated
	var price datedRate
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "NAME":
			child, err = text(d)
		case "LANGUAGENAME.LIST":
			names, err = nameList(d, names)
		case "GUID":
			it.GUID, err = text(d)
		case "MASTERID":
			err = textInto(d, &it.MasterID)
		case "ALTERID":
			err = textInto(d, &it.AlterID)
		case "PARENT":
			it.Parent, err = text(d)
		case "CATEGORY":
			it.Category, err = text(d)
		case "BASEUNITS":
			it.BaseUnits, err = text(d)
		case "OPENINGBALANCE":
			err = textInto(d, &it.OpeningBalance)
		case "CLOSINGBALANCE":
			err = textInto(d, &it.ClosingBalance)
		case "OPENINGRATE":
			err = textInto(d, &it.OpeningRate)
		case "GSTDETAILS.LIST":
			var g gstDetails
			if g, err = readGSTDetails(d); err == nil && g.newer(&gst) {
				gst = g
			}
		case "HSNDETAILS.LIST":
			var h dated
			if h, err = readDated(d); err == nil && h.newer(&hsn) {
				hsn = h
			}
		case "STANDARDPRICELIST.LIST":
			var p datedRate
			if p, err = readDatedRate(d); err == nil && p.newer(&price) {
				price = p
			}
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	if err != nil {
		return StockItem{}, rowErr("STOCKITEM", orElse(attrName, child), err)
	}
	it.Name, it.Aliases = pickName(attrName, child, names)
	it.HSNCode = orElse(gst.hsn, hsn.fields["HSNCODE"])
	it.GSTRate, it.GSTRateSet = gst.rate()
	it.StandardPrice = price.rate
	return it, nil
}

// gstDetails is one GSTDETAILS.LIST of a stock item: when it applies from,
// the HSN, and the rate of each duty head (from its
// STATEWISEDETAILS.LIST/RATEDETAILS.LIST rows).
type gstDetails struct {
	from  Date
	seen  bool
	hsn   string
	heads map[string]decimal.Decimal
}

func (g *gstDetails) newer(cur *gstDetails) bool {
	if !cur.seen {
		return true
	}
	return !g.from.Before(cur.from)
}

// rate is the item's GST rate: the integrated head's, else central plus
// state (an intra-state split), else none.
func (g gstDetails) rate() (decimal.Decimal, bool) {
	for _, h := range []string{"integrated tax", "igst"} {
		if r, ok := g.heads[h]; ok {
			return r, true
		}
	}
	var sum decimal.Decimal
	found := false
	for _, h := range []string{"central tax", "cgst", "state tax", "sgst", "ut tax", "utgst"} {
		if r, ok := g.heads[h]; ok {
			sum, found = sum.Add(r), true
		}
	}
	return sum, found
}

func readGSTDetails(d *xml.Decoder) (gstDetails, error) {
	g := gstDetails{seen: true, heads: map[string]decimal.Decimal{}}
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "APPLICABLEFROM":
			err = textInto(d, &g.from)
		case "HSNCODE":
			g.hsn, err = text(d)
		case "STATEWISEDETAILS.LIST":
			err = eachChild(d, func(t xml.StartElement) error {
				if t.Name.Local != "RATEDETAILS.LIST" {
					return d.Skip()
				}
				return readRateDetails(d, g.heads)
			})
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return g, err
}

// readRateDetails reads one RATEDETAILS.LIST (GSTRATEDUTYHEAD, GSTRATE) into
// heads, keyed by the lower-cased duty head. A row without a rate, as Tally
// writes for cess heads not in use, is left out.
func readRateDetails(d *xml.Decoder, heads map[string]decimal.Decimal) error {
	var head, rate string
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "GSTRATEDUTYHEAD":
			head, err = text(d)
		case "GSTRATE":
			rate, err = text(d)
		default:
			err = d.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	rate = strings.TrimSpace(rate)
	if head == "" || rate == "" {
		return nil
	}
	r, err := decimal.NewFromString(rate)
	if err != nil {
		return fieldErr("GSTRATE", err)
	}
	heads[strings.ToLower(strings.TrimSpace(head))] = r
	return nil
}

// datedRate is one STANDARDPRICELIST.LIST: a rate from a date.
type datedRate struct {
	from Date
	seen bool
	rate Rate
}

func (p *datedRate) newer(cur *datedRate) bool {
	if !cur.seen {
		return true
	}
	return !p.from.Before(cur.from)
}

func readDatedRate(d *xml.Decoder) (datedRate, error) {
	p := datedRate{seen: true}
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "DATE":
			err = textInto(d, &p.from)
		case "RATE":
			err = textInto(d, &p.rate)
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return p, err
}
