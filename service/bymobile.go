package service

import (
	"cmp"
	"context"
	"slices"
)

// partiesByMobile is the WhatsApp order's lookup of the parties whose mobile
// is e164: the mirror's (Books.PartiesByMobile, with its freshness rules:
// a probe of Tally when the last is older than the freshness interval, one
// for every concurrent reader) when NewBooks gave the service one, Tally's
// party list otherwise.
//
// A stale answer is refused, Unavailable: the order would be posted on a
// mirror Tally could not confirm, and a party created for this number a
// moment ago (by the previous order from it) may not be in it yet, so the
// order would create the party a second time under another name. The
// queue retries it; the post needs Tally anyway.
func (s *Service) partiesByMobile(ctx context.Context, company, e164 string) ([]Party, error) {
	s.mu.Lock()
	books := s.books
	s.mu.Unlock()
	if books == nil {
		return s.livePartiesByMobile(ctx, company, e164)
	}
	parties, f, err := books.PartiesByMobile(ctx, company, e164, false)
	if err == nil && f.Stale {
		return nil, &Error{Kind: Unavailable, Code: "books_not_current",
			Message: "Tally did not confirm that the mirror of the books is current (last synced " +
				f.AsOf.In(s.cfg.Location).Format("2 Jan 2006 15:04") + "), so the party of the mobile " + e164 + " is not known for sure",
			Hint: "The order is retried; it posts once Tally answers."}
	}
	return parties, err
}

// livePartiesByMobile reads every party from Tally (one request per party
// group) and keeps those whose mobile is e164.
func (s *Service) livePartiesByMobile(ctx context.Context, company, e164 string) ([]Party, error) {
	var all []Party
	for _, g := range s.cfg.PartyGroups {
		ps, err := s.gw.Parties(ctx, company, g)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	if len(all) == 0 {
		// Zero rows may mean the company is not loaded (§9.5 of
		// tally-protocol.md); "no party has this number" would then be
		// wrong, and an order would create a party.
		if err := s.checkLoaded(ctx, company); err != nil {
			return nil, err
		}
	}
	return s.partiesWithMobile(ctx, company, e164, all)
}

// partiesWithMobile keeps the candidates whose mobile is e164 and whose
// group is a party group, once each, by folded name (the order the
// ambiguous_party_mobile message lists them in).
func (s *Service) partiesWithMobile(ctx context.Context, company, e164 string, candidates []Party) ([]Party, error) {
	out := []Party{}
	seen := map[string]bool{}
	for _, p := range candidates {
		key := foldName(p.Name)
		if !p.Mobile.Valid || p.Mobile.E164 != e164 || seen[key] {
			continue
		}
		if ok, err := s.isPartyGroup(ctx, company, p.Group); err != nil {
			return nil, err
		} else if ok {
			seen[key] = true
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Party) int { return cmp.Compare(foldName(a.Name), foldName(b.Name)) })
	return out, nil
}
