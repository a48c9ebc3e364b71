package tallysim

import (
	"fmt"
	"slices"
)

// The methods below change the books the way a user keying into Tally
// does, for tests of clients that follow the books (the mirror's sync): each
// alteration takes the next AlterID, as an import's Alter, Cancel or
// re-import does (tally-protocol.md §9.4).

// AlterLedger applies change to the named ledger and gives it a new AlterID.
// The name and ids cannot be changed this way.
func (c *Company) AlterLedger(name string, change func(*Ledger)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.ledger(name)
	if l == nil {
		return fmt.Errorf("tallysim: ledger %q does not exist", name)
	}
	keep := *l
	change(l)
	l.Name, l.GUID, l.MasterID = keep.Name, keep.GUID, keep.MasterID
	c.lastAlterID++
	l.AlterID = c.lastAlterID
	return nil
}

// DeleteLedger deletes a ledger no voucher uses, as an import's Delete does
// ("Cannot be deleted!" otherwise, §9.4).
func (c *Company) DeleteLedger(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.ledger(name)
	if l == nil {
		return fmt.Errorf("tallysim: %s", itemDoesNotExist)
	}
	if l.Reserved || c.ledgerUsed(l.Name) {
		return fmt.Errorf("tallysim: %s", cannotBeDeleted)
	}
	c.ledgers = slices.DeleteFunc(c.ledgers, func(x *Ledger) bool { return x == l })
	c.goneMstAlterID = max(c.goneMstAlterID, l.AlterID)
	return nil
}

// DeleteGroup deletes a group that has no sub-group and no ledger, as an
// import's Delete does ("Cannot be deleted!" otherwise, and for Tally's own
// groups).
func (c *Company) DeleteGroup(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fail := c.deleteGroup(c.group(name)); fail != "" {
		return fmt.Errorf("tallysim: %s", fail)
	}
	return nil
}

// deleteGroup deletes g (nil: none of that name), or returns the
// LINEERROR Tally gives for it. Its AlterID is retired: ALTMSTID does not
// go back.
func (c *Company) deleteGroup(g *Group) (fail string) {
	if g == nil {
		return itemDoesNotExist
	}
	if g.Predefined || c.groupUsed(g) {
		return cannotBeDeleted
	}
	c.groups = slices.DeleteFunc(c.groups, func(x *Group) bool { return x == g })
	c.goneMstAlterID = max(c.goneMstAlterID, g.AlterID)
	return ""
}

// DeleteVoucher deletes the voucher with this MasterID. Its AlterID is
// retired: ALTVCHID does not go back.
func (c *Company) DeleteVoucher(masterID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.vouchers, func(v *Voucher) bool { return v.MasterID == masterID })
	if i < 0 {
		return fmt.Errorf("tallysim: %s", voucherDoesNotExist)
	}
	c.removeVoucher(c.vouchers[i])
	return nil
}

// removeVoucher deletes v; its AlterID is retired, so ALTVCHID does not go
// back.
func (c *Company) removeVoucher(v *Voucher) {
	c.vouchers = slices.DeleteFunc(c.vouchers, func(x *Voucher) bool { return x == v })
	c.goneVchAlterID = max(c.goneVchAlterID, v.AlterID)
}

// cancelVoucher marks v cancelled as Tally does: its entries are removed and
// it takes a new AlterID (§9.4).
func (c *Company) cancelVoucher(v *Voucher) {
	v.Cancelled, v.Entries, v.Inventory = true, nil, nil
	c.lastAlterID++
	v.AlterID = c.lastAlterID
}

// CancelVoucher cancels the voucher with this MasterID as Tally does: it
// stays, marked cancelled, with no entries and a new AlterID (LIVE 7.1,
// §9.4).
func (c *Company) CancelVoucher(masterID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.vouchers, func(v *Voucher) bool { return v.MasterID == masterID })
	if i < 0 {
		return fmt.Errorf("tallysim: %s", voucherDoesNotExist)
	}
	c.cancelVoucher(c.vouchers[i])
	return nil
}
