package tallyxml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

// This is the mapping file: the only file of package tallyxml that imports
// package service (style-anchors.md §9.2). The codec files stay free of
// project imports so they can be fuzzed and golden-tested alone; everything
// that knows both Tally's XML and the domain types lives here.

// Gateway implements service.Gateway over a Client. Each method sends one
// request unless its doc comment says otherwise, and every error it returns is
// a *service.Error (or context.Canceled when the caller went away) made by
// translate.
type Gateway struct{ c *Client }

// NewGateway returns a Gateway over c. Share one per Tally instance, as the
// Client is shared: the gateway answers one request at a time.
func NewGateway(c *Client) *Gateway { return &Gateway{c: c} }

var _ service.Gateway = (*Gateway)(nil)

// defaultPartyGroup is where CreateParty puts a party when no group is given:
// parties the façade creates are customers.
const defaultPartyGroup = "Sundry Debtors"

// GST registration types CreateParty defaults to. "Unregistered/Consumer" is
// TallyPrime 3+'s combined value, which replaced ERP 9's separate
// Unregistered and Consumer (TallyConnector #27/#28, tally-protocol.md §1.3);
// a caller talking to an older Tally passes its own type.
const (
	gstRegular      = "Regular"
	gstUnregistered = "Unregistered/Consumer"
)

// Names of the inline TDL collections and formula. They must not collide with
// Tally's built-in collections: a custom collection called "List of
// Companies" silently gets the built-in's field set, FETCH ignored
// (ArcAstraOneAru envelopes.py, tally-protocol.md §5).
const (
	collCompanies  = "TallyFacade Companies"
	collParties    = "TallyFacade Parties"
	collLedgers    = "TallyFacade Ledgers"
	collGroups     = "TallyFacade Groups"
	collNames      = "TallyFacade Ledger Names"
	collItems      = "TallyFacade Stock Items"
	formulaLedgers = "TallyFacadeLedgerNames"
)

// partyFetch is the field list of every party read. These are Tally's method
// names; the decoder reads the tags they export (LEDGERMOBILE, LEDSTATENAME,
// PARTYGSTIN, …). TallyPrime 3+ keeps address, state, pincode and GST details
// in the dated lists LEDMAILINGDETAILS.LIST and LEDGSTREGDETAILS.LIST, and
// WhatsApp numbers in CONTACTDETAILS.LIST, so those are fetched as well; the
// decoder falls back to them when the flat fields are empty (decode.go).
// ClosingBalance without SVTODATE is the balance at the end of Tally's current
// period (the simulator: lifetime), which is what "how much does he owe" needs.
// It is never modified; requests get a copy.
var partyFetch = []string{
	"Name", "Parent", "LedgerMobile", "Email", "LedStateName", "CountryName", "Pincode", "Address",
	"PartyGSTIN", "GSTRegistrationType", "IsBillWiseOn", "BillCreditPeriod", "ClosingBalance",
	"LedMailingDetails", "LedGSTRegDetails", "ContactDetails",
}

// Status asks the gateway whether it runs (any GET answers "TallyPrime Server
// is Running", tally-protocol.md §9.1.1). The URL is returned without user
// information, because a tunnel URL may carry credentials and the status is
// shown to clients.
func (g *Gateway) Status(ctx context.Context) (service.TallyStatus, error) {
	p, err := g.c.Status(ctx)
	if err != nil {
		return service.TallyStatus{}, translate("status", err)
	}
	return service.TallyStatus{Product: p.String(), URL: redactedURL(g.c.URL())}, nil
}

// Companies reads an inline TDL collection of TYPE Company. The built-in
// "List of Companies" would do, but on real Tally it answers only NAME, GUID
// and STARTINGFROM whatever is fetched (ArcAstraOneAru's live capture), and
// BooksFrom, StateName and CountryName are wanted. The Company collection
// ignores SVCURRENTCOMPANY and lists every loaded company (§9.5), so none is
// sent.
func (g *Gateway) Companies(ctx context.Context) ([]service.Company, error) {
	coll := NewCollection(collCompanies, "Company")
	coll.Fetch = []string{"Name", "GUID", "StateName", "CountryName", "BooksFrom", "StartingFrom",
		"Address", "PinCode", "GSTRegistrationNumber", "PhoneNumber", "Email"}
	var out []service.Company
	err := g.c.Do(ctx, ExportCollectionTDL(coll, Vars{}), func(r io.Reader) error {
		for c, err := range Companies(r) {
			if err != nil {
				return err
			}
			out = append(out, service.Company{
				Name: c.Name, GUID: c.GUID, State: c.StateName, Country: c.CountryName,
				BooksFrom: timeFromDate(c.BooksFrom), StartFrom: timeFromDate(c.StartingFrom),
				Address: c.Addresses, Pincode: c.PinCode, GSTIN: c.GSTRegistrationNumber, Phone: c.PhoneNumber, Email: c.Email,
			})
		}
		return nil
	})
	if err != nil {
		return nil, translate("list companies", err)
	}
	return out, nil
}

