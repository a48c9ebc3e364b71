package service

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The daily sales summary: one day's Sales and Receipt vouchers from the
// mirror, against the same weekday a week before, for a shop owner's
// evening message. It reads the mirror only (with its freshness rules): a
// day's vouchers are the books themselves, which the mirror holds exactly.

// The voucher classes the façade tells apart: Tally's predefined types, and
// with them every type a company made under one ("Tax Invoice" under Sales,
// MirrorVoucher.Class).
const (
	SalesVoucherType   = "Sales"
	ReceiptVoucherType = "Receipt"
)

// SummaryStore reads a day's vouchers from the mirror.
type SummaryStore interface {
	// MirrorVouchersOn lists the vouchers of company dated day, with their
	// entries and stock lines (no bill allocations), leaving out cancelled
	// and optional ones (they count for nothing in Tally). Sorted by
	// MasterID.
	MirrorVouchersOn(ctx context.Context, company string, day time.Time) ([]MirrorVoucher, error)
}

// SummariesConfig configures the daily summary and its sending.
type SummariesConfig struct {
	// OwnerMobile is where the daily summary goes ("" sends nothing).
	OwnerMobile string
	// Sender delivers it (a sender as for reminders).
	Sender Sender
	// Top is how many parties and items are listed. Default 5.
	Top int
}

// Summaries computes daily sales summaries from the mirror and sends the
// day's to the owner.
type Summaries struct {
	books *Books
	st    SummaryStore
	cfg   SummariesConfig
}

// NewSummaries returns the summaries of books' companies, read from st.
func NewSummaries(books *Books, st SummaryStore, cfg SummariesConfig) *Summaries {
	if cfg.Top <= 0 {
		cfg.Top = 5
	}
	return &Summaries{books: books, st: st, cfg: cfg}
}

// DayFigures is how many vouchers of a kind a day had and their total
// (positive paise).
type DayFigures struct {
	Count int
	Total Paise
}

// PartySales is a party's sales in the day.
type PartySales struct {
	Party string
	Count int
	Total Paise
}

// ItemSales is an item's sales in the day. Quantity is the sum of the
// lines' quantities with their unit ("12 NOS"), "" when the lines use
// different units or a quantity does not read as a number.
type ItemSales struct {
	Item     string
	Quantity string
	Total    Paise
}

// SalesSummary is one day's sales and receipts.
type SalesSummary struct {
	Company  string
	Date     time.Time
	Sales    DayFigures // Sales vouchers: their invoice values
	Receipts DayFigures // Receipt vouchers: the money received
	// TopParties and TopItems are the largest by value, at most Top each.
	TopParties []PartySales
	TopItems   []ItemSales
	// LastWeek is the same weekday a week before.
	LastWeekDate     time.Time
	LastWeekSales    DayFigures
	LastWeekReceipts DayFigures
	Message          string
}

// SalesSummary computes the summary of a day (default today) from the
// mirror. A company the mirror never loaded is Unavailable
// mirror_not_loaded: the summary is computed from the vouchers, which only
// the mirror holds.
func (m *Summaries) SalesSummary(ctx context.Context, company string, day time.Time, force bool) (SalesSummary, Freshness, error) {
	svc := m.books.svc
	company = svc.company(company)
	if day.IsZero() {
		day = svc.Today()
	}
	f, err := m.books.fresh(ctx, company, force)
	if errors.Is(err, errNotLoaded) {
		return SalesSummary{}, f, &Error{Kind: Unavailable, Code: "mirror_not_loaded",
			Message: "the books of " + quote(company) + " are not loaded from Tally yet",
			Hint:    "The first load of the books is running or failing; see GET /sync."}
	}
	if err != nil {
		return SalesSummary{}, f, err
	}
	out := SalesSummary{Company: company, Date: day, LastWeekDate: day.AddDate(0, 0, -7)}
	if out.Sales, out.Receipts, out.TopParties, out.TopItems, err = m.day(ctx, company, day); err != nil {
		return SalesSummary{}, f, err
	}
	if out.LastWeekSales, out.LastWeekReceipts, _, _, err = m.day(ctx, company, out.LastWeekDate); err != nil {
		return SalesSummary{}, f, err
	}
	out.Message = out.message(f)
	return out, f, nil
}

