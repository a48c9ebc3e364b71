package service

import (
	"context"
	"time"
)

// Dates in this package are calendar dates carried as time.Time at midnight
// UTC (see Day). Tally has no time of day and no zone; keeping one convention
// avoids the off-by-one-day bugs that UTC shifts cause (tally-mcp-server #23).

// Day returns the calendar date of t in loc as a time.Time at midnight UTC.
func Day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Gateway is what the service needs from Tally. tallyxml implements it over
// the XML gateway; tests use the simulator behind it or a fake.
//
// Every method takes the company to pin (Tally silently uses the active
// company when none is named, so callers always name one). Errors are *Error:
// Unavailable for an unreachable, timed-out or busy gateway, NotFound for a
// missing company or ledger, Upstream for Tally refusing the work, with
// Tally's text verbatim.
type Gateway interface {
	// Status reports whether Tally answers and which product it is.
	Status(ctx context.Context) (TallyStatus, error)
	// Companies lists the companies loaded in Tally.
	Companies(ctx context.Context) ([]Company, error)
	// Parties lists the ledgers under group (and its sub-groups).
	Parties(ctx context.Context, company, group string) ([]Party, error)
	// Party reads one ledger by name, with its closing balance, in one
	// request. A missing ledger is NotFound.
	Party(ctx context.Context, company, name string) (Party, error)
	// Groups lists every group of the company with its parent, in one
	// request (the party-group rule walks it, parties.go).
	Groups(ctx context.Context, company string) ([]Master, error)
	// LedgerNames lists every ledger of the company with its group, in one
	// request, without balances (for finding a near-twin name, parties.go).
	LedgerNames(ctx context.Context, company string) ([]Master, error)
	// Ledgers reads the named ledgers in one request and returns those that
	// exist, keyed by the name asked for; missing names are simply absent.
	Ledgers(ctx context.Context, company string, names []string) (map[string]Party, error)
	// Receivables reads the outstanding bills of the Bills Receivable report
	// as of a date.
	Receivables(ctx context.Context, company string, asOf time.Time) ([]Bill, error)
	// TrialBalance reads the trial balance as of a date, group-wise or
	// ledger-wise.
	TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) ([]TrialBalanceRow, error)
	// CreateParty creates a ledger. It must not alter an existing one: Tally
	// turns a Create on an existing master into a silent Alter, so the
	// outcome says which happened.
	CreateParty(ctx context.Context, company string, p NewParty) (ImportOutcome, error)
	// PostVoucher creates (or, with a known RemoteID, replaces) a voucher.
	PostVoucher(ctx context.Context, company string, v Voucher) (ImportOutcome, error)
	// CancelVoucher cancels the voucher with v.RemoteID, as cancelling it
	// in Tally does: it stays, marked cancelled, without its entries. A
	// voucher Tally does not have is Upstream. Some builds answer a cancel
	// by creating a duplicate instead (tally-protocol.md §9.4): only a
	// read-back tells.
	CancelVoucher(ctx context.Context, company string, v VoucherRef) (ImportOutcome, error)
	// StockItems lists the company's stock items with their closing
	// quantities, in one request. A company that is not loaded has none.
	StockItems(ctx context.Context, company string) ([]StockItem, error)
	// Vouchers lists the vouchers dated from..to (inclusive), for reading
	// back after a write of unknown fate.
	Vouchers(ctx context.Context, company string, from, to time.Time) ([]VoucherSummary, error)
}

// VoucherRef names a voucher to cancel: its REMOTEID, with its type and
// date, which Tally's cancel request carries.
type VoucherRef struct {
	Type     string
	RemoteID string
	Date     time.Time
}

// Master is a group or ledger by name and parent group. Parent is "" for a
// primary group.
type Master struct {
	Name   string
	Parent string
}

// VoucherSummary is a voucher as read back from Tally.
type VoucherSummary struct {
	Type      string
	Number    string
	Date      time.Time
	Party     string
	Narration string
	// RemoteID is as Tally shows it; some builds rewrite a client's
	// REMOTEID on read-back (tally-protocol.md §9.4), so match the
	// narration marker too.
	RemoteID string
	GUID     string
	// MasterID is the voucher's id in Tally: what an import's LASTVCHID
	// names.
	MasterID  int
	Cancelled bool
}

