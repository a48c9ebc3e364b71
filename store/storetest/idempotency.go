package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

const (
	lease = time.Minute
	ttl   = 24 * time.Hour
	hashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func claim(scope, key, hash string, now time.Time) service.IdempotencyClaim {
	return service.IdempotencyClaim{Scope: scope, Key: key, RequestHash: hash, Now: now, Lease: lease, TTL: ttl}
}

func mustClaim(t *testing.T, s service.Store, c service.IdempotencyClaim, wantClaimed bool) service.IdempotencyRecord {
	t.Helper()
	rec, claimed, err := s.ClaimIdempotencyKey(ctxFor(t), c)
	if err != nil {
		t.Fatalf("ClaimIdempotencyKey(%s, %s): %v", c.Key, c.RequestHash[:4], err)
	}
	if claimed != wantClaimed {
		t.Fatalf("ClaimIdempotencyKey(%s, %s): claimed = %v, want %v (record %+v)", c.Key, c.RequestHash[:4], claimed, wantClaimed, rec)
	}
	return rec
}

func testClaimCreates(t *testing.T, s service.Store) {
	got := mustClaim(t, s, claim("key1|POST /orders", "k1", hashA, t0), true)
	want := service.IdempotencyRecord{
		Scope: "key1|POST /orders", Key: "k1", RequestHash: hashA, State: service.IdempotencyInProgress,
		LockedUntil: t0.Add(lease), CreatedAt: t0, ExpiresAt: t0.Add(ttl),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("claimed record (-want +got):\n%s", diff)
	}
}

func testSecondClaimUnclaimed(t *testing.T, s service.Store) {
	first := mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	// Still within the lease: the second request must see the first in flight (409).
	second := mustClaim(t, s, claim("sc", "k", hashA, t0.Add(time.Second)), false)
	if diff := cmp.Diff(first, second, opts); diff != "" {
		t.Errorf("second claim changed the record (-first +second):\n%s", diff)
	}
}

func testDifferentHash(t *testing.T, s service.Store) {
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	got := mustClaim(t, s, claim("sc", "k", hashB, t0.Add(time.Second)), false)
	if got.RequestHash != hashA {
		t.Errorf("RequestHash = %q, want the first request's %q (the caller answers 422)", got.RequestHash, hashA)
	}
}

func testCompletedReplay(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	resp := service.StoredResponse{
		Status: 201,
		Header: map[string]string{"Content-Type": "application/json", "Location": "/orders/42"},
		Body:   []byte("{\"id\": \"42\",\n \"amount\": \"1180.00\"}\x00\xff"),
	}
	if err := s.CompleteIdempotencyKey(ctx, "sc", "k", resp); err != nil {
		t.Fatalf("CompleteIdempotencyKey: %v", err)
	}
	for _, tc := range []struct {
		name string
		hash string
		at   time.Time
	}{
		{"same hash within lease", hashA, t0.Add(time.Second)},
		// A completed record is never taken over, even after its lease.
		{"same hash after lease", hashA, t0.Add(2 * lease)},
		{"other hash", hashB, t0.Add(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustClaim(t, s, claim("sc", "k", tc.hash, tc.at), false)
			if got.State != service.IdempotencyCompleted || got.RequestHash != hashA {
				t.Errorf("State, RequestHash = %q, %q; want completed, %q", got.State, got.RequestHash, hashA)
			}
			if got.Response == nil {
				t.Fatal("Response = nil, want the stored response")
			}
			if diff := cmp.Diff(resp, *got.Response); diff != "" {
				t.Errorf("replayed response (-want +got):\n%s", diff)
			}
		})
	}
}

func testLeaseTakeover(t *testing.T, s service.Store) {
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	after := t0.Add(2 * lease)
	// Another payload never takes over, even when the lease ran out.
	if got := mustClaim(t, s, claim("sc", "k", hashB, after), false); got.RequestHash != hashA {
		t.Errorf("RequestHash = %q after a foreign claim, want %q", got.RequestHash, hashA)
	}
	got := mustClaim(t, s, claim("sc", "k", hashA, after), true)
	want := service.IdempotencyRecord{
		Scope: "sc", Key: "k", RequestHash: hashA, State: service.IdempotencyInProgress,
		LockedUntil: after.Add(lease), CreatedAt: t0, ExpiresAt: t0.Add(ttl),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("taken-over record (-want +got):\n%s", diff)
	}
	// The new owner holds a fresh lease.
	mustClaim(t, s, claim("sc", "k", hashA, after.Add(time.Second)), false)
}

// testKeyLinkedToOrder: CreateOrder links the in-progress key of the request
// that stores the order, in its own transaction, so a claim after a crash
// (the first request died holding the lease) finds which order the key
// stored; a takeover keeps the link; an expired key starts unlinked.
func testKeyLinkedToOrder(t *testing.T, s service.Store) {
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	mustClaim(t, s, claim("sc", "other", hashA, t0), true)
	o := newOrder("Linked Traders", t0)
	o.Key = service.IdempotencyRef{Scope: "sc", Key: "k"}
	mustCreate(t, s, o)

	if got := mustClaim(t, s, claim("sc", "k", hashA, t0.Add(time.Second)), false); got.OrderID != o.ID {
		t.Fatalf("in-flight record after CreateOrder: OrderID = %q, want %q", got.OrderID, o.ID)
	}
	if got := mustClaim(t, s, claim("sc", "other", hashA, t0.Add(time.Second)), false); got.OrderID != "" {
		t.Errorf("another key got linked: OrderID = %q", got.OrderID)
	}
	if got := mustClaim(t, s, claim("sc", "k", hashA, t0.Add(2*lease)), true); got.OrderID != o.ID {
		t.Errorf("taken-over record: OrderID = %q, want %q (the request stored that order)", got.OrderID, o.ID)
	}
	if got := mustClaim(t, s, claim("sc", "k", hashA, t0.Add(2*ttl)), true); got.OrderID != "" {
		t.Errorf("record claimed over an expired one: OrderID = %q, want none", got.OrderID)
	}
}

func testExpiredIsAbsent(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	c := claim("sc", "k", hashA, t0)
	c.TTL = time.Hour
	mustClaim(t, s, c, true)
	if err := s.CompleteIdempotencyKey(ctx, "sc", "k", service.StoredResponse{Status: 200, Body: []byte("old")}); err != nil {
		t.Fatalf("CompleteIdempotencyKey: %v", err)
	}
	later := t0.Add(2 * time.Hour)
	got := mustClaim(t, s, claim("sc", "k", hashB, later), true)
	want := service.IdempotencyRecord{
		Scope: "sc", Key: "k", RequestHash: hashB, State: service.IdempotencyInProgress,
		LockedUntil: later.Add(lease), CreatedAt: later, ExpiresAt: later.Add(ttl),
	}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("record claimed over an expired one (-want +got):\n%s", diff)
	}
}

