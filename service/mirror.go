package service

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"time"
)

// The mirror keeps a copy of each company's books in the store, kept fresh
// from Tally's own change counters, so that reads do not queue behind
// Tally's one-at-a-time gateway (tally-protocol.md §9.1.4) and still answer
// when the Tally PC is off. This file holds its data types and the
// interfaces it consumes; sync.go fills it, books.go reads it.

// AlterIDs are a company's change counters: the Company object's ALTMSTID and
// ALTVCHID, the last AlterID given to a master and to a voucher. Reading them
// is one small request (tally-protocol.md §1.1, §2.1, §9.6).
type AlterIDs struct {
	Company  string
	GUID     string
	Masters  int64
	Vouchers int64
}

// MirrorGroup is a group as the mirror holds it. Parent is "" for a primary
// group.
type MirrorGroup struct {
	MasterID int64
	AlterID  int64
	GUID     string
	Name     string
	Parent   string
}

// MirrorLedger is a ledger as the mirror holds it. Opening follows Tally's
// sign (a debit is negative); Closing is computed by the store from the
// opening balance and the vouchers.
type MirrorLedger struct {
	MasterID int64
	AlterID  int64
	GUID     string
	Name     string
	Parent   string
	Mobile   Mobile // as typed, with its E.164 form
	Email    string
	Address  []string
	State    string
	Country  string
	Pincode  string
	GSTIN    string
	// GSTRegistrationType is Tally's text: "Regular", "Unregistered/Consumer", …
	GSTRegistrationType string
	BillWise            bool
	CreditPeriod        string // as Tally holds it, "30 Days"
	Opening             Paise
}

// MirrorVoucher is a voucher with its entries. A cancelled voucher keeps its
// row with no entries (tally-protocol.md §9.4: a cancel removes them).
type MirrorVoucher struct {
	MasterID int64
	AlterID  int64
	GUID     string
	RemoteID string
	Type     string // the voucher type's name, the company's own or Tally's
	// Class is the predefined type Type was made under, as Tally's
	// $$IsSales/$$IsReceipt said when the voucher was synced (tally-protocol.md
	// §9.7): SalesVoucherType, ReceiptVoucherType, ClassOther for neither,
	// "" when not known (a voucher synced before the mirror asked).
	Class     string
	Number    string
	Date      time.Time
	Party     string
	Narration string
	Cancelled bool
	// Optional vouchers do not affect balances in Tally.
	Optional  bool
	Entries   []MirrorEntry
	Inventory []MirrorInventory
}

// ClassOther is the Class of a voucher that Tally said is neither a sale nor
// a receipt.
const ClassOther = "Other"

// IsSales reports whether the voucher is a sales invoice: its type is Sales
// or one the company made under it. Without Class, the type's name decides:
// Sales, or a name made from it ("Sales GST", not "Sales Order").
func (v MirrorVoucher) IsSales() bool {
	if v.Class != "" {
		return v.Class == SalesVoucherType
	}
	k := NameKey(v.Type)
	return k == "sales" || strings.HasPrefix(k, "sales ") && !strings.HasPrefix(k, "sales order")
}

// IsReceipt is IsSales for receipts; without Class, the type named Receipt.
func (v MirrorVoucher) IsReceipt() bool {
	if v.Class != "" {
		return v.Class == ReceiptVoucherType
	}
	return NameKey(v.Type) == "receipt"
}

// MirrorEntry is one ledger line; Amount follows Tally's sign.
type MirrorEntry struct {
	Ledger string
	Amount Paise
	Bills  []MirrorBill
}

// MirrorBill is one bill allocation of an entry. Due is zero when Tally gave
// no credit period: the ledger's own period applies then.
type MirrorBill struct {
	Name   string
	Type   string // "New Ref", "Agst Ref", "Advance", "On Account"
	Amount Paise
	Due    time.Time
}

// MirrorInventory is one stock line of a voucher, kept as Tally writes its
// quantities and rate ("2 NOS", "1250.00/NOS").
type MirrorInventory struct {
	Item     string
	Quantity string
	Rate     string
	Amount   Paise
}

// ObjectID identifies a master or voucher for the reconcile of deletions.
type ObjectID struct {
	MasterID int64
	AlterID  int64
}

// VoucherRange selects vouchers: dated From..To (inclusive; zero means
// unbounded) with an AlterID above AfterAlterID.
type VoucherRange struct {
	From, To     time.Time
	AfterAlterID int64
}

