package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

// loadCatalog reads the WhatsApp catalog mapping file; service.NewCatalog
// checks what it maps. The format (for README):
//
//	The WhatsApp catalog mapping is a JSON file (TALLY_WHATSAPP_CATALOG) that
//	maps each product's retailer id (the "Content ID" of the product in
//	Commerce Manager, sent by WhatsApp as product_retailer_id) to the stock
//	item it is in Tally:
//
//	  {"products": {
//	    "saree-cotton-red": {"item": "Cotton saree", "gst_rate": "5", "sales_ledger": "Sales", "unit": "NOS"},
//	    "kurta-m":          {"item": "Kurta (M)", "gst_rate": "12"},
//	    "steel-sheet":      {"stock_item": "Steel Sheet 4x8"}
//	  }}
//
//	Each product has item or stock_item, not both. stock_item names a Tally
//	stock item: with TALLY_ORDER_MODE auto an order whose every product is
//	one posts an item invoice (stock lines, the item's GST rate when the
//	product gives none), and an order naming a stock item Tally does not
//	have is rejected (stock_item_not_found) instead of posted as an
//	accounting voucher. gst_rate is the GST percent as a string (or number),
//	one of the GST slabs; omitted means TALLY_DEFAULT_GST_RATE. sales_ledger
//	is the ledger credited (default TALLY_SALES_LEDGER); all lines of one
//	order must share one sales ledger, because one Sales voucher credits one.
//	unit is the unit of measure (optional). Unknown fields are refused, so a
//	misspelt "gst" cannot silently price a product at the default rate. An
//	order naming a retailer id that is not in the file, or priced in a
//	currency other than INR, is stored as a rejected order with the reason
//	(GET /orders?state=rejected), never posted.
func loadCatalog(r io.Reader) (service.Catalog, error) {
	var f struct {
		Products map[string]struct {
			Item        string           `json:"item"`
			StockItem   string           `json:"stock_item"`
			GSTRate     *decimal.Decimal `json:"gst_rate,omitempty"`
			SalesLedger string           `json:"sales_ledger,omitempty"`
			Unit        string           `json:"unit,omitempty"`
		} `json:"products"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, errors.New("catalog: " + err.Error())
	}
	if dec.More() {
		return nil, errors.New("catalog: more than one JSON value")
	}
	if f.Products == nil {
		return nil, errors.New(`catalog: no "products" object`)
	}
	products := make(map[string]service.CatalogProduct, len(f.Products))
	for id, p := range f.Products {
		cp := service.CatalogProduct{Item: p.Item, GSTRate: p.GSTRate, SalesLedger: p.SalesLedger, Unit: p.Unit}
		switch {
		case p.Item != "" && p.StockItem != "":
			return nil, fmt.Errorf("catalog: product %q: item and stock_item both given; a product is one or the other", id)
		case p.StockItem != "":
			cp.Item, cp.StockItem = p.StockItem, true
		}
		products[id] = cp
	}
	return service.NewCatalog(products)
}
