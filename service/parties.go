package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The party-group rule: which ledgers are parties. Party reads, party
// creation, orders and receipts all ask it here, so a chatbot that puts a
// customer's words into /parties/{name} cannot read a bank or the sales
// ledger, and an order cannot debit one.

// groupTreeTTL bounds how stale the cached group tree may be. A group the
// tree does not know makes it read again at once (a sub-group made a moment
// ago), so the TTL only matters for a group moved to another parent.
const groupTreeTTL = time.Minute

// groupTree is a company's groups, folded name → parent name ("" for a
// primary group), as read from Tally at a time.
type groupTree struct {
	parent map[string]string
	read   time.Time
}

// isPartyGroup reports whether a ledger under group is a party: group is one
// of Config.PartyGroups or a sub-group of one, at any depth. A ledger's
// PARENT is its immediate group, which may be a user group ("Pune Debtors"
// under Sundry Debtors), so the ancestry comes from the company's group
// tree: no Tally request when group is itself a party group, else at most
// one (the tree, cached per company for groupTreeTTL).
func (s *Service) isPartyGroup(ctx context.Context, company, group string) (bool, error) {
	if s.partyGroupNamed(group) {
		return true, nil
	}
	tree, fresh, err := s.groupTree(ctx, company, false)
	if err != nil {
		return false, err
	}
	if _, known := tree.parent[foldName(group)]; !known && !fresh {
		if tree, _, err = s.groupTree(ctx, company, true); err != nil {
			return false, err
		}
	}
	g := group
	for range 64 { // Tally has no cycles; the bound guards a corrupt answer
		p, ok := tree.parent[foldName(g)]
		if !ok || p == "" || foldName(p) == "primary" {
			return false, nil
		}
		if s.partyGroupNamed(p) {
			return true, nil
		}
		g = p
	}
	return false, nil
}

// partyGroupNamed reports whether group is one of Config.PartyGroups itself.
func (s *Service) partyGroupNamed(group string) bool {
	for _, g := range s.cfg.PartyGroups {
		if foldName(g) == foldName(group) {
			return true
		}
	}
	return false
}

// groupTree returns the company's group tree, from the cache unless it is
// older than groupTreeTTL or refresh is set; fresh says it was read now.
// An empty answer is not cached: Tally answers a collection read for a
// company it has not loaded with zero rows (tally-protocol.md §9.5).
func (s *Service) groupTree(ctx context.Context, company string, refresh bool) (t groupTree, fresh bool, err error) {
	key := foldName(company)
	s.mu.Lock()
	t, ok := s.groupTrees[key]
	s.mu.Unlock()
	if ok && !refresh && s.cfg.Now().Sub(t.read) < groupTreeTTL {
		return t, false, nil
	}
	groups, err := s.gw.Groups(ctx, company)
	if err != nil {
		return groupTree{}, false, err
	}
	t = groupTree{parent: make(map[string]string, len(groups)), read: s.cfg.Now()}
	for _, g := range groups {
		t.parent[foldName(g.Name)] = g.Parent
	}
	if len(groups) > 0 {
		s.mu.Lock()
		s.groupTrees[key] = t
		s.mu.Unlock()
	}
	return t, true, nil
}

// checkPartyGroup refuses a group that is not a party group, for requests
// that name one (POST /parties, GET /parties?group=, reminders).
func (s *Service) checkPartyGroup(ctx context.Context, company, group string) error {
	ok, err := s.isPartyGroup(ctx, company, group)
	if err != nil || ok {
		return err
	}
	allowed := make([]string, len(s.cfg.PartyGroups))
	for i, g := range s.cfg.PartyGroups {
		allowed[i] = quote(g)
	}
	return &Error{Kind: Invalid, Code: "not_a_party_group",
		Message: fmt.Sprintf("group %s is not a party group (or does not exist); the party groups are %s and their sub-groups",
			quote(group), strings.Join(allowed, ", ")),
		Hint: "Name one of the party groups or a sub-group of one; the operator sets which groups are party groups."}
}

// partyNotFound is the answer for a party that does not exist and for a
// ledger that is not a party alike, so the answer tells nothing about the
// other ledgers of the books.
func partyNotFound(company, name string) *Error {
	return &Error{Kind: NotFound, Code: "party_not_found",
		Message: fmt.Sprintf("party %q does not exist in company %q", name, company)}
}

// readParty reads a ledger by name and answers it only if it is a party.
func (s *Service) readParty(ctx context.Context, company, name string) (Party, error) {
	p, err := s.gw.Party(ctx, company, name)
	if KindOf(err) == NotFound {
		return Party{}, partyNotFound(company, name)
	}
	if err != nil {
		return Party{}, err
	}
	switch ok, err := s.isPartyGroup(ctx, company, p.Group); {
	case err != nil:
		return Party{}, err
	case !ok:
		return Party{}, partyNotFound(company, name)
	}
	return p, nil
}

