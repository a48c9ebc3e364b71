package tallyxml

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Tally answers HTTP 200 for everything, so the outcome of a request is in
// the body (tally-protocol.md §9.1). This file turns the failure shapes real
// gateways produce into typed errors, and judges import counters.

// hintedError is a sentinel error that also knows what a person can do.
type hintedError struct{ msg, hint string }

func (e *hintedError) Error() string { return e.msg }

// Hint returns advice a person can act on.
func (e *hintedError) Hint() string { return e.hint }

// ErrEmptyBody is returned for a response with no XML at all. With no company
// open, a custom report answers with an empty body (tally-database-loader,
// tally-protocol.md §9.5).
var ErrEmptyBody error = &hintedError{
	msg:  "tallyxml: Tally returned an empty response",
	hint: "Open a company in TallyPrime; with no company loaded, reports answer with an empty body.",
}

// ErrUnknownRequest is `<RESPONSE>Unknown Request, cannot be processed</RESPONSE>`:
// Tally could not read the request at all. Malformed XML (an unescaped &),
// a wrong envelope, a UTF-16 body sent without a charset, or an unknown report
// ID all end here (tally-protocol.md §9.1, §9.3 (D), §9.4). It is a hard
// failure, never a no-op.
var ErrUnknownRequest error = &hintedError{
	msg:  "tallyxml: Tally could not process the request (Unknown Request)",
	hint: "The request envelope was malformed or named an unknown report; check escaping, the HEADER and the Content-Type charset.",
}

// ErrNoObject is returned by the single-object decoders when the response
// holds no object of the requested kind; an *ObjectNotFoundError (Tally's own
// "Could not find" answer) matches it too.
var ErrNoObject = errors.New("tallyxml: the response holds no such object")

