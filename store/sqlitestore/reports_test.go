package sqlitestore_test

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestReportsConformance(t *testing.T) {
	storetest.RunReports(t, func(t *testing.T) service.ReportStore { return openStore(t) })
}

func TestSummaryConformance(t *testing.T) {
	storetest.RunSummary(t, func(t *testing.T) storetest.SummaryBooks { return openStore(t) })
}

func TestConfirmConformance(t *testing.T) {
	storetest.RunConfirm(t, func(t *testing.T) storetest.ConfirmBooks { return openStore(t) })
}
