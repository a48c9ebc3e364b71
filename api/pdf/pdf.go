// Package pdf renders tallyfacade's documents, a party's statement and the
// copy of a sales invoice, as PDF files a chatbot can send on WhatsApp as a
// document. It is an adapter beside api: it takes the service's types and
// knows nothing of HTTP.
//
// It uses codeberg.org/go-pdf/fpdf (the maintained continuation of
// jung-kurt/gofpdf): pure Go, no cgo, no external binaries, and it embeds a
// TrueType subset, so the rupee sign and Indian digit grouping print as
// they are. Its limits: no complex-script shaping and one font per text
// run, so names in Devanagari and other Indic scripts print as missing
// glyphs with the embedded DejaVu font (which has none).
package pdf

import (
	_ "embed"
	"io"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/tallyfacade/tallyfacade/service"
)

//go:embed fonts/DejaVuSansCondensed.ttf
var dejaVu []byte

const (
	family = "DejaVu"
	// margin is the page margin in mm; width the printable width of A4.
	margin = 12.0
	width  = 210 - 2*margin
	line   = 5.0 // the height of a table row, mm
)

// dateText is how documents write a date: "23 Jun 2026".
const dateText = "2 Jan 2006"

// doc is a document being written.
type doc struct {
	f *fpdf.Fpdf
}

// newDoc starts an A4 document with the embedded font. created is its
// creation date (written into the file; the caller's clock, so a test's
// files are the same bytes every run).
func newDoc(title string, created time.Time) *doc {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin+6)
	f.AddUTF8FontFromBytes(family, "", dejaVu)
	f.SetTitle(title, true)
	f.SetCreator("tallyfacade", true)
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.AliasNbPages("{nb}")
	d := &doc{f: f}
	f.SetFooterFunc(func() {
		f.SetY(-margin - 2)
		d.font(7.5)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(width/2, 4, title, "", 0, "L", false, 0, "")
		f.CellFormat(width/2, 4, "Page "+strconv.Itoa(f.PageNo())+" of {nb}", "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return d
}

func (d *doc) font(size float64) { d.f.SetFont(family, "", size) }

// text writes one line of text across the page.
func (d *doc) text(size float64, s string) {
	d.font(size)
	d.f.CellFormat(width, size*0.5, fit(d.f, s, width), "", 1, "L", false, 0, "")
}

// head writes the company's details at the top of a document.
func (d *doc) head(co service.Company, title string) {
	d.text(15, co.Name)
	for _, a := range co.Address {
		d.text(9, a)
	}
	var parts []string
	if s := strings.TrimSpace(strings.Join(nonEmpty(co.State, co.Pincode), " ")); s != "" {
		parts = append(parts, s)
	}
	if co.GSTIN != "" {
		parts = append(parts, "GSTIN "+co.GSTIN)
	}
	if len(parts) > 0 {
		d.text(9, strings.Join(parts, " · "))
	}
	if contact := strings.Join(nonEmpty(co.Phone, co.Email), " · "); contact != "" {
		d.text(9, contact)
	}
	d.f.Ln(2)
	d.rule()
	d.f.Ln(2)
	d.text(13, title)
	d.f.Ln(1)
}

// rule draws a line across the page.
func (d *doc) rule() {
	y := d.f.GetY()
	d.f.Line(margin, y, margin+width, y)
}

// column is one column of a table.
type column struct {
	title string
	w     float64
	align string // "L" or "R"
}

// row writes one row of a table; each cell is cut to fit its column.
func (d *doc) row(cols []column, cells []string, border string) {
	for i, c := range cols {
		ln := 0
		if i == len(cols)-1 {
			ln = 1
		}
		d.f.CellFormat(c.w, line, fit(d.f, cells[i], c.w-1.5), border, ln, c.align, false, 0, "")
	}
}

// header writes a table's header row, and again at the top of each page
// the table runs onto.
func (d *doc) header(cols []column) {
	d.font(8)
	d.f.SetFillColor(235, 235, 235)
	for i, c := range cols {
		ln := 0
		if i == len(cols)-1 {
			ln = 1
		}
		d.f.CellFormat(c.w, line+1, c.title, "TB", ln, c.align, true, 0, "")
	}
}

// ensure starts a new page (with the table header) when fewer than rows
// rows fit on this one.
func (d *doc) ensure(rows int, cols []column) {
	_, h := d.f.GetPageSize()
	if d.f.GetY()+float64(rows)*line > h-margin-8 {
		d.f.AddPage()
		d.header(cols)
		d.font(8)
	}
}

func (d *doc) write(w io.Writer) error {
	if err := d.f.Error(); err != nil {
		return err
	}
	return d.f.Output(w)
}

// fit cuts s with an ellipsis to fit w mm in the current font.
func fit(f *fpdf.Fpdf, s string, w float64) string {
	if f.GetStringWidth(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && f.GetStringWidth(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// amount writes a column amount: Indian grouping, "" for zero.
func amount(p service.Paise) string {
	if p == 0 {
		return ""
	}
	return p.Indian()
}

// balance writes a balance with its side as Tally prints it: "48,500.00 Dr".
func balance(b service.Balance) string { return b.String() }

// partyLines are the lines that describe a party under its name.
func partyLines(p service.Party) []string {
	out := append([]string(nil), p.Address...)
	if s := strings.Join(nonEmpty(p.State, p.Pincode), " "); s != "" {
		out = append(out, s)
	}
	if p.GSTIN != "" {
		out = append(out, "GSTIN "+p.GSTIN)
	}
	return out
}