// Hint returns the first Hint() found in err's chain, or "".
func Hint(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// StatusError is a response whose HEADER says STATUS 0. The message comes as
// LINEERRORs, as plain text in DATA (`<DATA>DESC not found</DATA>`) or as
// `<STATUS.LIST><STATUS><CODE>…</CODE><DESC>…</DESC></STATUS></STATUS.LIST>`
// (tally-protocol.md §9.4); all of them end up in LineErrors, verbatim.
type StatusError struct {
	LineErrors []string
	Code       string // CODE from the STATUS.LIST shape, if any
}

func (e *StatusError) Error() string {
	var b strings.Builder
	b.WriteString("tallyxml: Tally returned STATUS 0")
	if e.Code != "" {
		b.WriteString(" (code ")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if len(e.LineErrors) == 0 {
		b.WriteString(" without a message")
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(strings.Join(e.LineErrors, "; "))
	return b.String()
}

// Hint returns advice for the first known LINEERROR text.
func (e *StatusError) Hint() string {
	for _, l := range e.LineErrors {
		if h := lineErrorHint(l); h != "" {
			return h
		}
	}
	return "Tally refused the request; the LINEERROR text says why."
}

// CompanyNotLoadedError is STATUS 0 with `Could not set 'SVCurrentCompany' to
// '<name>'`: the company named in SVCURRENTCOMPANY is not open in Tally
// (tally-protocol.md §9.5). It unwraps to the underlying *StatusError.
type CompanyNotLoadedError struct {
	Company    string
	LineErrors []string
}

func (e *CompanyNotLoadedError) Error() string {
	return fmt.Sprintf("tallyxml: company %q is not loaded in Tally", e.Company)
}

// Hint tells a person what to do.
func (e *CompanyNotLoadedError) Hint() string {
	return fmt.Sprintf("Open the company %q in TallyPrime (Alt+F3 / F3: Select Company), or check its exact name.", e.Company)
}

// Unwrap exposes the STATUS 0 response as a *StatusError.
func (e *CompanyNotLoadedError) Unwrap() error { return &StatusError{LineErrors: e.LineErrors} }

// ErrorMessage is a body that is a bare `<ERRORMSG>…</ERRORMSG>`, or a
// `<RESPONSE>` holding text other than a known message.
type ErrorMessage struct{ Text string }

func (e *ErrorMessage) Error() string { return "tallyxml: Tally error: " + e.Text }

// ObjectNotFoundError is Tally's answer to an Object export (TYPE Object) for
// an object the company does not have: a bare
// `<ERRORMSG>Could not find …!</ERRORMSG>` with no ENVELOPE
// (tally-protocol.md §9.3 (B), LIVE: `Could not find Voucher:ID:<n>!` for a
// MasterID that is gone, on releases 3.0 to 7.1, and `Could not find
// (null):Ledger!`). errors.Is(err, ErrNoObject) holds for it. Only an object
// export is read so (Client.Do, the *Object decoders): an ERRORMSG answering a
// report or a function stays an *ErrorMessage.
type ObjectNotFoundError struct{ Text string }

func (e *ObjectNotFoundError) Error() string { return "tallyxml: Tally has no such object: " + e.Text }

// Is makes errors.Is(err, ErrNoObject) true.
func (e *ObjectNotFoundError) Is(target error) bool { return target == ErrNoObject }

// objectExportErr reads the failure of an object export: a "Could not find"
// ERRORMSG becomes an *ObjectNotFoundError; anything else is returned as is.
func objectExportErr(err error) error {
	if em, ok := errors.AsType[*ErrorMessage](err); ok && strings.HasPrefix(em.Text, "Could not find") {
		return &ObjectNotFoundError{Text: em.Text}
	}
	return err
}

// ExceptionError is a body that is `<EXCEPTION>…</EXCEPTION>` (tally-mcp-server
// handles it; tally-protocol.md §9.4).
type ExceptionError struct{ Text string }

func (e *ExceptionError) Error() string { return "tallyxml: Tally exception: " + e.Text }

// Hint tells a person what usually causes it.
func (e *ExceptionError) Hint() string {
	return "Tally raised an exception while processing the request; check Tally's screen for a dialog and the request's TDL."
}

// LineError is one LINEERROR of a rejected import, verbatim.
type LineError struct{ Text string }

func (e *LineError) Error() string { return "tallyxml: " + e.Text }

// Hint returns advice for the known LINEERROR texts (tally-protocol.md §9.4).
func (e *LineError) Hint() string { return lineErrorHint(e.Text) }

// lineErrorHints maps fragments of the LINEERROR texts recorded from real
// gateways (tally-protocol.md §9.4) to advice.
var lineErrorHints = []struct{ fragment, hint string }{
	{"SVCurrentCompany", "Open the company in TallyPrime, or check its exact name."},
	{"Voucher totals do not match", "The debit and credit lines must sum to zero (debit negative, credit positive)."},
	{"does not exist", "Create the master first, or check the name's exact spelling (Tally folds only ASCII case)."},
	{"Voucher date is missing", "The date is outside what the company accepts (an Educational licence takes only the 1st, 2nd and 31st)."},
	{"not within the financial period", "Use a date inside the company's financial period."},
	{"out of range", "Use a date inside the company's financial period."},
	{"Allocation totals do not match", "The bill allocations must add up to the ledger line's amount."},
	{"Cannot delete", "Tally refused the delete; the object may be in use."},
}

func lineErrorHint(text string) string {
	for _, h := range lineErrorHints {
		if strings.Contains(text, h.fragment) {
			return h.hint
		}
	}
	return ""
}

// statusErr builds the error for a STATUS 0 response.
func statusErr(lines []string, code string) error {
	for _, l := range lines {
		if c, ok := companyFromLineError(l); ok {
			return &CompanyNotLoadedError{Company: c, LineErrors: lines}
		}
	}
	return &StatusError{LineErrors: lines, Code: code}
}

// companyFromLineError extracts <name> from
// "Could not set 'SVCurrentCompany' to '<name>'" (the quotes arrive as &apos;
// and are unescaped by the decoder).
func companyFromLineError(s string) (string, bool) {
	const prefix = "Could not set 'SVCurrentCompany' to '"
	i := strings.Index(s, prefix)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(prefix):]
	if j := strings.LastIndexByte(rest, '\''); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// responseTextErr classifies a `<RESPONSE>` that holds only text.
func responseTextErr(text string) error {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return nil
	case strings.Contains(strings.ToLower(t), "unknown request"):
		return ErrUnknownRequest
	case strings.Contains(t, "Server is Running"):
		return nil // the liveness answer (§9.1), not a failure
	}
	return &ErrorMessage{Text: t}
}

// maxMessages bounds how many failure messages are kept, so a hostile or
// runaway body cannot grow memory without limit.
const maxMessages = 1000

// collectFailure reads the rest of a STATUS 0 envelope and gathers its
// messages: LINEERRORs anywhere, text directly inside DATA, and the DESC/CODE
// of a STATUS.LIST. counters reports an IMPORTRESULT: an import whose every
// object failed may say STATUS 0 and still carry its counters (LienRho #6 in
// tally-protocol.md; the simulator answers so), and then the counters, not
// the STATUS, are the outcome. It stops quietly at the end of input or at a
// syntax error (CheckResponse feeds it a truncated prefix).
func collectFailure(d *xml.Decoder) (lines []string, code string, counters bool) {
	var stack []string
	parent := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1]
	}
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" && len(lines) < maxMessages {
			lines = append(lines, s)
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return lines, code, counters
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Local == "CMPINFO":
				if d.Skip() != nil {
					return lines, code, counters
				}
			case t.Name.Local == "LINEERROR",
				t.Name.Local == "DESC" && parent() == "STATUS",
				t.Name.Local == "CODE" && parent() == "STATUS":
				s, err := text(d)
				if err != nil {
					add(s)
					return lines, code, counters
				}
				if t.Name.Local == "CODE" {
					code = strings.TrimSpace(s)
				} else {
					add(s)
				}
			default:
				if t.Name.Local == "IMPORTRESULT" {
					counters = true
				}
				if len(stack) < 64 {
					stack = append(stack, t.Name.Local)
				}
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if parent() == "DATA" {
				add(string(t))
			}
		}
	}
}

