package tallyxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
)

// This file is the ENCODE side of the codec: typed request envelopes for every
// request kind Tally's gateway understands (tally-xml-integration seed,
// tally-protocol.md §3.2 and §7). Every value reaches the wire through
// encoding/xml, so a party called `A & B <Traders>` is escaped by the encoder
// and never by hand.

// Charset is the character encoding of a request body. Tally mirrors it in the
// response (tally-protocol.md §9.1.3).
type Charset int

const (
	// UTF16 is UTF-16LE without a byte-order mark, the default. It is what
	// the reference clients send (TallyConnector writes Encoding.Unicode
	// bytes; tally-database-loader writes utf16le with no BOM) and the only
	// charset in which Tally answers with non-Latin text intact: a UTF-8
	// request gets `?` for Devanagari and ₹ (§9.1.3).
	UTF16 Charset = iota
	// UTF8 is plain UTF-8, for diagnostics and golden files.
	UTF8
)

// ContentType returns the Content-Type header for a body in this charset.
// The charset parameter is mandatory for UTF-16: a UTF-16 body without it
// gets `Unknown Request, cannot be processed` (§9.1.3).
func (cs Charset) ContentType() string {
	if cs == UTF8 {
		return "text/xml; charset=utf-8"
	}
	return "text/xml; charset=utf-16"
}

// String returns "utf-16" or "utf-8".
func (cs Charset) String() string {
	if cs == UTF8 {
		return "utf-8"
	}
	return "utf-16"
}

// Verb is the HEADER/TALLYREQUEST of a request.
type Verb int

const (
	// VerbExport reads a report, collection or object.
	VerbExport Verb = iota
	// VerbImport writes masters or vouchers.
	VerbImport
	// VerbExecute runs a TDL action.
	VerbExecute
)

// String returns the TALLYREQUEST value ("Export", "Import", "Execute").
func (v Verb) String() string {
	switch v {
	case VerbImport:
		return "Import"
	case VerbExecute:
		return "Execute"
	}
	return "Export"
}

// Header TYPE values. Tally matches them case-insensitively (the samples use
// both "Collection" and "COLLECTION"); these are the spellings of Tally's
// own integration text.
const (
	TypeData       = "Data"
	TypeCollection = "Collection"
	TypeObject     = "Object"
	TypeTDLAction  = "TDLAction"
)

// Import report names (HEADER/ID of a version-1 import, REPORTNAME of a
// legacy one). Vouchers are also accepted under All Masters (tallydekho
// CreateSales.xml, §7(d)), but Vouchers is the documented report.
const (
	ReportAllMasters = "All Masters"
	ReportVouchers   = "Vouchers"
)

// Form selects between Tally's two envelope families. They must never be
// mixed: adding VERSION 1 to the legacy envelope makes real Tally answer
// `Unknown Request` (tally-protocol.md §7(d), LIVE per MyTally), and the two
// families get differently shaped import responses (§9.4 (F) vs (G)).
type Form int

const (
	// FormVersion1 is `VERSION 1 / TALLYREQUEST Import|Export / TYPE / ID`
	// with BODY/DESC and BODY/DATA, the form of Tally's integration text.
	FormVersion1 Form = iota
	// FormLegacy is `TALLYREQUEST Import Data|Export Data` with
	// BODY/IMPORTDATA|EXPORTDATA/REQUESTDESC{REPORTNAME, STATICVARIABLES}. The
	// simulator and most field traffic use it for imports
	// (request-import-ledgers-create-01.xml,
	// request-import-voucher-purchase-minimal-01.xml,
	// request-import-payment-voucher-accepted-01.xml), and ArcAstra needed it
	// to get Bills Receivable where TYPE Data returned an empty envelope
	// (§7(c)). Only report exports and imports have a legacy form.
	FormLegacy
)

// ExportFormat is the SVEXPORTFORMAT static variable.
type ExportFormat int

const (
	// FormatDefault emits `$$SysName:XML` on exports and nothing on imports
	// and executes.
	FormatDefault ExportFormat = iota
	// FormatXML always emits `$$SysName:XML` (a TDL function Tally
	// evaluates, seed "Tally XML integration").
	FormatXML
	// FormatOmit never emits SVEXPORTFORMAT.
	FormatOmit
)

// Toggle is an optional Yes/No: the zero value means "not sent", so Tally's
// own default applies.
type Toggle uint8

const (
	// Unset leaves the value out of the request.
	Unset Toggle = iota
	// No sends No.
	No
	// Yes sends Yes.
	Yes
)

