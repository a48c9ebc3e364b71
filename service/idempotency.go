package service

import (
	"context"
	"strings"
	"time"
)

// IdempotencyConfig sets how Idempotency-Key records behave.
type IdempotencyConfig struct {
	// TTL is how long a key and its response are kept. Default 24 hours,
	// the draft's and Stripe's floor; WhatsApp-sourced retries can need
	// longer.
	TTL time.Duration
	// Lease is how long a first request may run before a retry with the
	// same key and payload may take over (the first one died). Default 2
	// minutes: longer than any request is allowed to take.
	Lease time.Duration
}

func (c IdempotencyConfig) withDefaults() IdempotencyConfig {
	if c.TTL <= 0 {
		c.TTL = 24 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	return c
}

// Idempotent is a claimed Idempotency-Key: the caller runs the request and
// then calls Finish with its response.
type Idempotent struct {
	s          *Service
	scope, key string
}

// BeginIdempotent applies draft-ietf-httpapi-idempotency-key-header to one
// request. hash identifies the payload (method, route and body).
//
//   - First use of the key: it is claimed; run the request and Finish it.
//   - A repeat after completion with the same payload: replay is the stored
//     response, to send as it is.
//   - The same key with another payload: Invalid, code idempotency_key_reused (422).
//   - A repeat while the first is still running: Conflict, code
//     idempotency_key_in_flight (409). When the first request already
//     stored its order (or receipt), the Conflict carries that
//     OrderRecord as Subject: the repeat is answered from the order, as
//     any repeat of a stored order is, instead of waiting out the lease
//     of a first request that may have died (kill -9) after storing it.
//     The key is left as it is: its first request, if alive, completes it.
//
// The database decides (a unique key plus a lease), so this holds across
// replicas.
func (s *Service) BeginIdempotent(ctx context.Context, scope, key, hash string) (claim *Idempotent, replay *StoredResponse, err error) {
	c := s.cfg.Idempotency.withDefaults()
	rec, claimed, err := s.cfg.Store.ClaimIdempotencyKey(ctx, IdempotencyClaim{Scope: scope, Key: key, RequestHash: hash,
		Now: s.cfg.Now(), Lease: c.Lease, TTL: c.TTL})
	switch {
	case err != nil:
		return nil, nil, err
	case claimed:
		return &Idempotent{s: s, scope: scope, key: key}, nil, nil
	case rec.RequestHash != hash:
		return nil, nil, &Error{Kind: Invalid, Code: "idempotency_key_reused",
			Message: "this Idempotency-Key was already used with a different request",
			Hint:    "Use a new key for a new request; repeat a request only with exactly the same body."}
	case rec.State == IdempotencyCompleted && rec.Response != nil:
		return nil, rec.Response, nil
	}
	inFlight := &Error{Kind: Conflict, Code: "idempotency_key_in_flight",
		Message: "a request with this Idempotency-Key is still being processed",
		Hint:    "Retry the same request shortly; it will then get the first request's response."}
	if rec.OrderID != "" {
		order, err := s.cfg.Store.GetOrder(ctx, rec.OrderID)
		if err != nil {
			return nil, nil, err
		}
		inFlight.Subject = order
	}
	return nil, nil, inFlight
}

// IdempotencyDedupe is the dedupe of a request made with an
// Idempotency-Key (SubmitOrder, SubmitReceipt): the stored record's id
// derives from it, and the key's record is linked to what it stored.
func IdempotencyDedupe(scope, key string) string { return scope + "\x00" + key }

// dedupeRef names the idempotency record of a dedupe made by
// IdempotencyDedupe; other dedupes (a WhatsApp message id) name none. A key
// is visible ASCII, so the last NUL is the separator.
func dedupeRef(dedupe string) IdempotencyRef {
	i := strings.LastIndexByte(dedupe, 0)
	if i < 0 {
		return IdempotencyRef{}
	}
	return IdempotencyRef{Scope: dedupe[:i], Key: dedupe[i+1:]}
}

// Finish stores the response for replay, or, when keep is false (a 5xx,
// which is not a result worth repeating), releases the key so a retry runs
// again.
func (i *Idempotent) Finish(ctx context.Context, resp StoredResponse, keep bool) error {
	if !keep {
		return i.s.cfg.Store.ReleaseIdempotencyKey(ctx, i.scope, i.key)
	}
	return i.s.cfg.Store.CompleteIdempotencyKey(ctx, i.scope, i.key, resp)
}
