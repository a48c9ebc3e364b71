package tallysim

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// fixedToday keeps every test deterministic.
var fixedToday = tallyxml.NewDate(2026, time.November, 22)

// startServer runs a simulator on 127.0.0.1:0 and closes it after the test.
func startServer(t *testing.T, cfg Config, companies ...*Company) *Server {
	t.Helper()
	if cfg.Today.IsZero() {
		cfg.Today = fixedToday
	}
	s := New(cfg, companies...)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var testClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// post sends body as UTF-8 and returns the response body.
func post(t *testing.T, s *Server, body string) string {
	t.Helper()
	resp, err := testClient.Post(s.URL(), "text/xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	return string(b)
}

func utf16le(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.Bytes()
}

func fromUTF16le(t *testing.T, b []byte) string {
	t.Helper()
	if len(b)%2 != 0 {
		t.Fatalf("odd UTF-16 length %d", len(b))
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// postRaw sends raw bytes with a content type and returns the raw answer.
func postRaw(t *testing.T, s *Server, contentType string, body []byte) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "samples", name))
	if err != nil {
		t.Fatalf("sample: %v", err)
	}
	return string(b)
}

// parse parses a response with the simulator's request parser (which drops
// the &#4; references Tally emits).
func parse(t *testing.T, body string) *elem {
	t.Helper()
	e, err := parseXML(body)
	if err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return e
}

// counter reads an import counter from either response family.
func counter(t *testing.T, body, name string) string {
	t.Helper()
	e := parse(t, body)
	if e.name == "RESPONSE" {
		return e.value(name)
	}
	return e.path("BODY", "DATA", "IMPORTRESULT").value(name)
}

func lineErrors(t *testing.T, body string) []string {
	t.Helper()
	e := parse(t, body)
	var holder *elem
	switch {
	case e.name == "RESPONSE":
		holder = e
	case e.path("BODY", "DATA", "IMPORTRESULT") != nil:
		holder = e.path("BODY", "DATA", "IMPORTRESULT")
	default:
		holder = e.path("BODY", "DATA")
	}
	var out []string
	for _, l := range holder.all("LINEERROR") {
		out = append(out, l.text)
	}
	return out
}

// v1Import wraps TALLYMESSAGE content in a version-1 Import envelope.
func v1Import(company, id, objects string) string {
	sv := ""
	if company != "" {
		sv = "<SVCURRENTCOMPANY>" + xmlEscape(company) + "</SVCURRENTCOMPANY>"
	}
	return "<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Import</TALLYREQUEST><TYPE>Data</TYPE><ID>" + id +
		"</ID></HEADER><BODY><DESC><STATICVARIABLES>" + sv + "</STATICVARIABLES></DESC><DATA><TALLYMESSAGE>" +
		objects + "</TALLYMESSAGE></DATA></BODY></ENVELOPE>"
}

// legacyImport wraps TALLYMESSAGE content in a legacy Import Data envelope.
func legacyImport(company, report, objects string) string {
	return "<ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><IMPORTDATA><REQUESTDESC><REPORTNAME>" +
		report + "</REPORTNAME><STATICVARIABLES><SVCURRENTCOMPANY>" + xmlEscape(company) +
		"</SVCURRENTCOMPANY></STATICVARIABLES></REQUESTDESC><REQUESTDATA><TALLYMESSAGE xmlns:UDF=\"TallyUDF\">" +
		objects + "</TALLYMESSAGE></REQUESTDATA></IMPORTDATA></BODY></ENVELOPE>"
}

func exportData(company, report, extra string) string {
	sv := "<SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>" + extra
	if company != "" {
		sv += "<SVCURRENTCOMPANY>" + xmlEscape(company) + "</SVCURRENTCOMPANY>"
	}
	return "<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Data</TYPE><ID>" +
		xmlEscape(report) + "</ID></HEADER><BODY><DESC><STATICVARIABLES>" + sv + "</STATICVARIABLES></DESC></BODY></ENVELOPE>"
}

// tdlCollectionReq builds an inline TDL collection export.
func tdlCollectionReq(company, name, typ, fetch, filter, extraSV string) string {
	sv := "<SVEXPORTFORMAT>$$SysName:XML</SVEXPORTFORMAT>" + extraSV
	if company != "" {
		sv += "<SVCURRENTCOMPANY>" + xmlEscape(company) + "</SVCURRENTCOMPANY>"
	}
	coll := "<COLLECTION NAME=\"" + xmlEscape(name) + "\" ISMODIFY=\"No\"><TYPE>" + typ + "</TYPE>"
	if fetch != "" {
		coll += "<FETCH>" + fetch + "</FETCH>"
	}
	sys := ""
	if filter != "" {
		coll += "<FILTERS>F1</FILTERS>"
		sys = "<SYSTEM TYPE=\"Formulae\" NAME=\"F1\">" + xmlEscape(filter) + "</SYSTEM>"
	}
	coll += "</COLLECTION>"
	return "<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Export</TALLYREQUEST><TYPE>Collection</TYPE><ID>" +
		xmlEscape(name) + "</ID></HEADER><BODY><DESC><STATICVARIABLES>" + sv + "</STATICVARIABLES><TDL><TDLMESSAGE>" +
		coll + sys + "</TDLMESSAGE></TDL></DESC></BODY></ENVELOPE>"
}

func xmlEscape(s string) string {
	var b strings.Builder
	escape(&b, s)
	return b.String()
}

// salesVoucher is a minimal Sales voucher element (party debit, Sales credit).
func salesVoucher(remoteID, date, party, amount, billName string) string {
	attrs := `VCHTYPE="Sales" ACTION="Create"`
	if remoteID != "" {
		attrs = `REMOTEID="` + remoteID + `" ` + attrs
	}
	bill := ""
	if billName != "" {
		bill = "<BILLALLOCATIONS.LIST><NAME>" + billName + "</NAME><BILLTYPE>New Ref</BILLTYPE><AMOUNT>-" + amount + "</AMOUNT></BILLALLOCATIONS.LIST>"
	}
	return "<VOUCHER " + attrs + "><DATE>" + date + "</DATE><VOUCHERTYPENAME>Sales</VOUCHERTYPENAME><PARTYLEDGERNAME>" +
		xmlEscape(party) + "</PARTYLEDGERNAME><LEDGERENTRIES.LIST><LEDGERNAME>" + xmlEscape(party) +
		"</LEDGERNAME><ISDEEMEDPOSITIVE>Yes</ISDEEMEDPOSITIVE><AMOUNT>-" + amount + "</AMOUNT>" + bill +
		"</LEDGERENTRIES.LIST><LEDGERENTRIES.LIST><LEDGERNAME>Sales</LEDGERNAME><ISDEEMEDPOSITIVE>No</ISDEEMEDPOSITIVE><AMOUNT>" +
		amount + "</AMOUNT></LEDGERENTRIES.LIST></VOUCHER>"
}
