package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
)

// Item invoices: an order whose lines name Tally stock items is posted as
// an invoice (Invoice Voucher View) with a stock line per order line, each
// line's value allocated to the sales ledger, instead of today's accounting
// voucher. OrderMode says when.

// StockItem is an inventory master as Tally holds it.
type StockItem struct {
	Name  string
	Group string // the stock group; "" is Primary
	Unit  string // the base unit ("Nos")
	HSN   string
	// GSTRate is the item's integrated GST rate in percent; GSTRateKnown is
	// false when the item carries none (GST set at a group or the company).
	GSTRate      decimal.Decimal
	GSTRateKnown bool
	// StandardRate is the selling price per base unit (Tally's Standard
	// Rates); StandardRateKnown is false when the item has none.
	StandardRate      Paise
	StandardRateKnown bool
	// Closing is the closing quantity in Unit; ClosingKnown is false when
	// Tally sent none, which is not the same as zero.
	Closing      decimal.Decimal
	ClosingKnown bool
}

// OrderMode says when an order posts an item invoice rather than an
// accounting voucher.
type OrderMode int

// The order modes. OrderModeAuto is the zero value and the default.
const (
	// OrderModeAuto posts an item invoice when every line names a stock
	// item of the company, else today's accounting voucher; the stock items
	// are read once per attempt.
	OrderModeAuto OrderMode = iota
	// OrderModeItems posts every order as an item invoice: a line naming
	// no stock item is refused (stock_item_not_found, naming it).
	OrderModeItems
	// OrderModeAccounting always posts an accounting voucher and never
	// reads stock items (the behaviour before item invoices).
	OrderModeAccounting
)

var orderModeNames = [...]string{"auto", "items", "accounting"}

// String returns the mode's name: auto, items or accounting.
func (m OrderMode) String() string {
	if int(m) >= 0 && int(m) < len(orderModeNames) {
		return orderModeNames[m]
	}
	return fmt.Sprintf("OrderMode(%d)", int(m))
}

// OrderModes lists the modes, for the edges that parse a setting.
func OrderModes() []OrderMode { return []OrderMode{OrderModeAuto, OrderModeItems, OrderModeAccounting} }

// CodeStockItemNotFound is the code of an order line naming a stock item
// the company does not have (in items mode). Its Subject is
// StockItemsNotFound.
const CodeStockItemNotFound = "stock_item_not_found"

// RemedyListItems: list the company's stock items through the API.
const RemedyListItems Remedy = "list_items"

// StockItemsNotFound is the Subject of a stock_item_not_found error: the
// names the order gave that no stock item has, in line order.
type StockItemsNotFound struct {
	Company string
	Names   []string
}

// InventoryLine is one stock line of an invoice voucher: Quantity of Item
// at Rate per Unit, its value Amount (a sale's is a credit, positive)
// allocated to Ledger.
type InventoryLine struct {
	Item     string
	Quantity decimal.Decimal
	Unit     string
	Rate     Paise
	Amount   Paise
	Ledger   string
}

// itemReader reads a company's stock items (Service.readItems, or a
// batch's one read, postBatch).
type itemReader func(ctx context.Context, company string) ([]StockItem, error)

// readItems reads the stock items an order's lines are matched with. With
// a mirror it serves the list Books keeps (postingItems) while the
// company's masters counter has not moved: in the default auto mode every
// order asks whether its lines are stock items, and reading a catalogue of
// thousands of items from Tally for each order would cost more than the
// order's own import. Without a mirror it reads Tally.
func (s *Service) readItems(ctx context.Context, company string) ([]StockItem, error) {
	s.mu.Lock()
	books := s.books
	s.mu.Unlock()
	if books != nil {
		return books.postingItems(ctx, company)
	}
	return s.gw.StockItems(ctx, company)
}

// onceItems is an itemReader that reads through read once per company and
// answers every later call from that read.
func onceItems(read itemReader) itemReader {
	type result struct {
		items []StockItem
		err   error
	}
	got := map[string]result{}
	return func(ctx context.Context, company string) ([]StockItem, error) {
		k := foldName(company)
		if r, ok := got[k]; ok {
			return r.items, r.err
		}
		items, err := read(ctx, company)
		got[k] = result{items, err}
		return items, err
	}
}

// itemOrder is what matching an order's lines with the company's stock
// items decided: invoice says the order posts an item invoice.
type itemOrder struct {
	invoice bool
}

// matchItems decides whether an order posts an item invoice and with which
// stock items (one Tally request, none in accounting mode). A line flagged
// StockItem must name one, whatever the mode allows for the others. The order's
// lines then take each item's GST rate when they name none (GST per item,
// from the item's own rate) and its base unit; a line that names another
// unit than the item's is refused, since Tally would need a conversion the
// order does not give.
func (s *Service) matchItems(ctx context.Context, company string, o *Order, read itemReader) (itemOrder, error) {
	mode := s.cfg.OrderMode
	if mode == OrderModeAccounting || o.Reject != "" || len(o.Lines) == 0 {
		return itemOrder{}, nil
	}
	all, err := read(ctx, company)
	if err != nil {
		return itemOrder{}, err
	}
	// Without a mirror the list was read from Tally just now (readItems).
	s.mu.Lock()
	live := s.books == nil
	s.mu.Unlock()
	return s.matchItemsIn(ctx, company, o, all, live)
}

