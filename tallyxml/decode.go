package tallyxml

import (
	"encoding"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
)

// The decoders here stream: they walk xml.Decoder tokens and decode one row
// at a time, so memory stays flat however large the export (a Day Book or a
// Bills Receivable report can run to hundreds of megabytes). Rows are decoded
// by hand rather than with struct tags because Tally's shapes need it: names
// come from an attribute or a child or a NAME.LIST, the same list appears
// under two tags (ALLLEDGERENTRIES.LIST and LEDGERENTRIES.LIST) whose order
// matters, UDF: elements must not be mistaken for fields, and newer TallyPrime
// moves fields into dated sub-lists.
//
// String fields keep their text verbatim (no trimming): names are identities,
// and Tally matches them exactly apart from ASCII case and one trailing space
// (tally-protocol.md §9.4). Typed fields (Amount, Date, Number, Logical, …)
// trim in their parsers. Every decoder also recognises the failure shapes
// (empty body, Unknown Request, STATUS 0, EXCEPTION, ERRORMSG) and yields the
// typed error from outcome.go, so a caller that skipped CheckResponse does
// not mistake a failure for an empty result.

// Ledger is a ledger master from a collection or object export.
type Ledger struct {
	Name         string
	ReservedName string
	GUID         string
	MasterID     Number
	AlterID      Number
	Parent       string

	OpeningBalance Amount
	ClosingBalance Amount

	MailingName string
	Addresses   []string
	State       string
	Country     string
	PinCode     string
	Mobile      string
	Phone       string
	Email       string

	PartyGSTIN          string
	GSTRegistrationType string
	IncomeTaxNumber     string
	TaxType             string
	GSTDutyHead         string

	IsBillWiseOn     Logical
	BillCreditPeriod string // as Tally writes it, e.g. "30 Days"

	// Aliases are the names in NAME.LIST other than Name.
	Aliases []string
}

// Group is an account group master.
type Group struct {
	Name               string
	ReservedName       string
	GUID               string
	MasterID           Number
	AlterID            Number
	Parent             string // "Primary" for a top-level group (Tally writes "&#4; Primary")
	IsRevenue          Logical
	AffectsGrossProfit Logical
	IsDeemedPositive   Logical
	IsSubledger        Logical
	IsBillWiseOn       Logical
	Aliases            []string
}

// Company is a row of the Company collection (tally-protocol.md §9.3: it lists
// every loaded company and ignores SVCURRENTCOMPANY).
type Company struct {
	Name                   string
	GUID                   string
	MasterID               Number
	AlterID                Number
	StartingFrom           Date
	BooksFrom              Date
	EndingAt               Date
	LastVoucherDate        Date
	BasicCompanyFormalName string
	MailingName            string
	Addresses              []string
	StateName              string
	CountryName            string
	PinCode                string
	Email                  string
	PhoneNumber            string
	IncomeTaxNumber        string
	GSTRegistrationNumber  string
	// AltMstID and AltVchID are the cheap change probe (§9.6): they move
	// whenever any master or voucher is altered.
	AltMstID Number
	AltVchID Number
}

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

// VoucherInventoryEntry is one stock line.
type VoucherInventoryEntry struct {
	StockItemName    string
	IsDeemedPositive Logical
	Rate             Rate
	ActualQty        Quantity
	BilledQty        Quantity
	Amount           Amount
}

// Ledgers streams the LEDGER rows of a collection or object export.
func Ledgers(r io.Reader) iter.Seq2[Ledger, error] { return rows(r, "LEDGER", decodeLedger) }

// Groups streams the GROUP rows of a collection or object export.
func Groups(r io.Reader) iter.Seq2[Group, error] { return rows(r, "GROUP", decodeGroup) }

// Companies streams the COMPANY rows of a Company collection export.
func Companies(r io.Reader) iter.Seq2[Company, error] { return rows(r, "COMPANY", decodeCompany) }

// Vouchers streams the VOUCHER rows of a collection export, an object export
// or a Day Book file (ENVELOPE/BODY/IMPORTDATA/REQUESTDATA/TALLYMESSAGE).
func Vouchers(r io.Reader) iter.Seq2[Voucher, error] { return rows(r, "VOUCHER", decodeVoucher) }

