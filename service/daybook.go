package service

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The day book from the mirror: the vouchers of a period, by date, a page
// at a time by keyset (date, MasterID), so every page costs one indexed
// query whatever its number; and one voucher whole, with its ledger
// entries, bill allocations and stock lines.

// DayBookStore reads vouchers from the mirror.
type DayBookStore interface {
	// MirrorVouchers lists the vouchers of q by date then MasterID, after
	// the cursor q.After, at most q.Limit.
	MirrorVouchers(ctx context.Context, q VoucherQuery) ([]VoucherRow, error)
	// MirrorVoucher reads one voucher by MasterID with its entries (each
	// with its bills) and stock lines; NotFound when the mirror has none.
	MirrorVoucher(ctx context.Context, company string, id int64) (MirrorVoucher, error)
}

// VoucherQuery selects vouchers from the mirror. From and To are calendar
// dates, both included.
type VoucherQuery struct {
	Company string
	From    time.Time
	To      time.Time
	// Type keeps one voucher type, compared case-insensitively ("" all).
	Type string
	// Party keeps the vouchers with an entry for this ledger (its folded
	// name; "" all). A cancelled voucher has no entries left (§9.4), so it
	// does not show under a party.
	Party string
	After VoucherCursor
	Limit int
}

// VoucherCursor is a keyset position in the day book: the date and
// MasterID of the last voucher of the previous page (zero: the first page).
type VoucherCursor struct {
	Date time.Time
	ID   int64
}

// String is the cursor as an answer hands it out: "2026-05-11.17".
func (c VoucherCursor) String() string {
	if c.ID == 0 {
		return ""
	}
	return c.Date.Format(time.DateOnly) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseVoucherCursor reads a cursor String made; "" is the first page.
func ParseVoucherCursor(s string) (VoucherCursor, error) {
	if s == "" {
		return VoucherCursor{}, nil
	}
	d, id, ok := strings.Cut(s, ".")
	t, err := time.Parse(time.DateOnly, d)
	n, nerr := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || nerr != nil || n <= 0 {
		return VoucherCursor{}, Errorf(Invalid, "invalid_cursor", "the cursor is not one this service gave")
	}
	return VoucherCursor{Date: t, ID: n}, nil
}

// VoucherRow is one voucher of the day book. Amount is the voucher's total:
// the sum of its debit entries (positive), zero for a cancelled voucher.
type VoucherRow struct {
	ID        int64 // MasterID
	Date      time.Time
	Type      string
	Number    string
	Party     string
	Narration string
	Amount    Paise
	Cancelled bool
	Optional  bool
}

// DayBook is one page of the day book.
type DayBook struct {
	Period   Period
	Vouchers []VoucherRow
	// Next is the cursor of the following page, zero on the last.
	Next VoucherCursor
}

// DayBook lists the vouchers of a period (default the financial year to
// date) from the mirror, limit a page (PageLimit) after the cursor after.
func (b *Books) DayBook(ctx context.Context, q VoucherQuery, force bool) (DayBook, Freshness, error) {
	p, err := period(Period{From: q.From, To: q.To}, b.svc.Today())
	if err != nil {
		return DayBook{}, Freshness{}, err
	}
	q.From, q.To, q.Limit = p.From, p.To, PageLimit(q.Limit)
	if q.Type != "" {
		if err := ValidateName("type", q.Type); err != nil {
			return DayBook{}, Freshness{}, err
		}
	}
	if q.Party != "" {
		if err := ValidateName("party", q.Party); err != nil {
			return DayBook{}, Freshness{}, err
		}
	}
	return mirrorOnly(ctx, b, q.Company, force, func(company string) (DayBook, error) {
		q.Company = company
		if q.Party != "" {
			q.Party = NameKey(q.Party)
		}
		rows, err := b.st.MirrorVouchers(ctx, q)
		if err != nil {
			return DayBook{}, err
		}
		out := DayBook{Period: p, Vouchers: rows}
		if out.Vouchers == nil {
			out.Vouchers = []VoucherRow{}
		}
		if n := len(rows); n == q.Limit {
			out.Next = VoucherCursor{Date: rows[n-1].Date, ID: rows[n-1].ID}
		}
		return out, nil
	})
}

// GetVoucher reads one voucher whole from the mirror by its MasterID.
// NotFound voucher_not_found when the mirror has none (deleted in Tally, or
// not synced yet).
func (b *Books) GetVoucher(ctx context.Context, company string, id int64, force bool) (MirrorVoucher, Freshness, error) {
	return mirrorOnly(ctx, b, company, force, func(company string) (MirrorVoucher, error) {
		v, err := b.st.MirrorVoucher(ctx, company, id)
		if KindOf(err) == NotFound {
			return MirrorVoucher{}, &Error{Kind: NotFound, Code: "voucher_not_found",
				Message: "no voucher " + strconv.FormatInt(id, 10) + " in company " + quote(company)}
		}
		return v, err
	})
}

// Total is the voucher's total: the sum of its debit entries (positive).
func (v MirrorVoucher) Total() Paise {
	var t Paise
	for _, e := range v.Entries {
		if e.Amount < 0 {
			t -= e.Amount
		}
	}
	return t
}