// Parties reads an inline TDL collection of TYPE Ledger with CHILDOF group and
// BELONGSTO Yes, so ledgers of sub-groups ("Pune Debtors" under Sundry
// Debtors) are included (§7(a), the ArcAstraOneAru debtor-ledgers request).
//
// A company that is not loaded is not an error here: real Tally answers a
// collection read for it with zero rows and STATUS 1 (§9.5, LIVE), so the
// result is an empty list, exactly as for a group without ledgers. Callers
// that must tell the two apart check Companies first.
func (g *Gateway) Parties(ctx context.Context, company, group string) ([]service.Party, error) {
	coll := NewCollection(collParties, "Ledger")
	coll.ChildOf, coll.BelongsTo = group, Yes
	coll.Fetch = slices.Clone(partyFetch)
	ledgers, err := g.readLedgers(ctx, ExportCollectionTDL(coll, Vars{Company: company}))
	if err != nil {
		return nil, translate("list parties", err)
	}
	out := make([]service.Party, 0, len(ledgers))
	for _, l := range ledgers {
		out = append(out, partyFromLedger(l))
	}
	return out, nil
}

// Groups reads an inline TDL collection of TYPE Group with each group's name
// and parent: one request for the whole tree. Tally writes a primary
// group's parent as "&#4; Primary", which the decoder reads as "Primary";
// it is returned as "". A company that is not loaded reads as no groups
// (§9.5).
func (g *Gateway) Groups(ctx context.Context, company string) ([]service.Master, error) {
	coll := NewCollection(collGroups, "Group")
	coll.Fetch = []string{"Name", "Parent"}
	var out []service.Master
	err := g.c.Do(ctx, ExportCollectionTDL(coll, Vars{Company: company}), func(r io.Reader) error {
		for gr, err := range Groups(r) {
			if err != nil {
				return err
			}
			out = append(out, service.Master{Name: gr.Name, Parent: groupParent(gr.Parent)})
		}
		return nil
	})
	if err != nil {
		return nil, translate("list groups", err)
	}
	return out, nil
}

// groupParent is a group's parent, "" for a primary group (Tally writes
// "&#4; Primary").
func groupParent(parent string) string {
	if strings.EqualFold(strings.TrimLeft(parent, "\x04 "), "Primary") {
		return ""
	}
	return parent
}

// LedgerNames reads an inline TDL collection of TYPE Ledger with only each
// ledger's name and parent (no balances, which Tally computes per ledger):
// one request. A company that is not loaded reads as no ledgers (§9.5).
func (g *Gateway) LedgerNames(ctx context.Context, company string) ([]service.Master, error) {
	coll := NewCollection(collNames, "Ledger")
	coll.Fetch = []string{"Name", "Parent"}
	ledgers, err := g.readLedgers(ctx, ExportCollectionTDL(coll, Vars{Company: company}))
	if err != nil {
		return nil, translate("list ledger names", err)
	}
	out := make([]service.Master, len(ledgers))
	for i, l := range ledgers {
		out[i] = service.Master{Name: l.Name, Parent: l.Parent}
	}
	return out, nil
}

// Party reads one ledger with an Object export (TYPE Object, SUBTYPE Ledger,
// ID TYPE="Name", FETCHLIST; §7(b)), in exactly one request. An object export
// finds the ledger by name the way Tally does, and needs no TDL string
// literal, so names with a double quote work too.
//
// Tally answers a missing object with a bare `<ERRORMSG>Could not find …!</ERRORMSG>`
// (§9.3 (B), LIVE; the simulator answers so too), which Client.Do reads as
// ErrNoObject. An envelope with empty DATA and a ledger without a name are
// read as missing too. All are NotFound with code "party_not_found"; any
// other ERRORMSG stays an error.
func (g *Gateway) Party(ctx context.Context, company, name string) (service.Party, error) {
	l, found, err := g.ledgerByName(ctx, company, name)
	if err != nil {
		return service.Party{}, translate("read party", err)
	}
	if !found {
		return service.Party{}, &service.Error{Kind: service.NotFound, Code: "party_not_found",
			Message: fmt.Sprintf("party %q does not exist in company %q", name, company)}
	}
	return partyFromLedger(l), nil
}

// ledgerByName runs the object export of Party. found is false, with a nil
// error, for each of the "missing" shapes described there; a blank name is
// missing without a request (Tally has no unnamed ledgers).
func (g *Gateway) ledgerByName(ctx context.Context, company, name string) (l Ledger, found bool, err error) {
	if strings.TrimSpace(name) == "" {
		return Ledger{}, false, nil
	}
	req := ExportObject("Ledger", name, slices.Clone(partyFetch), Vars{Company: company})
	err = g.c.Do(ctx, req, func(r io.Reader) error {
		var err error
		l, err = LedgerObject(r)
		return err
	})
	switch {
	case err == nil:
		return l, l.Name != "", nil
	case errors.Is(err, ErrNoObject):
		return Ledger{}, false, nil
	}
	return Ledger{}, false, err
}

