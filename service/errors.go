// Package service holds tallyfacade's domain types, use cases and error kinds,
// and declares the interfaces it consumes (Gateway, Store). It is plain Go:
// it imports no HTTP framework, database driver or XML codec, so the adapters
// (api, store, tallyxml) depend on it and never the other way round.
package service

import (
	"errors"
	"fmt"
)

// Kind classifies an error for every boundary: the HTTP layer maps each kind
// to one status, the order worker decides from it whether to retry.
type Kind int

// The error kinds. Internal is the zero value, so an unclassified error is
// never mistaken for a client mistake.
const (
	// Internal is a bug or an unexpected failure; its cause is never shown to clients.
	Internal Kind = iota
	// Invalid is a request that can never succeed as sent.
	Invalid
	// NotFound is a party, company, order or record that does not exist.
	NotFound
	// Conflict is a request that clashes with existing state (a party that
	// already exists, an idempotency key still in flight).
	Conflict
	// Unavailable means Tally (or another dependency) could not be reached,
	// answered too slowly, or is busy; the same request may succeed later.
	Unavailable
	// Upstream means Tally answered and refused the work (LINEERROR, STATUS 0).
	Upstream
	// Unauthenticated is a missing or wrong API key.
	Unauthenticated
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "unavailable", "upstream", "unauthenticated"}

// String returns a stable, lower-case name for the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error type that crosses package boundaries.
//
// Code is a stable machine-readable identifier (e.g. "tally_unreachable") that
// clients can branch on; Message is safe to show to a client (for a Tally
// rejection it is Tally's own text, verbatim); Err is the cause, for logs only.
// Hint, when set, tells a person how to fix the problem.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Hint    string
	// Subject is the domain object the error is about, when a client needs
	// it to act (the existing Party on a party_exists conflict).
	Subject any
	// Setting, when set, is the configuration an operator must set to fix
	// the error, and Remedy what a caller can do through the API instead;
	// the service names them, the edge (api, cmd) says them in its own
	// words (a flag, an environment variable, a route).
	Setting Setting
	Remedy  Remedy
	Err     error
}

// Setting names a configuration value of the service (a Config field).
type Setting string

// The settings errors name.
const (
	SettingSalesLedger    Setting = "sales_ledger"    // Config.SalesLedger
	SettingBankLedger     Setting = "bank_ledger"     // Config.Receipts.BankLedger
	SettingCashLedger     Setting = "cash_ledger"     // Config.Receipts.CashLedger
	SettingReminderSender Setting = "reminder_sender" // Config.Reminders.Sender
)

// Remedy names what a caller can do instead, through the API.
type Remedy string

// The remedies errors name.
const (
	RemedySearchParties Remedy = "search_parties" // list the parties by a part of the name
	RemedyPostOrder     Remedy = "post_order"     // post the order directly, naming the party
	RemedyDryRun        Remedy = "dry_run"        // see what would be sent, sending nothing
)

// Error implements error. It includes the cause, so it is for logs; clients get
// Message.
func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and code with a formatted message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Kind
	}
	return Internal
}

// AsError returns the first *Error in err's chain, if any.
func AsError(err error) (*Error, bool) { return errors.AsType[*Error](err) }
