package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/service"
)

// ObserveSync records a run of the mirror's sync as
// mirror_sync_duration_seconds{kind,outcome} and mirror_lag_seconds{company}.
// It does not block, so it can be service.BooksConfig.Observe.
func (s *Server) ObserveSync(r service.SyncRun) {
	outcome := "ok"
	if r.Err != nil {
		outcome = "error"
	}
	s.metrics.sync.WithLabelValues(r.Kind, outcome).Observe(r.Duration.Seconds())
	s.metrics.syncLag.WithLabelValues(r.Company).Set(r.Lag.Seconds())
}

// Freshness says where a read's figures come from and how current they are.
type Freshness struct {
	// "mirror" (the books as last synced from Tally) or "tally" (read live:
	// the mirror has not loaded this company yet).
	Source string `json:"source" enums:"mirror,tally" example:"mirror"`
	// When the mirror was last known to equal Tally (RFC 3339).
	SyncedAt *time.Time `json:"synced_at,omitempty" example:"2026-06-23T10:15:04Z"`
	// True when Tally could not be asked just now (off, hung or busy): the
	// figures are as of synced_at.
	Stale bool `json:"stale" example:"false"`
}

func toFreshness(f service.Freshness) Freshness {
	if f.Live {
		return Freshness{Source: "tally"}
	}
	at := f.AsOf.UTC()
	return Freshness{Source: "mirror", SyncedAt: &at, Stale: f.Stale}
}

// fresh reads ?fresh=true: probe Tally before answering, whatever the
// freshness interval says.
func fresh(q *query) bool { return q.bool("fresh") }

// SyncStateResponse is the mirror of one company.
type SyncStateResponse struct {
	// The company mirrored.
	Company string `json:"company" example:"ABC Traders"`
	// False until the first full load has finished: reads are answered live from Tally until then.
	Loaded bool `json:"loaded" example:"true"`
	// The company's GUID in Tally.
	GUID string `json:"guid,omitempty" example:"da7e7890-ba54-455d-9dc6-93fc3f0ca2d8"`
	// The last successful read of Tally's change counters.
	LastProbe *time.Time `json:"last_probe,omitempty"`
	// When the mirror was last known to equal Tally.
	LastSync *time.Time `json:"last_sync,omitempty"`
	// When a probe last found something changed.
	LastChange *time.Time `json:"last_change,omitempty"`
	// When deletions were last looked for.
	LastReconcile *time.Time `json:"last_reconcile,omitempty"`
	// Seconds since last_sync.
	LagSeconds float64 `json:"lag_seconds" example:"3.2"`
	// The freshness interval (TALLY_FRESHNESS) in seconds.
	FreshnessSeconds float64 `json:"freshness_seconds" example:"10"`
	// How long the last sync took, in seconds.
	SyncSeconds float64 `json:"sync_seconds" example:"0.12"`
	// The AlterIDs the mirror holds everything up to: Tally's ALTMSTID and ALTVCHID when last synced.
	AlterIDs AlterIDsJSON `json:"alter_ids"`
	// What the mirror holds.
	Objects ObjectCounts `json:"objects"`
	// The last sync failure, "" after a success.
	LastError string `json:"last_error,omitempty" example:"tally_unreachable: Tally is not reachable."`
	// When it failed.
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// The last comparison with Tally's own closing balances and Bills Receivable.
	Check *MirrorCheckJSON `json:"check,omitempty"`
}

// AlterIDsJSON are Tally's change counters.
type AlterIDsJSON struct {
	Masters  int64 `json:"masters" example:"212"`
	Vouchers int64 `json:"vouchers" example:"4711"`
}

// ObjectCounts are the mirror's contents.
type ObjectCounts struct {
	Groups   int `json:"groups" example:"30"`
	Ledgers  int `json:"ledgers" example:"5012"`
	Vouchers int `json:"vouchers" example:"100000"`
	Bills    int `json:"bills" example:"812"`
}

// MirrorCheckJSON is the last comparison of the mirror with Tally.
type MirrorCheckJSON struct {
	At *time.Time `json:"at,omitempty"`
	// Parties and bills compared.
	Parties int `json:"parties" example:"5000"`
	Bills   int `json:"bills" example:"812"`
	// Each difference found (at most 50), empty when the mirror equals Tally.
	Differences []string `json:"differences"`
	// Why the check could not run, if it could not.
	Error string `json:"error,omitempty"`
}

