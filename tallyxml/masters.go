package tallyxml

import (
	"encoding/xml"
	"io"
	"iter"
	"strings"
)

// The master decoders: ledgers, groups and companies, from collection and object exports.

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

// Ledgers streams the LEDGER rows of a collection or object export.
func Ledgers(r io.Reader) iter.Seq2[Ledger, error] { return rows(r, "LEDGER", decodeLedger) }

// Groups streams the GROUP rows of a collection or object export.
func Groups(r io.Reader) iter.Seq2[Group, error] { return rows(r, "GROUP", decodeGroup) }

// Companies streams the COMPANY rows of a Company collection export.
func Companies(r io.Reader) iter.Seq2[Company, error] { return rows(r, "COMPANY", decodeCompany) }

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