// readHeader reads a HEADER element's children. For STATUS 0 it goes on to
// collect the failure messages from the rest of the document and returns the
// typed error.
func readHeader(d *xml.Decoder) error {
	status := ""
	err := eachChild(d, func(t xml.StartElement) error {
		if t.Name.Local != "STATUS" {
			return d.Skip()
		}
		s, err := text(d)
		status = strings.TrimSpace(s)
		return err
	})
	if err != nil {
		return err
	}
	if status == "0" {
		lines, code, counters := collectFailure(d)
		if counters {
			return nil // an import result: judged by its counters
		}
		return statusErr(lines, code)
	}
	return nil
}

// rootReport is what a bare-root body (RESPONSE, EXCEPTION, ERRORMSG) holds.
type rootReport struct {
	text     string
	lines    []string
	counters bool
}

// readRoot reads a RESPONSE/EXCEPTION/ERRORMSG root element whose start was
// consumed. A truncated prefix yields what was read before the cut.
func readRoot(d *xml.Decoder) (rootReport, error) {
	var rr rootReport
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			rr.text = b.String()
			return rr, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len() < 4096 {
				b.Write(t)
			}
		case xml.StartElement:
			if t.Name.Local == "LINEERROR" {
				s, err := text(d)
				if strings.TrimSpace(s) != "" && len(rr.lines) < maxMessages {
					rr.lines = append(rr.lines, strings.TrimSpace(s))
				}
				if err != nil {
					rr.text = b.String()
					return rr, err
				}
				continue
			}
			if _, ok := counterField(&ImportResult{}, t.Name.Local); ok {
				rr.counters = true
			}
			if err := d.Skip(); err != nil {
				return rr, err
			}
		case xml.EndElement:
			rr.text = b.String()
			return rr, nil
		}
	}
}

// rootErr classifies a bare-root body.
func rootErr(name string, rr rootReport) error {
	switch name {
	case "EXCEPTION":
		return &ExceptionError{Text: strings.TrimSpace(rr.text)}
	case "ERRORMSG":
		return &ErrorMessage{Text: strings.TrimSpace(rr.text)}
	}
	if rr.counters {
		return nil
	}
	if len(rr.lines) > 0 {
		return statusErr(rr.lines, "")
	}
	return responseTextErr(rr.text)
}

