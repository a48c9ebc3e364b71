package tallysim

import (
	"fmt"
	"slices"
	"strings"
)

// Voucher types. Every voucher is of a type, and a company's own types are
// made under one of Tally's predefined ones ("Tax Invoice" under Sales); TDL's
// $$IsSales:$VoucherTypeName and its kin answer by that predefined type, so
// integrations classify vouchers with them rather than by name
// (tally-protocol.md §9.7). The simulator keeps the
// company's own types as name and parent, and answers the functions by
// walking up to a predefined type.

// predefinedVoucherTypes are TallyPrime's reserved voucher types.
var predefinedVoucherTypes = []string{
	"Attendance", "Contra", "Credit Note", "Debit Note", "Delivery Note", "Job Work In Order", "Job Work Out Order",
	"Journal", "Material In", "Material Out", "Memorandum", "Payment", "Payroll", "Physical Stock", "Purchase",
	"Purchase Order", "Receipt", "Receipt Note", "Rejections In", "Rejections Out", "Reversing Journal", "Sales",
	"Sales Order", "Stock Journal",
}

// ownVoucherType is one of the company's own voucher types.
type ownVoucherType struct{ name, parent string }

// AddVoucherType adds one of the company's own voucher types under parent,
// a predefined type or another of its own (for tests and data files).
func (c *Company) AddVoucherType(name, parent string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = strings.TrimSpace(name)
	if name == "" || c.voucherTypeName(name) != "" {
		return fmt.Errorf("Voucher Type '%s' already exists!", name)
	}
	if c.voucherTypeName(parent) == "" {
		return fmt.Errorf("Voucher Type '%s' does not exist!", parent)
	}
	if c.ownVoucherTypes == nil {
		c.ownVoucherTypes = map[string]ownVoucherType{}
	}
	c.ownVoucherTypes[foldName(name)] = ownVoucherType{name: name, parent: c.voucherTypeName(parent)}
	return nil
}

// voucherTypeName is the name of the voucher type called name as the
// company spells it, "" when it has no such type.
func (c *Company) voucherTypeName(name string) string {
	for _, p := range predefinedVoucherTypes {
		if foldName(p) == foldName(name) {
			return p
		}
	}
	return c.ownVoucherTypes[foldName(name)].name
}

// voucherBase is the predefined type a voucher type is made under (itself
// when predefined), "" for a type the company does not have.
func (c *Company) voucherBase(name string) string {
	for range 32 { // the chain is short; the bound guards a cycle
		if slices.Contains(predefinedVoucherTypes, c.voucherTypeName(name)) {
			return c.voucherTypeName(name)
		}
		own, ok := c.ownVoucherTypes[foldName(name)]
		if !ok {
			return ""
		}
		name = own.parent
	}
	return ""
}
