package service

import (
	"context"
	"strings"
	"time"
)

// QueueConfig tunes durable order posting.
type QueueConfig struct {
	// MaxAttempts is how many times an order is tried while Tally is
	// unreachable or busy before it is needs_attention. Default 50.
	MaxAttempts int
	// RetryBase and RetryMax bound the capped exponential backoff between
	// attempts. Defaults 5s and 5m: a Tally PC switched back on is noticed
	// within five minutes.
	RetryBase, RetryMax time.Duration
	// AuditRetry bounds how long recording one Tally import in the audit
	// log is retried while the store fails (a PostgreSQL restart), with
	// backoff from AuditRetryBase (default 50ms) doubling up to 2s.
	// Default 30s: longer than a database restart or failover usually
	// takes, short enough that a worker is not held much longer than the
	// outage.
	AuditRetry, AuditRetryBase time.Duration
	// BatchSize is the most sales orders posted in one import request
	// when several wait for Tally (batch.go). Default 50; 1 posts each
	// order alone.
	BatchSize int
}

func (q QueueConfig) withDefaults() QueueConfig {
	if q.MaxAttempts <= 0 {
		q.MaxAttempts = 50
	}
	if q.RetryBase <= 0 {
		q.RetryBase = 5 * time.Second
	}
	if q.RetryMax <= 0 {
		q.RetryMax = 5 * time.Minute
	}
	if q.AuditRetry <= 0 {
		q.AuditRetry = 30 * time.Second
	}
	if q.AuditRetryBase <= 0 {
		q.AuditRetryBase = 50 * time.Millisecond
	}
	if q.BatchSize <= 0 {
		q.BatchSize = 50
	}
	return q
}

// backoff is the delay before attempt n+1 (n ≥ 1): base·2^(n-1), capped.
func (q QueueConfig) backoff(n int) time.Duration {
	d := q.RetryBase
	for i := 1; i < n && d < q.RetryMax; i++ {
		d *= 2
	}
	return min(d, q.RetryMax)
}

// checkWriteCompany refuses a write for a company the caller named, other
// than the configured one, that Tally does not have loaded, before anything
// is stored: such an order could never post, and reads answer the same
// (checkLoaded). The configured company is not checked, and neither is any
// company while Tally cannot be asked: storing the write so the queue posts
// it once Tally is back is the point of the store.
func (s *Service) checkWriteCompany(ctx context.Context, requested string) error {
	if strings.TrimSpace(requested) == "" || foldName(requested) == foldName(s.cfg.Company) {
		return nil
	}
	err := s.checkLoaded(ctx, s.company(requested))
	if e, ok := AsError(err); ok && e.Code != "company_not_loaded" && e.Kind == Unavailable {
		return nil
	}
	return err
}

// recordID is a new stored record's id: random, or derived from the
// request's dedupe key (its Idempotency-Key and scope) when there is one.
func recordID(kind, dedupe string) string {
	if dedupe == "" {
		return newOrderID()
	}
	return RemoteID(RemoteIDNamespace, kind+"\x00"+dedupe)
}

// storeNew stores a record (an order or a receipt) in state received, with
// the job that posts it. A record whose REMOTEID is already stored is that
// record: it is returned with created false, and nothing new is queued.
func (s *Service) storeNew(ctx context.Context, rec OrderRecord) (OrderRecord, bool, error) {
	now := s.cfg.Now()
	rec.State, rec.CreatedAt, rec.UpdatedAt = OrderReceived, now, now
	return s.cfg.Store.CreateOrder(ctx, rec)
}

// GetOrder reads a stored order.
func (s *Service) GetOrder(ctx context.Context, id string) (OrderRecord, error) {
	return s.cfg.Store.GetOrder(ctx, id)
}

// ListOrders lists stored orders, newest first.
func (s *Service) ListOrders(ctx context.Context, f OrderFilter) ([]OrderRecord, error) {
	return s.cfg.Store.ListOrders(ctx, f)
}

// RetryOrder puts an order that needs attention (or was rejected, once the
// cause is fixed in Tally) back in the queue.
func (s *Service) RetryOrder(ctx context.Context, id string) (OrderRecord, error) {
	empty := ""
	now := s.cfg.Now()
	return s.cfg.Store.TransitionOrder(ctx, id, []OrderState{OrderNeedsAttention, OrderRejected}, OrderTransition{
		To: OrderReceived, Now: now, LastError: &empty, LastErrorCode: &empty, NextAttemptAt: &now, Enqueue: true})
}

// ListImports lists the Tally import audit log.
func (s *Service) ListImports(ctx context.Context, f ImportFilter) ([]ImportRecord, error) {
	return s.cfg.Store.ListImports(ctx, f)
}

// GetImport reads one audited import.
func (s *Service) GetImport(ctx context.Context, id int64) (ImportRecord, error) {
	return s.cfg.Store.GetImport(ctx, id)
}

// Final reports whether the queue is done with an order in state st.
func (st OrderState) Final() bool {
	return st == OrderPosted || st == OrderRejected || st == OrderNeedsAttention
}

// WaitOrder waits up to wait for an order to leave the queue (posted,
// rejected or needs_attention) and returns the order as last read. It reads
// the order again when it is told the order changed (in this process, or by
// another replica through OrderChanged), and every fallback in case a
// notification was lost. Running out of time is not an error: the caller
// answers with the order as it stands.
func (s *Service) WaitOrder(ctx context.Context, id string, wait, fallback time.Duration) (OrderRecord, error) {
	// Subscribed before the first read, so a change between the read and
	// the wait is not missed.
	changed, cancel := s.waiters.subscribe(id)
	defer cancel()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(fallback)
	defer tick.Stop()
	for {
		rec, err := s.cfg.Store.GetOrder(ctx, id)
		if err != nil || rec.State.Final() {
			return rec, err
		}
		// Not posted yet, and Tally is failing: waiting longer only delays
		// the 202 the caller will get anyway. (An amended order is back in
		// received after its attempts, but with no error.)
		if rec.Attempts > 0 && rec.State == OrderReceived && rec.LastErrorCode != "" {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return rec, nil
		case <-deadline.C:
			return rec, nil
		case <-changed:
		case <-tick.C:
		}
	}
}
