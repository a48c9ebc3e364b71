package pgstore_test

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestReportsConformance(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) service.ReportStore {
		s, _ := newStore(t)
		return s
	})
}

func TestSummaryConformance(t *testing.T) {
	storetest.RunSummary(t, func(t *testing.T) storetest.SummaryBooks {
		s, _ := newStore(t)
		return s
	})
}

func TestConfirmConformance(t *testing.T) {
	storetest.RunConfirm(t, func(t *testing.T) storetest.ConfirmBooks {
		s, _ := newStore(t)
		return s
	})
}
