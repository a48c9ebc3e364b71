package tallyxml

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

const companyNotLoaded = `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>0</STATUS></HEADER>` +
	"\r\n" + ` <BODY><DATA><LINEERROR>Could not set &apos;SVCurrentCompany&apos; to &apos;Bhrama Enterprises&apos;</LINEERROR></DATA></BODY></ENVELOPE>`

const statusZeroImport = "<ENVELOPE>\r\n <HEADER>\r\n  <VERSION>1</VERSION>\r\n  <STATUS>0</STATUS>\r\n </HEADER>\r\n <BODY>\r\n  <DATA>\r\n   <IMPORTRESULT>\r\n" +
	"    <CREATED>0</CREATED>\r\n    <ALTERED>0</ALTERED>\r\n    <ERRORS>1</ERRORS>\r\n    <EXCEPTIONS>0</EXCEPTIONS>\r\n" +
	"    <LINEERROR>Ledger 'No Such Sales' does not exist!</LINEERROR>\r\n   </IMPORTRESULT>\r\n  </DATA>\r\n" +
	"  <DESC>\r\n   <CMPINFO>\r\n    <VOUCHER>0</VOUCHER>\r\n   </CMPINFO>\r\n  </DESC>\r\n </BODY>\r\n</ENVELOPE>\r\n"

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	big := "<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA><COLLECTION>" +
		strings.Repeat(`<LEDGER NAME="x"><PARENT>&#4; Primary</PARENT></LEDGER>`, 2000) + "</COLLECTION></DATA></BODY></ENVELOPE>"
	tests := []struct {
		name  string
		in    string
		check func(error) bool
	}{
		{"empty", "", is(ErrEmptyBody)},
		{"whitespace", "\r\n\r\n  ", is(ErrEmptyBody)},
		{"unknown request sample", string(sample(t, "error-response-unknown-request-01.xml")), is(ErrUnknownRequest)},
		{"company not loaded", companyNotLoaded, func(err error) bool {
			var cn *CompanyNotLoadedError
			var se *StatusError
			return errors.As(err, &cn) && cn.Company == "Bhrama Enterprises" && errors.As(err, &se) &&
				strings.Contains(se.Error(), "Could not set 'SVCurrentCompany' to 'Bhrama Enterprises'")
		}},
		{"status 0 with line errors", `<ENVELOPE><HEADER><STATUS>0</STATUS></HEADER><BODY><DATA><LINEERROR>Voucher totals do not match! Dr: 10.00 Cr: 9.00 Diff: 1.00</LINEERROR><LINEERROR>Ledger 'Sales' does not exist!</LINEERROR></DATA></BODY></ENVELOPE>`,
			statusLines("Voucher totals do not match! Dr: 10.00 Cr: 9.00 Diff: 1.00", "Ledger 'Sales' does not exist!")},
		{"status 0 without message", `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>0</STATUS></HEADER><BODY><DATA></DATA></BODY></ENVELOPE>`, statusLines()},
		{"DESC not found", `<ENVELOPE><HEADER><STATUS>0</STATUS></HEADER><BODY><DATA>DESC not found</DATA></BODY></ENVELOPE>`, statusLines("DESC not found")},
		{"STATUS.LIST", `<ENVELOPE><HEADER><STATUS>0</STATUS></HEADER><BODY><DATA><STATUS.LIST><STATUS><CODE>123</CODE><DESC>Invalid Request</DESC></STATUS></STATUS.LIST></DATA></BODY></ENVELOPE>`,
			func(err error) bool {
				var se *StatusError
				return errors.As(err, &se) && se.Code == "123" && cmp.Equal(se.LineErrors, []string{"Invalid Request"})
			}},
		{"errormsg", `<ERRORMSG>Report 'X' does not exist</ERRORMSG>`, func(err error) bool {
			var em *ErrorMessage
			return errors.As(err, &em) && em.Text == "Report 'X' does not exist"
		}},
		{"exception", "<EXCEPTION>\r\nTDL error\r\n</EXCEPTION>", func(err error) bool {
			var ee *ExceptionError
			return errors.As(err, &ee) && ee.Text == "TDL error"
		}},
		{"malformed short body", `<ENVELOPE><HEADER><STATUS>1</B></ENVELOPE>`, func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed") }},
		{"not XML", "Service Unavailable\r\n", func(err error) bool { return err != nil && strings.Contains(err.Error(), "malformed") }},
		{"malformed past the header is the decoder's business", `<ENVELOPE><A></B></ENVELOPE>`, isNil},
		{"success collection", string(sample(t, "ledger-collection-export-02.xml")), isNil},
		{"success flat report", string(sample(t, "bills-payable-report-export-01.xml")), isNil},
		{"success import result (judged by DecodeImportResult)", string(sample(t, "import-response-lineerror-voucher-not-exist-01.xml")), isNil},
		{"success ENVELOPE IMPORTRESULT", string(sample(t, "import-response-importresult-ledger-altered-01.xml")), isNil},
		{"STATUS 0 with IMPORTRESULT is an import result", statusZeroImport, isNil},
		{"liveness", "<RESPONSE>TallyPrime Server is Running</RESPONSE>", isNil},
		{"bare ENVELOPE", "<ENVELOPE></ENVELOPE>", isNil},
		{"larger than the window", big, isNil},
		{"STATUS 0 larger than the window", strings.Replace(big, "<STATUS>1</STATUS>", "<STATUS>0</STATUS>", 1), statusLines()},
		{"utf16 unknown request", string(utf16(t, sample(t, "error-response-unknown-request-01.xml"), unicode.LittleEndian, false)), is(ErrUnknownRequest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			br := bufio.NewReaderSize(NewReader(strings.NewReader(tt.in)), 4096)
			err := CheckResponse(br)
			if !tt.check(err) {
				t.Fatalf("CheckResponse = %v (%T)", err, err)
			}
			// Nothing is consumed: the decoders still see the whole body.
			rest, rerr := io.ReadAll(br)
			whole, _ := io.ReadAll(NewReader(strings.NewReader(tt.in)))
			if rerr != nil || !bytes.Equal(rest, whole) {
				t.Errorf("CheckResponse consumed input: %d of %d bytes left", len(rest), len(whole))
			}
		})
	}
}