// LedgerObject decodes the ledger of an object export (TYPE Object, SUBTYPE
// Ledger). It returns an error matching ErrNoObject when the response holds
// none: Tally's own answer for a missing object, a bare "Could not find …"
// ERRORMSG (an *ObjectNotFoundError, §9.3 (B)), or an envelope without the
// object.
func LedgerObject(r io.Reader) (Ledger, error) { return first(Ledgers(r)) }

// GroupObject is LedgerObject for a group.
func GroupObject(r io.Reader) (Group, error) { return first(Groups(r)) }

// CompanyObject is LedgerObject for a company.
func CompanyObject(r io.Reader) (Company, error) { return first(Companies(r)) }

// VoucherObject is LedgerObject for a voucher.
func VoucherObject(r io.Reader) (Voucher, error) { return first(Vouchers(r)) }

// first is the one object of an object export.
func first[T any](seq iter.Seq2[T, error]) (T, error) {
	for v, err := range seq {
		return v, objectExportErr(err)
	}
	var zero T
	return zero, ErrNoObject
}

// rowParents are the elements whose LEDGER/GROUP/… children are rows:
// COLLECTION (collection exports), TALLYMESSAGE (object exports and Tally's
// own export files) and DATA. Any other occurrence of the tag, notably the
// CMPINFO counters `<LEDGER>10</LEDGER>` (§9.3), is not a row.
func isRowParent(name string) bool {
	return name == "COLLECTION" || name == "TALLYMESSAGE" || name == "DATA"
}

// scanner walks a response's elements, handling the shapes every decoder
// shares: the root (and the bare-root failure bodies), the HEADER with its
// STATUS, and the DESC/CMPINFO block, which reuses row tag names as counters.
type scanner struct {
	d     *xml.Decoder
	stack []string
	root  bool
}

func newScanner(r io.Reader) *scanner { return &scanner{d: NewDecoder(r)} }

// next returns the next element start that the caller must handle, with the
// name of its parent. The caller either consumes the element (decodes or
// skips it) or calls enter to walk its children. It returns io.EOF at the end
// of the document and a typed error for the failure shapes.
func (s *scanner) next() (xml.StartElement, string, error) {
	for {
		tok, err := s.d.Token()
		if err == io.EOF {
			if !s.root {
				return xml.StartElement{}, "", ErrEmptyBody
			}
			return xml.StartElement{}, "", io.EOF
		}
		if err != nil {
			return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !s.root {
				s.root = true
				switch t.Name.Local {
				case "RESPONSE", "EXCEPTION", "ERRORMSG":
					rr, err := readRoot(s.d)
					if err != nil {
						return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
					}
					if err := rootErr(t.Name.Local, rr); err != nil {
						return xml.StartElement{}, "", err
					}
					if rr.counters {
						return xml.StartElement{}, "", errors.New("tallyxml: got an import result where an export was expected")
					}
					return xml.StartElement{}, "", io.EOF
				}
				s.stack = append(s.stack, t.Name.Local)
				continue
			}
			if t.Name.Space != "" {
				// UDF:… and other prefixed elements are user-defined fields.
				if err := s.d.Skip(); err != nil {
					return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
				}
				continue
			}
			switch t.Name.Local {
			case "HEADER":
				if err := readHeader(s.d); err != nil {
					return xml.StartElement{}, "", err
				}
				continue
			case "DESC", "CMPINFO":
				if err := s.d.Skip(); err != nil {
					return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
				}
				continue
			}
			// encoding/xml accepts a second top-level element after the
			// root; it has no parent (found by FuzzDecoders).
			parent := ""
			if len(s.stack) > 0 {
				parent = s.stack[len(s.stack)-1]
			}
			return t, parent, nil
		case xml.EndElement:
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
			}
		}
	}
}

// enter makes the scanner walk t's children.
func (s *scanner) enter(t xml.StartElement) { s.stack = append(s.stack, t.Name.Local) }