// CheckResponse classifies the start of a response without consuming it, so a
// success stays streamable by the decoders (Ledgers, Bills, …) reading from
// the same br. It returns nil for a success-shaped body, including an import
// result (judge that with DecodeImportResult and ImportResult.Err), and the
// typed error for the failure shapes (a STATUS 0 envelope that still carries
// an IMPORTRESULT counts as an import result): ErrEmptyBody, ErrUnknownRequest,
// *StatusError, *CompanyNotLoadedError, *ErrorMessage, *ExceptionError.
//
// br should yield UTF-8 (wrap the body with NewReader first); CheckResponse
// tolerates raw UTF-16 too. It looks only at the first br.Size() bytes:
// failures are short and STATUS sits in the HEADER at the very start, so a
// large body is never buffered whole. A failure whose messages run past the
// window keeps the messages that fit. Malformed XML past the HEADER is left
// for the decoder to report.
func CheckResponse(br *bufio.Reader) error {
	buf, err := br.Peek(br.Size())
	complete := false
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		complete = true
	default:
		// A transport error: judge what arrived; the decoder will meet the
		// error itself.
		if len(buf) == 0 {
			return fmt.Errorf("tallyxml: reading response: %w", err)
		}
	}
	return classify(buf, complete)
}

// classify judges a response prefix; complete says the prefix is the whole
// body.
func classify(buf []byte, complete bool) error {
	if len(bytes.TrimSpace(bytes.Trim(buf, "\x00\xef\xbb\xbf\xff\xfe"))) == 0 {
		if complete {
			return ErrEmptyBody
		}
		return nil
	}
	d := NewDecoder(bytes.NewReader(buf))
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if complete {
				return ErrEmptyBody
			}
			return nil
		}
		if err != nil {
			if complete {
				return fmt.Errorf("tallyxml: malformed response: %w", err)
			}
			return nil
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) > 0 {
			return fmt.Errorf("tallyxml: malformed response: text %q before any element", truncateText(string(cd), 40))
		}
		if t, ok := tok.(xml.StartElement); ok {
			root = t
			break
		}
	}
	switch root.Name.Local {
	case "RESPONSE", "EXCEPTION", "ERRORMSG":
		rr, err := readRoot(d)
		if err != nil && complete {
			return fmt.Errorf("tallyxml: malformed response: %w", err)
		}
		return rootErr(root.Name.Local, rr)
	}
	// An ENVELOPE: only a HEADER as its first child can carry STATUS 0.
	for {
		tok, err := d.Token()
		if err != nil {
			return nil // end of the window or of a short body: nothing failed so far
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "HEADER" {
				return nil
			}
			err := readHeader(d)
			var se *StatusError
			var cn *CompanyNotLoadedError
			switch {
			case errors.As(err, &se) || errors.As(err, &cn):
				return err
			case err != nil && complete:
				return fmt.Errorf("tallyxml: malformed response: %w", err)
			}
			return nil
		case xml.EndElement:
			return nil
		}
	}
}

func truncateText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ImportResult holds the counters of an import response, in either family:
// the bare `<RESPONSE><CREATED>…` of legacy `Import Data` and the
// ENVELOPE/BODY/DATA/IMPORTRESULT of version-1 `Import` (tally-protocol.md
// §9.4 (F), (G)). LineErrors are verbatim, in document order.
type ImportResult struct {
	Created, Altered, Deleted int
	LastVchID, LastMID        int
	Combined, Ignored         int
	Errors, Cancelled         int
	Exceptions                int
	LineErrors                []string
}

// counterField maps a counter tag to its field.
func counterField(r *ImportResult, tag string) (*int, bool) {
	switch tag {
	case "CREATED":
		return &r.Created, true
	case "ALTERED":
		return &r.Altered, true
	case "DELETED":
		return &r.Deleted, true
	case "LASTVCHID":
		return &r.LastVchID, true
	case "LASTMID":
		return &r.LastMID, true
	case "COMBINED":
		return &r.Combined, true
	case "IGNORED":
		return &r.Ignored, true
	case "ERRORS":
		return &r.Errors, true
	case "CANCELLED":
		return &r.Cancelled, true
	case "EXCEPTIONS":
		return &r.Exceptions, true
	}
	return nil, false
}

