package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	got, err := loadCatalog(strings.NewReader(`{"products": {
		"saree-cotton": {"item": "Cotton saree", "gst_rate": "5", "sales_ledger": "Sales", "unit": "NOS"},
		"kurta-m": {"item": " Kurta (M) ", "gst_rate": 12},
		"steel": {"stock_item": "Steel Sheet 4x8"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	five, twelve := decimal.NewFromInt(5), decimal.NewFromInt(12)
	want := service.Catalog{
		"saree-cotton": {Item: "Cotton saree", GSTRate: &five, SalesLedger: "Sales", Unit: "NOS"},
		"kurta-m":      {Item: "Kurta (M)", GSTRate: &twelve},
		"steel":        {Item: "Steel Sheet 4x8", StockItem: true},
	}
	// decimal.Decimal has unexported fields: rates compare as text.
	if diff := cmp.Diff(want, got, cmp.Transformer("rate", func(d *decimal.Decimal) string {
		if d == nil {
			return "none"
		}
		return d.String()
	})); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	for name, bad := range map[string]string{
		"not json":       `{"products":`,
		"no products":    `{}`,
		"unknown field":  `{"products": {"a": {"item": "X", "gst": "5"}}}`,
		"not a slab":     `{"products": {"a": {"item": "X", "gst_rate": "7"}}}`,
		"no item":        `{"products": {"a": {"gst_rate": "5"}}}`,
		"control char":   `{"products": {"a": {"item": "X\u0007"}}}`,
		"empty id":       `{"products": {"": {"item": "X"}}}`,
		"two values":     `{"products": {}} {}`,
		"float exponent": `{"products": {"a": {"item": "X", "gst_rate": "5e0x"}}}`,
		"item and stock": `{"products": {"a": {"item": "X", "stock_item": "Y"}}}`,
	} {
		if _, err := loadCatalog(strings.NewReader(bad)); err == nil || !strings.HasPrefix(err.Error(), "catalog: ") {
			t.Errorf("%s: err = %v, want a catalog error", name, err)
		}
	}
}
