// Package tallysim is a simulator of the TallyPrime XML-over-HTTP gateway,
// for tests, the demo, and anyone who wants to try tallyfacade without Tally.
//
// It is deliberately independent of the codec it tests: requests are parsed
// with encoding/xml into a generic tree and responses are written by this
// package's own small encoder (xmlout.go), so a bug in package tallyxml cannot
// hide itself by being shared. Only the value types of tallyxml (Amount, Date,
// Logical, GroupIndian) are used.
//
// The behaviour follows docs/tally-protocol.md at the repository root (§9 is
// the fact sheet) and the captures in tallyxml/testdata/samples. Where real Tally's
// behaviour is unknown, the simulator makes a documented choice; those choices
// are listed below and at the code that makes them.
//
// # Books
//
// Each Company holds groups (Tally's 28 predefined groups plus user groups,
// each with its nature and gross-profit flag), ledgers and vouchers. Closing
// balances, group totals, outstanding bills and reports are always computed
// from the vouchers, never stored. Names match as TallyPrime 7.1 matched them
// (tally-protocol.md §9.4 "Name matching"): ASCII case folded, leading and
// trailing spaces ignored, runs of spaces as one and a hyphen as a space,
// otherwise exact.
//
// # Transport
//
// Any GET (or an empty POST) answers "<RESPONSE>TallyPrime Server is
// Running</RESPONSE>" ("Tally.ERP 9 Server is Running" with TallyERP9). POST
// carries the work and always gets HTTP 200. The response charset mirrors the
// request: a body sent with "charset=utf-16" is read as UTF-16LE (BOM
// optional) and answered in UTF-16LE without BOM; anything else is answered in
// UTF-8 with every character outside Latin-1 replaced by '?', as the real
// gateway does. A UTF-16 body without the charset, malformed XML and unknown
// request kinds get "<RESPONSE>Unknown Request, cannot be processed</RESPONSE>".
// Requests are processed one at a time, including liveness GETs.
//
// # Requests answered
//
//   - Export Collection: built-in List of Ledgers / List of Groups / List of
//     Accounts / List of Companies, and inline TDL collections of TYPE Ledger,
//     Group, Voucher, Bill and Company with FETCH / NATIVEMETHOD, CHILDOF
//     (+BELONGSTO), FILTERS/FILTER and SYSTEM Formulae. The ID must equal the
//     COLLECTION NAME.
//   - Export Object: SUBTYPE Ledger / Group / Company by name, Voucher by
//     GUID, REMOTEID, MASTERID or "ID: n"; FETCHLIST selects fields (none
//     means all).
//   - Export Data (and legacy Export Data/EXPORTDATA): Bills Receivable, Bills
//     Payable, Trial Balance (EXPLODEFLAG Yes for ledger-wise; a group row
//     holding debit and credit ledgers fills both columns, §9.3 (E)), Balance Sheet,
//     Profit & Loss, Day Book (only the last voucher, like real Tally).
//   - Import (version 1, ID All Masters / Vouchers) and legacy Import Data
//     (REPORTNAME All Masters / Vouchers): LEDGER and GROUP Create / Alter /
//     Delete, VOUCHER Create / Alter / Delete / Cancel.
//   - Execute TDLAction: acknowledged with STATUS 1 and an empty DATA.
//
// # Filter formulae (a simulator limit)
//
// FILTERS are evaluated over this subset: $Method, $Method:Ledger:operand and
// $Method:Group:operand, string and number literals, Yes/No,
// ##SVFromDate / ##SVToDate / ##SVCurrentCompany, $$IsEqual, $$IsEmpty,
// $$Not, $$IsDebit, $$IsCredit, the comparisons = == != <> < <= > >=, AND,
// OR, NOT and parentheses. String comparison ignores case. That covers
// `$$IsEqual:$Name:"X"`, `$Parent = "Sundry Debtors"`,
// `$Date >= ##SVFromDate AND $Date <= ##SVToDate`, `$AlterID > 10` and
// tally-mcp-server's Bill filter
// `$$IsEqual:($_PrimaryGroup:Group:($Parent:Ledger:$Parent)):"Sundry Debtors"`.
// Anything else is answered with STATUS 0 and a LINEERROR that starts with
// "tallysim: unsupported filter formula": real Tally would evaluate it, so a
// test that hits this has found a simulator limit, not a Tally behaviour.
// $_PrimaryGroup answers the nearest predefined group at or above the object
// (Sundry Debtors for a debtor), which is what that Bill filter needs; real
// TDL semantics are unverified.
//
// # Documented choices (real behaviour unverified or unknown)
//
//   - ClosingBalance in collections and objects is as of SVTODATE when one is
//     given, else lifetime (§7(b): real as-on behaviour is unverified).
//   - Reports run as of SVTODATE, else Config.Today; BILLOVERDUE is the days
//     past BILLDUE (0 when not yet due). Income and expenses accumulate from
//     the start of the books (no year-end rollover into Profit & Loss A/c).
//   - An unknown collection name (no built-in, no matching inline COLLECTION)
//     answers Unknown Request, as an unknown report does (§9.3 (D)).
//   - An unknown collection TYPE answers STATUS 0 + LINEERROR.
//   - Object export of a missing object answers a bare
//     `<ERRORMSG>Could not find Ledger:X!</ERRORMSG>` (the bare ERRORMSG is
//     LIVE, §9.3 (B); the `<Type>:<id>` wording after "Could not find" is
//     captured for a voucher only).
//   - A collection read naming a company that is not loaded answers 0 rows
//     with STATUS 1 (LIVE); writes, reports and object exports answer STATUS 0
//     with "Could not set 'SVCurrentCompany' to 'X'" (LIVE for writes and
//     reports).
//   - On read-back a voucher's REMOTEID attribute is the client's REMOTEID as
//     given (some real builds rewrite it to <companyGUID>-<id>), or the GUID
//     when the voucher has none.
//   - Import texts: "Ledger 'X' does not exist!", "Voucher totals do not
//     match! Dr: 1,180.00 Dr Cr: 1,179.99 Cr Diff: 0.01 Dr", "Voucher Type 'X'
//     does not exist!", "Item does not exist!" (Alter or Delete of a missing
//     master), "Voucher does not exist!", "Cannot be deleted!" are Tally's
//     (§9.4). "Voucher date is missing for: 'Sales' voucher N." is used for a
//     missing or unparseable DATE; "The date is out of range! Can't import!"
//     (a CLAIM-grade text) for a date before BooksFrom; "Group 'X' does not
//     exist!" for a ledger under a missing group, "Ledger 'X' already
//     exists!" for a rename onto another ledger, and "No Entries in Voucher!"
//     are the simulator's wording.
//   - Create on an existing master is a silent Alter (CREATED=0 ALTERED=1)
//     that replaces parent, bill-wise flag and opening balance (reset when
//     omitted); Alter keeps omitted fields. A voucher Create with a known
//     REMOTEID replaces the whole voucher (ALTERED=1, same GUID, new ALTERID);
//     without a REMOTEID every Create is a new voucher. ACTION Alter on a
//     voucher creates a duplicate, as observed live. ACTION Cancel reports
//     ALTERED=1 and leaves the voucher cancelled with no entries (LIVE 7.1).
//   - Every master and voucher has an AlterID from one company sequence; a
//     Create, Alter, Cancel or re-import takes the next one. The Company's
//     ALTMSTID/ALTVCHID are the last AlterID of a master/voucher and never go
//     back; a Delete does not move them (unverified; tally-database-loader
//     finds deletions by diffing GUID lists, tally-protocol.md §2.1, so
//     clients must too). Company.AlterLedger, DeleteLedger, CancelVoucher and
//     DeleteVoucher change the books as a user keying into Tally would.
//   - A bill allocation's due date is exported as BILLCREDITPERIOD "N Days"
//     after the voucher date (the form an import gives it).
//   - A voucher's debit/credit side comes from the sign of AMOUNT;
//     ISDEEMEDPOSITIVE is not cross-checked. A voucher without VOUCHERNUMBER
//     is numbered per type; a client VOUCHERNUMBER is kept (real automatic
//     numbering discards it, §9.4).
//   - A version-1 import whose every object failed reports STATUS 0.
//   - A voucher refused in an import of several is counted in EXCEPTIONS
//     (with its LINEERROR, which does not name it) and the others are
//     committed, as real TallyPrime answered a batch (CREATED 49,
//     EXCEPTIONS 1); alone, it is ERRORS=1 as in the single-voucher capture.
//   - Config.ImportCost and VoucherCost (-import-cost, -voucher-cost,
//     SetImportCost) model what an import costs real Tally: once per request
//     and per voucher (tally-protocol.md §12: about 0.5 s and 16 ms).
//   - Stock items (StockItem: name, stock group, base unit, HSN, GST rate,
//     standard selling rate, opening quantity) come from the data file,
//     DemoCompany or AddStockItem; they are exported as TYPE StockItem
//     collections and objects, and their closing quantity is computed from
//     the invoices' stock lines (ALLINVENTORYENTRIES.LIST with STOCKITEMNAME,
//     ISDEEMEDPOSITIVE, RATE, AMOUNT, ACTUALQTY, BILLEDQTY and
//     ACCOUNTINGALLOCATIONS.LIST, whose ledgers are posted like ledger
//     entries). A stock line naming an unknown item refuses the voucher with
//     "Stock Item 'X' does not exist!", the "<Type> 'X' does not exist!" form
//     of the LIVE Ledger/Stock Group/Godown texts (§9.4); the Stock Item
//     wording itself is not captured. Stock groups, godowns, batches, stock
//     valuation in reports and stock item imports are not simulated.
//   - Cost centres, currencies and voucher classes are not simulated; other
//     master types are rejected with a "tallysim:" LINEERROR. Inline TDL
//     reports are not evaluated (answered with an empty ENVELOPE).
//
// # Faults
//
// SetFault (and the -fault flag) injects: Refuse (the listener closes and
// open connections drop; clearing reopens it on the same address), Hang (the
// request never answers until the fault is cleared or the server closes, and
// every later request queues behind it), Slow (Config.SlowDelay extra per
// request), Reset (part of a response, then a TCP reset), Garbage (HTTP
// 200 with non-XML bytes) and LostWrite (an import is applied, then the
// connection is reset without an answer; reads answer normally). When the server is used only through ServeHTTP
// (httptest), Refuse resets each connection instead.
//
// # Data file (-data, -dump-demo)
//
// A JSON document with a list of companies. Dates are YYYYMMDD strings and
// amounts are strings in Tally's sign convention (debit negative, "-1180.00").
// Predefined groups and the Cash and Profit & Loss A/c ledgers exist in every
// company; listing them in "ledgers" replaces them. GUID, masterId and
// alterId are optional (allocated when absent; -dump-demo writes them so a
// dump loads back into the same books). A company without booksFrom starts
// on 1 April of the financial year before today's.
//
//	{
//	  "companies": [
//	    {
//	      "name": "Coastal Test Traders",
//	      "state": "Karnataka", "country": "India", "gstin": "29AAACC1234D1Z5",
//	      "booksFrom": "20260401",
//	      "groups": [{"name": "Bangalore Debtors", "parent": "Sundry Debtors"}],
//	      "ledgers": [
//	        {"name": "Cash", "parent": "Cash-in-Hand", "openingBalance": "-25000.00"},
//	        {"name": "Owner Capital", "parent": "Capital Account", "openingBalance": "25000.00"},
//	        {"name": "Sales", "parent": "Sales Accounts"},
//	        {"name": "RK Builders Pvt Ltd", "parent": "Bangalore Debtors",
//	         "mobile": "98450 12345", "email": "accounts@rkbuilders.in",
//	         "address": ["4th Cross, Indiranagar", "Bengaluru"], "state": "Karnataka",
//	         "country": "India", "pincode": "560038", "gstin": "29AABCR1234E1Z2",
//	         "gstRegistrationType": "Regular", "billWise": true, "creditPeriodDays": 30}
//	      ],
//	      "vouchers": [
//	        {"type": "Sales", "number": "1", "date": "20260801", "party": "RK Builders Pvt Ltd",
//	         "entries": [
//	           {"ledger": "RK Builders Pvt Ltd", "amount": "-11800.00",
//	            "bills": [{"name": "CT/1", "type": "New Ref", "amount": "-11800.00"}]},
//	           {"ledger": "Sales", "amount": "11800.00"}]},
//	        {"type": "Receipt", "date": "20260815", "party": "RK Builders Pvt Ltd",
//	         "remoteId": "example-receipt-1",
//	         "entries": [
//	           {"ledger": "RK Builders Pvt Ltd", "amount": "5000.00",
//	            "bills": [{"name": "CT/1", "type": "Agst Ref", "amount": "5000.00"}]},
//	           {"ledger": "Cash", "amount": "-5000.00"}]}
//	      ]
//	    }
//	  ]
//	}
//
// Group fields: name, parent ("" = primary), nature (Assets, Liabilities,
// Income, Expenses; primary groups only), affectsGrossProfit. Ledger fields:
// name, parent, mobile, email, address, state, country, pincode, gstin,
// gstRegistrationType, openingBalance, billWise, creditPeriodDays, taxType,
// gstDutyHead, incomeTaxNumber, other (extra simple fields by upper-case
// tag), languageId. Stock item fields ("stockItems"): name, parent,
// baseUnits, hsn, gstRate, standardRate, openingQty, openingRate. Voucher
// fields: type, number, date, party, narration, remoteId, cancelled,
// entries[{ledger, amount, bills[{name, type (New Ref, Agst Ref, Advance, On
// Account), amount, dueDate}]}], inventory[{item, inward, quantity,
// billedQty, unit, rate, amount, allocations[{ledger, amount}]}]. Vouchers
// are validated exactly as an import would validate them.
package tallysim