// matchItemsIn is matchItems over the stock items all; live says they were
// read from Tally just now, not from the cache.
func (s *Service) matchItemsIn(ctx context.Context, company string, o *Order, all []StockItem, live bool) (itemOrder, error) {
	mode := s.cfg.OrderMode
	byName := make(map[string]StockItem, len(all))
	for _, it := range all {
		byName[foldName(it.Name)] = it
	}
	o.Lines = slices.Clone(o.Lines) // the plan's lines stay as the caller sent them
	// missing are the names no stock item has; required those of them
	// that had to be one (every line in items mode, else the flagged ones).
	var missing, required []string
	matched := make([]StockItem, len(o.Lines))
	for i, l := range o.Lines {
		it, ok := byName[foldName(l.Item)]
		if ok {
			matched[i] = it
			continue
		}
		if !slices.Contains(missing, l.Item) {
			missing = append(missing, l.Item)
		}
		if (mode == OrderModeItems || l.StockItem) && !slices.Contains(required, l.Item) {
			required = append(required, l.Item)
		}
	}
	if len(required) > 0 && !live {
		// The list came from the cache (readItems), which may predate an
		// item just created in Tally: ask Tally itself before refusing.
		all, err := s.gw.StockItems(ctx, company)
		if err != nil {
			return itemOrder{}, err
		}
		return s.matchItemsIn(ctx, company, o, all, true)
	}
	switch {
	case len(required) > 0:
		return itemOrder{}, stockItemsNotFound(company, required)
	case len(missing) > 0:
		return itemOrder{}, nil // auto: some line is not a stock item
	}
	for i := range o.Lines {
		l, it := &o.Lines[i], matched[i]
		if l.Unit != "" && it.Unit != "" && foldName(l.Unit) != foldName(it.Unit) {
			return itemOrder{}, Errorf(Invalid, "invalid_unit",
				"lines[%d].unit %s is not the base unit %s of stock item %s", i, quote(l.Unit), quote(it.Unit), quote(it.Name))
		}
		l.Item, l.Unit = it.Name, it.Unit
		if l.GSTRate == nil && it.GSTRateKnown {
			r := it.GSTRate
			l.GSTRate = &r
		}
	}
	return itemOrder{invoice: true}, nil
}

func stockItemsNotFound(company string, names []string) *Error {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quote(n)
	}
	what := "stock item " + quoted[0] + " does not"
	if len(names) > 1 {
		what = "stock items " + strings.Join(quoted, ", ") + " do not"
	}
	return &Error{Kind: Invalid, Code: CodeStockItemNotFound,
		Message: fmt.Sprintf("%s exist in %s", what, quote(company)),
		Hint:    "Use the stock item's name as Tally has it.", Remedy: RemedyListItems,
		Subject: StockItemsNotFound{Company: company, Names: names}}
}

// inventoryLines are the stock lines of an item invoice: each priced line's
// value, allocated to the sales ledger.
func inventoryLines(p Pricing) []InventoryLine {
	out := make([]InventoryLine, len(p.Lines))
	for i, l := range p.Lines {
		out[i] = InventoryLine{Item: l.Item, Quantity: l.Quantity, Unit: l.Unit, Rate: l.Rate, Amount: l.Taxable,
			Ledger: p.SalesLedger}
	}
	return out
}

// ItemQuery selects stock items: a case-insensitive substring of the name
// (Search), a page (Offset, Limit; PageLimit's rule).
type ItemQuery struct {
	Company string
	Search  string
	Offset  int
	Limit   int
}

// ItemPage is a page of stock items sorted by name, with the number that
// match over all pages.
type ItemPage struct {
	Items  []StockItem
	Total  int
	Offset int
	Limit  int
}

// ListItems lists the company's stock items live from Tally (one request),
// filtered and paged here: Tally's collection has no paging, and a
// catalogue is read whole in one request anyway.
func (s *Service) ListItems(ctx context.Context, q ItemQuery) (ItemPage, error) {
	if err := checkItemQuery(&q); err != nil {
		return ItemPage{}, err
	}
	q.Company = s.company(q.Company)
	all, err := s.gw.StockItems(ctx, q.Company)
	if err != nil {
		return ItemPage{}, err
	}
	if len(all) == 0 {
		// Zero rows is also Tally's answer for a company it has not
		// loaded (tally-protocol.md §9.5), as for ListParties.
		if err := s.checkLoaded(ctx, q.Company); err != nil {
			return ItemPage{}, err
		}
	}
	return pageItems(all, q), nil
}