func TestCheckResponseStreamsSuccess(t *testing.T) {
	t.Parallel()
	br := bufio.NewReader(NewReader(bytes.NewReader(sample(t, "ledger-collection-export-02.xml"))))
	if err := CheckResponse(br); err != nil {
		t.Fatal(err)
	}
	if n := len(collect(t, Ledgers(br))); n != 6 {
		t.Errorf("after CheckResponse, Ledgers gave %d rows, want 6", n)
	}
}

func TestCheckResponseTransportError(t *testing.T) {
	t.Parallel()
	br := bufio.NewReader(iotest.ErrReader(iotest.ErrTimeout))
	if err := CheckResponse(br); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("err = %v, want the transport error", err)
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func isNil(err error) bool { return err == nil }

func statusLines(lines ...string) func(error) bool {
	return func(err error) bool {
		var se *StatusError
		var cn *CompanyNotLoadedError
		return errors.As(err, &se) && !errors.As(err, &cn) && cmp.Equal(se.LineErrors, lines, cmpOpts)
	}
}

func TestDecodeImportResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ImportResult
		wantErr func(error) bool
	}{{
		name: "RESPONSE ledgers created (CRCRLF)",
		in:   string(sample(t, "import-response-ledgers-created-01.xml")),
		want: ImportResult{Created: 4},
	}, {
		name: "RESPONSE voucher created",
		in:   string(sample(t, "import-response-voucher-created-01.xml")),
		want: ImportResult{Created: 1, LastVchID: 1},
	}, {
		name: "RESPONSE LINEERROR before counters",
		in:   string(sample(t, "import-response-lineerror-voucher-not-exist-01.xml")),
		want: ImportResult{Errors: 1, LineErrors: []string{"Voucher does not exist!"}},
	}, {
		name: "ENVELOPE IMPORTRESULT altered, CMPINFO ignored",
		in:   string(sample(t, "import-response-importresult-ledger-altered-01.xml")),
		want: ImportResult{Altered: 1},
	}, {
		name: "RESPONSE LINEERROR after counters",
		in:   "<RESPONSE><CREATED>0</CREATED><ALTERED>0</ALTERED><ERRORS>1</ERRORS><EXCEPTIONS>0</EXCEPTIONS>\n <LINEERROR>Ledger 'Sales' does not exist!</LINEERROR></RESPONSE>",
		want: ImportResult{Errors: 1, LineErrors: []string{"Ledger 'Sales' does not exist!"}},
	}, {
		name: "IMPORTRESULT with LINEERROR inside",
		in: `<ENVELOPE><HEADER><VERSION>1</VERSION><STATUS>1</STATUS></HEADER><BODY><DATA><IMPORTRESULT><CREATED>0</CREATED>` +
			`<ALTERED>0</ALTERED><DELETED>0</DELETED><LASTVCHID>0</LASTVCHID><LASTMID>0</LASTMID><COMBINED>0</COMBINED><IGNORED>0</IGNORED>` +
			`<ERRORS>0</ERRORS><CANCELLED>0</CANCELLED><EXCEPTIONS>1</EXCEPTIONS><LINEERROR>Voucher date is missing for: 'Sales' voucher BAD-1.</LINEERROR>` +
			`</IMPORTRESULT></DATA><DESC><CMPINFO><LEDGER>2</LEDGER></CMPINFO></DESC></BODY></ENVELOPE>`,
		want: ImportResult{Exceptions: 1, LineErrors: []string{"Voucher date is missing for: 'Sales' voucher BAD-1."}},
	}, {
		name: "STATUS 0 with IMPORTRESULT keeps the counters, no error",
		in:   statusZeroImport,
		want: ImportResult{Errors: 1, LineErrors: []string{"Ledger 'No Such Sales' does not exist!"}},
	}, {
		name:    "unknown request",
		in:      string(sample(t, "error-response-unknown-request-01.xml")),
		wantErr: is(ErrUnknownRequest),
	}, {
		name: "company not loaded keeps the LINEERROR",
		in:   companyNotLoaded,
		want: ImportResult{LineErrors: []string{"Could not set 'SVCurrentCompany' to 'Bhrama Enterprises'"}},
		wantErr: func(err error) bool {
			var cn *CompanyNotLoadedError
			return errors.As(err, &cn) && cn.Company == "Bhrama Enterprises"
		},
	}, {
		name:    "DESC not found",
		in:      `<ENVELOPE><HEADER><STATUS>0</STATUS></HEADER><BODY><DATA>DESC not found</DATA></BODY></ENVELOPE>`,
		want:    ImportResult{LineErrors: []string{"DESC not found"}},
		wantErr: statusLines("DESC not found"),
	}, {
		name:    "exception body",
		in:      `<EXCEPTION>Object not found</EXCEPTION>`,
		wantErr: func(err error) bool { var e *ExceptionError; return errors.As(err, &e) && e.Text == "Object not found" },
	}, {
		name:    "empty",
		in:      "",
		wantErr: is(ErrEmptyBody),
	}, {
		name:    "bad counter",
		in:      `<RESPONSE><CREATED>one</CREATED></RESPONSE>`,
		wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "CREATED") },
	}, {
		name:    "truncated",
		in:      `<RESPONSE><CREATED>1</CREATED>`,
		want:    ImportResult{Created: 1},
		wantErr: func(err error) bool { return err != nil },
	}, {
		name: "utf16 no BOM",
		in:   string(utf16(t, sample(t, "import-response-voucher-created-01.xml"), unicode.LittleEndian, false)),
		want: ImportResult{Created: 1, LastVchID: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeImportResult(strings.NewReader(tt.in))
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("ImportResult (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportResultErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		r      ImportResult
		want   Counter
		ok     bool
		silent bool
		msg    string // a substring of the error
	}{
		{"created", ImportResult{Created: 1, LastVchID: 295}, CounterCreated, true, false, ""},
		{"nothing moved", ImportResult{}, CounterCreated, false, false, "want CREATED"},
		{"LINEERROR with ERRORS 0", ImportResult{Created: 1, LineErrors: []string{"Ledger 'Sales' does not exist!"}}, CounterCreated, false, false, "Ledger 'Sales' does not exist!"},
		{"EXCEPTIONS 1 alone", ImportResult{Exceptions: 1}, CounterCreated, false, false, "EXCEPTIONS=1"},
		{"EXCEPTIONS 1 with a created count", ImportResult{Created: 1, Exceptions: 1}, CounterCreated, false, false, "EXCEPTIONS=1"},
		{"ERRORS 1", ImportResult{Created: 1, Errors: 1}, CounterCreated, false, false, "ERRORS=1"},
		{"silent alter on create", ImportResult{Altered: 1}, CounterCreated, false, true, "already existed"},
		{"upsert accepts alter", ImportResult{Altered: 1}, CounterCreatedOrAltered, true, true, ""},
		{"upsert accepts create", ImportResult{Created: 1}, CounterCreatedOrAltered, true, false, ""},
		{"altered", ImportResult{Altered: 1}, CounterAltered, true, true, ""},
		{"deleted", ImportResult{Deleted: 1}, CounterDeleted, true, false, ""},
		{"delete missing master", ImportResult{Errors: 1, LineErrors: []string{"Item does not exist!"}}, CounterDeleted, false, false, "Item does not exist!"},
		{"cancel reported as cancelled", ImportResult{Cancelled: 1}, CounterCancelled, true, false, ""},
		{"cancel reported as altered (7.1 Silver)", ImportResult{Altered: 1}, CounterCancelled, true, true, ""},
		{"wrong counter", ImportResult{Created: 1}, CounterDeleted, false, false, "want DELETED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.r.Err(tt.want)
			if (err == nil) != tt.ok {
				t.Fatalf("Err(%v) = %v, want ok=%v", tt.want, err, tt.ok)
			}
			if tt.r.SilentAlter() != tt.silent {
				t.Errorf("SilentAlter = %v", !tt.silent)
			}
			if err == nil {
				return
			}
			var ie *ImportError
			if !errors.As(err, &ie) || !cmp.Equal(ie.Result, tt.r, cmpOpts) {
				t.Errorf("not an *ImportError carrying the result: %v", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
			if Hint(err) == "" {
				t.Errorf("no hint for %v", err)
			}
			var le *LineError
			if got := errors.As(err, &le); got != (len(tt.r.LineErrors) > 0) {
				t.Errorf("errors.As *LineError = %v", got)
			} else if got && le.Text != tt.r.LineErrors[0] {
				t.Errorf("LineError %q", le.Text)
			}
		})
	}
}

func TestErrorTexts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		msg  string
		hint string
	}{
		{ErrEmptyBody, "empty response", "Open a company"},
		{ErrUnknownRequest, "Unknown Request", "malformed"},
		{&StatusError{LineErrors: []string{"Voucher totals do not match! Dr: 1 Cr: 2"}}, "STATUS 0: Voucher totals", "sum to zero"},
		{&StatusError{Code: "123", LineErrors: []string{"Invalid Request"}}, "(code 123): Invalid Request", "LINEERROR"},
		{&CompanyNotLoadedError{Company: "Acme"}, `company "Acme" is not loaded`, `Open the company "Acme"`},
		{&ExceptionError{Text: "boom"}, "exception: boom", "exception"},
		{&ErrorMessage{Text: "nope"}, "error: nope", ""},
		{&LineError{Text: "Ledger 'X' does not exist!"}, "Ledger 'X' does not exist!", "Create the master"},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.err.Error(), tt.msg) {
			t.Errorf("%T: %q lacks %q", tt.err, tt.err, tt.msg)
		}
		if h := Hint(tt.err); !strings.Contains(h, tt.hint) || tt.hint == "" && h != "" {
			t.Errorf("%T: hint %q, want it to contain %q", tt.err, h, tt.hint)
		}
	}
	if Counter(99).String() != "Counter(99)" || CounterCreatedOrAltered.String() != "CREATED+ALTERED" {
		t.Error("Counter.String")
	}
}
