package service

import (
	"context"
	"strings"
	"time"
)

// Readiness is what a replica knows of its ability to serve reads: whether
// Tally answers, and how old the mirror of the books is.
type Readiness struct {
	Company string
	// TallyReachable says Tally answered when last asked, with the company
	// loaded; TallyCheckedAt is when that was, TallyError why not.
	TallyReachable bool
	TallyCheckedAt time.Time
	TallyError     string
	// Mirror says the service reads from a mirror of the books; the rest
	// describe it. MirrorLoaded is false until its initial load finished.
	Mirror         bool
	MirrorLoaded   bool
	MirrorSyncedAt time.Time
	MirrorAge      time.Duration
}

// Readiness decides whether this replica can serve: its store answers, and
// reads can be answered, from the mirror once it has loaded the company
// (whatever Tally's state: reads are then answered stale, as of the last
// sync), or else live from Tally, which must answer with the company loaded.
// The error says why not (Unavailable); r holds what is known either way.
//
// With a loaded mirror Tally is not asked: what the mirror's last probe
// found (every freshness interval, by this replica or another) is reported,
// so a readiness probe never queues behind Tally's one-at-a-time gateway
// (tally-protocol.md §9.1.4) nor waits on a hung Tally.
func (s *Service) Readiness(ctx context.Context) (Readiness, error) {
	r := Readiness{Company: s.cfg.Company}
	if s.cfg.Store != nil {
		if err := s.cfg.Store.Ping(ctx); err != nil {
			return r, err
		}
	}
	s.mu.Lock()
	books := s.books
	s.mu.Unlock()
	if books != nil {
		r.Mirror = true
		st, err := books.st.SyncState(ctx, s.cfg.Company)
		switch {
		case KindOf(err) == NotFound:
		case err != nil:
			return r, err
		case st.Loaded:
			now := s.cfg.Now()
			r.MirrorLoaded, r.MirrorSyncedAt, r.MirrorAge = true, st.LastSync, now.Sub(st.LastSync)
			r.TallyReachable, r.TallyCheckedAt, r.TallyError = st.LastError == "", st.LastProbe, st.LastError
			if st.LastErrorAt.After(st.LastProbe) {
				r.TallyCheckedAt = st.LastErrorAt
			}
			return r, nil
		}
	}
	r.TallyCheckedAt = s.cfg.Now()
	st, err := s.Status(ctx)
	if err == nil && !st.CompanyLoaded {
		msg := "no company is loaded in Tally"
		if s.cfg.Company != "" {
			msg = "company " + quote(s.cfg.Company) + " is not loaded in Tally (loaded: " + strings.Join(st.Companies, ", ") + ")"
		}
		err = &Error{Kind: Unavailable, Code: "company_not_loaded", Message: msg,
			Hint: "Load the company in Tally (Company → Select), or configure one of the loaded companies."}
	}
	if err != nil {
		r.TallyError = errorSummary(err)
		return r, err
	}
	r.TallyReachable = true
	return r, nil
}
