package sqlitestore_test

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestReminderConformance(t *testing.T) {
	storetest.RunReminders(t, func(t *testing.T) service.Store { return openStore(t) })
}
