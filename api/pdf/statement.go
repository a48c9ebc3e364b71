package pdf

import (
	"io"
	"strings"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// Statement writes a party's statement: the company's head, the party, the
// period, the opening balance, one row per voucher with its running balance,
// the column totals and the closing balance. asOf is when the figures were
// taken (the last sync when stale), printed under the period; created is
// the file's creation date.
func Statement(w io.Writer, co service.Company, st service.Statement, asOf, created time.Time, stale bool) error {
	d := newDoc("Statement of account: "+st.Party.Name, created)
	d.head(co, "Statement of account")
	d.text(11, st.Party.Name)
	for _, l := range partyLines(st.Party) {
		d.text(9, l)
	}
	d.f.Ln(1)
	d.text(9, "Period: "+st.Period.From.Format(dateText)+" to "+st.Period.To.Format(dateText))
	when := "Figures as of " + asOf.Format(dateText+", 15:04")
	if stale {
		when += " (when the books were last synced with Tally)"
	}
	d.text(8, when)
	d.f.Ln(2)

	cols := []column{
		{"Date", 20, "L"}, {"Type", 18, "L"}, {"No.", 14, "L"}, {"Particulars", 61, "L"},
		{"Debit (₹)", 24, "R"}, {"Credit (₹)", 24, "R"}, {"Balance (₹)", 25, "R"},
	}
	d.header(cols)
	d.font(8)
	d.row(cols, []string{st.Period.From.Format(dateText), "", "", "Opening balance", "", "", balance(st.Opening)}, "")
	for _, l := range st.Lines {
		d.ensure(1, cols)
		particulars := l.Narration
		if len(l.Bills) > 0 {
			particulars = strings.TrimSpace("Ref " + strings.Join(l.Bills, ", ") + " · " + particulars)
			particulars = strings.TrimSuffix(particulars, " ·")
		}
		d.row(cols, []string{l.Date.Format(dateText), l.Type, l.Number, particulars, amount(l.Debit()), amount(l.Credit()),
			balance(l.Balance)}, "")
	}
	d.ensure(3, cols)
	d.row(cols, []string{"", "", "", "Totals", st.TotalDebit.Indian(), st.TotalCredit.Indian(), ""}, "T")
	d.row(cols, []string{st.Period.To.Format(dateText), "", "", "Closing balance", "", "", balance(st.Closing)}, "B")
	d.f.Ln(4)
	switch st.Closing.Side {
	case service.Debit:
		d.text(9, "Balance due from "+st.Party.Name+": ₹"+st.Closing.String())
	case service.Credit:
		d.text(9, "Balance in favour of "+st.Party.Name+": ₹"+st.Closing.String())
	default:
		d.text(9, "No balance is outstanding.")
	}
	d.text(7.5, "Dr: the party owes us; Cr: we owe the party or hold its advance. Computer-generated from the books kept in Tally.")
	return d.write(w)
}
