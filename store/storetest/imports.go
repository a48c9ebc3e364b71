package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tallyfacade/tallyfacade/service"
)

func sampleImport(orderID, party, result string, at time.Time) service.ImportRecord {
	return service.ImportRecord{
		OrderID:  orderID,
		Company:  "Demo & Co",
		Kind:     "vouchers",
		RemoteID: "tallyfacade-order-" + orderID,
		Party:    party,
		Request:  []byte(`<ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER></ENVELOPE>`),
		Response: []byte("<RESPONSE><CREATED>1</CREATED></RESPONSE>\r\n"),
		Outcome: service.ImportOutcome{
			Created: 1, Altered: 2, Deleted: 3, Cancelled: 4, Combined: 5, Ignored: 6, Errors: 7, Exceptions: 8,
			LastVoucherID: 1234567,
			LineErrors:    []string{"Ledger 'A & B <Traders>' does not exist!", "Voucher totals do not match!"},
		},
		Result:    result,
		ErrorCode: "tally_rejected",
		Duration:  1500 * time.Millisecond,
		CreatedAt: at,
	}
}

func mustRecord(t *testing.T, s service.Store, r service.ImportRecord) service.ImportRecord {
	t.Helper()
	got, err := s.RecordImport(ctxFor(t), r)
	if err != nil {
		t.Fatalf("RecordImport: %v", err)
	}
	return got
}

func testImportRoundTrip(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o := mustCreate(t, s, newOrder("A & B <Traders>", t0))
	in := sampleImport(o.ID, o.Party, "rejected", t0.Add(time.Second))
	got := mustRecord(t, s, in)
	if got.ID <= 0 {
		t.Errorf("ID = %d, want a positive id", got.ID)
	}
	want := in
	want.ID = got.ID
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("RecordImport returned (-want +got):\n%s", diff)
	}
	read, err := s.GetImport(ctx, got.ID)
	if err != nil {
		t.Fatalf("GetImport: %v", err)
	}
	if diff := cmp.Diff(want, read, opts); diff != "" {
		t.Errorf("GetImport (-want +got):\n%s", diff)
	}

	// An import outside any order (a party created by POST /parties).
	bare := sampleImport("", "Walk-in", "ok", t0.Add(2*time.Second))
	bare.Kind, bare.RemoteID, bare.Outcome = "masters", "", service.ImportOutcome{Created: 1}
	got = mustRecord(t, s, bare)
	read, err = s.GetImport(ctx, got.ID)
	if err != nil {
		t.Fatalf("GetImport: %v", err)
	}
	bare.ID = got.ID
	if diff := cmp.Diff(bare, read, opts); diff != "" {
		t.Errorf("GetImport without order (-want +got):\n%s", diff)
	}
}

func testImportTruncation(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	big := bytes.Repeat([]byte("<A>&amp;</A>"), service.MaxAuditBody/8)
	exact := bytes.Repeat([]byte("x"), service.MaxAuditBody)
	tests := []struct {
		name          string
		req, resp     []byte
		wantTruncated bool
	}{
		{"small", []byte("<E/>"), []byte("<R/>"), false},
		{"exactly the limit", exact, exact, false},
		{"request too big", big, []byte("<R/>"), true},
		{"response too big", []byte("<E/>"), big, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleImport("", "P", "ok", t0)
			r.Request, r.Response = tc.req, tc.resp
			got := mustRecord(t, s, r)
			read, err := s.GetImport(ctx, got.ID)
			if err != nil {
				t.Fatalf("GetImport: %v", err)
			}
			for _, rec := range []service.ImportRecord{got, read} {
				if rec.Truncated != tc.wantTruncated {
					t.Errorf("Truncated = %v, want %v", rec.Truncated, tc.wantTruncated)
				}
				for _, body := range []struct{ in, out []byte }{{tc.req, rec.Request}, {tc.resp, rec.Response}} {
					want := body.in[:min(len(body.in), service.MaxAuditBody)]
					if !bytes.Equal(body.out, want) {
						t.Errorf("stored body: %d bytes, want the first %d bytes of the %d sent", len(body.out), len(want), len(body.in))
					}
				}
			}
		})
	}
}

func testImportMissing(t *testing.T, s service.Store) {
	_, err := s.GetImport(ctxFor(t), 987654321)
	wantKind(t, err, service.NotFound)
}