// Ledgers reads the named ledgers with one inline TDL collection of TYPE
// Ledger filtered by `$Name = "A" OR $Name = "B" …`, and keys each ledger
// found by every name asked that matches it.
//
// Matching follows Tally (§9.4): ASCII case folded and one trailing space
// ignored. TDL's "=" compares strings ignoring case, as $$IsEqual does
// (tally-mcp-server's exact-name filter, §3.2); for a name asked with a
// trailing space both the name and the name without it are put in the
// filter, since whether a formula ignores the space is unverified.
//
// A name that cannot be written as a TDL string literal (it holds `"`, which
// TDLString refuses, or a control character) is looked up with an Object
// export instead: one extra request per such name (names asked twice, or
// differing only in ASCII case, share one). A name that XML cannot
// carry at all cannot name a Tally ledger and is simply absent, as is a
// blank one.
//
// As with Parties, a company that is not loaded reads as "no ledger exists"
// (collection reads answer zero rows for it, §9.5).
func (g *Gateway) Ledgers(ctx context.Context, company string, names []string) (map[string]service.Party, error) {
	out := map[string]service.Party{}
	viaTDL := map[string][]string{}    // name key → the names asked with it, found by the collection
	viaObject := map[string][]string{} // name key → the names asked with it, found by object export
	var literals, objectKeys []string
	seenLit := map[string]bool{}
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			continue
		}
		variants := []string{name}
		if trimmed, ok := strings.CutSuffix(name, " "); ok {
			variants = append(variants, trimmed)
		}
		var lits []string
		for _, v := range variants {
			lit, err := TDLString(v)
			if err != nil {
				lits = nil
				break
			}
			lits = append(lits, lit)
		}
		k := nameKey(name)
		if lits == nil {
			if _, ok := viaObject[k]; !ok {
				objectKeys = append(objectKeys, k)
			}
			if !slices.Contains(viaObject[k], name) {
				viaObject[k] = append(viaObject[k], name)
			}
			continue
		}
		if !slices.Contains(viaTDL[k], name) {
			viaTDL[k] = append(viaTDL[k], name)
		}
		for _, lit := range lits {
			if !seenLit[lit] {
				seenLit[lit] = true
				literals = append(literals, lit)
			}
		}
	}

	if len(literals) > 0 {
		terms := make([]string, len(literals))
		for i, lit := range literals {
			terms[i] = "$Name = " + lit
		}
		coll := NewCollection(collLedgers, "Ledger")
		coll.Fetch = slices.Clone(partyFetch)
		coll.Filters = []string{formulaLedgers}
		req := ExportCollectionTDL(coll, Vars{Company: company},
			Formula{Name: formulaLedgers, Expr: strings.Join(terms, " OR ")})
		ledgers, err := g.readLedgers(ctx, req)
		if err != nil {
			return nil, translate("read ledgers", err)
		}
		for _, l := range ledgers {
			for _, asked := range viaTDL[nameKey(l.Name)] {
				out[asked] = partyFromLedger(l)
			}
		}
	}

	for _, k := range objectKeys {
		asked := viaObject[k]
		l, found, err := g.ledgerByName(ctx, company, asked[0])
		if errors.Is(err, ErrInvalidXMLChar) {
			continue // cannot be sent, so cannot exist in Tally
		}
		if err != nil {
			return nil, translate("read ledger", err)
		}
		if found {
			for _, name := range asked {
				out[name] = partyFromLedger(l)
			}
		}
	}
	return out, nil
}

