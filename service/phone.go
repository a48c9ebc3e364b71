package service

import (
	"errors"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Mobile is a party's mobile number as Tally stored it, with the result of
// normalising it.
//
// Tally's LEDGERMOBILE is free text: whatever the operator typed, with or
// without +91, a trunk 0, spaces or dashes, sometimes a landline or two
// numbers at once. Raw keeps that text so nothing is lost; E164 is set only
// when Valid, so a caller can never send a WhatsApp message to a guess.
type Mobile struct {
	Raw    string // the text as given
	E164   string // "+919820012345" when Valid, else ""
	Valid  bool   // a number that can receive SMS/WhatsApp: a valid mobile (or a number its country cannot tell from one)
	Reason string // short human text saying why it is not Valid; "" when Valid
}

// The Reason texts of NormalizeMobile. They are for people (logs, a "fix this
// party's mobile" report), not for branching.
const (
	reasonEmpty       = "empty"
	reasonSeveral     = "more than one number"
	reasonNotDigits   = "contains characters other than digits"
	reasonTooShort    = "too short"
	reasonTooLong     = "too long"
	reasonCountryCode = "unknown country code"
	reasonInvalid     = "not a valid phone number"
	reasonLandline    = "a landline, not a mobile number"
	reasonNotMobile   = "not a mobile number"
)

// defaultMobileRegion is the country assumed when a number has no country
// code: Tally's Indian users rarely type +91.
const defaultMobileRegion = "IN"

// NormalizeMobile turns a typed mobile number into E.164, assuming India when
// the text carries no country code.
//
// The pre-normalisation (ecosystem.md §8) handles the ways Indians write
// numbers before libphonenumber sees them: spaces, '-', '(', ')' and '.' are
// removed; a leading "00" (the international prefix) becomes "+"; twelve
// digits starting with 91 are taken as +91 written without the plus; eleven
// digits starting with 0 lose the trunk 0. Anything left that is not digits
// (an optional leading '+') is refused, because libphonenumber would otherwise
// read letters as a vanity number ("98200abcde" is "valid") and stop at "ext".
//
// The result is Valid only when libphonenumber says the number is valid and
// its type is MOBILE or FIXED_LINE_OR_MOBILE (countries such as the US cannot
// tell the two apart, so a foreign number like +1 650 253 0000 is kept).
// Nothing is guessed: a ten-digit number that is not a valid Indian mobile
// stays invalid, and a landline is reported as a landline.
func NormalizeMobile(raw string) Mobile {
	m := Mobile{Raw: raw}
	s, reason := preNormalizeMobile(raw)
	if reason != "" {
		m.Reason = reason
		return m
	}
	num, err := phonenumbers.Parse(s, defaultMobileRegion)
	if err != nil {
		m.Reason = parseFailure(err)
		return m
	}
	if !phonenumbers.IsValidNumber(num) {
		m.Reason = lengthFailure(phonenumbers.IsPossibleNumberWithReason(num))
		return m
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
	case phonenumbers.FIXED_LINE:
		m.Reason = reasonLandline
		return m
	default: // toll-free, premium rate, VoIP, UAN, pager…
		m.Reason = reasonNotMobile
		return m
	}
	m.E164 = phonenumbers.Format(num, phonenumbers.E164)
	m.Valid = true
	return m
}

// preNormalizeMobile applies the rules of NormalizeMobile's doc comment and
// returns the text to parse, or why there is nothing worth parsing.
func preNormalizeMobile(raw string) (string, string) {
	var b strings.Builder
	for _, r := range raw {
		switch {
		case unicode.IsSpace(r), r == '-', r == '(', r == ')', r == '.':
			// Separators people type; U+00A0 arrives from copy-paste.
		case r == '/' || r == ',' || r == ';' || r == '|':
			// "98200 12345 / 98200 54321": Tally users put two numbers in
			// one field; picking one would be a guess.
			return "", reasonSeveral
		default:
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" {
		return "", reasonEmpty
	}
	if rest, ok := strings.CutPrefix(s, "00"); ok {
		s = "+" + rest
	}
	digits := strings.TrimPrefix(s, "+")
	if digits == "" {
		return "", reasonTooShort
	}
	if strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", reasonNotDigits
	}
	if !strings.HasPrefix(s, "+") {
		switch {
		case len(s) == 12 && strings.HasPrefix(s, "91"):
			s = "+" + s
		case len(s) == 11 && strings.HasPrefix(s, "0"):
			s = s[1:]
		}
	}
	return s, ""
}

func parseFailure(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return reasonCountryCode
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return reasonTooShort
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return reasonTooLong
	}
	return reasonInvalid
}

func lengthFailure(r phonenumbers.ValidationResult) string {
	switch r {
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		// Local-only is a landline number without its area code; for a
		// mobile field it is simply too short.
		return reasonTooShort
	case phonenumbers.TOO_LONG:
		return reasonTooLong
	case phonenumbers.INVALID_COUNTRY_CODE:
		return reasonCountryCode
	}
	return reasonInvalid
}

// WhatsAppID returns the form the WhatsApp Cloud API uses for a user in wa_id
// and in the "to" of a message: the E.164 digits without the '+'
// ("+919820012345" → "919820012345"). It returns "" when e164 is not an E.164
// string ('+' and 1 to 15 digits).
//
// The inverse is NormalizeMobile("+" + waID): without the '+', a foreign wa_id
// would be read as an Indian number. Note that Meta warns a user's wa_id and
// phone number may differ (ecosystem.md §8), so match parties on it with care.
func WhatsAppID(e164 string) string {
	digits, ok := strings.CutPrefix(e164, "+")
	if !ok || len(digits) == 0 || len(digits) > 15 {
		return ""
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return digits
}
