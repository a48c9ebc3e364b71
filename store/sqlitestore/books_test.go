package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/sqlitestore"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestBooksConformance(t *testing.T) {
	storetest.RunBooks(t, func(t *testing.T) service.BooksStore { return openStore(t) })
}

// BenchmarkDayBook: a day book page from the first, middle and last
// cursor of 20,000 vouchers.
func BenchmarkDayBook(b *testing.B) {
	s, err := sqlitestore.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchDayBook(b, s, 20000)
}