// SyncResponse lists the mirror's state.
type SyncResponse struct {
	Companies []SyncStateResponse `json:"companies"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// syncStatus shows the mirror of the books.
//
//	@Summary		The mirror's sync state
//	@ID			getSync
//	@Description	Per company: whether the mirror of the books has loaded, the last probe of Tally's change counters, the last change seen, the lag, what it holds, the last error and the last comparison with Tally's own closing balances and Bills Receivable. It does not ask Tally. 404 mirror_off when no company is pinned (TALLY_COMPANY), which the mirror needs.
//	@Tags			system
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Success		200		{object}	SyncResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"mirror_off"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/sync [get]
func (s *Server) syncStatus(c echo.Context) error {
	q := query{c: c}
	company := q.company()
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return &service.Error{Kind: service.NotFound, Code: "mirror_off",
			Message: "the mirror of the books is off: it needs a pinned company",
			Hint:    "Set TALLY_COMPANY to the company to mirror."}
	}
	st, err := s.books.Status(c.Request().Context(), company)
	if err != nil {
		return err
	}
	out := SyncStateResponse{Company: st.State.Company, Loaded: st.State.Loaded, GUID: st.State.GUID,
		LastProbe: timePtr(st.State.LastProbe), LastSync: timePtr(st.State.LastSync), LastChange: timePtr(st.State.LastChange),
		LastReconcile: timePtr(st.State.LastReconcile), LagSeconds: st.Lag.Seconds(), FreshnessSeconds: st.Freshness.Seconds(),
		SyncSeconds: st.State.SyncDuration.Seconds(), AlterIDs: AlterIDsJSON{Masters: st.State.Masters, Vouchers: st.State.Vouchers},
		Objects:   ObjectCounts{Groups: st.Counts.Groups, Ledgers: st.Counts.Ledgers, Vouchers: st.Counts.Vouchers, Bills: st.Counts.Bills},
		LastError: st.State.LastError, LastErrorAt: timePtr(st.State.LastErrorAt)}
	if chk := st.State.Check; !chk.At.IsZero() {
		out.Check = &MirrorCheckJSON{At: timePtr(chk.At), Parties: chk.Parties, Bills: chk.Bills,
			Differences: append([]string{}, chk.Differences...), Error: chk.Error}
	}
	return writeJSON(c, http.StatusOK, "", SyncResponse{Companies: []SyncStateResponse{out}})
}

// balanceByMobile answers "what is my balance?" from a WhatsApp number.
//
//	@Summary		A party's balance by mobile number
//	@ID			getBalanceByMobile
//	@Description	The balance of the one party (a ledger under the party groups) whose mobile, read as E.164, is the number given in any common form (+91 98200 12345, 09820012345, 919820012345…). None is 404 party_not_found; several are 409 ambiguous_party_mobile naming them (answering for either would be a guess). From the mirror of the books (fresh within TALLY_FRESHNESS; stale, with synced_at, while Tally cannot be asked). Percent-encode the + as %2B.
//	@Tags			parties
//	@Produce		json
//	@Produce		application/problem+json
//	@Param			mobile	path		string	true	"Mobile number in any common form"	extensions(x-example=+919820012345)
//	@Param			company	query		string	false	"Tally company; default: the configured one"	extensions(x-example=ABC Traders)
//	@Param			fresh	query		bool	false	"Ask Tally for changes first, whatever the freshness interval"
//	@Success		200		{object}	BalanceResponse
//	@Failure		400		{object}	Problem	"malformed_query"
//	@Failure		401		{object}	Problem	"unauthenticated"
//	@Failure		404		{object}	Problem	"party_not_found, unknown_company, mirror_off"
//	@Failure		409		{object}	Problem	"ambiguous_party_mobile (the parties in parties)"
//	@Failure		422		{object}	Problem	"invalid_mobile"
//	@Failure		503		{object}	Problem	"Tally unavailable and the company never synced"
//	@Security		ApiKeyAuth
//	@Security		BearerAuth
//	@Router			/parties/by-mobile/{mobile}/balance [get]
func (s *Server) balanceByMobile(c echo.Context) error {
	mobile, err := url.PathUnescape(c.Param("mobile"))
	if err != nil {
		return &requestError{status: http.StatusBadRequest, code: "bad_path", detail: "The mobile in the path is not correctly percent-encoded."}
	}
	q := query{c: c}
	company, force := q.company(), fresh(&q)
	if err := q.err(); err != nil {
		return err
	}
	if s.books == nil {
		return errMirrorOff
	}
	b, f, err := s.books.BalanceByMobile(c.Request().Context(), company, mobile, force)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, "", toBalanceResponse(b, f))
}

// errMirrorOff answers the routes only the mirror can serve when it is off.
var errMirrorOff = &service.Error{Kind: service.NotFound, Code: "mirror_off",
	Message: "this read needs the mirror of the books, which is off without a pinned company",
	Hint:    "Set TALLY_COMPANY to the company to mirror."}
