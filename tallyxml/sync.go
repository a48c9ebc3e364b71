package tallyxml

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tallyfacade/tallyfacade/service"
)

// The requests the mirror's syncer sends (service/sync.go). They follow
// tally-database-loader's incremental sync (tally-protocol.md §2.1): read the
// Company's ALTMSTID/ALTVCHID, then collections filtered on `$AlterID > N`,
// and vouchers in date batches, because a very large single export can stall
// Tally (§2.3 #44/#49: it recommends at most 5,000–10,000 vouchers a request).

var _ service.BooksGateway = (*Gateway)(nil)

// Names of the sync's inline collections (never a built-in's name, §5).
const (
	collSyncCompany  = "TallyFacade Sync Company"
	collSyncGroups   = "TallyFacade Sync Groups"
	collSyncLedgers  = "TallyFacade Sync Ledgers"
	collSyncVouchers = "TallyFacade Sync Vouchers"
	collSyncVchIDs   = "TallyFacade Sync Voucher IDs"
	collSyncGroupIDs = "TallyFacade Sync Group IDs"
	collSyncLedIDs   = "TallyFacade Sync Ledger IDs"
	formulaAfter     = "TallyFacadeAlteredAfter"
	// ComputeIsSales and ComputeIsReceipt are the elements the sync's
	// voucher rows carry with the class of their type (§9.7): a company's
	// own "Tax Invoice" is a Sales voucher though its VOUCHERTYPENAME is not.
	ComputeIsSales   = "TFVCHISSALES"
	ComputeIsReceipt = "TFVCHISRECEIPT"
	formulaPeriod    = "TallyFacadeSyncPeriod"
)

// syncLedgerFetch is partyFetch without the closing balance (Tally computes
// it per ledger, and the mirror computes it from the vouchers) and with the
// ids and the opening balance the mirror needs.
var syncLedgerFetch = []string{
	"Name", "GUID", "MasterID", "AlterID", "Parent", "OpeningBalance", "LedgerMobile", "Email", "LedStateName",
	"CountryName", "Pincode", "Address", "PartyGSTIN", "GSTRegistrationType", "IsBillWiseOn", "BillCreditPeriod", "LedMailingDetails", "LedGSTRegDetails", "ContactDetails",
}

// syncVoucherFetch is every voucher field the mirror keeps. ALLLEDGERENTRIES
// carries the bill allocations; ALLINVENTORYENTRIES the stock lines.
var syncVoucherFetch = []string{
	"Date", "GUID", "MasterID", "AlterID", "VoucherTypeName", "VoucherNumber", "PartyLedgerName", "Narration",
	"IsCancelled", "IsOptional", "AllLedgerEntries", "AllInventoryEntries",
}

// AlterIDsRequest reads every loaded company's ALTMSTID and ALTVCHID. The
// Company collection ignores SVCURRENTCOMPANY and lists every loaded company
// (§9.5), so the caller picks its company from the rows.
func AlterIDsRequest() *Request {
	coll := NewCollection(collSyncCompany, "Company")
	coll.Fetch = []string{"Name", "GUID", "AltMstID", "AltVchID"}
	return ExportCollectionTDL(coll, Vars{})
}

// alteredAfter is the `$AlterID > N` filter (§9.6: it works server-side).
func alteredAfter(n int64) Formula {
	return Formula{Name: formulaAfter, Expr: "$AlterID > " + strconv.FormatInt(n, 10)}
}

// MastersSinceRequest reads the groups (typ "Group") or ledgers (typ
// "Ledger") altered after AlterID after; after 0 reads them all, unfiltered
// (a filter has a fixed cost on a large book, §9.6).
func MastersSinceRequest(company, typ string, after int64) *Request {
	name, fetch := collSyncGroups, []string{"Name", "GUID", "MasterID", "AlterID", "Parent"}
	if typ == "Ledger" {
		name, fetch = collSyncLedgers, slices.Clone(syncLedgerFetch)
	}
	coll := NewCollection(name, typ)
	coll.Fetch = fetch
	if after <= 0 {
		return ExportCollectionTDL(coll, Vars{Company: company})
	}
	coll.Filters = []string{formulaAfter}
	return ExportCollectionTDL(coll, Vars{Company: company}, alteredAfter(after))
}