func testRelease(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	if err := s.ReleaseIdempotencyKey(ctx, "sc", "k"); err != nil {
		t.Fatalf("ReleaseIdempotencyKey: %v", err)
	}
	// Released: the next request (even with another payload) runs afresh.
	mustClaim(t, s, claim("sc", "k", hashB, t0.Add(time.Second)), true)

	if err := s.ReleaseIdempotencyKey(ctx, "sc", "never-claimed"); err != nil {
		t.Errorf("ReleaseIdempotencyKey(missing) = %v, want nil", err)
	}

	mustClaim(t, s, claim("sc", "done", hashA, t0), true)
	if err := s.CompleteIdempotencyKey(ctx, "sc", "done", service.StoredResponse{Status: 200}); err != nil {
		t.Fatalf("CompleteIdempotencyKey: %v", err)
	}
	wantKind(t, s.ReleaseIdempotencyKey(ctx, "sc", "done"), service.Conflict)
	if got := mustClaim(t, s, claim("sc", "done", hashA, t0.Add(time.Second)), false); got.State != service.IdempotencyCompleted {
		t.Errorf("after releasing a completed key: State = %q, want completed", got.State)
	}
}

func testCompleteErrors(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	wantKind(t, s.CompleteIdempotencyKey(ctx, "sc", "missing", service.StoredResponse{Status: 200}), service.NotFound)
	mustClaim(t, s, claim("sc", "k", hashA, t0), true)
	if err := s.CompleteIdempotencyKey(ctx, "sc", "k", service.StoredResponse{Status: 200}); err != nil {
		t.Fatalf("first CompleteIdempotencyKey: %v", err)
	}
	wantKind(t, s.CompleteIdempotencyKey(ctx, "sc", "k", service.StoredResponse{Status: 500}), service.Conflict)
	got := mustClaim(t, s, claim("sc", "k", hashA, t0.Add(time.Second)), false)
	if got.Response == nil || got.Response.Status != 200 {
		t.Errorf("Response = %+v, want the first completion (200) kept", got.Response)
	}
}

func testScopes(t *testing.T, s service.Store) {
	mustClaim(t, s, claim("client-a|POST /orders", "same", hashA, t0), true)
	mustClaim(t, s, claim("client-b|POST /orders", "same", hashA, t0), true)
	mustClaim(t, s, claim("client-a|POST /parties", "same", hashA, t0), true)
}

func testConcurrentClaims(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	const n = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed int
		errs    []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			rec, ok, err := s.ClaimIdempotencyKey(ctx, claim("sc", "race", hashA, t0))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok:
				claimed++
			case rec.RequestHash != hashA || rec.State != service.IdempotencyInProgress:
				errs = append(errs, &service.Error{Message: "unclaimed record " + string(rec.State) + " " + rec.RequestHash})
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d claims failed, first: %v", len(errs), n, errs[0])
	}
	if claimed != 1 {
		t.Errorf("%d of %d concurrent claims succeeded, want exactly 1", claimed, n)
	}
}