func checkItemQuery(q *ItemQuery) error {
	if q.Limit > MaxPageSize || q.Offset < 0 {
		return Errorf(Invalid, "invalid_page", "limit must be 1..%d and offset not negative", MaxPageSize)
	}
	q.Limit = PageLimit(q.Limit)
	return nil
}

// pageItems sorts items by name (as Tally lists them, case folded), keeps
// those whose name holds q.Search (case-insensitively) and cuts the page.
func pageItems(all []StockItem, q ItemQuery) ItemPage {
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	var hits []StockItem
	for _, it := range all {
		if needle == "" || strings.Contains(strings.ToLower(it.Name), needle) {
			hits = append(hits, it)
		}
	}
	slices.SortStableFunc(hits, func(a, b StockItem) int {
		if c := strings.Compare(foldName(a.Name), foldName(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	page := ItemPage{Total: len(hits), Offset: q.Offset, Limit: q.Limit, Items: []StockItem{}}
	if q.Offset < len(hits) {
		page.Items = hits[q.Offset:min(len(hits), q.Offset+q.Limit)]
	}
	return page
}

// Stock items are not mirrored: a stock item's closing quantity moves with
// every voucher while the item's own AlterID does not, so the mirror's
// `$AlterID > N` sync of masters could not keep quantities current; it
// would have to recompute them from every voucher's stock lines (Tally's
// quantity texts, with units) in both stores. A catalogue is one small
// request instead, and the mirror's change counters say exactly when it can
// have changed. So Books.ListItems reads the list through Tally and keeps it
// per company with the counters it was read under: while a read's probe (the
// mirror's freshness rules) finds the counters unchanged, the list is served
// without a Tally request; while Tally cannot be asked, the last list is
// served marked stale, as the mirror's own reads are.

// itemCache is a company's stock items as read under the mirror's counters.
type itemCache struct {
	items             []StockItem
	masters, vouchers int64
}

// itemCaches holds the item lists of Books, per company key.
type itemCaches struct {
	mu sync.Mutex
	m  map[string]itemCache
}

func (c *itemCaches) get(key string) (itemCache, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ic, ok := c.m[key]
	return ic, ok
}

func (c *itemCaches) put(key string, ic itemCache) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]itemCache{}
	}
	c.m[key] = ic
}

// postingItems is the stock item list an order is matched with: the list
// kept for ListItems while the company's masters counter (ALTMSTID, as the
// mirror last saw it) is the one it was read under, else a new read. Only
// the masters counter matters here: names, units and GST rates are master
// data, while closing quantities (which move with every voucher, and so
// with every order posted) are not used. The counter is as fresh as the
// mirror's last probe, so an item created in Tally since may be missed:
// matchItems asks Tally again before refusing a line that must be a stock
// item, and an auto-mode order posts as an accounting voucher until the
// mirror sees the new item.
func (b *Books) postingItems(ctx context.Context, company string) ([]StockItem, error) {
	key := NameKey(company)
	b.mu.Lock()
	st, known := b.known[key]
	b.mu.Unlock()
	if !known || !st.Loaded {
		return b.svc.gw.StockItems(ctx, company)
	}
	c, cached := b.items.get(key)
	if cached && c.masters == st.Masters {
		return c.items, nil
	}
	items, err := b.svc.gw.StockItems(ctx, company)
	if err != nil {
		return nil, err
	}
	b.items.put(key, itemCache{items: items, masters: st.Masters, vouchers: st.Vouchers})
	return items, nil
}

// ListItems is Service.ListItems under the mirror's freshness rules (see
// above). A company the mirror never loaded is read live.
func (b *Books) ListItems(ctx context.Context, q ItemQuery, force bool) (ItemPage, Freshness, error) {
	if err := checkItemQuery(&q); err != nil {
		return ItemPage{}, Freshness{}, err
	}
	q.Company = b.svc.company(q.Company)
	f, err := b.fresh(ctx, q.Company, force)
	switch {
	case errors.Is(err, errNotLoaded):
		page, err := b.svc.ListItems(ctx, q)
		return page, Freshness{Live: true, AsOf: b.svc.cfg.Now()}, err
	case err != nil:
		return ItemPage{}, f, err
	}
	key := NameKey(q.Company)
	b.mu.Lock()
	st := b.known[key]
	b.mu.Unlock()
	c, cached := b.items.get(key)
	if cached && (f.Stale || c.masters == st.Masters && c.vouchers == st.Vouchers) {
		return pageItems(c.items, q), f, nil
	}
	items, err := b.svc.gw.StockItems(ctx, q.Company)
	if err != nil {
		if cached && KindOf(err) == Unavailable {
			f.Stale = true
			return pageItems(c.items, q), f, nil
		}
		return ItemPage{}, f, err
	}
	b.items.put(key, itemCache{items: items, masters: st.Masters, vouchers: st.Vouchers})
	return pageItems(items, q), f, nil
}
