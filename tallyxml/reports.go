package tallyxml

import (
	"encoding/xml"
	"fmt"
	"io"
	"iter"
	"strings"
)

// The report decoders: Bills Receivable, Trial Balance, Balance Sheet and Profit & Loss.

// Bill is one row of the Bills Receivable / Bills Payable report.
type Bill struct {
	Date  Date   // BILLDATE; an Agst Ref inherits the original bill's date (§9.3 (D))
	Ref   string // BILLREF as entered ("#1", "# 4")
	Party string // BILLPARTY
	// Closing is BILLCL: negative (debit) in Bills Receivable, positive in
	// Bills Payable. The reports scope by balance sign, not by group, so a
	// supplier advance shows up as a receivable.
	Closing Amount
	Due     Date // BILLDUE
	// OverdueDays is BILLOVERDUE, computed by Tally against its own period
	// date and ignoring the ageing setting; prefer Overdue(asOf).
	OverdueDays int
}

// Overdue returns the days from the due date (the bill date when there is
// none) to asOf; negative when not yet due.
func (b Bill) Overdue(asOf Date) int {
	due := b.Due
	if due.IsZero() {
		due = b.Date
	}
	if due.IsZero() {
		return 0
	}
	return asOf.DaysSince(due)
}

// Bills streams the Bills Receivable or Bills Payable report. The report is
// flat (§9.3 (D)): BILLFIXED{BILLDATE, BILLREF, BILLPARTY}, BILLCL, BILLDUE,
// BILLOVERDUE repeat as siblings with no row wrapper, so a bill is complete
// when the next BILLFIXED, or the end, arrives. A missing sibling leaves its
// field empty; a sibling that repeats before a new BILLFIXED starts a new
// bill rather than overwriting the last one.
func Bills(r io.Reader) iter.Seq2[Bill, error] {
	return func(yield func(Bill, error) bool) {
		s := newScanner(r)
		var cur Bill
		var have, cl, due, over bool
		flush := func() bool {
			if !have {
				return true
			}
			b := cur
			cur, have, cl, due, over = Bill{}, false, false, false, false
			return yield(b, nil)
		}
		for {
			t, _, err := s.next()
			if err == io.EOF {
				flush()
				return
			}
			if err != nil {
				yield(Bill{}, err)
				return
			}
			switch t.Name.Local {
			case "BILLFIXED":
				if !flush() {
					return
				}
				have = true
				err = eachChild(s.d, func(t xml.StartElement) error {
					var err error
					switch t.Name.Local {
					case "BILLDATE":
						err = textInto(s.d, &cur.Date)
					case "BILLREF":
						cur.Ref, err = text(s.d)
					case "BILLPARTY":
						cur.Party, err = text(s.d)
					default:
						err = s.d.Skip()
					}
					return fieldErr(t.Name.Local, err)
				})
				if err != nil {
					err = rowErr("bill", cur.Ref, fieldErr("BILLFIXED", err))
				}
			case "BILLCL", "BILLDUE", "BILLOVERDUE":
				seen := &cl
				switch t.Name.Local {
				case "BILLDUE":
					seen = &due
				case "BILLOVERDUE":
					seen = &over
				}
				if *seen && !flush() {
					return
				}
				have, *seen = true, true
				switch t.Name.Local {
				case "BILLCL":
					err = innerInto(s.d, &cur.Closing)
				case "BILLDUE":
					err = innerInto(s.d, &cur.Due)
				default:
					var n Number
					var txt string
					txt, err = innerText(s.d)
					if err == nil {
						// Tolerate "62 Days".
						f, _, _ := strings.Cut(strings.TrimSpace(txt), " ")
						err = n.UnmarshalText([]byte(f))
						cur.OverdueDays = int(n)
					}
				}
				if err != nil {
					err = rowErr("bill", cur.Ref, fieldErr(t.Name.Local, err))
				}
			default:
				s.enter(t)
				continue
			}
			if err != nil {
				yield(Bill{}, err)
				return
			}
		}
	}
}

// TrialBalanceRow is one line of the Trial Balance report. Debit amounts are
// negative (DSPCLDRAMTA), credit amounts positive (DSPCLCRAMTA); a zero or
// inapplicable figure is an empty tag and stays unset (§9.3 (E)).
type TrialBalanceRow struct {
	Name          string
	OpeningDebit  Amount
	OpeningCredit Amount
	Debit         Amount // closing debit
	Credit        Amount // closing credit
}

