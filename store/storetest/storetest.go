// Package storetest is the conformance suite every service.Store passes
// (store/pgstore and store/sqlitestore): the promises of the interface's doc
// comments, including the concurrent ones, checked against a real database.
//
// Conventions the suite relies on, which every store must meet:
//   - Times go in whole seconds (UTC) and come back equal (time.Equal);
//     stores may keep only microseconds.
//   - Import durations come back at millisecond precision.
//   - Empty and nil byte slices, slices and maps are equal.
//   - Boundaries are never probed exactly: a lease or TTL is tested well
//     before and well after it ends.
package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tallyfacade/tallyfacade/service"
)

// Run runs the conformance suite. newStore returns a fresh, empty store for
// one subtest (and arranges its clean-up with t.Cleanup); subtests run in
// parallel, so each must get its own database.
func Run(t *testing.T, newStore func(t *testing.T) service.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s service.Store)
	}{
		{"Ping", testPing},
		{"Idempotency/ClaimCreates", testClaimCreates},
		{"Idempotency/SecondClaimUnclaimed", testSecondClaimUnclaimed},
		{"Idempotency/DifferentHashVisible", testDifferentHash},
		{"Idempotency/CompletedReplay", testCompletedReplay},
		{"Idempotency/LeaseTakeover", testLeaseTakeover},
		{"Idempotency/LinkedToOrder", testKeyLinkedToOrder},
		{"Idempotency/ExpiredIsAbsent", testExpiredIsAbsent},
		{"Idempotency/Release", testRelease},
		{"Idempotency/CompleteErrors", testCompleteErrors},
		{"Idempotency/ScopesAreSeparate", testScopes},
		{"Idempotency/ConcurrentClaims", testConcurrentClaims},
		{"Orders/CreateAndGet", testCreateAndGet},
		{"Orders/DuplicateRemoteID", testDuplicateRemoteID},
		{"Orders/ConcurrentDuplicateCreates", testConcurrentCreates},
		{"Orders/GetMissing", testGetMissing},
		{"Orders/List", testListOrders},
		{"Orders/ListOldestFirst", testListOldestFirst},
		{"Orders/Transition", testTransition},
		{"Orders/TransitionConflict", testTransitionConflict},
		{"Orders/StartAttempts", testStartAttempts},
		{"Orders/ConcurrentTransitions", testConcurrentTransitions},
		{"Orders/RetryEnqueue", testRetryEnqueue},
		{"Orders/Count", testCountOrders},
		{"Imports/RoundTrip", testImportRoundTrip},
		{"Imports/Truncation", testImportTruncation},
		{"Imports/GetMissing", testImportMissing},
		{"Imports/List", testListImports},
		{"Inbound/Dedupe", testInboundDedupe},
		{"Inbound/Concurrent", testInboundConcurrent},
		{"Prune", testPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// t0 is the suite's clock: whole seconds, UTC.
var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// opts compares store values: times by instant, empty equals nil.
var opts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)}

// NewID returns a random version-4 UUID, the form order ids take.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantKind fails t unless err is a *service.Error of kind k.
func wantKind(t *testing.T, err error, k service.Kind) *service.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want kind %v", k)
	}
	e, ok := service.AsError(err)
	if !ok || e.Kind != k {
		t.Fatalf("err = %v (kind %v), want kind %v", err, service.KindOf(err), k)
	}
	return e
}

func testPing(t *testing.T, s service.Store) {
	if err := s.Ping(ctxFor(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
