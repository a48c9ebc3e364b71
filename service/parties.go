package service

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
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