// BooksGateway is what the syncer needs from Tally beyond Gateway. Every
// reader streams: fn is called per object as it is decoded, so a batch never
// has to fit in memory at once.
type BooksGateway interface {
	// AlterIDs reads the company's change counters (one small request).
	// A company that is not loaded is Unavailable company_not_loaded.
	AlterIDs(ctx context.Context, company string) (AlterIDs, error)
	// GroupsSince streams the groups with an AlterID above after.
	GroupsSince(ctx context.Context, company string, after int64, fn func(MirrorGroup) error) error
	// LedgersSince streams the ledgers with an AlterID above after.
	LedgersSince(ctx context.Context, company string, after int64, fn func(MirrorLedger) error) error
	// VouchersIn streams the vouchers of a range, with entries and bills.
	VouchersIn(ctx context.Context, company string, r VoucherRange, fn func(MirrorVoucher) error) error
	// VoucherIDs streams the MasterID and AlterID of every voucher.
	VoucherIDs(ctx context.Context, company string, fn func(ObjectID) error) error
	// MasterIDs lists the MasterIDs of every group and ledger.
	MasterIDs(ctx context.Context, company string) (groups, ledgers []int64, err error)
}

// SyncState is what the mirror knows of one company's sync.
type SyncState struct {
	Company string // as configured (the key, folded by the store's caller)
	GUID    string // the company's GUID in Tally, to notice a different company under the same name
	// Masters and Vouchers are the AlterIDs the mirror holds everything up to.
	Masters, Vouchers int64
	// Loaded is set once the initial load finished; before that the mirror
	// answers nothing.
	Loaded bool
	// LastProbe is the last time Tally's counters were read successfully;
	// LastSync the last time the mirror was known to equal Tally (a probe
	// that found nothing new, or a sync that finished).
	LastProbe, LastSync time.Time
	// LastChange is when a probe last found the counters moved.
	LastChange time.Time
	// LastReconcile is when deletions were last looked for.
	LastReconcile time.Time
	// SyncDuration is how long the last sync took.
	SyncDuration time.Duration
	// LastError is the last sync failure ("" after a success), LastErrorAt its time.
	LastError   string
	LastErrorAt time.Time
	// Check is the last comparison of the mirror with Tally's own figures.
	Check MirrorCheck
}

// MirrorCheck is the result of comparing the mirror's balances and bills
// with Tally's own closing balances and Bills Receivable.
type MirrorCheck struct {
	At          time.Time
	Parties     int // parties compared
	Bills       int // bills compared
	Differences []string
	Error       string
}

// MirrorCounts is how many objects the mirror holds for a company.
type MirrorCounts struct {
	Groups, Ledgers, Vouchers, Bills int
}

// PartyCursor is a keyset position in a list of parties: the folded name
// of the last party of the previous page.
type PartyCursor struct{ After string }

// MirrorPartyQuery selects parties from the mirror, keyset-paginated by
// folded name.
type MirrorPartyQuery struct {
	Company string
	Groups  []string // the ledger's parent must be one of these
	Search  string   // lower-case substring of the name
	After   string   // folded name of the last party of the previous page
	Limit   int
}

// MirrorBillQuery selects outstanding bills from the mirror, by party
// keyset: the parties after After (folded name), at most Limit parties,
// with all their selected bills.
type MirrorBillQuery struct {
	Company string
	// Side selects receivable bills (a debit pending; the zero value),
	// payable ones (a credit pending) or both.
	Side  BillSide
	Party string // one party (folded name), or ""
	// DueBefore keeps only bills due before it (overdue); zero keeps all.
	// A bill without a due date is due on its date.
	DueBefore time.Time
	// MinOwed keeps only bills owing at least this much (positive paise,
	// the side's way round); it does not apply to AnySide.
	MinOwed Paise
	After   string
	Limit   int // parties; 0 for all
	// NoTotals skips the totals (zero BillTotals): the caller has them
	// from an earlier page of the same books.
	NoTotals bool
	// Ageing, when not nil, asks the totals for the ageing buckets of
	// these bounds (AgeingIndex of the days past due as of asOf).
	Ageing []int
}

// MirrorBillRow is one outstanding bill from the mirror: the sum of its
// allocations, Tally's sign (a receivable is negative). Due is zero when
// neither the bill nor the ledger give a credit period.
type MirrorBillRow struct {
	Party   string
	Key     string // the party's folded name, the keyset
	Ref     string
	Date    time.Time
	Due     time.Time
	Pending Paise
}

// BillTotals are totals over every outstanding bill the query selects,
// whatever page is read. Amounts are Tally's sign.
type BillTotals struct {
	Bills        int
	Total        Paise
	OverdueTotal Paise // due before the asOf given
	// Ageing is the buckets of MirrorBillQuery.Ageing (nil without).
	Ageing []AgeingBucket
}