// withTwins adds to ledgers, under the name asked, the ledger Tally would
// take for each of names that ledgers lacks: an exact lookup misses
// "Rajesh  Enterprises" (two spaces) or "rajesh-enterprises", which real
// Tally matches to "Rajesh Enterprises" on some releases (tally-protocol.md
// §9.4 "Name matching"), so creating it would make a look-alike ledger or
// silently alter the real one. Tally requests: none when no name is
// missing; else one listing every ledger's name, plus one reading the twins
// when there are any.
func (s *Service) withTwins(ctx context.Context, company string, ledgers map[string]Party, names []string) error {
	var missing []string
	for _, n := range names {
		if _, ok := ledgers[n]; !ok && strings.TrimSpace(n) != "" {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	all, err := s.gw.LedgerNames(ctx, company)
	if err != nil {
		return err
	}
	byKey := make(map[string]string, len(all))
	for _, l := range all {
		if _, dup := byKey[foldName(l.Name)]; !dup {
			byKey[foldName(l.Name)] = l.Name
		}
	}
	asked := map[string][]string{} // twin → the names asked that it answers
	var twins []string
	for _, n := range missing {
		if t, ok := byKey[foldName(n)]; ok {
			if asked[t] == nil {
				twins = append(twins, t)
			}
			asked[t] = append(asked[t], n)
		}
	}
	if len(twins) == 0 {
		return nil
	}
	found, err := s.gw.Ledgers(ctx, company, twins)
	if err != nil {
		return err
	}
	for t, p := range found {
		for _, n := range asked[t] {
			ledgers[n] = p
		}
	}
	return nil
}

// foldName is the identity Tally gives a master name (tally-protocol.md
// §9.4 "Name matching"): ASCII case folded (other scripts are not), leading
// and trailing white space ignored, a run of white space one space, and a
// hyphen the same as a space. The white-space and hyphen rules are what
// TallyPrime 7.1 matched; older releases matched less, so folding as 7.1
// does finds every name some Tally would take for another.
func foldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		switch {
		case r == '-' || unicode.IsSpace(r):
			gap = b.Len() > 0
			continue
		case 'A' <= r && r <= 'Z':
			r += 'a' - 'A'
		}
		if gap {
			b.WriteByte(' ')
			gap = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isInvisible reports the invisible and bidirectional control characters
// (zero-width space and joiners, LRM/RLM, the bidi embeddings, overrides
// and isolates, the BOM) that make two names look alike on screen while
// Tally holds them as different ledgers: "Rajesh\u200b Enterprises".
func isInvisible(r rune) bool {
	return r >= 0x200B && r <= 0x200F || r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0xFEFF
}

// stripInvisible removes isInvisible characters (for names nobody typed
// for our API, such as a WhatsApp profile name).
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, s)
}

// PartyQuery selects parties.
type PartyQuery struct {
	Company string
	Group   string // default: the configured party group
	Search  string // case-insensitive substring of the name
	Offset  int
	Limit   int // default DefaultPageSize, at most MaxPageSize
}

// PartyPage is one page of parties, sorted by name.
type PartyPage struct {
	Parties []Party
	Total   int
	Offset  int
	Limit   int
}

// ListParties lists the parties of a group, filtered and paginated. Tally has
// no paging of its own for built-in collections, so one request reads the
// group and the page is cut here.
func (s *Service) ListParties(ctx context.Context, q PartyQuery) (PartyPage, error) {
	if err := s.checkPartyQuery(ctx, &q); err != nil {
		return PartyPage{}, err
	}
	company := q.Company
	all, err := s.gw.Parties(ctx, company, q.Group)
	if err != nil {
		return PartyPage{}, err
	}
	if len(all) == 0 {
		// Tally answers a collection read for a company it has not loaded
		// with zero rows and STATUS 1 (tally-protocol.md §9.5), so an empty
		// list needs one more question before it can be trusted.
		if err := s.checkLoaded(ctx, company); err != nil {
			return PartyPage{}, err
		}
	}
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	var match []Party
	for _, p := range all {
		if needle == "" || strings.Contains(strings.ToLower(p.Name), needle) {
			match = append(match, p)
		}
	}
	slices.SortFunc(match, func(a, b Party) int { return cmp.Compare(foldName(a.Name), foldName(b.Name)) })
	page := PartyPage{Total: len(match), Offset: q.Offset, Limit: q.Limit, Parties: []Party{}}
	if q.Offset < len(match) {
		page.Parties = match[q.Offset:min(len(match), q.Offset+q.Limit)]
	}
	return page, nil
}

// GetParty reads one party by name: a ledger under the party groups
// (Config.PartyGroups). Any other ledger is party_not_found, as a missing
// one is. One Tally request for a ledger directly under a party group; one
// more, cached, to learn the ancestry of any other group (parties.go).
func (s *Service) GetParty(ctx context.Context, company, name string) (Party, error) {
	if err := ValidateName("name", name); err != nil {
		return Party{}, err
	}
	return s.readParty(ctx, s.company(company), name)
}

// PartyBalance is a party's balance, flat enough for a chatbot template.
type PartyBalance struct {
	Party   Party
	Balance Balance
	Known   bool // false when Tally sent an empty closing balance
	AsOf    time.Time
}

// PartyBalance reads a party's closing balance, with GetParty's requests.
func (s *Service) PartyBalance(ctx context.Context, company, name string) (PartyBalance, error) {
	p, err := s.GetParty(ctx, company, name)
	if err != nil {
		return PartyBalance{}, err
	}
	return PartyBalance{Party: p, Balance: p.Closing, Known: p.ClosingKnown, AsOf: s.Today()}, nil
}

// CreateParty creates a party ledger under a party group and reads it back.
// A party that already exists, by Tally's name matching (a near-twin such
// as "rajesh  enterprises" included), is a Conflict whose Subject is the
// existing party: real Tally would silently alter it (overwriting its group
// and opening balance) on a Create. A ledger of that name that is not a
// party is ledger_exists, without its details. Tally requests: the exact
// read, the ledger names when it misses, the create and the read-back (and
// the group tree when the group is a sub-group, parties.go).
func (s *Service) CreateParty(ctx context.Context, company string, p NewParty) (Party, error) {
	company = s.company(company)
	if err := s.validateNewParty(&p); err != nil {
		return Party{}, err
	}
	if err := s.checkPartyGroup(ctx, company, p.Group); err != nil {
		return Party{}, err
	}
	// The name as Tally would match it (tally-protocol.md §9.4): an exact
	// read, then, when it misses, a near-twin ("rajesh  enterprises").
	existing, err := s.gw.Party(ctx, company, p.Name)
	switch {
	case err == nil:
		return Party{}, s.ledgerExists(ctx, company, existing)
	case KindOf(err) != NotFound:
		return Party{}, err
	}
	twins := map[string]Party{}
	if err := s.withTwins(ctx, company, twins, []string{p.Name}); err != nil {
		return Party{}, err
	}
	if twin, ok := twins[p.Name]; ok {
		return Party{}, s.ledgerExists(ctx, company, twin)
	}
	if _, err := s.gw.CreateParty(ctx, company, p); err != nil {
		if KindOf(err) == Conflict {
			// Created by someone else between our read and our write;
			// Tally has altered it, which we report rather than hide.
			if again, rerr := s.gw.Party(ctx, company, p.Name); rerr == nil {
				return again, partyExists(again)
			}
		}
		return Party{}, err
	}
	return s.gw.Party(ctx, company, p.Name)
}

// ledgerExists is the conflict of a name taken by a ledger: party_exists
// carrying the party, or ledger_exists, without the ledger's details, for a
// ledger that is not a party (its balance is none of a party client's
// business).
func (s *Service) ledgerExists(ctx context.Context, company string, l Party) error {
	switch ok, err := s.isPartyGroup(ctx, company, l.Group); {
	case err != nil:
		return err
	case ok:
		return partyExists(l)
	}
	return &Error{Kind: Conflict, Code: "ledger_exists",
		Message: "a ledger named " + quote(l.Name) + " already exists and is not a party",
		Hint:    "Choose another name: creating this one would make Tally alter that ledger."}
}

func partyExists(p Party) *Error {
	return &Error{Kind: Conflict, Code: "party_exists", Subject: p,
		Message: "a party named " + quote(p.Name) + " already exists (under " + p.Group + ")",
		Hint:    "Use the existing party, or choose another name."}
}

// validateNewParty checks and normalises a party to create.
func (s *Service) validateNewParty(p *NewParty) error {
	p.Name = strings.TrimSpace(p.Name)
	if err := ValidateName("name", p.Name); err != nil {
		return err
	}
	if p.Group == "" {
		p.Group = s.cfg.PartyGroup
	}
	if err := ValidateName("group", p.Group); err != nil {
		return err
	}
	if p.Mobile != "" {
		if m := NormalizeMobile(p.Mobile); !m.Valid {
			return Errorf(Invalid, "invalid_mobile", "mobile %s is not usable: %s", quote(p.Mobile), m.Reason)
		}
	}
	if p.CreditDays < 0 || p.CreditDays > 3650 {
		return Errorf(Invalid, "invalid_credit_days", "credit_days must be between 0 and 3650")
	}
	if p.ApplicableFrom.IsZero() {
		p.ApplicableFrom = s.Today()
	}
	for _, f := range []struct{ name, v string }{{"email", p.Email}, {"state", p.State}, {"country", p.Country},
		{"gstin", p.GSTIN}, {"pincode", p.Pincode}} {
		if strings.IndexFunc(f.v, unicode.IsControl) >= 0 || utf8.RuneCountInString(f.v) > maxNameLen {
			return Errorf(Invalid, "invalid_"+f.name, "%s must be at most %d characters without control characters", f.name, maxNameLen)
		}
	}
	for _, line := range p.Address {
		if strings.IndexFunc(line, unicode.IsControl) >= 0 || utf8.RuneCountInString(line) > maxNameLen {
			return Errorf(Invalid, "invalid_address", "address lines must be at most %d characters without control characters", maxNameLen)
		}
	}
	return nil
}
