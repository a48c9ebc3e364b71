package service

import "context"

// ExecuteOrder runs an order's plan and execution (the kind's own steps of
// the posting pipeline) without the store and its queue, for the tests of
// pricing, party resolution and the voucher: the queue's part is tested with
// a store (queue_test.go, api, cmd).
func (s *Service) ExecuteOrder(ctx context.Context, o Order) (OrderResult, error) {
	p, err := s.planOrder(o, newOrderID())
	if err != nil {
		return OrderResult{}, err
	}
	if err := s.checkWriteCompany(ctx, o.Company); err != nil {
		return OrderResult{}, err
	}
	return s.executeOrder(ctx, p, postHooks{})
}