// DecodeImportResult reads an import response. It keeps every counter and
// LINEERROR even when it also returns an error: ErrUnknownRequest for the
// counter-less `<RESPONSE>Unknown Request…` (malformed request, §9.4),
// *StatusError / *CompanyNotLoadedError for a STATUS 0 envelope,
// *ExceptionError, ErrEmptyBody, or a decode error. A body with counters
// returns a nil error whatever they say: judge it with Err.
func DecodeImportResult(r io.Reader) (ImportResult, error) {
	var res ImportResult
	d := NewDecoder(r)
	sawRoot, sawCounter, status0 := false, false, false
	var code string
	var rootName string
	var body strings.Builder
	depth := 0
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !sawRoot {
				sawRoot, rootName = true, t.Name.Local
			}
			name := t.Name.Local
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			switch {
			case name == "CMPINFO" || name == "DESC" && parent == "BODY":
				if err := d.Skip(); err != nil {
					return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
				}
				continue
			case name == "LINEERROR" || status0 && name == "DESC" && parent == "STATUS":
				s, err := text(d)
				if err != nil {
					return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
				}
				if s = strings.TrimSpace(s); s != "" && len(res.LineErrors) < maxMessages {
					res.LineErrors = append(res.LineErrors, s)
				}
				continue
			case name == "CODE" && parent == "STATUS":
				s, err := text(d)
				if err != nil {
					return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
				}
				code = strings.TrimSpace(s)
				continue
			case name == "STATUS" && parent == "HEADER":
				s, err := text(d)
				if err != nil {
					return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
				}
				status0 = strings.TrimSpace(s) == "0"
				continue
			}
			if p, ok := counterField(&res, name); ok {
				s, err := text(d)
				if err != nil {
					return res, fmt.Errorf("tallyxml: decoding import result: %w", err)
				}
				// An empty counter is 0, as an empty Number is: failing on
				// it would lose a CREATED=1 already read.
				v := 0
				if t := strings.TrimSpace(s); t != "" {
					if v, err = strconv.Atoi(t); err != nil {
						return res, fmt.Errorf("tallyxml: import counter %s %q: %w", name, s, err)
					}
				}
				*p, sawCounter = v, true
				continue
			}
			depth++
			stack = append(stack, name)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			depth--
		case xml.CharData:
			if depth == 1 && (rootName == "RESPONSE" || rootName == "EXCEPTION" || rootName == "ERRORMSG") ||
				status0 && len(stack) > 0 && stack[len(stack)-1] == "DATA" {
				if body.Len() < 4096 {
					body.Write(t)
				}
			}
		}
	}
	switch {
	case !sawRoot:
		return res, ErrEmptyBody
	case rootName == "EXCEPTION":
		return res, &ExceptionError{Text: strings.TrimSpace(body.String())}
	case rootName == "ERRORMSG":
		return res, &ErrorMessage{Text: strings.TrimSpace(body.String())}
	case status0 && sawCounter:
		// STATUS 0 with counters: the counters (and LINEERRORs) tell what
		// happened; Err judges them.
		return res, nil
	case status0:
		if s := strings.TrimSpace(body.String()); s != "" && len(res.LineErrors) < maxMessages {
			res.LineErrors = append(res.LineErrors, s)
		}
		return res, statusErr(res.LineErrors, code)
	case !sawCounter && rootName == "RESPONSE":
		if err := responseTextErr(body.String()); err != nil {
			return res, err
		}
		if len(res.LineErrors) > 0 {
			return res, statusErr(res.LineErrors, "")
		}
		return res, fmt.Errorf("tallyxml: response carries no import counters")
	case !sawCounter:
		if len(res.LineErrors) > 0 {
			return res, statusErr(res.LineErrors, "")
		}
		return res, fmt.Errorf("tallyxml: response carries no import counters")
	}
	return res, nil
}

// Counter names the counter an import is meant to move.
type Counter int

