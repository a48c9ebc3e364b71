package pdf

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// Invoice writes a copy of a sales invoice: the company's head, the
// invoice's number and date, the party billed, the stock lines (when the
// voucher has any), the other ledger lines (the sales ledger, taxes,
// charges) and the total the party was debited, with the bill and its due
// date. party is the party ledger's details (its name alone when unknown).
func Invoice(w io.Writer, co service.Company, party service.Party, v service.MirrorVoucher, created time.Time) error {
	title := "Invoice " + v.Number
	d := newDoc(title+" (copy)", created)
	d.head(co, "Tax invoice (copy)")
	d.text(9, "Invoice no. "+v.Number+"    Date "+v.Date.Format(dateText)+"    Voucher type "+v.Type)
	if v.Cancelled {
		d.text(11, "CANCELLED in Tally")
	}
	d.f.Ln(1)
	d.text(8, "Billed to")
	d.text(11, party.Name)
	for _, l := range partyLines(party) {
		d.text(9, l)
	}
	d.f.Ln(2)

	partyKey := service.NameKey(party.Name)
	var partyEntry *service.MirrorEntry
	for i, e := range v.Entries {
		if service.NameKey(e.Ledger) == partyKey {
			partyEntry = &v.Entries[i]
		}
	}
	if len(v.Inventory) > 0 {
		cols := []column{{"#", 8, "L"}, {"Item", 86, "L"}, {"Quantity", 28, "R"}, {"Rate", 32, "R"}, {"Amount (₹)", 32, "R"}}
		d.header(cols)
		d.font(8.5)
		for i, it := range v.Inventory {
			d.ensure(1, cols)
			d.row(cols, []string{strconv.Itoa(i + 1), it.Item, it.Quantity, it.Rate, it.Amount.Indian()}, "")
		}
		d.f.Ln(2)
	}
	cols := []column{{"Particulars", 154, "L"}, {"Amount (₹)", 32, "R"}}
	d.header(cols)
	d.font(8.5)
	for _, e := range v.Entries {
		if service.NameKey(e.Ledger) == partyKey {
			continue
		}
		d.ensure(1, cols)
		// A credit to the line (the sale, a tax) adds to the invoice, a
		// debit (a discount) takes from it: Tally's sign as it is.
		d.row(cols, []string{e.Ledger, e.Amount.Indian()}, "")
	}
	total := v.Total()
	if partyEntry != nil {
		total = -partyEntry.Amount
	}
	d.ensure(2, cols)
	d.row(cols, []string{"Total", total.Indian()}, "TB")
	d.f.Ln(3)
	d.text(9, "Amount: ₹"+total.Indian())
	if partyEntry != nil {
		for _, b := range partyEntry.Bills {
			if b.Name == "" {
				continue
			}
			s := "Bill " + b.Name
			if !b.Due.IsZero() {
				s += ", due " + b.Due.Format(dateText)
			}
			d.text(9, s)
		}
	}
	if n := strings.TrimSpace(v.Narration); n != "" {
		d.text(8.5, n)
	}
	d.f.Ln(2)
	d.text(7.5, "A copy of the invoice as recorded in Tally; computer-generated, no signature required.")
	return d.write(w)
}
