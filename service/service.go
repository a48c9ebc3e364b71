package service

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// Service holds the use cases the API exposes. It is safe for concurrent use.
type Service struct {
	gw  Gateway
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	states map[string]string // company (folded) → state, learnt from Tally
	// groupTrees caches each company's groups for the party-group rule
	// (parties.go).
	groupTrees map[string]groupTree

	// partyLocks serialise "read the party, create it when missing" per
	// party within this process: two orders for one new customer must not
	// both create it (Tally would turn the second Create into a silent
	// Alter). Striped, so memory stays bounded.
	partyLocks [64]sync.Mutex

	// reminderTmpl is Reminders.Template, parsed once; reminderTmplErr is
	// why it did not parse (New cannot fail, so Reminders reports it).
	reminderTmpl    *template.Template
	reminderTmplErr error

	// waiters are the requests waiting for an order to change (wait.go).
	waiters *orderWaiters
	// away says an attempt found Tally unavailable (watch.go).
	away chan struct{}
	// books is the mirror NewBooks built over this service, nil without
	// one; a WhatsApp order finds its party by mobile through it
	// (partiesByMobile). Guarded by mu.
	books *Books
}

// daysBetween counts calendar days from a to b (both civil dates), without
// time.Duration, which overflows after 292 years.
func daysBetween(a, b time.Time) int {
	return int(civilDay(b) - civilDay(a))
}

func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Today returns today's date where the business is.
func (s *Service) Today() time.Time { return Day(s.cfg.Now(), s.cfg.Location) }

// Company returns the configured company.
func (s *Service) Company() string { return s.cfg.Company }

func (s *Service) company(c string) string {
	if c = strings.TrimSpace(c); c != "" {
		return c
	}
	return s.cfg.Company
}

// maxNameLen bounds names sent to Tally. TallyPrime's own limit is not
// documented; a bound keeps absurd input away from a gateway that cannot
// defend itself.
const maxNameLen = 200

// ValidateName checks a Tally master name (party, ledger, company) before it
// goes anywhere near Tally. field names the input in the error.
func ValidateName(field, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return Errorf(Invalid, "invalid_name", "%s must not be empty", field)
	case !utf8.ValidString(name):
		return Errorf(Invalid, "invalid_name", "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(name) > maxNameLen:
		return Errorf(Invalid, "invalid_name", "%s is longer than %d characters", field, maxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(Invalid, "invalid_name", "%s must not contain control characters", field)
	case strings.IndexFunc(name, isInvisible) >= 0:
		return Errorf(Invalid, "invalid_name", "%s must not contain invisible or text-direction characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF): they make a name look like another", field)
	}
	return nil
}

// Status is what tallyfacade knows about the Tally it talks to.
type Status struct {
	Product       string
	URL           string
	Company       string // the configured company
	CompanyLoaded bool
	Companies     []string // loaded in Tally
}

// Status asks Tally whether it runs, which product it is and which companies
// are loaded. A configured company that is not loaded is reported, not an
// error: /readyz and `check` decide what it means.
func (s *Service) Status(ctx context.Context) (Status, error) {
	ts, err := s.gw.Status(ctx)
	if err != nil {
		return Status{}, err
	}
	st := Status{Product: ts.Product, URL: ts.URL, Company: s.cfg.Company}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return st, err
	}
	for _, c := range companies {
		st.Companies = append(st.Companies, c.Name)
		if s.cfg.Company != "" && foldName(c.Name) == foldName(s.cfg.Company) {
			st.CompanyLoaded = true
		}
	}
	if s.cfg.Company == "" {
		st.CompanyLoaded = len(companies) > 0
	}
	return st, nil
}

// Companies lists the companies loaded in Tally.
func (s *Service) Companies(ctx context.Context) ([]Company, error) {
	return s.gw.Companies(ctx)
}

// checkLoaded returns company_not_loaded when Tally has no such company open.
func (s *Service) checkLoaded(ctx context.Context, company string) error {
	if company == "" {
		return nil
	}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return err
	}
	var loaded []string
	for _, c := range companies {
		if foldName(c.Name) == foldName(company) {
			return nil
		}
		loaded = append(loaded, c.Name)
	}
	return &Error{Kind: Unavailable, Code: "company_not_loaded",
		Message: "company " + quote(company) + " is not loaded in Tally (loaded: " + strings.Join(loaded, ", ") + ")",
		Hint:    "Load the company in Tally (Company → Select), or use the exact name of a loaded company."}
}

func quote(s string) string { return "'" + s + "'" }

// companyState returns the company's state for place of supply: configured,
// or learnt from Tally once per company.
func (s *Service) companyState(ctx context.Context, company string) (string, error) {
	if s.cfg.CompanyState != "" {
		return s.cfg.CompanyState, nil
	}
	key := foldName(company)
	s.mu.Lock()
	st, ok := s.states[key]
	s.mu.Unlock()
	if ok {
		return st, nil
	}
	companies, err := s.gw.Companies(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range companies {
		if foldName(c.Name) == key || key == "" {
			st = c.State
			break
		}
	}
	if st != "" {
		s.mu.Lock()
		s.states[key] = st
		s.mu.Unlock()
	}
	return st, nil
}
