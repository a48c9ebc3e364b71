package tallyxml

import (
	"encoding/xml"
	"io"
	"iter"
)

// The voucher decoders: a voucher with its ledger entries, bill allocations and inventory entries, from collection and object exports and Day Book files.

// Voucher is a voucher from a collection export, an object export or a Day
// Book export file.
type Voucher struct {
	RemoteID string
	VchKey   string
	VchType  string
	Action   string
	ObjView  string

	Date            Date
	EffectiveDate   Date
	GUID            string
	MasterID        Number
	AlterID         Number
	VoucherTypeName string
	VoucherNumber   string
	Reference       string
	PartyLedgerName string
	Narration       string
	IsCancelled     Logical
	IsOptional      Logical
	PersistedView   string
	// IsSales and IsReceipt are the class computes the sync asks for
	// (ComputeIsSales, ComputeIsReceipt): what Tally's $$IsSales and
	// $$IsReceipt say of the voucher's type. Nil when the row does not
	// carry the element (not asked, or a function Tally does not know,
	// tally-protocol.md §9.7).
	IsSales, IsReceipt *Logical

	// LedgerEntries come from ALLLEDGERENTRIES.LIST and LEDGERENTRIES.LIST
	// (both occur, sometimes in one voucher), in document order.
	LedgerEntries []VoucherLedgerEntry
	// InventoryEntries come from ALLINVENTORYENTRIES.LIST and
	// INVENTORYENTRIES.LIST, in document order.
	InventoryEntries []VoucherInventoryEntry
}

// VoucherLedgerEntry is one accounting line. Amount is negative for a debit; Tally
// pairs it with IsDeemedPositive Yes.
type VoucherLedgerEntry struct {
	LedgerName       string
	IsDeemedPositive Logical
	IsPartyLedger    Logical
	Amount           Amount
	BillAllocations  []VoucherBillAllocation
}

// VoucherBillAllocation is one bill-wise reference on a ledger line.
type VoucherBillAllocation struct {
	Name             string
	BillType         BillType // "New Ref", "Agst Ref", "On Account", "Advance" (BillNewRef…)
	Amount           Amount
	BillCreditPeriod string
	BillDate         Date
}

// VoucherInventoryEntry is one stock line. Allocations are its
// ACCOUNTINGALLOCATIONS.LIST: the ledgers its value is posted to (an
// invoice's sales ledger), which appear in no ledger entry.
type VoucherInventoryEntry struct {
	StockItemName    string
	IsDeemedPositive Logical
	Rate             Rate
	ActualQty        Quantity
	BilledQty        Quantity
	Amount           Amount
	Allocations      []VoucherLedgerEntry
}

// Vouchers streams the VOUCHER rows of a collection export, an object export
// or a Day Book file (ENVELOPE/BODY/IMPORTDATA/REQUESTDATA/TALLYMESSAGE).
func Vouchers(r io.Reader) iter.Seq2[Voucher, error] { return rows(r, "VOUCHER", decodeVoucher) }

// VoucherObject is LedgerObject for a voucher.
func VoucherObject(r io.Reader) (Voucher, error) { return first(Vouchers(r)) }