// BooksStore is what the mirror needs from the store. Writes of one batch
// are one transaction; none is held across a Tally call.
type BooksStore interface {
	// SyncState reads a company's state; NotFound when it never synced.
	SyncState(ctx context.Context, company string) (SyncState, error)
	// SaveSyncState writes a company's state.
	SaveSyncState(ctx context.Context, st SyncState) error
	// TrySyncLock takes the company's sync lock across replicas without
	// waiting; ok is false when another holds it. unlock releases it.
	TrySyncLock(ctx context.Context, company string) (unlock func(), ok bool, err error)

	// ApplyMasters upserts groups and ledgers and deletes the groups and
	// ledgers whose MasterIDs are given, in one transaction.
	ApplyMasters(ctx context.Context, company string, groups []MirrorGroup, ledgers []MirrorLedger, goneGroups, goneLedgers []int64) error
	// ApplyVouchers upserts vouchers (replacing their entries, bills and
	// stock lines) and deletes those whose MasterIDs are given, in one
	// transaction. With recompute, the same transaction recomputes the
	// closing balances and outstanding bills of every ledger the vouchers
	// touch, before and after (FoldBills); an initial load passes false and
	// calls RecomputeAll once at the end.
	ApplyVouchers(ctx context.Context, company string, vouchers []MirrorVoucher, gone []int64, recompute bool) error
	// RecomputeAll recomputes every ledger's closing balance and every
	// outstanding bill of the company (after an initial load).
	RecomputeAll(ctx context.Context, company string) error
	// ResetBooks deletes everything the mirror holds for a company.
	ResetBooks(ctx context.Context, company string) error
	// MirrorIDs lists what the mirror holds: groups, ledgers (MasterIDs) and
	// vouchers (MasterID and AlterID).
	MirrorIDs(ctx context.Context, company string) (groups, ledgers []int64, vouchers []ObjectID, err error)
	// MirrorCounts counts what the mirror holds.
	MirrorCounts(ctx context.Context, company string) (MirrorCounts, error)

	// MirrorGroups lists every group.
	MirrorGroups(ctx context.Context, company string) ([]MirrorGroup, error)
	// MirrorLedger reads one ledger by folded name with its closing
	// balance; NotFound when absent.
	MirrorLedger(ctx context.Context, company, key string) (MirrorLedger, Paise, error)
	// MirrorParties reads a page of ledgers with their closing balances,
	// and the number matching over all pages.
	MirrorParties(ctx context.Context, q MirrorPartyQuery) (page []MirrorPartyRow, total int, err error)
	// MirrorPartiesByMobile lists the ledgers whose mobile's E.164 form is e164.
	MirrorPartiesByMobile(ctx context.Context, company, e164 string) ([]MirrorPartyRow, error)
	// MirrorBills reads outstanding bills by party keyset, and the totals
	// over every bill the query selects (Overdue: due before asOf).
	MirrorBills(ctx context.Context, q MirrorBillQuery, asOf time.Time) ([]MirrorBillRow, BillTotals, error)

	StatementStore
	DayBookStore
	CompanyStore
}

// NameKey is a name folded as Tally matches names (tally-protocol.md §9.4):
// the key the mirror indexes companies, ledgers and groups by.
func NameKey(s string) string { return foldName(s) }

// CreditDays reads the ledger's credit period ("30 Days") as days; ok is
// false when it is empty or not a number of days.
func (l MirrorLedger) CreditDays() (days int, ok bool) {
	s := strings.TrimSpace(l.CreditPeriod)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' && i < 6 {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:i])
	return n, err == nil
}

// MirrorPartyRow is a ledger with its closing balance (Tally's sign).
type MirrorPartyRow struct {
	MirrorLedger
	Closing Paise
}

// BillAlloc is one bill allocation as a store reads it to fold bills:
// ordered by ledger key, bill name, voucher date and voucher MasterID, with
// cancelled and optional vouchers and ledgers that are not bill-wise left
// out. CreditDays is the ledger's credit period (HasCreditDays false when it
// has none).
type BillAlloc struct {
	LedgerKey     string
	Party         string
	Name          string
	Type          string
	Date          time.Time
	Due           time.Time
	Amount        Paise
	CreditDays    int
	HasCreditDays bool
}

// FoldBills folds ordered allocations into outstanding bills as Tally keeps
// them: the first allocation of a reference opens the bill with its
// voucher's date and due date (its credit period, else the ledger's), later
// ones (Agst Ref) adjust it by exactly their amount, and a bill that nets to
// zero is settled. On Account allocations and unnamed ones never form bills
// (tally-protocol.md §9.3 (D)). emit gets every bill with a pending amount.
func FoldBills(allocs iter.Seq2[BillAlloc, error], emit func(MirrorBillRow) error) error {
	var cur MirrorBillRow
	open := false
	flush := func() error {
		if open && cur.Pending != 0 {
			return emit(cur)
		}
		return nil
	}
	for a, err := range allocs {
		if err != nil {
			return err
		}
		if a.Name == "" || strings.EqualFold(a.Type, "On Account") {
			continue
		}
		if open && a.LedgerKey == cur.Key && a.Name == cur.Ref {
			cur.Pending += a.Amount
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		due := a.Due
		if due.IsZero() && a.HasCreditDays && !a.Date.IsZero() {
			due = a.Date.AddDate(0, 0, a.CreditDays)
		}
		cur, open = MirrorBillRow{Party: a.Party, Key: a.LedgerKey, Ref: a.Name, Date: a.Date, Due: due, Pending: a.Amount}, true
	}
	return flush()
}