func (m *Summaries) day(ctx context.Context, company string, day time.Time) (sales, receipts DayFigures, parties []PartySales, items []ItemSales, err error) {
	vs, err := m.st.MirrorVouchersOn(ctx, company, day)
	if err != nil {
		return sales, receipts, nil, nil, err
	}
	byParty := map[string]*PartySales{}
	type itemAcc struct {
		ItemSales
		qty     int64 // ten-thousandths
		unit    string
		qtyGood bool
	}
	byItem := map[string]*itemAcc{}
	for _, v := range vs {
		switch {
		case v.IsSales():
			value := VoucherValue(v)
			sales.Count++
			sales.Total += value
			key := NameKey(v.Party)
			p := byParty[key]
			if p == nil {
				p = &PartySales{Party: v.Party}
				byParty[key] = p
			}
			p.Count++
			p.Total += value
			for _, in := range v.Inventory {
				it := byItem[NameKey(in.Item)]
				if it == nil {
					it = &itemAcc{ItemSales: ItemSales{Item: in.Item}, qtyGood: true}
					byItem[NameKey(in.Item)] = it
				}
				it.Total += in.Amount.Abs()
				q, unit, ok := parseQuantity(in.Quantity)
				if !ok || (it.unit != "" && !strings.EqualFold(unit, it.unit)) {
					it.qtyGood = false
				}
				it.qty, it.unit = it.qty+q, cmp.Or(it.unit, unit)
			}
		case v.IsReceipt():
			receipts.Count++
			receipts.Total += VoucherValue(v)
		}
	}
	for _, p := range byParty {
		parties = append(parties, *p)
	}
	slices.SortFunc(parties, func(a, b PartySales) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(NameKey(a.Party), NameKey(b.Party)))
	})
	for _, it := range byItem {
		if it.qtyGood {
			it.Quantity = strings.TrimSpace(formatQuantity(it.qty) + " " + it.unit)
		}
		items = append(items, it.ItemSales)
	}
	slices.SortFunc(items, func(a, b ItemSales) int {
		return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(NameKey(a.Item), NameKey(b.Item)))
	})
	return sales, receipts, parties[:min(len(parties), m.cfg.Top)], items[:min(len(items), m.cfg.Top)], nil
}

// VoucherValue is a voucher's value, positive: its party's entry (an
// invoice's total, a receipt's amount), else, for a voucher whose party is
// not among its entries, the sum of its debits.
func VoucherValue(v MirrorVoucher) Paise {
	var debits Paise
	for _, e := range v.Entries {
		if v.Party != "" && NameKey(e.Ledger) == NameKey(v.Party) {
			return e.Amount.Abs()
		}
		if e.Amount < 0 {
			debits -= e.Amount
		}
	}
	return debits
}

// parseQuantity reads a stock line's quantity as the mirror keeps it
// ("2.0000 NOS": four decimals, as Tally writes) in ten-thousandths, and
// its unit. A negative quantity (an outward line some exports sign) counts
// by its size.
func parseQuantity(s string) (tenThousandths int64, unit string, ok bool) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	num = strings.TrimPrefix(strings.ReplaceAll(num, ",", ""), "-")
	whole, frac, _ := strings.Cut(num, ".")
	if len(frac) > 4 || whole == "" {
		return 0, "", false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 {
		return 0, "", false
	}
	f := int64(0)
	if frac != "" {
		if f, err = strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64); err != nil || f < 0 {
			return 0, "", false
		}
	}
	return w*10000 + f, strings.TrimSpace(unit), true
}

// formatQuantity writes ten-thousandths without trailing zeros: "12",
// "2.5".
func formatQuantity(n int64) string {
	s := strconv.FormatInt(n/10000, 10)
	if f := n % 10000; f != 0 {
		s += strings.TrimRight("."+strconv.FormatInt(f+10000, 10)[1:], "0")
	}
	return s
}

