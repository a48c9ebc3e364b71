package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/tallyfacade/tallyfacade/service"
)

// gstinPattern is the shape of a GSTIN: state code, PAN, entity number, Z,
// check character. The check character itself is not verified.
var gstinPattern = regexp.MustCompile(`^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$`)

// decimalPattern is a plain decimal: no exponent, no grouping, no '+'.
var decimalPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// newValidator builds the one validator of a Server: required structs
// enabled, fields named by their JSON tags so errors name what clients sent.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// Registration only fails for an empty tag or a nil function.
	_ = v.RegisterValidation("gstin", func(fl validator.FieldLevel) bool {
		return gstinPattern.MatchString(fl.Field().String())
	})
	_ = v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return strings.IndexFunc(fl.Field().String(), unicode.IsControl) < 0
	})
	// nocontroltext is nocontrol for free text: line breaks and tabs are fine.
	_ = v.RegisterValidation("nocontroltext", func(fl validator.FieldLevel) bool {
		return strings.IndexFunc(fl.Field().String(), func(r rune) bool {
			return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
		}) < 0
	})
	return v
}

// bind decodes a JSON body into dst strictly and validates it. Malformed JSON
// is 400; well-formed JSON with wrong types, unknown fields or invalid values
// is 422 with every field listed.
//
// Unknown fields are refused because a misspelt optional field ("gst"
// for "gst_rate") would otherwise be dropped silently and the order priced
// at the default rate.
func (s *Server) bind(c echo.Context, dst any) error {
	if err := decodeBody(c, dst); err != nil {
		return err
	}
	return s.check(dst)
}

// bindCommand reads a write: its company (query) and its body, checked by
// its tags and converted by conv to what service takes. Tags and conversion
// are checked together, so one answer lists every bad field.
func bindCommand[Req, Cmd any](s *Server, c echo.Context, conv func(Req) (Cmd, error)) (company string, cmd Cmd, err error) {
	q := query{c: c}
	company = q.company()
	if err := q.err(); err != nil {
		return "", cmd, err
	}
	var req Req
	if err := decodeBody(c, &req); err != nil {
		return "", cmd, err
	}
	cmd, convErr := conv(req)
	if err := mergeInvalid(s.check(&req), convErr); err != nil {
		return "", cmd, err
	}
	return company, cmd, nil
}

// decodeBody is bind without the validation.
func decodeBody(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return &requestError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				detail: "Send the body as application/json."}
		}
	}
	// Read the (size-limited) body whole: encoding/json silently replaces
	// invalid UTF-8 with U+FFFD, which would reach Tally as a party named
	// "R\uFFFD"; invalid bytes are refused instead.
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return decodeError(err)
	}
	if !utf8.Valid(raw) {
		return &requestError{status: http.StatusBadRequest, code: "malformed_json",
			detail: "The body is not valid UTF-8."}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &requestError{status: http.StatusBadRequest, code: "malformed_json",
			detail: "The body must hold exactly one JSON value."}
	}
	return nil
}

// check runs the validator over a decoded DTO.
func (s *Server) check(dst any) error {
	err := s.validate.Struct(dst)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return err // an InvalidValidationError: a bug in the DTO, answered 500
	}
	fields := make([]FieldError, 0, len(ves))
	for _, fe := range ves {
		fields = append(fields, FieldError{Field: fieldPath(fe.Namespace()), Message: validationMessage(fe)})
	}
	return invalidFields(fields...)
}

// fieldPath drops the struct name from a validator namespace:
// "OrderRequest.lines[0].quantity" → "lines[0].quantity".
func fieldPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

// validationMessage says, for a person, why a field failed.
func validationMessage(fe validator.FieldError) string {
	isString := fe.Kind() == reflect.String
	isList := fe.Kind() == reflect.Slice || fe.Kind() == reflect.Array
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		switch {
		case isString:
			return "must be at most " + fe.Param() + " characters"
		case isList:
			return "must have at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param()
	case "min":
		switch {
		case isString:
			return "must be at least " + fe.Param() + " characters"
		case isList:
			return "must have at least " + fe.Param() + " items"
		}
		return "must be at least " + fe.Param()
	case "len":
		if isString {
			return "must be exactly " + fe.Param() + " characters"
		}
		return "must have exactly " + fe.Param() + " items"
	case "gt":
		return "must be greater than " + fe.Param()
	case "email":
		return "must be an email address"
	case "numeric":
		return "must contain digits only"
	case "datetime":
		return "must be a date as YYYY-MM-DD"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "gstin":
		return "must be a 15-character GSTIN such as 27AAPFR1234C1Z5"
	case "nocontrol", "nocontroltext":
		return "must not contain control characters"
	}
	return "is invalid (" + fe.Tag() + ")"
}