// VouchersRequest reads the vouchers of r with their entries. A dated range
// is filtered with PeriodFilter (SVFROMDATE/SVTODATE alone do not bound a
// collection, §9.6).
func VouchersRequest(company string, r service.VoucherRange) *Request {
	coll := NewCollection(collSyncVouchers, "Voucher")
	coll.Fetch = slices.Clone(syncVoucherFetch)
	coll.Computes = []Compute{{Name: ComputeIsSales, Expr: "$$IsSales:$VoucherTypeName"},
		{Name: ComputeIsReceipt, Expr: "$$IsReceipt:$VoucherTypeName"}}
	vars := Vars{Company: company}
	var formulae []Formula
	if !r.From.IsZero() || !r.To.IsZero() {
		vars.From, vars.To = dateFromTime(r.From), dateFromTime(r.To)
		expr := PeriodFilter
		switch {
		case r.From.IsZero():
			expr = "$Date <= ##SVToDate"
		case r.To.IsZero():
			expr = "$Date >= ##SVFromDate"
		}
		formulae = append(formulae, Formula{Name: formulaPeriod, Expr: expr})
		coll.Filters = append(coll.Filters, formulaPeriod)
	}
	if r.AfterAlterID > 0 {
		formulae = append(formulae, alteredAfter(r.AfterAlterID))
		coll.Filters = append(coll.Filters, formulaAfter)
	}
	return ExportCollectionTDL(coll, vars, formulae...)
}

// IDsRequest lists only the ids of every voucher (typ "Voucher"), group or
// ledger: the cheap list the reconcile of deletions diffs against the mirror
// (tally-database-loader's GUID diff, §2.1).
func IDsRequest(company, typ string) *Request {
	name := map[string]string{"Voucher": collSyncVchIDs, "Group": collSyncGroupIDs, "Ledger": collSyncLedIDs}[typ]
	coll := NewCollection(name, typ)
	coll.Fetch = []string{"MasterID", "AlterID"}
	return ExportCollectionTDL(coll, Vars{Company: company})
}

// AlterIDs reads the company's change counters in one request.
func (g *Gateway) AlterIDs(ctx context.Context, company string) (service.AlterIDs, error) {
	var out service.AlterIDs
	var loaded []string
	found := false
	err := g.c.Do(ctx, AlterIDsRequest(), func(r io.Reader) error {
		for c, err := range Companies(r) {
			if err != nil {
				return err
			}
			loaded = append(loaded, c.Name)
			if !found && nameKey(c.Name) == nameKey(company) {
				found = true
				out = service.AlterIDs{Company: c.Name, GUID: c.GUID, Masters: int64(c.AltMstID), Vouchers: int64(c.AltVchID)}
			}
		}
		return nil
	})
	if err != nil {
		return service.AlterIDs{}, translate("read change counters", err)
	}
	if !found {
		return service.AlterIDs{}, &service.Error{Kind: service.Unavailable, Code: "company_not_loaded",
			Message: fmt.Sprintf("Company %q is not loaded in Tally (loaded: %s).", company, strings.Join(loaded, ", ")),
			Hint:    fmt.Sprintf("Load the company %q in Tally (Company → Select), or fix TALLY_COMPANY to its exact name.", company)}
	}
	return out, nil
}

// GroupsSince streams the groups altered after AlterID after.
func (g *Gateway) GroupsSince(ctx context.Context, company string, after int64, fn func(service.MirrorGroup) error) error {
	err := g.c.Do(ctx, MastersSinceRequest(company, "Group", after), func(r io.Reader) error {
		for gr, err := range Groups(r) {
			if err != nil {
				return err
			}
			if err := fn(service.MirrorGroup{MasterID: int64(gr.MasterID), AlterID: int64(gr.AlterID),
				GUID: gr.GUID, Name: gr.Name, Parent: groupParent(gr.Parent)}); err != nil {
				return err
			}
		}
		return nil
	})
	return translate("read groups", err)
}

// LedgersSince streams the ledgers altered after AlterID after.
func (g *Gateway) LedgersSince(ctx context.Context, company string, after int64, fn func(service.MirrorLedger) error) error {
	err := g.c.Do(ctx, MastersSinceRequest(company, "Ledger", after), func(r io.Reader) error {
		for l, err := range Ledgers(r) {
			if err != nil {
				return err
			}
			p := partyFromLedger(l)
			if err := fn(service.MirrorLedger{MasterID: int64(l.MasterID), AlterID: int64(l.AlterID), GUID: l.GUID,
				Name: l.Name, Parent: p.Group, Mobile: p.Mobile, Email: p.Email, Address: p.Address, State: p.State,
				Country: p.Country, Pincode: p.Pincode, GSTIN: p.GSTIN, GSTRegistrationType: p.GSTRegistrationType,
				BillWise: p.BillWise, CreditPeriod: p.CreditPeriod, Opening: service.Paise(l.OpeningBalance.Paise())}); err != nil {
				return err
			}
		}
		return nil
	})
	return translate("read ledgers", err)
}

// VouchersIn streams the vouchers of r, each with its entries.
func (g *Gateway) VouchersIn(ctx context.Context, company string, rg service.VoucherRange, fn func(service.MirrorVoucher) error) error {
	err := g.c.Do(ctx, VouchersRequest(company, rg), func(r io.Reader) error {
		for v, err := range Vouchers(r) {
			if err != nil {
				return err
			}
			if err := fn(mirrorVoucher(v)); err != nil {
				return err
			}
		}
		return nil
	})
	return translate("read vouchers", err)
}