// rows streams the tag rows of a collection/object export.
func rows[T any](r io.Reader, tag string, decode func(*xml.Decoder, xml.StartElement) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		s := newScanner(r)
		for {
			t, parent, err := s.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(zero, err)
				return
			}
			if t.Name.Local != tag || !isRowParent(parent) {
				s.enter(t)
				continue
			}
			v, err := decode(s.d, t)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// eachChild calls fn for each child element of the element whose start was
// just read, up to its end. fn must consume the child (decode or d.Skip()).
// Prefixed children (UDF:…) are skipped.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// text reads the character data of the element whose start was just read, up
// to its end. Nested elements are skipped.
func text(d *xml.Decoder) (string, error) {
	var s string
	var buf []byte
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return s, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			switch n {
			case 0:
				s = string(t)
			case 1:
				buf = append(append(buf, s...), t...)
			default:
				buf = append(buf, t...)
			}
			n++
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return s, err
			}
		case xml.EndElement:
			if n > 1 {
				return string(buf), nil
			}
			return s, nil
		}
	}
}

// innerText is text that also gathers the character data of nested elements:
// report amounts sit one level down (DSPCLDRAMT{DSPCLDRAMTA}), and a value
// read this way parses the same whether Tally nests it or not.
func innerText(d *xml.Decoder) (string, error) {
	var b []byte
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return string(b), err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(b) < 1<<16 {
				b = append(b, t...)
			}
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return string(b), nil
			}
			depth--
		}
	}
}

// textInto reads an element's text into a typed value.
func textInto(d *xml.Decoder, v encoding.TextUnmarshaler) error {
	s, err := text(d)
	if err != nil {
		return err
	}
	return v.UnmarshalText([]byte(s))
}

// innerInto reads an element's inner text into a typed value.
func innerInto(d *xml.Decoder, v encoding.TextUnmarshaler) error {
	s, err := innerText(d)
	if err != nil {
		return err
	}
	return v.UnmarshalText([]byte(s))
}

// list reads the item children of a .LIST element (ADDRESS.LIST/ADDRESS,
// NAME.LIST/NAME) and appends their texts to dst. A whitespace-only list,
// which Tally writes for every empty collection, adds nothing.
func list(d *xml.Decoder, item string, dst []string) ([]string, error) {
	err := eachChild(d, func(t xml.StartElement) error {
		if t.Name.Local != item {
			return d.Skip()
		}
		s, err := text(d)
		if err == nil {
			dst = append(dst, s)
		}
		return err
	})
	return dst, err
}

// attr returns the value of the unprefixed attribute name.
func attr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// fieldErr prefixes a field's decode error with the field's tag.
func fieldErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", field, err)
}

// rowErr says which row a decode error belongs to.
func rowErr(row, name string, err error) error {
	return fmt.Errorf("tallyxml: decoding %s %q: %w", row, name, err)
}

// nameList reads LANGUAGENAME.LIST (NAME.LIST/NAME …) names.
func nameList(d *xml.Decoder, dst []string) ([]string, error) {
	err := eachChild(d, func(t xml.StartElement) error {
		if t.Name.Local != "NAME.LIST" {
			return d.Skip()
		}
		var err error
		dst, err = list(d, "NAME", dst)
		return err
	})
	return dst, err
}

// pickName applies the name rule: the NAME attribute, else a NAME child, else
// the first NAME.LIST name. Aliases are the NAME.LIST names other than the
// chosen one.
func pickName(attrName, child string, names []string) (string, []string) {
	name := attrName
	if name == "" {
		name = child
	}
	if name == "" && len(names) > 0 {
		name = names[0]
	}
	var aliases []string
	skipped := false
	for _, n := range names {
		if n == name && !skipped {
			skipped = true
			continue
		}
		aliases = append(aliases, n)
	}
	return name, aliases
}

// dated is one entry of TallyPrime's dated sub-lists (LEDMAILINGDETAILS.LIST,
// LEDGSTREGDETAILS.LIST); the entry with the latest APPLICABLEFROM applies.
type dated struct {
	from   Date
	seen   bool
	fields map[string]string
	addrs  []string
}

// newer reports whether e supersedes cur: a later APPLICABLEFROM, or the same
// one later in the document. An entry without a date counts as the oldest.
func (e *dated) newer(cur *dated) bool {
	if !cur.seen {
		return true
	}
	return !e.from.Before(cur.from)
}