// decodeError classifies a json.Decoder error.
func decodeError(err error) error {
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		mbe  *http.MaxBytesError
		serr *service.Error
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return &requestError{status: http.StatusBadRequest, code: "empty_body", detail: "The request body is empty; send a JSON object."}
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return &requestError{status: http.StatusBadRequest, code: "malformed_json", detail: "The body is not valid JSON."}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &requestError{status: http.StatusBadRequest, code: "malformed_json", detail: "The body must be a JSON object."}
		}
		return invalidFields(FieldError{Field: field, Message: "must be " + jsonKind(typ.Type)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &requestError{status: http.StatusUnprocessableEntity, code: "unknown_field",
			detail: "The body has a field this endpoint does not know; check its spelling.",
			fields: []FieldError{{Field: name, Message: "is not a known field"}}}
	case errors.As(err, &serr):
		return err
	}
	return &requestError{status: http.StatusBadRequest, code: "malformed_json", detail: "The body could not be read as JSON."}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of another type"
}

// Decimal is a decimal number sent as a JSON string ("2.5") or a JSON number
// (2.5). It keeps the literal text, so it never passes through float64;
// converters parse it exactly and report errors with the field's path.
type Decimal string

// UnmarshalJSON keeps a number's literal digits, or a string's content.
// Anything else (true, an object) is kept as its JSON text for the converter
// to refuse, because an error from here would lose the field's path.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(s)
	default:
		*d = Decimal(b)
	}
	return nil
}

// parseDecimal parses a plain decimal, exactly. It returns why it is not one.
func parseDecimal(text Decimal) (decimal.Decimal, string) {
	t := strings.TrimSpace(string(text))
	if len(t) > 40 || !decimalPattern.MatchString(t) {
		return decimal.Decimal{}, "must be a decimal number such as 2 or 2.5 (no exponent or digit grouping)"
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return decimal.Decimal{}, "must be a decimal number such as 2 or 2.5"
	}
	return d, ""
}

// query reads query parameters, collecting every problem so one 422 lists
// them all.
type query struct {
	c    echo.Context
	errs []FieldError
}

func (q *query) fail(name, msg string) {
	q.errs = append(q.errs, FieldError{Field: name, Message: msg})
}

func (q *query) str(name string) string { return strings.TrimSpace(q.c.QueryParam(name)) }

// name reads a Tally name (company, group, party) and checks it as one.
func (q *query) name(name string) string {
	v := q.str(name)
	if v == "" {
		return ""
	}
	if err := service.ValidateName(name, v); err != nil {
		q.fail(name, nameProblem(err, name))
	}
	return v
}

func (q *query) int(name string, def, lo, hi int) int {
	v := q.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		q.fail(name, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
		return def
	}
	return n
}

func (q *query) bool(name string) bool {
	v := q.str(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail(name, "must be true or false")
	}
	return b
}

func (q *query) date(name string) time.Time {
	v := q.str(name)
	if v == "" {
		return time.Time{}
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || !service.InDateRange(d) {
		q.fail(name, dateMessage())
	}
	return d
}

// dateMessage is what a bad date field is told: the form the api reads,
// and the range the service keeps (service.InDateRange).
func dateMessage() string { return "must be a date as YYYY-MM-DD " + service.DateRangeText() }

func (q *query) paise(name string) service.Paise {
	v := q.str(name)
	if v == "" {
		return 0
	}
	p, err := service.ParsePaise(v)
	if err != nil {
		q.fail(name, "must be an amount such as 1000 or 1000.50")
	}
	return p
}

func (q *query) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	return invalidFields(q.errs...)
}

// company reads the optional company parameter and remembers it for the
// error handler (see serviceProblem).
func (q *query) company() string {
	v := q.name("company")
	q.c.Set(keyCompany, v)
	return v
}

// nameProblem is the field message of a ValidateName failure: the service's
// message without the field name it starts with.
func nameProblem(err error, field string) string {
	if se, ok := service.AsError(err); ok {
		return strings.TrimPrefix(se.Message, field+" ")
	}
	return "is not a valid name"
}

// pathName returns the unescaped {name} path parameter (see rawPathRouting),
// checked as a Tally name.
func pathName(c echo.Context) (string, error) {
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil {
		return "", &requestError{status: http.StatusBadRequest, code: "bad_path", detail: "The party name in the path is not correctly percent-encoded."}
	}
	if err := service.ValidateName("name", name); err != nil {
		return "", &requestError{status: http.StatusUnprocessableEntity, code: "invalid_name",
			detail: "The party name is not a usable Tally name.", fields: []FieldError{{Field: "name", Message: nameProblem(err, "name")}}}
	}
	return name, nil
}

// companyParam is the company the caller picked, if any.
func companyParam(c echo.Context) string {
	v, _ := c.Get(keyCompany).(string)
	return v
}

// callerPickedOtherCompany reports whether the request named a company other
// than the configured one.
func (s *Server) callerPickedOtherCompany(c echo.Context) bool {
	picked := companyParam(c)
	return picked != "" && !strings.EqualFold(strings.TrimSpace(picked), strings.TrimSpace(s.svc.Company()))
}
