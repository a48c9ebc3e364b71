package tallyxml_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// TestRequestVerb: the read-only agent's judge reads our own envelopes in
// both charsets and families, real captured requests, and refuses (as an
// import or an error) anything that could write or that it cannot read.
func TestRequestVerb(t *testing.T) {
	t.Parallel()
	vars := tallyxml.Vars{Company: "ABC Traders"}
	legacy := tallyxml.ImportMasters(vars, tallyxml.LedgerMaster{Name: "X", Parent: "Sundry Debtors"})
	legacy.Form = tallyxml.FormLegacy
	legacyExport := tallyxml.ExportReport("Bills Receivable", vars)
	legacyExport.Form = tallyxml.FormLegacy
	ours := []struct {
		name string
		req  *tallyxml.Request
		want tallyxml.Verb
	}{
		{"object export", tallyxml.ExportObject("Ledger", "Rajesh", []string{"Name"}, vars), tallyxml.VerbExport},
		{"collection export", tallyxml.ExportCollection("List of Ledgers", vars), tallyxml.VerbExport},
		{"legacy report export", legacyExport, tallyxml.VerbExport},
		{"masters import", tallyxml.ImportMasters(vars, tallyxml.LedgerMaster{Name: "राजेश & Co", Parent: "Sundry Debtors"}), tallyxml.VerbImport},
		{"legacy import", legacy, tallyxml.VerbImport},
		{"action", tallyxml.ExecuteAction("Sync", vars), tallyxml.VerbExecute},
	}
	for _, tc := range ours {
		for _, cs := range []tallyxml.Charset{tallyxml.UTF16, tallyxml.UTF8} {
			body, err := tc.req.Encode(cs)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := tallyxml.RequestVerb(strings.NewReader(string(body))); err != nil || got != tc.want {
				t.Errorf("%s (%s): %v, %v; want %v", tc.name, cs, got, err, tc.want)
			}
		}
	}

	samples, _ := filepath.Glob(filepath.Join("testdata", "samples", "request-*.xml"))
	if len(samples) == 0 {
		t.Fatal("no captured requests")
	}
	for _, p := range samples {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want := tallyxml.VerbExport
		if strings.Contains(p, "request-import-") {
			want = tallyxml.VerbImport
		}
		if got, err := tallyxml.RequestVerb(strings.NewReader(string(b))); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", filepath.Base(p), got, err, want)
		}
	}

	for _, tc := range []struct {
		name, body string
		want       tallyxml.Verb // when no error
		wantErr    bool
	}{
		{"lower-case names", `<envelope><header><tallyrequest> import  data </tallyrequest></header></envelope>`, tallyxml.VerbImport, false},
		{"export header, import body", `<ENVELOPE><HEADER><TALLYREQUEST>Export</TALLYREQUEST></HEADER><BODY><IMPORTDATA/></BODY></ENVELOPE>`, tallyxml.VerbImport, false},
		{"a second, different TALLYREQUEST", `<ENVELOPE><HEADER><TALLYREQUEST>Export</TALLYREQUEST></HEADER><BODY><TALLYREQUEST>Import</TALLYREQUEST></BODY></ENVELOPE>`, tallyxml.VerbImport, false},
		{"TALLYREQUEST outside the header only", `<ENVELOPE><BODY><TALLYREQUEST>Export</TALLYREQUEST></BODY></ENVELOPE>`, 0, true},
		{"no TALLYREQUEST", `<ENVELOPE><HEADER><VERSION>1</VERSION></HEADER></ENVELOPE>`, 0, true},
		{"unknown verb", `<ENVELOPE><HEADER><TALLYREQUEST>Delete</TALLYREQUEST></HEADER></ENVELOPE>`, 0, true},
		{"cut off", `<ENVELOPE><HEADER><TALLYREQUEST>Export</TALLYREQUEST></HEADER><BODY><IMPORT`, 0, true},
		{"JSON", `{"static_variables":[]}`, 0, true},
		{"empty", ``, 0, true},
	} {
		got, err := tallyxml.RequestVerb(strings.NewReader(tc.body))
		switch {
		case tc.wantErr && !errors.Is(err, tallyxml.ErrNotARequest):
			t.Errorf("%s: %v, %v; want ErrNotARequest", tc.name, got, err)
		case !tc.wantErr && (err != nil || got != tc.want):
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