func readDated(d *xml.Decoder) (dated, error) {
	e := dated{seen: true, fields: map[string]string{}}
	err := eachChild(d, func(t xml.StartElement) error {
		switch t.Name.Local {
		case "APPLICABLEFROM":
			return textInto(d, &e.from)
		case "ADDRESS.LIST":
			var err error
			e.addrs, err = list(d, "ADDRESS", e.addrs)
			return err
		}
		s, err := text(d)
		if err == nil && strings.TrimSpace(s) != "" {
			e.fields[t.Name.Local] = s
		}
		return err
	})
	return e, err
}

func orElse(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

func decodeLedger(d *xml.Decoder, start xml.StartElement) (Ledger, error) {
	var l Ledger
	attrName, _ := attr(start, "NAME")
	l.ReservedName, _ = attr(start, "RESERVEDNAME")
	var child, stateName, gstin string
	var names []string
	var mail, gst dated
	var contactDefault, contactFirst string
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch f := t.Name.Local; f {
		case "NAME":
			child, err = text(d)
		case "LANGUAGENAME.LIST":
			names, err = nameList(d, names)
		case "GUID":
			l.GUID, err = text(d)
		case "MASTERID":
			err = textInto(d, &l.MasterID)
		case "ALTERID":
			err = textInto(d, &l.AlterID)
		case "PARENT":
			l.Parent, err = text(d)
		case "OPENINGBALANCE":
			err = textInto(d, &l.OpeningBalance)
		case "CLOSINGBALANCE":
			err = textInto(d, &l.ClosingBalance)
		case "MAILINGNAME":
			l.MailingName, err = text(d)
		case "MAILINGNAME.LIST":
			var ms []string
			ms, err = list(d, "MAILINGNAME", nil)
			if len(ms) > 0 && l.MailingName == "" {
				l.MailingName = ms[0]
			}
		case "ADDRESS.LIST":
			l.Addresses, err = list(d, "ADDRESS", l.Addresses)
		case "LEDSTATENAME":
			l.State, err = text(d)
		case "STATENAME":
			stateName, err = text(d)
		case "COUNTRYNAME":
			l.Country, err = text(d)
		case "PINCODE":
			l.PinCode, err = text(d)
		case "LEDGERMOBILE":
			l.Mobile, err = text(d)
		case "LEDGERPHONE":
			l.Phone, err = text(d)
		case "EMAIL":
			l.Email, err = text(d)
		case "PARTYGSTIN":
			l.PartyGSTIN, err = text(d)
		case "GSTIN":
			gstin, err = text(d)
		case "GSTREGISTRATIONTYPE":
			l.GSTRegistrationType, err = text(d)
		case "INCOMETAXNUMBER":
			l.IncomeTaxNumber, err = text(d)
		case "TAXTYPE":
			l.TaxType, err = text(d)
		case "GSTDUTYHEAD":
			l.GSTDutyHead, err = text(d)
		case "ISBILLWISEON":
			err = textInto(d, &l.IsBillWiseOn)
		case "BILLCREDITPERIOD":
			l.BillCreditPeriod, err = text(d)
		case "LEDMAILINGDETAILS.LIST", "LEDGSTREGDETAILS.LIST":
			// TallyPrime 3+ keeps address, state and GSTIN in dated lists.
			var e dated
			e, err = readDated(d)
			cur := &mail
			if f == "LEDGSTREGDETAILS.LIST" {
				cur = &gst
			}
			if err == nil && (len(e.fields) > 0 || len(e.addrs) > 0 || !e.from.IsZero()) && e.newer(cur) {
				*cur = e
			}
		case "CONTACTDETAILS.LIST":
			var e dated
			e, err = readDated(d)
			if p := e.fields["PHONENUMBER"]; p != "" {
				if contactFirst == "" {
					contactFirst = p
				}
				var yes Logical
				if yes.UnmarshalText([]byte(e.fields["ISDEFAULTWHATSAPPNUM"])) == nil && yes && contactDefault == "" {
					contactDefault = p
				}
			}
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	if err != nil {
		return Ledger{}, rowErr("LEDGER", orElse(attrName, child), err)
	}
	l.Name, l.Aliases = pickName(attrName, child, names)
	l.State = orElse(orElse(l.State, stateName), mail.fields["STATE"])
	l.Country = orElse(l.Country, mail.fields["COUNTRY"])
	l.PinCode = orElse(l.PinCode, mail.fields["PINCODE"])
	l.MailingName = orElse(l.MailingName, mail.fields["MAILINGNAME"])
	if len(l.Addresses) == 0 {
		l.Addresses = mail.addrs
	}
	l.PartyGSTIN = orElse(orElse(l.PartyGSTIN, gstin), gst.fields["GSTIN"])
	l.GSTRegistrationType = orElse(l.GSTRegistrationType, gst.fields["GSTREGISTRATIONTYPE"])
	l.Mobile = orElse(orElse(l.Mobile, contactDefault), contactFirst)
	return l, nil
}

func decodeGroup(d *xml.Decoder, start xml.StartElement) (Group, error) {
	var g Group
	attrName, _ := attr(start, "NAME")
	g.ReservedName, _ = attr(start, "RESERVEDNAME")
	var child string
	var names []string
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "NAME":
			child, err = text(d)
		case "LANGUAGENAME.LIST":
			names, err = nameList(d, names)
		case "GUID":
			g.GUID, err = text(d)
		case "MASTERID":
			err = textInto(d, &g.MasterID)
		case "ALTERID":
			err = textInto(d, &g.AlterID)
		case "PARENT":
			g.Parent, err = text(d)
		case "ISREVENUE":
			err = textInto(d, &g.IsRevenue)
		case "AFFECTSGROSSPROFIT":
			err = textInto(d, &g.AffectsGrossProfit)
		case "ISDEEMEDPOSITIVE":
			err = textInto(d, &g.IsDeemedPositive)
		case "ISSUBLEDGER":
			err = textInto(d, &g.IsSubledger)
		case "ISBILLWISEON":
			err = textInto(d, &g.IsBillWiseOn)
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	if err != nil {
		return Group{}, rowErr("GROUP", orElse(attrName, child), err)
	}
	g.Name, g.Aliases = pickName(attrName, child, names)
	return g, nil
}

func decodeCompany(d *xml.Decoder, start xml.StartElement) (Company, error) {
	var c Company
	attrName, _ := attr(start, "NAME")
	var child string
	var names []string
	err := eachChild(d, func(t xml.StartElement) error {
		var err error
		switch t.Name.Local {
		case "NAME":
			child, err = text(d)
		case "LANGUAGENAME.LIST":
			names, err = nameList(d, names)
		case "GUID":
			c.GUID, err = text(d)
		case "MASTERID":
			err = textInto(d, &c.MasterID)
		case "ALTERID":
			err = textInto(d, &c.AlterID)
		case "STARTINGFROM":
			err = textInto(d, &c.StartingFrom)
		case "BOOKSFROM":
			err = textInto(d, &c.BooksFrom)
		case "ENDINGAT":
			err = textInto(d, &c.EndingAt)
		case "LASTVOUCHERDATE":
			err = textInto(d, &c.LastVoucherDate)
		case "BASICCOMPANYFORMALNAME":
			c.BasicCompanyFormalName, err = text(d)
		case "MAILINGNAME":
			c.MailingName, err = text(d)
		case "ADDRESS.LIST":
			c.Addresses, err = list(d, "ADDRESS", c.Addresses)
		case "STATENAME":
			c.StateName, err = text(d)
		case "COUNTRYNAME":
			c.CountryName, err = text(d)
		case "PINCODE":
			c.PinCode, err = text(d)
		case "EMAIL":
			c.Email, err = text(d)
		case "PHONENUMBER":
			c.PhoneNumber, err = text(d)
		case "INCOMETAXNUMBER":
			c.IncomeTaxNumber, err = text(d)
		case "GSTREGISTRATIONNUMBER":
			c.GSTRegistrationNumber, err = text(d)
		case "ALTMSTID":
			err = textInto(d, &c.AltMstID)
		case "ALTVCHID":
			err = textInto(d, &c.AltVchID)
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	if err != nil {
		return Company{}, rowErr("COMPANY", orElse(attrName, child), err)
	}
	c.Name, _ = pickName(attrName, child, names)
	return c, nil
}

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
		default:
			err = d.Skip()
		}
		return fieldErr(t.Name.Local, err)
	})
	return e, ok, err
}

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
