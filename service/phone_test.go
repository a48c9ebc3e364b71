package service

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
)

func TestNormalizeMobile(t *testing.T) {
	const mumbai = "+919820012345"
	valid := func(raw, e164 string) Mobile { return Mobile{Raw: raw, E164: e164, Valid: true} }
	invalid := func(raw, reason string) Mobile { return Mobile{Raw: raw, Reason: reason} }
	tests := []Mobile{
		// The forms Tally users type into LEDGERMOBILE.
		valid("9820012345", mumbai),
		valid("98200 12345", mumbai),
		valid("09820012345", mumbai),
		valid("+91 98200 12345", mumbai),
		valid("91-9820012345", mumbai),
		valid("919820012345", mumbai),
		valid("+91-98200-12345", mumbai),
		valid("(+91) 9820012345", mumbai),
		valid("0091 9820012345", mumbai),
		valid("+91.98200.12345", mumbai),
		valid("98200\u00a012345", mumbai), // a no-break space from copy-paste
		valid(" 9820012345 ", mumbai),
		valid("+9109820012345", mumbai), // libphonenumber drops a trunk 0 after +91
		valid("7000000000", "+917000000000"),
		valid("6000012345", "+916000012345"),
		// A foreign number is valid and kept: the US cannot tell mobiles
		// from landlines (FIXED_LINE_OR_MOBILE).
		valid("+1 650 253 0000", "+16502530000"),
		valid("001 650 253 0000", "+16502530000"),
		valid("+44 7911 123456", "+447911123456"),

		invalid("", "empty"),
		invalid("  ", "empty"),
		invalid("- ( ) .", "empty"),
		invalid("12345", "too short"),
		invalid("+", "too short"),
		invalid("00", "too short"),
		invalid("+91 98200", "too short"),
		invalid("+91 982001", "too short"), // possible only as a local landline number
		invalid("+91 98200 12345 67890", "too long"),
		invalid("98200123456", "not a valid phone number"), // one digit too many
		// Ten digits that are not a valid Indian mobile stay invalid: no
		// guessing of a missing or extra digit.
		invalid("5820012345", "not a valid phone number"),
		// Landlines are reported as such, with or without the trunk 0.
		invalid("022 2659 1234", "a landline, not a mobile number"),
		invalid("2226591234", "a landline, not a mobile number"),
		invalid("+91 22 2659 1234", "a landline, not a mobile number"),
		invalid("+44 20 7946 0958", "a landline, not a mobile number"),
		invalid("1800 209 1234", "not a mobile number"), // toll-free
		// Letters would be read as a vanity number, "ext" as an extension.
		invalid("98200abcde", "contains characters other than digits"),
		invalid("9820012345 ext 12", "contains characters other than digits"),
		invalid("+91+9820012345", "contains characters other than digits"),
		invalid("nil", "contains characters other than digits"),
		// Two numbers in one field: picking one would be a guess.
		invalid("9820012345 / 9820054321", "more than one number"),
		invalid("9820012345, 9820054321", "more than one number"),
		valid("+0091 9820012345", mumbai), // libphonenumber reads "+00" as the international prefix
		invalid("+999 12345678", "unknown country code"),
	}
	for _, want := range tests {
		got := NormalizeMobile(want.Raw)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("NormalizeMobile(%q) (-want +got):\n%s", want.Raw, diff)
		}
	}
}

func TestWhatsAppID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+919820012345", "919820012345"},
		{"+16502530000", "16502530000"},
		{"919820012345", ""}, // not E.164: no '+'
		{"+", ""},
		{"", ""},
		{"+91 98200 12345", ""},
		{"+1234567890123456", ""}, // 16 digits: longer than E.164 allows
		{"+123456789012345", "123456789012345"},
	}
	for _, tt := range tests {
		if got := WhatsAppID(tt.in); got != tt.want {
			t.Errorf("WhatsAppID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The documented inverse.
	for _, raw := range []string{"98200 12345", "+1 650 253 0000"} {
		m := NormalizeMobile(raw)
		back := NormalizeMobile("+" + WhatsAppID(m.E164))
		if !back.Valid || back.E164 != m.E164 {
			t.Errorf("NormalizeMobile(\"+\"+WhatsAppID(%q)) = %+v", m.E164, back)
		}
	}
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"9820012345", "98200 12345", "09820012345", "+91 98200 12345", "91-9820012345",
		"+91-98200-12345", "(+91) 9820012345", "0091 9820012345", "", "12345", "+1 650 253 0000", "022 2659 1234", "98200abcde"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m := NormalizeMobile(raw)
		if m.Raw != raw {
			t.Fatalf("Raw = %q, want %q", m.Raw, raw)
		}
		if m.Valid == (m.Reason != "") {
			t.Fatalf("NormalizeMobile(%q) = %+v: Valid and Reason disagree", raw, m)
		}
		if !m.Valid {
			if m.E164 != "" {
				t.Fatalf("NormalizeMobile(%q) = %+v: E164 set on an invalid number", raw, m)
			}
			return
		}
		if !strings.HasPrefix(m.E164, "+") || WhatsAppID(m.E164) == "" {
			t.Fatalf("NormalizeMobile(%q).E164 = %q is not E.164", raw, m.E164)
		}
		num, err := phonenumbers.Parse(m.E164, "ZZ") // no default region: the '+' must carry it
		if err != nil || phonenumbers.Format(num, phonenumbers.E164) != m.E164 || !phonenumbers.IsValidNumber(num) {
			t.Fatalf("NormalizeMobile(%q).E164 = %q does not parse back: %v", raw, m.E164, err)
		}
		if again := NormalizeMobile(m.E164); again.E164 != m.E164 {
			t.Fatalf("NormalizeMobile(%q) is not idempotent: %q then %q", raw, m.E164, again.E164)
		}
	})
}