// ToggleOf returns Yes for true and No for false.
func ToggleOf(b bool) Toggle {
	if b {
		return Yes
	}
	return No
}

// IsSet reports whether the toggle is Yes or No.
func (t Toggle) IsSet() bool { return t == Yes || t == No }

// String returns "Yes", "No" or "".
func (t Toggle) String() string {
	switch t {
	case Yes:
		return "Yes"
	case No:
		return "No"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler.
func (t Toggle) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// DupPolicy is the IMPORTDUPS static variable: what a master import does to
// the opening balance of a master that already exists (seed "Tally Import
// Using XML").
type DupPolicy int

const (
	// DupUnset sends no IMPORTDUPS (Tally's default applies).
	DupUnset DupPolicy = iota
	// DupCombine adds the imported opening balance to the existing one
	// (meant for merging group companies).
	DupCombine
	// DupIgnoreCombine ignores a master that already exists.
	DupIgnoreCombine
	// DupModify replaces the existing opening balance with the imported one.
	DupModify
)

// String returns the system formula Tally expects, e.g. "@@DUPCOMBINE".
func (p DupPolicy) String() string {
	switch p {
	case DupCombine:
		return "@@DUPCOMBINE"
	case DupIgnoreCombine:
		return "@@DUPIGNORECOMBINE"
	case DupModify:
		return "@@DUPMODIFY"
	}
	return ""
}

// Var is a static variable with no typed field in Vars, such as GROUPNAME or
// SHOWBYBILL for Group Outstandings (§7(c)5).
type Var struct {
	Name  string // an XML name, e.g. "GROUPNAME"
	Value string
}

// Vars are the static variables of a request (BODY/DESC/STATICVARIABLES, or
// REQUESTDESC/STATICVARIABLES in the legacy form). Zero fields are not sent.
// They are emitted in a fixed order, SVEXPORTFORMAT, SVCURRENTCOMPANY,
// SVFROMDATE, SVTODATE, EXPLODEFLAG, IMPORTDUPS, then Extra in slice order, so
// the same request always encodes to the same bytes.
type Vars struct {
	// Company pins SVCURRENTCOMPANY. Without it reads and writes silently go
	// to whichever company is loaded (§9.5), so the client should always set
	// it. Tally matches it case-insensitively and trimmed.
	Company string
	// From and To are SVFROMDATE and SVTODATE. They are written YYYYMMDD with
	// TYPE="Date": that is the form of the LIVE captures (ComplyEaze's Bills
	// Receivable, §7(c)1, and the accepted request-trial-balance-report-01.xml),
	// Tally accepts it in every static variable (§9.2), and unlike d-Mmm-yyyy
	// it carries no locale-dependent month name.
	From, To Date
	// Format is SVEXPORTFORMAT.
	Format ExportFormat
	// Explode is EXPLODEFLAG (detailed rows in Trial Balance, Day Book...).
	Explode Toggle
	// ImportDups is IMPORTDUPS, for master imports.
	ImportDups DupPolicy
	// Extra are further static variables, sent after the typed ones.
	Extra []Var
}

// textElem is a text element with a name chosen at run time (a static
// variable, or an extra master field) and an optional TYPE attribute.
type textElem struct {
	XMLName xml.Name
	Type    string `xml:"TYPE,attr,omitempty"`
	Value   string `xml:",chardata"`
}

// staticVars encodes Vars in their fixed order; nil when none is set.
func (v Vars) staticVars(verb Verb) ([]textElem, error) {
	var out []textElem
	add := func(name, typ, value string) {
		out = append(out, textElem{XMLName: xml.Name{Local: name}, Type: typ, Value: value})
	}
	switch {
	case v.Format == FormatXML, v.Format == FormatDefault && verb == VerbExport:
		add("SVEXPORTFORMAT", "", "$$SysName:XML")
	}
	if v.Company != "" {
		add("SVCURRENTCOMPANY", "", v.Company)
	}
	if !v.From.IsZero() {
		add("SVFROMDATE", "Date", v.From.String())
	}
	if !v.To.IsZero() {
		add("SVTODATE", "Date", v.To.String())
	}
	if !v.From.IsZero() && !v.To.IsZero() && v.To.Before(v.From) {
		return nil, fmt.Errorf("%w: SVTODATE %s is before SVFROMDATE %s", ErrInvalidRequest, v.To, v.From)
	}
	if v.Explode.IsSet() {
		add("EXPLODEFLAG", "", v.Explode.String())
	}
	if v.ImportDups != DupUnset {
		add("IMPORTDUPS", "", v.ImportDups.String())
	}
	for _, x := range v.Extra {
		if err := checkXMLName("static variable", x.Name); err != nil {
			return nil, err
		}
		add(x.Name, "", x.Value)
	}
	for _, sv := range out {
		if err := checkText(sv.XMLName.Local, sv.Value); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ImportObject is a master or voucher that travels inside TALLYMESSAGE.
// LedgerMaster, GroupMaster and VoucherImport implement it.
type ImportObject interface {
	xml.Marshaler
	// Validate reports why the object would be rejected by Tally or would
	// be encoded lossily, before anything is sent.
	Validate() error
}

// Request is one gateway request. Build it with ExportReport,
// ExportCollection, ExportCollectionTDL, ExportObject, ImportMasters,
// ImportVouchers or ExecuteAction, and adjust fields (Form, Vars...) as
// needed; Encode validates the combination.
type Request struct {
	Verb Verb
	// Type is the HEADER/TYPE (TypeData, TypeCollection, TypeObject,
	// TypeTDLAction). Imports always use TypeData.
	Type string
	// SubType is HEADER/SUBTYPE of an object export ("Ledger").
	SubType string
	// ID is the report, collection, object or action name. For an object
	// export it is sent as `<ID TYPE="Name">`.
	ID string
	// Form picks the envelope family; see Form.
	Form Form
	// Vars are the static variables.
	Vars Vars
	// Fetch is the FETCHLIST of an object export.
	Fetch []string
	// TDL is inline TDL sent in BODY/DESC/TDL.
	TDL *TDL
	// Objects are the masters or vouchers of an import.
	Objects []ImportObject
}

// ExportReport asks for a report by name (Trial Balance, Bills Receivable,
// Bills Payable, Balance Sheet, Profit & Loss, or a report defined in r.TDL).
func ExportReport(report string, vars Vars) *Request {
	return &Request{Verb: VerbExport, Type: TypeData, ID: report, Vars: vars}
}

// ExportCollection asks for a built-in collection such as "List of Ledgers"
// or "List of Companies".
func ExportCollection(name string, vars Vars) *Request {
	return &Request{Verb: VerbExport, Type: TypeCollection, ID: name, Vars: vars}
}

// ExportCollectionTDL asks for an inline TDL collection. The header ID is the
// collection's name: Tally looks the ID up among the collections, so a
// mismatch exports nothing (§7(a), live finding).
func ExportCollectionTDL(c Collection, vars Vars, formulae ...Formula) *Request {
	return &Request{
		Verb: VerbExport, Type: TypeCollection, ID: c.Name, Vars: vars,
		TDL: &TDL{Collections: []Collection{c}, Formulae: formulae},
	}
}

// ExportObject asks for one object by name, e.g. ExportObject("Ledger",
// "Alpha Customer", []string{"Name", "ClosingBalance"}, vars) (§7(b)).
func ExportObject(subType, name string, fetch []string, vars Vars) *Request {
	return &Request{Verb: VerbExport, Type: TypeObject, SubType: subType, ID: name, Fetch: fetch, Vars: vars}
}

// ImportMasters imports ledgers and groups (ID All Masters).
func ImportMasters(vars Vars, masters ...ImportObject) *Request {
	return &Request{Verb: VerbImport, Type: TypeData, ID: ReportAllMasters, Vars: vars, Objects: masters}
}

// ImportVouchers imports vouchers (ID Vouchers).
func ImportVouchers(vars Vars, vouchers ...VoucherImport) *Request {
	objs := make([]ImportObject, len(vouchers))
	for i := range vouchers {
		objs[i] = vouchers[i]
	}
	return &Request{Verb: VerbImport, Type: TypeData, ID: ReportVouchers, Vars: vars, Objects: objs}
}

// ExecuteAction runs a TDL action by name (TYPE TDLAction).
func ExecuteAction(action string, vars Vars) *Request {
	return &Request{Verb: VerbExecute, Type: TypeTDLAction, ID: action, Vars: vars}
}

// IsWrite reports whether the request may change Tally's books. Imports and
// executes are writes; the client never retries them, because Tally keeps
// working after a client timeout (§9.1.4) and a resend can duplicate.
func (r *Request) IsWrite() bool { return r.Verb == VerbImport || r.Verb == VerbExecute }

// Kind returns a short, low-cardinality label for metrics and logs:
// "export:<report>" for report exports (report names are code constants),
// "export:collection", "export:object", "import:masters", "import:vouchers",
// "import:data" or "execute".
func (r *Request) Kind() string {
	switch r.Verb {
	case VerbImport:
		switch r.ID {
		case ReportAllMasters:
			return "import:masters"
		case ReportVouchers:
			return "import:vouchers"
		}
		return "import:data"
	case VerbExecute:
		return "execute"
	}
	switch strings.ToLower(r.Type) {
	case "collection":
		return "export:collection"
	case "object":
		return "export:object"
	}
	return "export:" + r.ID
}

// ErrInvalidRequest is returned by Encode for a request Tally could not
// process: a missing ID, a legacy form for a kind that has none, a TDL
// collection not named by the ID, a name that is not an XML name.
var ErrInvalidRequest = errors.New("tallyxml: invalid request")

// ErrInvalidXMLChar is returned for text holding a character XML 1.0 cannot
// carry (most C0 controls, unpaired surrogates, U+FFFE/U+FFFF). encoding/xml
// would silently replace it with U+FFFD, so the write would store a different
// name than the caller asked for.
var ErrInvalidXMLChar = errors.New("tallyxml: character not allowed in XML")

// Encode validates the request and returns its body in charset cs:
// UTF-16LE without a BOM for UTF16 (first bytes `3c 00`), plain UTF-8
// otherwise. The output is compact (no indentation) and deterministic.
//
// No XML declaration is written: none of the accepted request samples needs
// one (only request-import-payment-voucher-accepted-01.xml carries one, and
// it is a saved file), the charset travels in Content-Type, and a declaration
// saying "UTF-8" on a UTF-16 body would contradict it.
func (r *Request) Encode(cs Charset) ([]byte, error) {
	env, err := r.envelope()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	if err := enc.Encode(env); err != nil {
		return nil, fmt.Errorf("tallyxml: encode %s: %w", r.Kind(), err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("tallyxml: encode %s: %w", r.Kind(), err)
	}
	// encoding/xml writes tab, newline and CR as hexadecimal references
	// (&#x9; &#xA; &#xD;). TallyConnector rewrites hex references to decimal
	// before sending, which suggests Tally does not read them; decimal ones
	// it writes itself. The rewrite is safe: a literal '&' is always &amp;.
	b := decimalRefs.Replace(buf.String())
	if cs == UTF8 {
		return []byte(b), nil
	}
	out, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(b))
	if err != nil {
		return nil, fmt.Errorf("tallyxml: encode %s as UTF-16: %w", r.Kind(), err)
	}
	return out, nil
}

// decimalRefs turns the hex references encoding/xml writes into decimal ones.
var decimalRefs = strings.NewReplacer("&#x9;", "&#9;", "&#xA;", "&#10;", "&#xD;", "&#13;")

// Wire types. They mirror the envelope shapes exactly; Request is the typed
// front and envelope() the only translation.

type envelopeXML struct {
	XMLName xml.Name  `xml:"ENVELOPE"`
	Header  headerXML `xml:"HEADER"`
	Body    *bodyXML  `xml:"BODY,omitempty"`
}

type headerXML struct {
	Version      string `xml:"VERSION,omitempty"`
	TallyRequest string `xml:"TALLYREQUEST"`
	Type         string `xml:"TYPE,omitempty"`
	SubType      string `xml:"SUBTYPE,omitempty"`
	ID           *idXML `xml:"ID,omitempty"`
}

type idXML struct {
	Type  string `xml:"TYPE,attr,omitempty"`
	Value string `xml:",chardata"`
}

type bodyXML struct {
	ImportData *legacyImportXML `xml:"IMPORTDATA,omitempty"`
	ExportData *legacyExportXML `xml:"EXPORTDATA,omitempty"`
	Desc       *descXML         `xml:"DESC,omitempty"`
	Data       *dataXML         `xml:"DATA,omitempty"`
}

type staticVarsXML struct {
	Vars []textElem
}

type descXML struct {
	StaticVariables *staticVarsXML `xml:"STATICVARIABLES,omitempty"`
	FetchList       *fetchListXML  `xml:"FETCHLIST,omitempty"`
	TDL             *tdlXML        `xml:"TDL,omitempty"`
}

type fetchListXML struct {
	Fetch []string `xml:"FETCH"`
}

type dataXML struct {
	TallyMessage tallyMessageXML `xml:"TALLYMESSAGE"`
}

type requestDescXML struct {
	ReportName      string         `xml:"REPORTNAME"`
	StaticVariables *staticVarsXML `xml:"STATICVARIABLES,omitempty"`
}

type legacyImportXML struct {
	RequestDesc requestDescXML `xml:"REQUESTDESC"`
	RequestData struct {
		TallyMessage tallyMessageXML `xml:"TALLYMESSAGE"`
	} `xml:"REQUESTDATA"`
}

type legacyExportXML struct {
	RequestDesc requestDescXML `xml:"REQUESTDESC"`
}

// tallyMessageXML is TALLYMESSAGE with its objects. The legacy form carries
// `xmlns:UDF="TallyUDF"` as every legacy sample does; the version-1 sample
// (request-import-ledger-create-all-masters-02.xml) has none.
type tallyMessageXML struct {
	UDF     string
	Objects []ImportObject
}

// MarshalXML writes TALLYMESSAGE and each object in order.
func (m tallyMessageXML) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = nil
	if m.UDF != "" {
		// The encoder writes a Local name verbatim, so "xmlns:UDF" comes out
		// as the literal prefix declaration Tally's own exports carry.
		start.Attr = []xml.Attr{{Name: xml.Name{Local: "xmlns:UDF"}, Value: m.UDF}}
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, o := range m.Objects {
		if err := o.MarshalXML(e, xml.StartElement{}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// MarshalXML writes the static variables as siblings in their fixed order.
func (s staticVarsXML) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, v := range s.Vars {
		if err := e.Encode(v); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// envelope validates r and builds its wire form.
func (r *Request) envelope() (*envelopeXML, error) {
	if strings.TrimSpace(r.ID) == "" {
		return nil, fmt.Errorf("%w: empty ID", ErrInvalidRequest)
	}
	for _, f := range [...]struct{ what, s string }{{"ID", r.ID}, {"TYPE", r.Type}, {"SUBTYPE", r.SubType}} {
		if err := checkText(f.what, f.s); err != nil {
			return nil, err
		}
	}
	sv, err := r.Vars.staticVars(r.Verb)
	if err != nil {
		return nil, err
	}
	var vars *staticVarsXML
	if len(sv) > 0 {
		vars = &staticVarsXML{Vars: sv}
	}
	var tdl *tdlXML
	if r.TDL != nil {
		if tdl, err = r.TDL.wire(); err != nil {
			return nil, err
		}
	}
	for i, o := range r.Objects {
		if o == nil {
			return nil, fmt.Errorf("%w: object %d is nil", ErrInvalidRequest, i)
		}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
	}
	if r.Verb == VerbImport && len(r.Objects) == 0 {
		return nil, fmt.Errorf("%w: import with no objects", ErrInvalidRequest)
	}
	if r.Verb != VerbImport && len(r.Objects) > 0 {
		return nil, fmt.Errorf("%w: objects on a %s request", ErrInvalidRequest, r.Verb)
	}
	if len(r.Fetch) > 0 && !strings.EqualFold(r.Type, TypeObject) {
		return nil, fmt.Errorf("%w: FETCHLIST is only for object exports", ErrInvalidRequest)
	}
	for _, f := range r.Fetch {
		if err := checkTDLIdent("FETCH", f); err != nil {
			return nil, err
		}
	}

	if r.Form == FormLegacy {
		return r.legacyEnvelope(vars, tdl)
	}

	env := &envelopeXML{Header: headerXML{Version: "1", TallyRequest: r.Verb.String(), Type: r.Type, ID: &idXML{Value: r.ID}}}
	switch r.Verb {
	case VerbImport:
		if !strings.EqualFold(r.Type, TypeData) {
			return nil, fmt.Errorf("%w: import TYPE must be Data, not %q", ErrInvalidRequest, r.Type)
		}
		if tdl != nil {
			return nil, fmt.Errorf("%w: inline TDL on an import", ErrInvalidRequest)
		}
		// DESC is sent even when empty, as in the integration guide's
		// voucher sample (`<DESC></DESC>`).
		env.Body = &bodyXML{
			Desc: &descXML{StaticVariables: vars},
			Data: &dataXML{TallyMessage: tallyMessageXML{Objects: r.Objects}},
		}
		return env, nil
	case VerbExecute:
		if !strings.EqualFold(r.Type, TypeTDLAction) {
			return nil, fmt.Errorf("%w: execute TYPE must be TDLAction, not %q", ErrInvalidRequest, r.Type)
		}
	case VerbExport:
		switch strings.ToLower(r.Type) {
		case "data":
		case "collection":
			if r.TDL != nil && len(r.TDL.Collections) > 0 && !r.TDL.hasCollection(r.ID) {
				return nil, fmt.Errorf("%w: ID %q names none of the inline TDL collections; Tally exports nothing then", ErrInvalidRequest, r.ID)
			}
		case "object":
			if strings.TrimSpace(r.SubType) == "" {
				return nil, fmt.Errorf("%w: object export without SUBTYPE", ErrInvalidRequest)
			}
			env.Header.SubType = r.SubType
			env.Header.ID.Type = "Name"
		default:
			return nil, fmt.Errorf("%w: export TYPE %q", ErrInvalidRequest, r.Type)
		}
	default:
		return nil, fmt.Errorf("%w: verb %d", ErrInvalidRequest, r.Verb)
	}
	if r.SubType != "" && env.Header.SubType == "" {
		return nil, fmt.Errorf("%w: SUBTYPE is only for object exports", ErrInvalidRequest)
	}
	desc := &descXML{StaticVariables: vars, TDL: tdl}
	if len(r.Fetch) > 0 {
		desc.FetchList = &fetchListXML{Fetch: r.Fetch}
	}
	if desc.StaticVariables != nil || desc.FetchList != nil || desc.TDL != nil {
		env.Body = &bodyXML{Desc: desc}
	}
	return env, nil
}

// legacyEnvelope builds the `Import Data` / `Export Data` family, which has
// no VERSION, TYPE or ID (§7(c)2, §7(d)).
func (r *Request) legacyEnvelope(vars *staticVarsXML, tdl *tdlXML) (*envelopeXML, error) {
	if tdl != nil {
		return nil, fmt.Errorf("%w: inline TDL in a legacy envelope", ErrInvalidRequest)
	}
	desc := requestDescXML{ReportName: r.ID, StaticVariables: vars}
	switch {
	case r.Verb == VerbImport && strings.EqualFold(r.Type, TypeData):
		imp := &legacyImportXML{RequestDesc: desc}
		imp.RequestData.TallyMessage = tallyMessageXML{UDF: "TallyUDF", Objects: r.Objects}
		return &envelopeXML{
			Header: headerXML{TallyRequest: "Import Data"},
			Body:   &bodyXML{ImportData: imp},
		}, nil
	case r.Verb == VerbExport && strings.EqualFold(r.Type, TypeData):
		return &envelopeXML{
			Header: headerXML{TallyRequest: "Export Data"},
			Body:   &bodyXML{ExportData: &legacyExportXML{RequestDesc: desc}},
		}, nil
	}
	return nil, fmt.Errorf("%w: no legacy form for %s %s", ErrInvalidRequest, r.Verb, r.Type)
}

// checkText rejects text that XML 1.0 cannot carry; see ErrInvalidXMLChar.
func checkText(what, s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("%w: %s has invalid UTF-8 at byte %d", ErrInvalidXMLChar, what, i)
			}
		}
		if !isXMLChar(r) {
			return fmt.Errorf("%w: %s has %U at byte %d", ErrInvalidXMLChar, what, r, i)
		}
	}
	return nil
}

// isXMLChar is the XML 1.0 Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// checkXMLName accepts the ASCII subset of XML names Tally uses for tags
// (letters, digits, '_', '.', '-'; not starting with a digit, '.' or '-').
// encoding/xml writes element names verbatim, so a caller-supplied name must
// be checked here or it could inject markup.
func checkXMLName(what, name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty %s name", ErrInvalidRequest, what)
	}
	for i, c := range name {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' ||
			i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-')
		if !ok {
			return fmt.Errorf("%w: %s name %q is not an XML name", ErrInvalidRequest, what, name)
		}
	}
	return nil
}

// TDL is inline TDL sent with an export in BODY/DESC/TDL/TDLMESSAGE. Only the
// simple definitions are modelled: a REPORT that reuses a built-in report
// with variables set, COLLECTIONs and SYSTEM Formulae (filters). Full
// FORM/PART/LINE/FIELD report definitions are out of scope.
type TDL struct {
	Reports     []TDLReport
	Collections []Collection
	Formulae    []Formula
}

// TDLReport is `<REPORT NAME=…><USE>…</USE><SET>…</SET></REPORT>`: a named
// report that reuses a built-in one with variables set, the way
// tally-mcp-server invokes built-in reports (§3.2). Export it with
// ExportReport(report.Name, vars) and TDL set.
type TDLReport struct {
	Name string
	// Use is the built-in report to reuse, e.g. "Trial Balance".
	Use string
	// Set are TDL assignments such as `SVFromDate : "1-Apr-2026"`. They are
	// TDL source: build any string literal in them with TDLString.
	Set []string
}

// Collection is an inline TDL collection definition (§7(a)):
//
//	<COLLECTION NAME="X" ISMODIFY="No" ISINITIALIZE="Yes"><TYPE>Ledger</TYPE>
//	<CHILDOF>…</CHILDOF><BELONGSTO>Yes</BELONGSTO><FETCH>Name,Parent</FETCH>
//	<NATIVEMETHOD>…</NATIVEMETHOD><FILTERS>MyFilter</FILTERS></COLLECTION>
type Collection struct {
	// Name must equal the request ID (ExportCollectionTDL sees to it).
	Name string
	// IsModify and IsInitialize are the ISMODIFY / ISINITIALIZE attributes;
	// NewCollection sets No and Yes, which define a fresh collection rather
	// than modifying a built-in one of the same name.
	IsModify, IsInitialize Toggle
	// Type is the object type collected ("Ledger", "Voucher", "Bill"...).
	Type string
	// ChildOf restricts to children of a group, e.g. "Sundry Debtors";
	// BelongsTo Yes makes it include the whole subtree.
	ChildOf   string
	BelongsTo Toggle
	// Fetch is sent as one comma-separated FETCH element.
	Fetch []string
	// NativeMethods are sent as one NATIVEMETHOD element each.
	NativeMethods []string
	// Computes add a method to every row, sent as one COMPUTE element each
	// ("Name:Expr"); the row carries an element Name with its value, or none
	// when Tally cannot evaluate it (tally-protocol.md §9.7).
	Computes []Compute
	// Filters names SYSTEM Formulae (sent as one comma-separated FILTERS).
	Filters []string
}

// Compute is one COMPUTE method of a collection.
type Compute struct {
	Name string // the row element's name, a TDL identifier
	Expr string // a TDL formula, escaped by the encoder like any text
}

// NewCollection returns a fresh collection definition of objects of type typ
// (ISMODIFY No, ISINITIALIZE Yes).
func NewCollection(name, typ string) Collection {
	return Collection{Name: name, Type: typ, IsModify: No, IsInitialize: Yes}
}

// Formula is `<SYSTEM TYPE="Formulae" NAME=…>expr</SYSTEM>`, a named TDL
// formula used as a collection filter. Expr is TDL source; build string
// literals in it with TDLString or EqualsFormula. The encoder escapes `<`,
// `&` etc., so write `<=` plainly.
type Formula struct {
	Name string
	Expr string
}

// PeriodFilter keeps objects dated inside SVFROMDATE..SVTODATE. The period
// static variables alone select the reporting period, not collection
// membership, so a Voucher collection needs this filter (§9.6).
const PeriodFilter = "$Date >= ##SVFromDate AND $Date <= ##SVToDate"

// ErrTDLQuote is returned by TDLString for text containing `"`. No source we
// have says how a double quote is written inside a TDL string literal
// (tally-protocol.md is silent; the anchors interpolate names unescaped), and
// a guess could change the meaning of a filter or break the TDL, which has
// crashed Tally (§9.1.4). Refusing is the safe answer until it is verified.
var ErrTDLQuote = errors.New(`tallyxml: text with a double quote cannot be put in a TDL string literal`)

// TDLString returns s as a TDL string literal, `"s"`. Only the TDL level is
// handled here; the XML escaping of `&`, `<` and the like is the encoder's.
// It fails with ErrTDLQuote for s containing `"`, and with ErrInvalidXMLChar
// for control characters (TDL source is line-oriented, so CR, LF and TAB are
// refused too).
func TDLString(s string) (string, error) {
	if strings.Contains(s, `"`) {
		return "", fmt.Errorf("%w: %q", ErrTDLQuote, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7F || !isXMLChar(r) {
			return "", fmt.Errorf("%w: %U in TDL string %q", ErrInvalidXMLChar, r, s)
		}
	}
	return `"` + s + `"`, nil
}

// EqualsFormula returns `$$IsEqual:$<method>:"<value>"`, a filter keeping
// objects whose method equals value (Tally compares case-insensitively).
func EqualsFormula(method, value string) (string, error) {
	if err := checkTDLIdent("method", method); err != nil {
		return "", err
	}
	lit, err := TDLString(value)
	if err != nil {
		return "", err
	}
	return "$$IsEqual:$" + method + ":" + lit, nil
}

// NameEquals returns `$$IsEqual:$Name:"<name>"`, the exact-name filter
// tally-mcp-server uses for a ledger balance (§3.2, §7(b)).
func NameEquals(name string) (string, error) { return EqualsFormula("Name", name) }

// checkTDLIdent accepts TDL method and definition names: letters, digits,
// '_', '.', and spaces inside (definition names such as "My Filter"), but no
// commas (FETCH and FILTERS are comma lists) or other punctuation.
func checkTDLIdent(what, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidRequest, what)
	}
	for _, c := range s {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == ' ' || c == '*'
		if !ok {
			return fmt.Errorf("%w: %s %q has %q", ErrInvalidRequest, what, s, c)
		}
	}
	return nil
}

func (t *TDL) hasCollection(name string) bool {
	for _, c := range t.Collections {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

type tdlXML struct {
	Message struct {
		Reports     []tdlReportXML  `xml:"REPORT"`
		Collections []collectionXML `xml:"COLLECTION"`
		Systems     []systemXML     `xml:"SYSTEM"`
	} `xml:"TDLMESSAGE"`
}

type tdlReportXML struct {
	Name string   `xml:"NAME,attr"`
	Use  string   `xml:"USE,omitempty"`
	Set  []string `xml:"SET"`
}

type collectionXML struct {
	Name          string   `xml:"NAME,attr"`
	IsModify      string   `xml:"ISMODIFY,attr,omitempty"`
	IsInitialize  string   `xml:"ISINITIALIZE,attr,omitempty"`
	Type          string   `xml:"TYPE"`
	ChildOf       string   `xml:"CHILDOF,omitempty"`
	BelongsTo     string   `xml:"BELONGSTO,omitempty"`
	Fetch         string   `xml:"FETCH,omitempty"`
	NativeMethods []string `xml:"NATIVEMETHOD"`
	Computes      []string `xml:"COMPUTE"`
	Filters       string   `xml:"FILTERS,omitempty"`
}

type systemXML struct {
	Type string `xml:"TYPE,attr"`
	Name string `xml:"NAME,attr"`
	Expr string `xml:",chardata"`
}

// wire validates the TDL and builds its wire form.
func (t *TDL) wire() (*tdlXML, error) {
	w := &tdlXML{}
	text := func(what, s string) error { return checkText(what, s) }
	for _, r := range t.Reports {
		if err := checkTDLIdent("REPORT NAME", r.Name); err != nil {
			return nil, err
		}
		if err := text("USE", r.Use); err != nil {
			return nil, err
		}
		for _, s := range r.Set {
			if err := text("SET", s); err != nil {
				return nil, err
			}
		}
		w.Message.Reports = append(w.Message.Reports, tdlReportXML{Name: r.Name, Use: r.Use, Set: r.Set})
	}
	for _, c := range t.Collections {
		if err := checkTDLIdent("COLLECTION NAME", c.Name); err != nil {
			return nil, err
		}
		if err := checkTDLIdent("COLLECTION TYPE", c.Type); err != nil {
			return nil, err
		}
		if err := text("CHILDOF", c.ChildOf); err != nil {
			return nil, err
		}
		for _, lists := range [...]struct {
			what  string
			items []string
		}{{"FETCH", c.Fetch}, {"NATIVEMETHOD", c.NativeMethods}, {"FILTERS", c.Filters}} {
			for _, s := range lists.items {
				if err := checkTDLIdent(lists.what, s); err != nil {
					return nil, err
				}
			}
		}
		var computes []string
		for _, cm := range c.Computes {
			if err := checkTDLIdent("COMPUTE name", cm.Name); err != nil {
				return nil, err
			}
			if err := text("COMPUTE "+cm.Name, cm.Expr); err != nil {
				return nil, err
			}
			computes = append(computes, cm.Name+":"+cm.Expr)
		}
		w.Message.Collections = append(w.Message.Collections, collectionXML{
			Name: c.Name, IsModify: c.IsModify.String(), IsInitialize: c.IsInitialize.String(),
			Type: c.Type, ChildOf: c.ChildOf, BelongsTo: c.BelongsTo.String(),
			Fetch: strings.Join(c.Fetch, ","), NativeMethods: c.NativeMethods, Computes: computes,
			Filters: strings.Join(c.Filters, ","),
		})
	}
	for _, f := range t.Formulae {
		if err := checkTDLIdent("SYSTEM NAME", f.Name); err != nil {
			return nil, err
		}
		if err := text("formula "+f.Name, f.Expr); err != nil {
			return nil, err
		}
		w.Message.Systems = append(w.Message.Systems, systemXML{Type: "Formulae", Name: f.Name, Expr: f.Expr})
	}
	return w, nil
}