// TrialBalance streams the Trial Balance report: DSPACCNAME{DSPDISPNAME}
// followed by DSPACCINFO{DSPCLDRAMT{DSPCLDRAMTA}, DSPCLCRAMT{DSPCLCRAMTA}} and,
// in the detailed view, DSPOPDRAMT/DSPOPCRAMT. Tally's own integration text
// shows DSPACCINFO nested inside DSPACCNAME; that is accepted too. A name with
// no DSPACCINFO gives a row with empty amounts; a DSPACCINFO with no name
// before it gives a row with an empty Name.
func TrialBalance(r io.Reader) iter.Seq2[TrialBalanceRow, error] {
	return pairs(r, func(tag string) bool { return tag == "DSPACCINFO" },
		func(d *xml.Decoder, row *TrialBalanceRow) error {
			return eachChild(d, func(t xml.StartElement) error {
				var dst *Amount
				switch t.Name.Local {
				case "DSPOPDRAMT", "DSPOPDRAMTA":
					dst = &row.OpeningDebit
				case "DSPOPCRAMT", "DSPOPCRAMTA":
					dst = &row.OpeningCredit
				case "DSPCLDRAMT", "DSPCLDRAMTA":
					dst = &row.Debit
				case "DSPCLCRAMT", "DSPCLCRAMTA":
					dst = &row.Credit
				default:
					return d.Skip()
				}
				if err := innerInto(d, dst); err != nil {
					return rowErr("trial balance row", row.Name, fieldErr(t.Name.Local, err))
				}
				return nil
			})
		},
		func(row *TrialBalanceRow, name string) { row.Name = name })
}

// ReportRow is one line of the Balance Sheet or Profit & Loss report: Sub is
// the inner column (BSSUBAMT/PLSUBAMT), Main the outer (BSMAINAMT).
type ReportRow struct {
	Name      string
	Sub, Main Amount
}

// BalanceSheet streams the Balance Sheet report:
// BSNAME{DSPACCNAME{DSPDISPNAME}} followed by BSAMT{BSSUBAMT, BSMAINAMT}.
func BalanceSheet(r io.Reader) iter.Seq2[ReportRow, error] {
	return reportRows(r, "BSAMT")
}

// ProfitAndLoss streams the Profit & Loss report: DSPACCNAME{DSPDISPNAME}
// followed by PLAMT{PLSUBAMT, BSMAINAMT}. Yes, BSMAINAMT inside PLAMT: that is
// what TallyPrime 7.1 writes (profit-and-loss-report-export-01.xml);
// PLMAINAMT is accepted too.
func ProfitAndLoss(r io.Reader) iter.Seq2[ReportRow, error] {
	return reportRows(r, "PLAMT")
}

func reportRows(r io.Reader, amtTag string) iter.Seq2[ReportRow, error] {
	return pairs(r, func(tag string) bool { return tag == amtTag },
		func(d *xml.Decoder, row *ReportRow) error {
			return eachChild(d, func(t xml.StartElement) error {
				var dst *Amount
				switch t.Name.Local {
				case "BSSUBAMT", "PLSUBAMT":
					dst = &row.Sub
				case "BSMAINAMT", "PLMAINAMT":
					dst = &row.Main
				default:
					return d.Skip()
				}
				if err := innerInto(d, dst); err != nil {
					return rowErr("report row", row.Name, fieldErr(t.Name.Local, err))
				}
				return nil
			})
		},
		func(row *ReportRow, name string) { row.Name = name })
}

// pairs drives the name/amount sibling reports. A DSPDISPNAME anywhere starts
// a row (flushing a previous one that never got its amounts); an amounts
// element fills the pending row and completes it.
func pairs[T any](r io.Reader, isAmounts func(string) bool,
	decodeAmounts func(*xml.Decoder, *T) error, setName func(*T, string)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero, cur T
		pending := false
		s := newScanner(r)
		for {
			t, _, err := s.next()
			if err == io.EOF {
				if pending {
					yield(cur, nil)
				}
				return
			}
			if err != nil {
				yield(zero, err)
				return
			}
			switch {
			case t.Name.Local == "DSPDISPNAME":
				name, err := text(s.d)
				if err != nil {
					yield(zero, fmt.Errorf("tallyxml: decoding report: %w", err))
					return
				}
				if pending && !yield(cur, nil) {
					return
				}
				cur, pending = zero, true
				setName(&cur, name)
			case isAmounts(t.Name.Local):
				if err := decodeAmounts(s.d, &cur); err != nil {
					yield(zero, err)
					return
				}
				row := cur
				cur, pending = zero, false
				if !yield(row, nil) {
					return
				}
			default:
				s.enter(t)
			}
		}
	}
}