// voucherClass is the mirror's class of v from its computes: "" unless Tally
// answered both (a missing element is not a No, §9.7).
func voucherClass(v Voucher) string {
	switch {
	case v.IsSales == nil || v.IsReceipt == nil:
		return ""
	case bool(*v.IsSales):
		return service.SalesVoucherType
	case bool(*v.IsReceipt):
		return service.ReceiptVoucherType
	}
	return service.ClassOther
}

func mirrorVoucher(v Voucher) service.MirrorVoucher {
	out := service.MirrorVoucher{MasterID: int64(v.MasterID), AlterID: int64(v.AlterID), GUID: v.GUID, RemoteID: v.RemoteID,
		Type: orElse(v.VoucherTypeName, v.VchType), Number: v.VoucherNumber, Date: timeFromDate(v.Date),
		Party: v.PartyLedgerName, Narration: v.Narration, Cancelled: bool(v.IsCancelled), Optional: bool(v.IsOptional),
		Class: voucherClass(v)}
	for _, e := range v.LedgerEntries {
		me := service.MirrorEntry{Ledger: e.LedgerName, Amount: service.Paise(e.Amount.Paise())}
		for _, b := range e.BillAllocations {
			bd := v.Date
			if !b.BillDate.IsZero() {
				bd = b.BillDate
			}
			due, _ := CreditPeriodDue(b.BillCreditPeriod, bd)
			me.Bills = append(me.Bills, service.MirrorBill{Name: b.Name, Type: string(b.BillType),
				Amount: service.Paise(b.Amount.Paise()), Due: timeFromDate(due)})
		}
		out.Entries = append(out.Entries, me)
	}
	for _, e := range v.InventoryEntries {
		out.Inventory = append(out.Inventory, service.MirrorInventory{Item: e.StockItemName,
			Quantity: e.BilledQty.String(), Rate: e.Rate.String(), Amount: service.Paise(e.Amount.Paise())})
		// An invoice posts its stock lines' value through their accounting
		// allocations (the sales ledger), which no ledger entry repeats: the
		// mirror keeps them as entries, so that ledger's balance is right.
		for _, a := range e.Allocations {
			out.Entries = append(out.Entries, service.MirrorEntry{Ledger: a.LedgerName, Amount: service.Paise(a.Amount.Paise())})
		}
	}
	return out
}

var creditDaysRE = regexp.MustCompile(`^\s*(\d{1,5})\s*(?i:days?)?\s*$`)

// CreditPeriodDue reads a BILLCREDITPERIOD ("30 Days", "30", or a due date
// such as "15-May-2026" or "20260515", the forms CreditPeriod writes and
// Tally accepts) into the due date of a bill dated from. ok is false for an
// empty or unreadable period, which then gives no due date.
func CreditPeriodDue(period string, from Date) (due Date, ok bool) {
	period = strings.TrimSpace(period)
	if period == "" {
		return Date{}, false
	}
	if m := creditDaysRE.FindStringSubmatch(period); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || from.IsZero() {
			return Date{}, false
		}
		return from.AddDays(n), true
	}
	d, err := ParseDate(period)
	if err != nil {
		return Date{}, false
	}
	return d, true
}

// VoucherIDs streams every voucher's MasterID and AlterID.
func (g *Gateway) VoucherIDs(ctx context.Context, company string, fn func(service.ObjectID) error) error {
	err := g.c.Do(ctx, IDsRequest(company, "Voucher"), func(r io.Reader) error {
		for v, err := range Vouchers(r) {
			if err != nil {
				return err
			}
			if err := fn(service.ObjectID{MasterID: int64(v.MasterID), AlterID: int64(v.AlterID)}); err != nil {
				return err
			}
		}
		return nil
	})
	return translate("list voucher ids", err)
}

// MasterIDs lists the MasterIDs of every group and ledger (two requests).
func (g *Gateway) MasterIDs(ctx context.Context, company string) (groups, ledgers []int64, err error) {
	err = g.c.Do(ctx, IDsRequest(company, "Group"), func(r io.Reader) error {
		for gr, err := range Groups(r) {
			if err != nil {
				return err
			}
			groups = append(groups, int64(gr.MasterID))
		}
		return nil
	})
	if err != nil {
		return nil, nil, translate("list group ids", err)
	}
	err = g.c.Do(ctx, IDsRequest(company, "Ledger"), func(r io.Reader) error {
		for l, err := range Ledgers(r) {
			if err != nil {
				return err
			}
			ledgers = append(ledgers, int64(l.MasterID))
		}
		return nil
	})
	if err != nil {
		return nil, nil, translate("list ledger ids", err)
	}
	return groups, ledgers, nil
}