// message is the summary as one sentence group a chatbot or the owner's
// WhatsApp shows: the day's sales against the same weekday last week,
// receipts, and the top party and item.
func (s SalesSummary) message(f Freshness) string {
	var b strings.Builder
	b.WriteString("Sales on " + s.Date.Format("Mon 2 Jan 2006") + ": " + invoices(s.Sales.Count) + ", " + s.Sales.Total.Rupees())
	b.WriteString(" (last " + s.LastWeekDate.Format("Mon") + " " + invoices(s.LastWeekSales.Count) + ", " + s.LastWeekSales.Total.Rupees())
	switch d := s.Sales.Total - s.LastWeekSales.Total; {
	case d > 0:
		b.WriteString("; up " + d.Rupees())
	case d < 0:
		b.WriteString("; down " + (-d).Rupees())
	}
	b.WriteString("). Receipts: " + strconv.Itoa(s.Receipts.Count) + ", " + s.Receipts.Total.Rupees() + ".")
	if len(s.TopParties) > 0 {
		b.WriteString(" Top party: " + s.TopParties[0].Party + " " + s.TopParties[0].Total.Rupees() + ".")
	}
	if len(s.TopItems) > 0 {
		b.WriteString(" Top item: " + s.TopItems[0].Item + " " + s.TopItems[0].Total.Rupees() + ".")
	}
	if f.Stale {
		b.WriteString(" (Books as of " + f.AsOf.In(indiaTime()).Format("2 Jan 2006, 15:04") + "; Tally cannot be reached now.)")
	}
	return b.String()
}

func invoices(n int) string {
	if n == 1 {
		return "1 invoice"
	}
	return strconv.Itoa(n) + " invoices"
}

// SummaryKey is the dedupe key of a company's daily summary to the owner.
func SummaryKey(company string, day time.Time) string {
	return "summary:" + day.Format(time.DateOnly) + ":" + NameKey(company)
}

// SendDaily sends today's summary of company to the owner, once a day
// across replicas and job retries: it is claimed and recorded as a
// reminder send is (Store.ClaimReminder, keyed by SummaryKey), so a repeat
// after a send whose answer was lost sends nothing.
func (m *Summaries) SendDaily(ctx context.Context, company string) (ReminderDispatch, error) {
	svc := m.books.svc
	mobile := NormalizeMobile(m.cfg.OwnerMobile)
	if !mobile.Valid {
		return ReminderDispatch{}, &Error{Kind: Invalid, Code: "invalid_owner_mobile", Message: "the owner's mobile is not usable: " + mobile.Reason}
	}
	if m.cfg.Sender == nil {
		return ReminderDispatch{}, &Error{Kind: Unavailable, Code: "reminder_sender_not_configured", Message: "no sender is configured"}
	}
	s, _, err := m.SalesSummary(ctx, company, time.Time{}, true)
	if err != nil {
		return ReminderDispatch{}, err
	}
	company = svc.company(company)
	d := ReminderDispatch{Key: SummaryKey(company, s.Date), Reminder: Reminder{Party: "owner", Mobile: mobile, Message: s.Message}}
	claim := ReminderClaim{Key: d.Key, Company: company, Party: "owner", Mobile: mobile.E164, Day: s.Date, Message: s.Message, Now: svc.cfg.Now()}
	msg := ReminderMessage{Key: d.Key, Party: company, Mobile: mobile.E164, WhatsAppID: WhatsAppID(mobile.E164), Text: s.Message,
		Fields: map[string]string{"summary": s.Message, "date": s.Date.Format("2 January 2006"), "company": company,
			"sales_count": strconv.Itoa(s.Sales.Count), "sales_total": ReminderAmount(s.Sales.Total),
			"receipts_total": ReminderAmount(s.Receipts.Total)}}
	if err := svc.sendOnce(ctx, claim, msg, m.cfg.Sender, &d); err != nil {
		return d, err
	}
	if d.Status == ReminderFailed {
		// Its claim can be taken again: an error makes the daily job try
		// again (a few attempts the same day).
		return d, &Error{Kind: Unavailable, Code: "summary_not_sent", Message: "the daily summary was not sent: " + d.Error}
	}
	return d, nil
}
