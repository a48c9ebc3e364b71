package tallysim

import (
	"fmt"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// GenerateSales adds books of any size, for benchmarks: parties bill-wise
// debtors with a 30-day credit period ("Gen Party 00000", …), and vouchers
// Sales vouchers of one bill each, dealt to the parties in turn and spread
// evenly over the 440 days from the books' first day. The same arguments
// give the same books.
func (c *Company) GenerateSales(parties, vouchers int) error {
	if parties <= 0 && vouchers > 0 {
		return fmt.Errorf("tallysim: %d vouchers need at least one party", vouchers)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, parties)
	for i := range names {
		names[i] = fmt.Sprintf("Gen Party %05d", i)
		if err := c.addLedger(Ledger{Name: names[i], Parent: "Sundry Debtors", BillWise: true, CreditPeriodDays: 30,
			Mobile: fmt.Sprintf("97%08d", i)}); err != nil {
			return err
		}
	}
	for i := range vouchers {
		party := names[i%parties]
		amt := int64(10000 + i%997*100)
		v := Voucher{Type: "Sales", Date: c.booksFrom.AddDays(i * 440 / vouchers), Party: party,
			Entries: []Entry{
				{Ledger: party, Amount: tallyxml.Paise(-amt), Bills: []BillAllocation{{Name: fmt.Sprintf("G%07d", i), Type: NewRef, Amount: tallyxml.Paise(-amt)}}},
				{Ledger: "Sales", Amount: tallyxml.Paise(amt)}}}
		if msg := c.validateVoucher(&v); msg != "" {
			return fmt.Errorf("tallysim: generated voucher %d: %s", i, msg)
		}
		c.storeNewVoucher(&v)
	}
	return nil
}
