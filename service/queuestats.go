package service

import "context"

// OrderStates lists every state a stored record can be in.
func OrderStates() []OrderState {
	return []OrderState{OrderReceived, OrderPosting, OrderPosted, OrderRejected, OrderNeedsAttention}
}

// RecordKinds lists every kind of stored record (RecordKind).
func RecordKinds() []string { return []string{KindSales, KindReceipt, KindCancel} }

// countedKind is the RecordKind of a CountOrders row: a request without a
// kind is a sales order.
func countedKind(kind string) string {
	if kind == "" {
		return KindSales
	}
	return kind
}

// QueueCount is how many stored records of one kind are in one state.
type QueueCount struct {
	Kind  string // RecordKind: KindSales, KindReceipt or KindCancel
	State OrderState
	N     int
}

// QueueCounts counts the stored records (orders, receipts, cancellations) by
// kind and state, for monitoring: a growing needs_attention is a person's
// work waiting.
func (s *Service) QueueCounts(ctx context.Context) ([]QueueCount, error) {
	cs, err := s.cfg.Store.CountOrders(ctx)
	if err != nil {
		return nil, err
	}
	sum := map[QueueCount]int{}
	for _, c := range cs {
		sum[QueueCount{Kind: countedKind(c.Kind), State: c.State}] += c.N
	}
	out := make([]QueueCount, 0, len(sum))
	for c, n := range sum {
		c.N = n
		out = append(out, c)
	}
	return out, nil
}