func decodeVoucher(d *xml.Decoder, start xml.StartElement) (Voucher, error) {
	var v Voucher
	for _, a := range start.Attr {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "REMOTEID":
			v.RemoteID = a.Value
		case "VCHKEY":
			v.VchKey = a.Value
		case "VCHTYPE":
			v.VchType = a.Value
		case "ACTION":
			v.Action = a.Value
		case "OBJVIEW":
			v.ObjView = a.Value
		}
	}
	id := func() string { return orElse(v.VoucherNumber, orElse(v.GUID, v.RemoteID)) }
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "DATE":
			err = textInto(d, &v.Date)
		case "EFFECTIVEDATE":
			err = textInto(d, &v.EffectiveDate)
		case "GUID":
			v.GUID, err = text(d)
		case "MASTERID":
			err = textInto(d, &v.MasterID)
		case "ALTERID":
			err = textInto(d, &v.AlterID)
		case "VOUCHERTYPENAME":
			v.VoucherTypeName, err = text(d)
		case "VOUCHERNUMBER":
			v.VoucherNumber, err = text(d)
		case "REFERENCE":
			v.Reference, err = text(d)
		case "PARTYLEDGERNAME":
			v.PartyLedgerName, err = text(d)
		case "NARRATION":
			v.Narration, err = text(d)
		case "ISCANCELLED":
			err = textInto(d, &v.IsCancelled)
		case "ISOPTIONAL":
			err = textInto(d, &v.IsOptional)
		case "PERSISTEDVIEW":
			v.PersistedView, err = text(d)
		case ComputeIsSales, ComputeIsReceipt:
			var l Logical
			if err = textInto(d, &l); err == nil {
				if t.Name.Local == ComputeIsSales {
					v.IsSales = &l
				} else {
					v.IsReceipt = &l
				}
			}
		case "ALLLEDGERENTRIES.LIST", "LEDGERENTRIES.LIST":
			var e VoucherLedgerEntry
			var ok bool
			e, ok, err = decodeLedgerEntry(d)
			if ok {
				v.LedgerEntries = append(v.LedgerEntries, e)
			}
		case "ALLINVENTORYENTRIES.LIST", "INVENTORYENTRIES.LIST":
			var e VoucherInventoryEntry
			var ok bool
			e, ok, err = decodeInventoryEntry(d)
			if ok {
				v.InventoryEntries = append(v.InventoryEntries, e)
			}
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	if err != nil {
		return Voucher{}, rowErr("VOUCHER", id(), err)
	}
	return v, nil
}

// decodeLedgerEntry reads one ledger line; ok is false for the
// whitespace-only lists Tally writes for empty collections.
func decodeLedgerEntry(d *xml.Decoder) (VoucherLedgerEntry, bool, error) {
	var e VoucherLedgerEntry
	ok := false
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "LEDGERNAME":
			e.LedgerName, err = text(d)
			ok = true
		case "ISDEEMEDPOSITIVE":
			err = textInto(d, &e.IsDeemedPositive)
		case "ISPARTYLEDGER":
			err = textInto(d, &e.IsPartyLedger)
		case "AMOUNT":
			err = textInto(d, &e.Amount)
			ok = true
		case "BILLALLOCATIONS.LIST":
			var b VoucherBillAllocation
			var got bool
			b, got, err = decodeBillAllocation(d)
			if got {
				e.BillAllocations = append(e.BillAllocations, b)
			}
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return e, ok, err
}

func decodeBillAllocation(d *xml.Decoder) (VoucherBillAllocation, bool, error) {
	var b VoucherBillAllocation
	ok := false
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "NAME":
			b.Name, err = text(d)
			ok = true
		case "BILLTYPE":
			var s string
			s, err = text(d)
			b.BillType = BillType(s)
			ok = true
		case "AMOUNT":
			err = textInto(d, &b.Amount)
			ok = true
		case "BILLCREDITPERIOD":
			b.BillCreditPeriod, err = text(d)
		case "BILLDATE":
			err = textInto(d, &b.BillDate)
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return b, ok, err
}

func decodeInventoryEntry(d *xml.Decoder) (VoucherInventoryEntry, bool, error) {
	var e VoucherInventoryEntry
	ok := false
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "STOCKITEMNAME":
			e.StockItemName, err = text(d)
			ok = true
		case "ISDEEMEDPOSITIVE":
			err = textInto(d, &e.IsDeemedPositive)
		case "RATE":
			err = textInto(d, &e.Rate)
		case "ACTUALQTY":
			err = textInto(d, &e.ActualQty)
		case "BILLEDQTY":
			err = textInto(d, &e.BilledQty)
		case "AMOUNT":
			err = textInto(d, &e.Amount)
			ok = true
		case "ACCOUNTINGALLOCATIONS.LIST":
			var a VoucherLedgerEntry
			var found bool
			if a, found, err = decodeLedgerEntry(d); err == nil && found {
				e.Allocations = append(e.Allocations, a)
			}
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return e, ok, err
}
