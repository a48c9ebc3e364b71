package main

import (
	"encoding/json"
	"errors"
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
//	    "kurta-m":          {"item": "Kurta (M)", "gst_rate": "12"}
//	  }}
//
//	item is required. gst_rate is the GST percent as a string (or number),
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
		products[id] = service.CatalogProduct{Item: p.Item, GSTRate: p.GSTRate, SalesLedger: p.SalesLedger, Unit: p.Unit}
	}
	return service.NewCatalog(products)
}