// The counters Err can demand.
const (
	CounterCreated Counter = iota + 1
	CounterAltered
	CounterDeleted
	// CounterCancelled accepts CANCELLED or ALTERED: licensed TallyPrime 7.1
	// reports a cancel-by-REMOTEID as ALTERED=1, CANCELLED=0 (§9.4).
	CounterCancelled
	// CounterCreatedOrAltered is for upserts: Create with a known REMOTEID (or
	// on an existing master) answers CREATED=0 ALTERED=1 (§9.4).
	CounterCreatedOrAltered
)

func (c Counter) String() string {
	switch c {
	case CounterCreated:
		return "CREATED"
	case CounterAltered:
		return "ALTERED"
	case CounterDeleted:
		return "DELETED"
	case CounterCancelled:
		return "CANCELLED"
	case CounterCreatedOrAltered:
		return "CREATED+ALTERED"
	}
	return "Counter(" + strconv.Itoa(int(c)) + ")"
}

func (r ImportResult) moved(want Counter) bool {
	switch want {
	case CounterCreated:
		return r.Created > 0
	case CounterAltered:
		return r.Altered > 0
	case CounterDeleted:
		return r.Deleted > 0
	case CounterCancelled:
		return r.Cancelled > 0 || r.Altered > 0
	case CounterCreatedOrAltered:
		return r.Created+r.Altered > 0
	}
	return false
}

// Err applies the success rule real traffic forces (tally-protocol.md §9.4):
// the intended counter went up AND ERRORS=0 AND EXCEPTIONS=0 AND no LINEERROR.
// Each clause is needed: a LINEERROR can come with ERRORS 0, EXCEPTIONS=1 can
// come without any LINEERROR, and a Create that hit an existing master answers
// CREATED=0 ALTERED=1 (see SilentAlter). It returns nil or an *ImportError.
func (r ImportResult) Err(want Counter) error {
	if r.moved(want) && r.Errors == 0 && r.Exceptions == 0 && len(r.LineErrors) == 0 {
		return nil
	}
	return &ImportError{Result: r, Want: want}
}

// SilentAlter reports the answer Tally gives to a master Create that named an
// existing master: nothing created, one object altered, overwriting its parent,
// ISBILLWISEON and opening balance (§9.4). Whether that is acceptable is the
// caller's decision.
func (r ImportResult) SilentAlter() bool { return r.Created == 0 && r.Altered > 0 }

// ImportError is an import Tally did not (fully) accept. Its message carries
// the LINEERROR texts verbatim; errors.As finds each one as a *LineError.
type ImportError struct {
	Result ImportResult
	Want   Counter
}

func (e *ImportError) Error() string {
	r := e.Result
	var b strings.Builder
	b.WriteString("tallyxml: import rejected")
	if len(r.LineErrors) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(r.LineErrors, "; "))
	}
	fmt.Fprintf(&b, " (want %s; CREATED=%d ALTERED=%d DELETED=%d CANCELLED=%d ERRORS=%d EXCEPTIONS=%d)",
		e.Want, r.Created, r.Altered, r.Deleted, r.Cancelled, r.Errors, r.Exceptions)
	if e.Want == CounterCreated && r.SilentAlter() {
		b.WriteString(": the object already existed and was altered instead")
	}
	return b.String()
}

// Hint explains the most likely cause.
func (e *ImportError) Hint() string {
	for _, l := range e.Result.LineErrors {
		if h := lineErrorHint(l); h != "" {
			return h
		}
	}
	switch {
	case e.Want == CounterCreated && e.Result.SilentAlter():
		return "An object with that name (or REMOTEID) already exists; Tally altered it instead of creating a new one."
	case e.Result.Exceptions > 0:
		return "Tally raised an exception without a message; a duplicate voucher number (PREVENTDUPLICATES) or a missing master is the usual cause."
	}
	return "Tally accepted the request but changed nothing; check names, dates and the company."
}

// Unwrap returns one *LineError per LINEERROR.
func (e *ImportError) Unwrap() []error {
	errs := make([]error, 0, len(e.Result.LineErrors))
	for _, l := range e.Result.LineErrors {
		errs = append(errs, &LineError{Text: l})
	}
	return errs
}