// nameKey is Tally's name identity (§9.4): ASCII letters folded to lower
// case (Tally does not fold other scripts), one trailing space dropped.
func nameKey(s string) string {
	s = strings.TrimSuffix(s, " ")
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// readLedgers runs a collection export and gathers its ledgers.
// collVouchers names the inline voucher collection; like collParties it must
// not collide with a built-in collection.
const collVouchers = "TallyFacade Vouchers"

// Vouchers reads the vouchers of a date range with an inline Voucher
// collection filtered on the period: SVFROMDATE/SVTODATE alone select the
// period, not collection membership (tally-protocol.md §9.6), so the filter
// is what bounds the rows. One request.
func (g *Gateway) Vouchers(ctx context.Context, company string, from, to time.Time) ([]service.VoucherSummary, error) {
	coll := NewCollection(collVouchers, "Voucher")
	coll.Fetch = []string{"Date", "VoucherTypeName", "VoucherNumber", "PartyLedgerName", "Narration", "GUID", "MasterID", "IsCancelled"}
	coll.Filters = []string{"TallyFacadePeriod"}
	req := ExportCollectionTDL(coll, Vars{Company: company, From: dateFromTime(from), To: dateFromTime(to)},
		Formula{Name: "TallyFacadePeriod", Expr: PeriodFilter})
	var out []service.VoucherSummary
	err := g.c.Do(ctx, req, func(r io.Reader) error {
		for v, err := range Vouchers(r) {
			if err != nil {
				return err
			}
			out = append(out, service.VoucherSummary{Type: v.VoucherTypeName, Number: v.VoucherNumber,
				Date: timeFromDate(v.Date), Party: v.PartyLedgerName, Narration: v.Narration,
				RemoteID: v.RemoteID, GUID: v.GUID, MasterID: int(v.MasterID), Cancelled: bool(v.IsCancelled)})
		}
		return nil
	})
	if err != nil {
		return nil, translate("list vouchers", err)
	}
	return out, nil
}

func (g *Gateway) readLedgers(ctx context.Context, req *Request) ([]Ledger, error) {
	var out []Ledger
	err := g.c.Do(ctx, req, func(r io.Reader) error {
		for l, err := range Ledgers(r) {
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// partyFromLedger maps a decoded ledger. An empty CLOSINGBALANCE stays "unknown",
// never zero: Tally renders it empty at some SVTODATE values (§7(b)).
func partyFromLedger(l Ledger) service.Party {
	return service.Party{
		Name:                l.Name,
		Group:               l.Parent,
		Mobile:              service.NormalizeMobile(l.Mobile),
		Email:               l.Email,
		State:               l.State,
		Country:             l.Country,
		Pincode:             l.PinCode,
		Address:             l.Addresses,
		GSTIN:               l.PartyGSTIN,
		GSTRegistrationType: l.GSTRegistrationType,
		BillWise:            bool(l.IsBillWiseOn),
		CreditPeriod:        l.BillCreditPeriod,
		Closing:             service.NewBalance(service.Paise(l.ClosingBalance.Paise())),
		ClosingKnown:        l.ClosingBalance.IsSet(),
	}
}

// Receivables reads the built-in Bills Receivable report with SVTODATE asOf
// (SVFROMDATE is irrelevant to it, §9.3 (D), and is not sent; a zero asOf
// sends no date, so Tally uses its current period).
//
// It uses the legacy "Export Data" envelope: ArcAstraOneAru found, live, that
// the version-1 TYPE Data form answered an empty <ENVELOPE></ENVELOPE> where
// the legacy form returned the bills (§5, §7(c)2), and an empty answer would
// read as "nobody owes anything". The report scopes by balance sign, not by
// group, so a supplier advance shows up as a receivable (§9.3 (D)); those
// rows are returned as Tally lists them.
func (g *Gateway) Receivables(ctx context.Context, company string, asOf time.Time) ([]service.Bill, error) {
	req := ExportReport("Bills Receivable", Vars{Company: company, To: dateFromTime(asOf)})
	req.Form = FormLegacy
	var out []service.Bill
	err := g.c.Do(ctx, req, func(r io.Reader) error {
		for b, err := range Bills(r) {
			if err != nil {
				return err
			}
			out = append(out, service.Bill{
				Party: b.Party, Ref: b.Ref, Date: timeFromDate(b.Date), Due: timeFromDate(b.Due),
				Pending: service.NewBalance(service.Paise(b.Closing.Paise())),
			})
		}
		return nil
	})
	if err != nil {
		return nil, translate("read receivables", err)
	}
	return out, nil
}

// TrialBalance reads the built-in Trial Balance report (version-1 TYPE Data,
// the form of the accepted request-trial-balance-report-01.xml) with
// SVTODATE asOf and EXPLODEFLAG Yes for ledger-wise rows, No for group rows
// (sent explicitly, so a detailed view saved in Tally's F12 configuration
// does not change the answer).
//
// SVFROMDATE is 1 April of the Indian financial year (April to March) that
// contains asOf: a trial balance is a closing position, and the period start
// only decides where income and expenses begin accumulating, which in Tally
// is the start of the year. A zero asOf sends neither date.
//
// Rows carry positive paise: Tally writes the debit column negative
// (DSPCLDRAMTA) and the credit column positive. Both columns are kept as Tally
// gives them: a group row can fill both (§9.3 (E), LIVE), and netting them
// would change what the accountant sees.
//
// Unverified: whether real Tally's exploded XML lists ledgers only or ledgers
// nested under their groups (§9.3 (E) says only "rows are groups unless
// exploded"); the simulator lists ledgers only.
func (g *Gateway) TrialBalance(ctx context.Context, company string, asOf time.Time, ledgerWise bool) ([]service.TrialBalanceRow, error) {
	vars := Vars{Company: company, Explode: ToggleOf(ledgerWise)}
	if to := dateFromTime(asOf); !to.IsZero() {
		vars.From, vars.To = fyStartOf(to), to
	}
	var out []service.TrialBalanceRow
	err := g.c.Do(ctx, ExportReport("Trial Balance", vars), func(r io.Reader) error {
		for row, err := range TrialBalance(r) {
			if err != nil {
				return err
			}
			tb := service.TrialBalanceRow{Name: row.Name,
				Debit: service.Paise(-row.Debit.Paise()), Credit: service.Paise(row.Credit.Paise())}
			if row.Name == "" && tb.Debit == 0 && tb.Credit == 0 {
				continue
			}
			out = append(out, tb)
		}
		return nil
	})
	if err != nil {
		return nil, translate("read trial balance", err)
	}
	return out, nil
}

// BalanceSheet reads the built-in Balance Sheet report (version-1 TYPE
// Data) as of asOf, with SVFROMDATE the start of its financial year as for
// the trial balance. Rows come as Tally lists them, BSNAME/BSAMT pairs
// (balance-sheet-report-export-01.xml, REAL-WIRE): liabilities, the Profit &
// Loss A/c, assets; each amount in Tally's sign, an empty cell unset.
func (g *Gateway) BalanceSheet(ctx context.Context, company string, asOf time.Time) ([]service.ReportRow, error) {
	vars := Vars{Company: company}
	if to := dateFromTime(asOf); !to.IsZero() {
		vars.From, vars.To = fyStartOf(to), to
	}
	return g.report(ctx, "Balance Sheet", vars, BalanceSheet)
}

// ProfitAndLoss reads the built-in Profit & Loss report (version-1 TYPE
// Data) for from..to: DSPACCNAME/PLAMT pairs
// (profit-and-loss-report-export-01.xml, REAL-WIRE), starting with the Cost
// of Sales block, each amount in Tally's sign, an empty cell unset.
func (g *Gateway) ProfitAndLoss(ctx context.Context, company string, from, to time.Time) ([]service.ReportRow, error) {
	return g.report(ctx, "Profit & Loss", Vars{Company: company, From: dateFromTime(from), To: dateFromTime(to)}, ProfitAndLoss)
}

func (g *Gateway) report(ctx context.Context, id string, vars Vars, decode func(io.Reader) iter.Seq2[ReportRow, error]) ([]service.ReportRow, error) {
	out := []service.ReportRow{}
	err := g.c.Do(ctx, ExportReport(id, vars), func(r io.Reader) error {
		for row, err := range decode(r) {
			if err != nil {
				return err
			}
			out = append(out, service.ReportRow{Name: row.Name,
				Sub: service.Paise(row.Sub.Paise()), SubSet: row.Sub.IsSet(),
				Main: service.Paise(row.Main.Paise()), MainSet: row.Main.IsSet()})
		}
		return nil
	})
	if err != nil {
		return nil, translate("read "+strings.ToLower(id), err)
	}
	return out, nil
}

// fyStartOf returns 1 April of the financial year containing d.
func fyStartOf(d Date) Date {
	t := d.Time()
	y := t.Year()
	if t.Month() < time.April {
		y--
	}
	return NewDate(y, time.April, 1)
}

// CreateParty imports a LedgerMaster with ACTION Create and wants CREATED to
// move. Tally turns a Create on an existing ledger into a silent Alter
// (CREATED=0 ALTERED=1) that overwrites its parent, bill-wise flag and opening
// balance (§9.4, LIVE); CreateParty then returns the outcome AND a Conflict
// "party_exists", so the service sees both that the party exists and that it
// was touched. The outcome is returned whenever Tally answered.
//
// The group defaults to Sundry Debtors; the GST registration type to Regular
// when a GSTIN is given, else Unregistered/Consumer. ApplicableFrom, when set,
// also sends TallyPrime 3+'s dated mailing and GST lists (LedgerMaster).
//
// The legacy "Import Data" envelope is used, as for every write here: it is
// the form of the imports real Tally is recorded accepting
// (request-import-ledgers-create-01.xml,
// request-import-payment-voucher-accepted-01.xml, tally-mcp-server's
// templates), and the simulator answers it the same way.
func (g *Gateway) CreateParty(ctx context.Context, company string, p service.NewParty) (service.ImportOutcome, error) {
	req := ImportMasters(Vars{Company: company}, partyMaster(p))
	req.Form = FormLegacy
	res, ex, err := g.c.ImportAudited(ctx, req, CounterCreated, service.MaxAuditBody)
	out := outcomeFromResult(res, ex)
	if err == nil {
		return out, nil
	}
	if ie, ok := errors.AsType[*ImportError](err); ok && ie.Result.SilentAlter() &&
		ie.Result.Errors == 0 && ie.Result.Exceptions == 0 && len(ie.Result.LineErrors) == 0 {
		return out, &service.Error{Kind: service.Conflict, Code: "party_exists",
			Message: fmt.Sprintf("party %q already exists in company %q; Tally altered it instead of creating a new one", p.Name, company),
			Hint:    "Tally turns a Create on an existing ledger into an Alter that overwrites its group, bill-wise setting and opening balance; check the ledger in Tally.",
			Err:     fmt.Errorf("create party: %w", err)}
	}
	return out, translate("create party", err)
}

// CreateParties creates several party ledgers in one masters import: real
// Tally's cost is mostly per request (tally-protocol.md §12), so a batch of
// orders from new customers creates its parties in one request, not one
// each. Tally commits each ledger it accepts; the outcome is the request's,
// and anything but CREATED for every ledger is an error, so the caller
// reads back which ledgers exist (a Create on an existing ledger is a
// silent Alter, §9.4: it counts ALTERED, not CREATED).
func (g *Gateway) CreateParties(ctx context.Context, company string, ps []service.NewParty) (service.ImportOutcome, error) {
	lms := make([]ImportObject, len(ps))
	for i, p := range ps {
		lms[i] = partyMaster(p)
	}
	req := ImportMasters(Vars{Company: company}, lms...)
	req.Form = FormLegacy
	res, ex, err := g.c.ImportAudited(ctx, req, CounterCreated, service.MaxAuditBody)
	out := outcomeFromResult(res, ex)
	if err == nil && res.Created < len(ps) {
		err = &ImportError{Result: res, Want: CounterCreated}
	}
	if err != nil {
		return out, translate("create parties", err)
	}
	return out, nil
}

// partyMaster is a new party as the masters import writes it: under
// Sundry Debtors unless it names its group, GST registration from its
// GSTIN, bill-wise and credit period as given.
func partyMaster(p service.NewParty) LedgerMaster {
	group := p.Group
	if strings.TrimSpace(group) == "" {
		group = defaultPartyGroup
	}
	regType := p.GSTRegistrationType
	if regType == "" {
		regType = gstUnregistered
		if p.GSTIN != "" {
			regType = gstRegular
		}
	}
	lm := LedgerMaster{
		Action: ActionCreate, Name: p.Name, Parent: group,
		Mobile: p.Mobile, Email: p.Email, StateName: p.State, CountryName: p.Country,
		Pincode: p.Pincode, Address: p.Address,
		PartyGSTIN: p.GSTIN, GSTRegistrationType: regType,
		IsBillWiseOn:   ToggleOf(p.BillWise),
		ApplicableFrom: dateFromTime(p.ApplicableFrom),
	}
	if p.CreditDays != 0 {
		lm.BillCreditPeriod = CreditDays(p.CreditDays) // a negative count is refused by Validate
	}
	return lm
}

// PostVoucher imports a VoucherImport with ACTION Create and the caller's
// REMOTEID, wanting CREATED or ALTERED to move: a resend with the same
// REMOTEID is Tally's upsert and answers ALTERED=1 (§9.4). Entries follow
// Tally's sign convention (negative Amount is a debit), the voucher is sent in
// Accounting Voucher View with ALLLEDGERENTRIES.LIST (the accepted samples),
// and each bill reference becomes a BILLALLOCATIONS.LIST of its own amount,
// with "N Days" credit for a New Ref. The outcome, with LASTVCHID as
// LastVoucherID, is returned whenever Tally answered.
func (g *Gateway) PostVoucher(ctx context.Context, company string, v service.Voucher) (service.ImportOutcome, error) {
	return g.PostVouchers(ctx, company, []service.Voucher{v})
}

// PostVouchers creates (or, with a known RemoteID, replaces) vouchers in one
// import request, each keeping its own REMOTEID. Tally commits each voucher
// it accepts and counts the others as exceptions, with LINEERRORs that do
// not say which voucher they belong to (tally-protocol.md §9.4); so the
// outcome is the request's, and the error is an import error whenever one
// voucher was refused: which ones landed is found by reading back by
// REMOTEID (the service does, with its narration marker).
func (g *Gateway) PostVouchers(ctx context.Context, company string, vs []service.Voucher) (service.ImportOutcome, error) {
	vis := make([]VoucherImport, len(vs))
	for i, v := range vs {
		vis[i] = voucherImport(v)
	}
	req := ImportVouchers(Vars{Company: company}, vis...)
	req.Form = FormLegacy
	res, ex, err := g.c.ImportAudited(ctx, req, CounterCreatedOrAltered, service.MaxAuditBody)
	out := outcomeFromResult(res, ex)
	if err == nil && res.Created+res.Altered < len(vs) {
		// Fewer committed than sent, and nothing said why: not a success.
		err = &ImportError{Result: res, Want: CounterCreatedOrAltered}
	}
	if err != nil {
		return out, translate("post voucher", err)
	}
	return out, nil
}

// itemFetch is the field list of a stock item read: Tally's method names,
// whose tags the decoder reads (stockitem.go). ClosingBalance is the closing
// quantity in the base unit; GSTDetails carries the HSN and the rate per
// duty head, StandardPriceList the selling price.
var itemFetch = []string{"Name", "Parent", "BaseUnits", "ClosingBalance", "GSTDetails", "HSNDetails", "StandardPriceList"}

// StockItems reads every stock item of the company with one inline TDL
// collection of TYPE StockItem. A company that is not loaded reads as "no
// stock items" (a collection read answers zero rows for it, §9.5).
func (g *Gateway) StockItems(ctx context.Context, company string) ([]service.StockItem, error) {
	coll := NewCollection(collItems, "StockItem")
	coll.Fetch = slices.Clone(itemFetch)
	req := ExportCollectionTDL(coll, Vars{Company: company})
	var out []service.StockItem
	err := g.c.Do(ctx, req, func(r io.Reader) error {
		for it, err := range StockItems(r) {
			if err != nil {
				return err
			}
			out = append(out, stockItemOf(it))
		}
		return nil
	})
	if err != nil {
		return nil, translate("read stock items", err)
	}
	return out, nil
}

// stockItemOf maps a decoded stock item. A standard rate below the paisa
// (Tally keeps rates to more decimals than money) is rounded half-up to the
// paisa, the precision an order line's rate has.
func stockItemOf(it StockItem) service.StockItem {
	out := service.StockItem{Name: it.Name, Group: sysPrimaryName(it.Parent), Unit: it.BaseUnits, HSN: it.HSNCode,
		GSTRate: it.GSTRate, GSTRateKnown: it.GSTRateSet}
	if it.StandardPrice.IsSet() {
		p := it.StandardPrice.Value.Shift(2).Round(0)
		if p.Exponent() <= 2 && p.BigInt().IsInt64() {
			out.StandardRate, out.StandardRateKnown = service.Paise(p.IntPart()), true
		}
	}
	if it.ClosingBalance.IsSet() {
		out.Closing, out.ClosingKnown = it.ClosingBalance.Value, true
		if out.Unit == "" {
			out.Unit = it.ClosingBalance.Unit
		}
	}
	return out
}

// sysPrimaryName is a parent as the service keeps it: "" for Tally's
// "Primary" (written "&#4; Primary", which the reader turns into "Primary").
func sysPrimaryName(parent string) string {
	if strings.EqualFold(strings.TrimSpace(parent), "Primary") {
		return ""
	}
	return parent
}

// voucherImport is a service voucher as the import envelope writes it: an
// accounting voucher, or with stock lines an item invoice in Invoice Voucher
// View (ISINVOICE Yes, the ledger lines as LEDGERENTRIES.LIST, as Tally's
// own invoices carry them).
func voucherImport(v service.Voucher) VoucherImport {
	vi := VoucherImport{
		RemoteID: v.RemoteID, Action: ActionCreate, VoucherType: v.Type, View: ViewAccounting,
		Date: dateFromTime(v.Date), EffectiveDate: dateFromTime(v.Date),
		Number: v.Number, Reference: v.Reference, PartyLedger: v.Party, Narration: v.Narration,
	}
	if len(v.Inventory) > 0 {
		vi.View, vi.PersistedView, vi.IsInvoice, vi.EntryList = ViewInvoice, ViewInvoice, Yes, LedgerEntries
	}
	for _, il := range v.Inventory {
		ie := InventoryEntry{StockItem: il.Item, Quantity: NewQuantity(il.Quantity, il.Unit),
			Rate: NewRate(decimal.New(int64(il.Rate), -2), il.Unit), Amount: Paise(int64(il.Amount))}
		if il.Ledger != "" {
			ie.Allocations = []LedgerEntry{{Ledger: il.Ledger, Amount: ie.Amount}}
		}
		vi.Inventory = append(vi.Inventory, ie)
	}
	for _, e := range v.Entries {
		var le LedgerEntry
		if e.Amount < 0 {
			le = Debit(e.Ledger, int64(e.Amount))
		} else {
			le = Credit(e.Ledger, int64(e.Amount))
		}
		le.IsParty = e.IsParty
		if e.IsParty && vi.PartyLedger == "" {
			vi.PartyLedger = e.Ledger
		}
		for _, b := range e.Bills {
			ba := BillAllocation{Name: b.Name, Type: BillType(b.Type), Amount: Paise(int64(b.Amount))}
			if b.Amount == 0 && len(e.Bills) == 1 {
				ba.Amount = le.Amount // one bill with no amount takes the whole line
			}
			if ba.Type == BillNewRef && b.CreditDays != 0 {
				ba.CreditPeriod = CreditDays(b.CreditDays)
			}
			le.Bills = append(le.Bills, ba)
		}
		vi.Entries = append(vi.Entries, le)
	}
	return vi
}

// CancelVoucher cancels a voucher by REMOTEID with ACTION Cancel, which
// licensed TallyPrime 7.1 answers ALTERED=1, CANCELLED=0 (hence
// CounterCancelled accepts either, §9.4); the caller reads back to prove it.
func (g *Gateway) CancelVoucher(ctx context.Context, company string, v service.VoucherRef) (service.ImportOutcome, error) {
	req := ImportVouchers(Vars{Company: company}, VoucherImport{RemoteID: v.RemoteID, Action: ActionCancel,
		VoucherType: v.Type, Date: dateFromTime(v.Date)})
	req.Form = FormLegacy
	res, ex, err := g.c.ImportAudited(ctx, req, CounterCancelled, service.MaxAuditBody)
	out := outcomeFromResult(res, ex)
	if err != nil {
		return out, translate("cancel voucher", err)
	}
	return out, nil
}

// outcomeFromResult keeps every counter of an import result, and the text of
// the exchange for the audit log.
func outcomeFromResult(r ImportResult, ex Exchange) service.ImportOutcome {
	return service.ImportOutcome{
		Created: r.Created, Altered: r.Altered, Deleted: r.Deleted, Cancelled: r.Cancelled,
		Combined: r.Combined, Ignored: r.Ignored, Errors: r.Errors, Exceptions: r.Exceptions,
		LastVoucherID: r.LastVchID,
		LineErrors:    append([]string(nil), r.LineErrors...),
		Request:       ex.Request, Response: ex.Response, Truncated: ex.Truncated,
	}
}

// dateOf is the calendar date of t (service dates are midnight UTC), with the
// zero time as the empty Date rather than 1 January of year 1.
func dateFromTime(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	return DateOf(t)
}

// timeOf is the inverse of dateOf: an empty Date is the zero time.
func timeFromDate(d Date) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Time()
}

// redactedURL drops user information from a gateway URL.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User = nil
	return u.String()
}

// Client-facing messages of translate. They never include the gateway URL or
// Go error text; the cause stays in service.Error.Err for logs.
const (
	msgUnreachable    = "Tally's gateway is not reachable."
	msgTimeout        = "Tally did not answer in time."
	msgOutcomeUnknown = "The connection to Tally failed after the write was sent; Tally may or may not have applied it."
	msgBusy           = "Tally is busy with another request."
	msgReset          = "The connection to Tally broke while it was answering."
	msgBadAnswer      = "The gateway's answer was not a Tally answer."
	msgEmptyBody      = "Tally returned an empty answer, which it does when no company is open."
	msgUnknownRequest = "Tally could not process the request (Unknown Request, cannot be processed)."
	msgInternal       = "Internal error while talking to Tally."
	msgReadOnly       = "The agent that connects this service to Tally is read-only and refuses imports."

	hintOutcomeUnknown = "Read it back (a voucher by its REMOTEID, a ledger by name) before sending it again: Tally keeps working after a client gives up, so a blind resend can duplicate it. "
)

// translate turns an error of this package into a *service.Error with a
// stable Code, a Message safe for clients and tallyxml's hint, keeping the
// cause (wrapped with op) in Err for logs. context.Canceled is returned as
// is: the caller went away, and there is nobody to tell.
//
// Codes:
//
//	refused, unreachable                      Unavailable tally_unreachable
//	timeout (read, or a write not ambiguous)  Unavailable tally_timeout
//	timeout/reset after a write was sent      Unavailable tally_outcome_unknown
//	busy (the single-flight queue wait)       Unavailable tally_busy
//	reset (read)                              Unavailable tally_connection_reset
//	garbage, unexpected HTTP status           Unavailable tally_bad_answer
//	write refused by a read-only agent        Upstream    agent_read_only
//	company not loaded (SVCurrentCompany)     Unavailable company_not_loaded
//	empty body                                Unavailable company_not_loaded
//	rejected import (*ImportError)            Upstream    tally_rejected
//	STATUS 0, ERRORMSG, EXCEPTION             Upstream    tally_error
//	Unknown Request                           Upstream    tally_unknown_request
//	a request Tally could not be sent         Invalid     invalid_for_tally
//	anything else                             Internal    internal
//
// An empty body maps to company_not_loaded because that is when Tally sends
// one: with no company open, a report answers nothing at all
// (tally-database-loader, §9.3 (C), §9.5). It names no company, since none
// was reported back.
//
// The Invalid row covers what Encode and Validate refuse before anything is
// sent (ErrInvalidXMLChar, ErrInvalidObject, ErrUnbalanced, ErrBillAllocation,
// ErrTDLQuote): a name with a control character or an unbalanced voucher can
// never succeed as sent, which is Invalid's definition.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if se, ok := service.AsError(err); ok {
		return se
	}
	cause := fmt.Errorf("%s: %w", op, err)
	mk := func(kind service.Kind, code, msg, hint string) error {
		return &service.Error{Kind: kind, Code: code, Message: msg, Hint: hint, Err: cause}
	}

	if ge, ok := errors.AsType[*GatewayError](err); ok {
		if ge.Ambiguous {
			return mk(service.Unavailable, "tally_outcome_unknown", msgOutcomeUnknown, hintOutcomeUnknown+ge.Hint())
		}
		switch ge.Kind {
		case ErrRefused, ErrUnreachable:
			return mk(service.Unavailable, "tally_unreachable", msgUnreachable, ge.Hint())
		case ErrTimeout:
			return mk(service.Unavailable, "tally_timeout", msgTimeout, ge.Hint())
		case ErrBusy:
			return mk(service.Unavailable, "tally_busy", msgBusy, ge.Hint())
		case ErrReset:
			return mk(service.Unavailable, "tally_connection_reset", msgReset, ge.Hint())
		case ErrGarbage, ErrHTTPStatus:
			return mk(service.Unavailable, "tally_bad_answer", msgBadAnswer, ge.Hint())
		case ErrReadOnly:
			return mk(service.Upstream, "agent_read_only", msgReadOnly, ge.Hint())
		}
		return mk(service.Internal, "internal", msgInternal, "")
	}
	if cn, ok := errors.AsType[*CompanyNotLoadedError](err); ok {
		return mk(service.Unavailable, "company_not_loaded",
			fmt.Sprintf("Company %q is not loaded in Tally.", cn.Company),
			fmt.Sprintf("Load the company %q in Tally (Company → Select), or fix TALLY_COMPANY to its exact name.", cn.Company))
	}
	if ie, ok := errors.AsType[*ImportError](err); ok {
		e := &service.Error{Kind: service.Upstream, Code: "tally_rejected", Message: importRejectionMessage(ie.Result),
			Hint: ie.Hint(), Subject: outcomeFromResult(ie.Result, Exchange{}), Err: cause}
		return e
	}
	if se, ok := errors.AsType[*StatusError](err); ok {
		msg := strings.Join(se.LineErrors, "; ")
		if msg == "" {
			msg = "Tally refused the request (STATUS 0) without a message."
		}
		return mk(service.Upstream, "tally_error", msg, se.Hint())
	}
	if em, ok := errors.AsType[*ErrorMessage](err); ok {
		return mk(service.Upstream, "tally_error", em.Text, "")
	}
	if ex, ok := errors.AsType[*ExceptionError](err); ok {
		return mk(service.Upstream, "tally_error", ex.Text, ex.Hint())
	}
	switch {
	case errors.Is(err, ErrUnknownRequest):
		return mk(service.Upstream, "tally_unknown_request", msgUnknownRequest, Hint(err))
	case errors.Is(err, ErrEmptyBody):
		return mk(service.Unavailable, "company_not_loaded", msgEmptyBody, Hint(err))
	case errors.Is(err, ErrInvalidXMLChar), errors.Is(err, ErrInvalidObject), errors.Is(err, ErrUnbalanced),
		errors.Is(err, ErrBillAllocation), errors.Is(err, ErrTDLQuote), errors.Is(err, ErrVoucherAlter):
		// The text names the caller's own input (a name, an amount) and
		// nothing internal once the package prefix is gone.
		return mk(service.Invalid, "invalid_for_tally", strings.ReplaceAll(err.Error(), "tallyxml: ", ""), "")
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return mk(service.Unavailable, "tally_timeout", msgTimeout, ErrTimeout.hint)
	}
	return mk(service.Internal, "internal", msgInternal, "")
}

// importRejectionMessage is Tally's LINEERROR texts verbatim, or a summary of the
// counters when Tally gave none (EXCEPTIONS=1 can come without a message,
// §9.4).
func importRejectionMessage(r ImportResult) string {
	if len(r.LineErrors) > 0 {
		return strings.Join(r.LineErrors, "; ")
	}
	return fmt.Sprintf("Tally did not accept the import (created %d, altered %d, errors %d, exceptions %d).",
		r.Created, r.Altered, r.Errors, r.Exceptions)
}
