package storetest

import (
	"testing"

	"github.com/tallyfacade/tallyfacade/service"
)

// BenchDayBook loads n sales vouchers (with entries and a bill each) over
// a year into s, then times reading one page of 50 from the day book: the
// first page, one in the middle and the last, each from its cursor. With a
// keyset over an index the three cost the same.
func BenchDayBook(b *testing.B, s service.BooksStore, n int) {
	ctx := b.Context()
	groups, ledgers := booksMasters()
	if err := s.ApplyMasters(ctx, booksCo, groups, ledgers, nil, nil); err != nil {
		b.Fatal(err)
	}
	start := day(1, 1)
	batch := make([]service.MirrorVoucher, 0, 1000)
	for i := range n {
		v := sale(int64(i+1), start.AddDate(0, 0, i*365/n), "Rajesh Enterprises", service.Paise(1000+i),
			service.MirrorBill{Name: "B/" + string(rune('a'+i%26)), Type: "New Ref", Amount: -service.Paise(1000 + i)})
		batch = append(batch, v)
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.ApplyVouchers(ctx, booksCo, batch, nil, false); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := s.RecomputeAll(ctx, booksCo); err != nil {
		b.Fatal(err)
	}
	q := service.VoucherQuery{Company: booksCo, From: start, To: start.AddDate(1, 0, 0), Limit: 50}
	// The cursors of the pages: walk once.
	var cursors []service.VoucherCursor
	for after := (service.VoucherCursor{}); ; {
		cursors = append(cursors, after)
		q.After = after
		rows, err := s.MirrorVouchers(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) < q.Limit {
			break
		}
		last := rows[len(rows)-1]
		after = service.VoucherCursor{Date: last.Date, ID: last.ID}
	}
	for _, page := range []struct {
		name string
		i    int
	}{{"first", 0}, {"middle", len(cursors) / 2}, {"last", len(cursors) - 1}} {
		b.Run(page.name, func(b *testing.B) {
			q.After = cursors[page.i]
			for b.Loop() {
				if _, err := s.MirrorVouchers(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
