package pgstore_test

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
	"github.com/tallyfacade/tallyfacade/store/pgstore"
	"github.com/tallyfacade/tallyfacade/store/pgstore/pgtest"
	"github.com/tallyfacade/tallyfacade/store/storetest"
)

func TestBooksConformance(t *testing.T) {
	storetest.RunBooks(t, func(t *testing.T) service.BooksStore {
		s, _ := newStore(t)
		return s
	})
}

// BenchmarkDayBook: a day book page from the first, middle and last
// cursor of 20,000 vouchers.
func BenchmarkDayBook(b *testing.B) {
	s, err := pgstore.New(b.Context(), pgtest.New(b), pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	storetest.BenchDayBook(b, s, 20000)
}