func testListImports(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	o1 := mustCreate(t, s, newOrder("Alpha", t0))
	o2 := mustCreate(t, s, newOrder("Beta", t0))
	specs := []struct {
		order  string
		party  string
		result string
	}{
		{o1.ID, "Alpha", "ambiguous"},
		{o1.ID, "Alpha", "ok"},
		{o2.ID, "Beta", "rejected"},
		{"", "Beta", "ok"},
		{"", "Gamma", "failed"},
	}
	var recs []service.ImportRecord // oldest first, one minute apart
	for i, sp := range specs {
		recs = append(recs, mustRecord(t, s, sampleImport(sp.order, sp.party, sp.result, t0.Add(time.Duration(i)*time.Minute))))
	}
	ids := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, j := range idx {
			out[i] = recs[j].ID
		}
		return out
	}
	tests := []struct {
		f    service.ImportFilter
		want []int64
	}{
		{service.ImportFilter{}, ids(4, 3, 2, 1, 0)},
		{service.ImportFilter{OrderID: o1.ID}, ids(1, 0)},
		{service.ImportFilter{Party: "Beta"}, ids(3, 2)},
		{service.ImportFilter{Result: "ok"}, ids(3, 1)},
		{service.ImportFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, ids(2, 1)},
		{service.ImportFilter{Since: t0.Add(3 * time.Minute)}, ids(4, 3)},
		{service.ImportFilter{Until: t0.Add(time.Minute)}, ids(0)},
		{service.ImportFilter{Party: "Beta", Result: "rejected"}, ids(2)},
		{service.ImportFilter{Limit: 2}, ids(4, 3)},
		{service.ImportFilter{OrderID: NewID()}, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.f), func(t *testing.T) {
			got, err := s.ListImports(ctx, tc.f)
			if err != nil {
				t.Fatalf("ListImports: %v", err)
			}
			gotIDs := make([]int64, len(got))
			for i, r := range got {
				gotIDs[i] = r.ID
			}
			if diff := cmp.Diff(tc.want, gotIDs, opts); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	got, err := s.ListImports(ctx, service.ImportFilter{Party: "Gamma"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListImports = %d, %v; want 1 import", len(got), err)
	}
	if diff := cmp.Diff(recs[4], got[0], opts); diff != "" {
		t.Errorf("listed import (-want +got):\n%s", diff)
	}
}

func testInboundDedupe(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	m := service.InboundMessage{ID: "wamid.HBgMOTE5ODc2NTQzMjEwFQIAEhgg", From: "919876543210", Type: "order",
		Payload: []byte(`{"type":"order"}`), ReceivedAt: t0}
	for i, want := range []bool{true, false, false} {
		got, err := s.RecordInboundMessage(ctx, m)
		if err != nil {
			t.Fatalf("RecordInboundMessage #%d: %v", i+1, err)
		}
		if got != want {
			t.Errorf("RecordInboundMessage #%d = %v, want %v", i+1, got, want)
		}
	}
	m.ID += "2"
	if got, err := s.RecordInboundMessage(ctx, m); err != nil || !got {
		t.Errorf("RecordInboundMessage(another id) = %v, %v; want true", got, err)
	}
}

func testInboundConcurrent(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	const n = 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inserted int
		errs     []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			ok, err := s.RecordInboundMessage(ctx, service.InboundMessage{ID: "wamid.race", From: "91", Type: "text", ReceivedAt: t0})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if ok {
				inserted++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d inserts failed, first: %v", len(errs), errs[0])
	}
	if inserted != 1 {
		t.Errorf("%d of %d concurrent inserts reported inserted, want 1", inserted, n)
	}
}

func testPrune(t *testing.T, s service.Store) {
	ctx := ctxFor(t)
	short := claim("sc", "short", hashA, t0)
	short.TTL = time.Hour
	mustClaim(t, s, short, true)
	shortDone := claim("sc", "short-done", hashA, t0)
	shortDone.TTL = time.Hour
	mustClaim(t, s, shortDone, true)
	if err := s.CompleteIdempotencyKey(ctx, "sc", "short-done", service.StoredResponse{Status: 201}); err != nil {
		t.Fatalf("CompleteIdempotencyKey: %v", err)
	}
	mustClaim(t, s, claim("sc", "long", hashA, t0), true) // 24 h

	old := mustRecord(t, s, sampleImport("", "P", "ok", t0))
	recent := mustRecord(t, s, sampleImport("", "P", "ok", t0.Add(48*time.Hour)))
	noBodies := sampleImport("", "P", "ok", t0)
	noBodies.Request, noBodies.Response = nil, nil
	mustRecord(t, s, noBodies) // nothing to clear: not counted

	p := service.PrunePolicy{Now: t0.Add(2 * time.Hour), BodiesBefore: t0.Add(24 * time.Hour)}
	st, err := s.Prune(ctx, p)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if diff := cmp.Diff(service.PruneStats{IdempotencyRecords: 2, ImportBodies: 1}, st); diff != "" {
		t.Errorf("PruneStats (-want +got):\n%s", diff)
	}
	// Pruned keys are gone: a new request claims them afresh at the old time.
	mustClaim(t, s, claim("sc", "short", hashB, t0.Add(time.Minute)), true)
	mustClaim(t, s, claim("sc", "long", hashB, t0.Add(time.Minute)), false)

	got, err := s.GetImport(ctx, old.ID)
	if err != nil {
		t.Fatalf("GetImport(old): %v", err)
	}
	want := old
	want.Request, want.Response = nil, nil
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("old import after prune: only the bodies go (-want +got):\n%s", diff)
	}
	got, err = s.GetImport(ctx, recent.ID)
	if err != nil {
		t.Fatalf("GetImport(recent): %v", err)
	}
	if diff := cmp.Diff(recent, got, opts); diff != "" {
		t.Errorf("recent import after prune (-want +got):\n%s", diff)
	}

	st, err = s.Prune(ctx, p)
	if err != nil {
		t.Fatalf("second Prune: %v", err)
	}
	if diff := cmp.Diff(service.PruneStats{}, st); diff != "" {
		t.Errorf("second Prune removed more (-want +got):\n%s", diff)
	}
}
