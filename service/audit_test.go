package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tallyfacade/tallyfacade/service"
)

// flakyAudit is a memStore whose RecordImport fails the first failures
// times, as a PostgreSQL restart makes it fail.
type flakyAudit struct {
	*memStore
	mu       sync.Mutex
	failures int
	tries    int
}

func (f *flakyAudit) RecordImport(ctx context.Context, r service.ImportRecord) (service.ImportRecord, error) {
	f.mu.Lock()
	f.tries++
	fail := f.tries <= f.failures
	f.mu.Unlock()
	if fail {
		return service.ImportRecord{}, &service.Error{Kind: service.Unavailable, Code: "database_unavailable", Message: "the database is unavailable"}
	}
	return f.memStore.RecordImport(ctx, r)
}

// TestAuditSurvivesStoreRestart: a Tally write made while the store fails
// (a database restart) is still recorded in the import audit log, by
// retrying within AuditRetry; a store that stays down past it loses the
// record (and logs it) but not the order.
func TestAuditSurvivesStoreRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		failures    int
		wantImports int
	}{
		{"recovers", 4, 1},
		{"stays down", 1 << 30, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, st := newFake(), &flakyAudit{memStore: newMemStore(), failures: tc.failures}
			svc := service.New(f, service.Config{Company: "ABC Traders", Store: st,
				Queue: service.QueueConfig{MaxAttempts: 3, AuditRetry: 300 * time.Millisecond, AuditRetryBase: 5 * time.Millisecond},
				Now:   func() time.Time { return today.Add(10 * time.Hour) }})
			rec, _, err := svc.SubmitOrder(t.Context(), sampleOrder("WA-90", "Priya Textiles"), "api", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.PostOrder(t.Context(), rec.ID); err != nil {
				t.Fatal(err)
			}
			got, _ := st.GetOrder(t.Context(), rec.ID)
			imports, _ := svc.ListImports(t.Context(), service.ImportFilter{OrderID: rec.ID})
			if got.State != service.OrderPosted || len(f.vouchers) != 1 || len(imports) != tc.wantImports {
				t.Fatalf("order %s, %d vouchers, imports %+v; want posted once with %d audited", got.State, len(f.vouchers), imports, tc.wantImports)
			}
			if tc.wantImports == 1 && (imports[0].Result != "ok" || imports[0].RemoteID != rec.RemoteID) {
				t.Errorf("audited import %+v; want the ok write of %s", imports[0], rec.RemoteID)
			}
		})
	}
}