// TallyStatus is what the gateway says about itself.
type TallyStatus struct {
	Product string // "TallyPrime" or "Tally.ERP 9"
	URL     string
}

// Company is a company loaded in Tally.
type Company struct {
	Name      string
	GUID      string
	State     string
	Country   string
	BooksFrom time.Time
	StartFrom time.Time
	// The company's own details, as its invoices print them.
	Address []string
	Pincode string
	GSTIN   string
	Phone   string
	Email   string
}

// Party is a ledger, usually a customer under Sundry Debtors.
type Party struct {
	Name    string
	Group   string
	Mobile  Mobile
	Email   string
	State   string
	Country string
	Pincode string
	Address []string
	GSTIN   string
	// GSTRegistrationType is Tally's text: "Regular", "Unregistered/Consumer", …
	GSTRegistrationType string
	BillWise            bool
	CreditPeriod        string // as Tally holds it, e.g. "30 Days"
	// Closing is the closing balance; ClosingKnown is false when Tally sent an
	// empty figure, which is not the same as zero.
	Closing      Balance
	ClosingKnown bool
}

// NewParty is a ledger to create.
type NewParty struct {
	Name                string
	Group               string
	Mobile              string
	Email               string
	State               string
	Country             string
	Pincode             string
	Address             []string
	GSTIN               string
	GSTRegistrationType string
	BillWise            bool
	CreditDays          int
	ApplicableFrom      time.Time // for Tally's dated mailing and GST details
}

// Bill is one outstanding bill.
type Bill struct {
	Party string
	Ref   string
	Date  time.Time
	Due   time.Time // zero when Tally gave no due date
	// Pending is the amount outstanding, signed as Tally signs it (a
	// receivable is a debit).
	Pending Balance
}

// TrialBalanceRow is a group or ledger with its closing debit and credit
// columns as Tally shows them, positive. A group holding debit and credit
// ledgers has both (tally-protocol.md §9.3 (E): Current Liabilities Dr
// 16,560.00 and Cr 1,63,760.00); they are kept, not netted, so the figures
// match the accountant's screen. Net gives the one balance.
type TrialBalanceRow struct {
	Name   string
	Debit  Paise
	Credit Paise
}

// Net is the row's balance, credit column minus debit column, with its side.
func (r TrialBalanceRow) Net() Balance { return NewBalance(r.Credit - r.Debit) }

// Voucher is a voucher to post: an accounting voucher, or with Inventory an
// item invoice (Invoice Voucher View), whose stock lines' amounts count with
// the entries: the entries and the stock lines together sum to zero.
type Voucher struct {
	Type      string // "Sales", "Receipt", …
	RemoteID  string // deterministic, so a resend replaces instead of duplicating
	Date      time.Time
	Number    string
	Reference string
	Party     string
	Narration string
	Entries   []Entry
	Inventory []InventoryLine
}

// Entry is one ledger line. Amount follows Tally's convention: a debit is
// negative, a credit positive; the entries of a voucher sum to zero.
type Entry struct {
	Ledger  string
	Amount  Paise
	IsParty bool
	Bills   []BillRef
}

// BillRef is a bill allocation on an entry.
type BillRef struct {
	Name       string
	Type       string // "New Ref", "Agst Ref", "On Account", "Advance"
	CreditDays int    // New Ref only: due this many days after the voucher date
	Amount     Paise  // same sign as the entry
}

// ImportOutcome is what Tally reported for an import, every counter kept,
// with the text of the exchange for the audit log (bounded by MaxAuditBody;
// Truncated says a body was cut).
type ImportOutcome struct {
	Created, Altered, Deleted, Cancelled  int
	Combined, Ignored, Errors, Exceptions int
	LastVoucherID                         int
	LineErrors                            []string
	Request, Response                     []byte
	Truncated                             bool
}
