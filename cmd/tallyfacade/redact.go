package main

import (
	"fmt"
	"log/slog"
	"regexp"
)

// Every log line goes through redactAttr (newLogger installs it as the
// handlers' ReplaceAttr, which slog calls for each attribute, the message
// included), so a secret is dropped in one place whatever logged it: a
// GatewayError that quotes TALLY_URL (http://user:pw@host:9000 for a tunnel),
// a pgx error that quotes DATABASE_URL, a sender error that quotes a webhook
// URL with ?token=…, River's own lines.
func redactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); redactSecrets(s) != s {
			a.Value = slog.StringValue(redactSecrets(s))
		}
	case slog.KindAny:
		var s string
		switch v := a.Value.Any().(type) {
		case error:
			s = v.Error()
		case fmt.Stringer:
			s = v.String()
		default:
			return a
		}
		if r := redactSecrets(s); r != s {
			a.Value = slog.StringValue(r)
		}
	}
	return a
}

const redacted = "xxxxx"

var (
	// scheme://user:password@ and scheme://token@: the password, or a bare
	// token standing in the user's place.
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@"']*):[^\s/@"']*@`)
	urlToken    = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/:@"']+@`)
	// ?token=…, &access_token=…, &api_key=…, &sig=…: query values whose name
	// says they are credentials.
	querySecret = regexp.MustCompile(`(?i)([?&][^=&\s"']*(?:token|key|secret|passw|pwd|sig|auth)[^=&\s"']*=)[^&\s"'#]*`)
	// password=… in a key=value connection string (pgx accepts those as
	// DATABASE_URL too).
	dsnPassword = regexp.MustCompile(`(?i)(\bpassword=)('[^']*'|[^\s'"]+)`)
)

// redactSecrets replaces the credentials a string may quote with xxxxx and
// leaves the rest (host, port, path) for the reader of the log.
func redactSecrets(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}:"+redacted+"@")
	s = urlToken.ReplaceAllString(s, "${1}"+redacted+"@")
	s = querySecret.ReplaceAllString(s, "${1}"+redacted)
	return dsnPassword.ReplaceAllString(s, "${1}"+redacted)
}
