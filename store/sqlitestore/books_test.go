package sqlitestore_test

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestBooksConformance(t *testing.T) {
	storetest.RunBooks(t, func(t *testing.T) service.BooksStore { return openStore(t) })
}
