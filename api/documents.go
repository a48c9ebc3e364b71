package api

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tallyfacade/tallyfacade/api/pdf"
	"github.com/tallyfacade/tallyfacade/service"
)

// mimePDF is the media type of the documents.
const mimePDF = "application/pdf"

// wantsPDF reads whether the client asks for a PDF: format=pdf, or an
// Accept header that lists application/pdf and prefers it to JSON
// (format=json wins over Accept).
func wantsPDF(q *query) bool {
	switch f := strings.ToLower(q.str("format")); f {
	case "pdf":
		return true
	case "json":
		return false
	case "":
	default:
		q.fail("format", "must be json or pdf")
		return false
	}
	pdfQ, jsonQ := -1.0, -1.0
	for _, part := range strings.Split(q.c.Request().Header.Get(echo.HeaderAccept), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		weight := 1.0
		if v, ok := params["q"]; ok {
			if weight, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		switch mt {
		case mimePDF:
			pdfQ = max(pdfQ, weight)
		case echo.MIMEApplicationJSON, "application/*", "*/*":
			jsonQ = max(jsonQ, weight)
		}
	}
	return pdfQ > 0 && pdfQ >= jsonQ
}

// writePDF sends a document as an attachment named filename.
func writePDF(c echo.Context, filename string, render func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	return c.Blob(http.StatusOK, mimePDF, buf.Bytes())
}

// writeStatementPDF answers a statement as a PDF document.
func (s *Server) writeStatementPDF(c echo.Context, company string, st service.Statement, f service.Freshness) error {
	ctx := c.Request().Context()
	co, err := s.books.Company(ctx, company)
	if err != nil {
		return err
	}
	name := "Statement " + st.Party.Name + " " + dateString(st.Period.From) + " to " + dateString(st.Period.To) + ".pdf"
	return writePDF(c, name, func(b *bytes.Buffer) error {
		return pdf.Statement(b, co, st, s.svc.Local(f.AsOf), time.Now(), f.Stale)
	})
}

// writeInvoicePDF answers a Sales voucher as a copy of the invoice.
func (s *Server) writeInvoicePDF(c echo.Context, company string, v service.MirrorVoucher, f service.Freshness) error {
	if !v.IsSales() {
		return &requestError{status: http.StatusNotAcceptable, code: "not_an_invoice",
			detail: "Only a Sales voucher can be had as a PDF invoice; this one is " + v.Type + ". Ask for JSON instead."}
	}
	ctx := c.Request().Context()
	co, err := s.books.Company(ctx, company)
	if err != nil {
		return err
	}
	party := service.Party{Name: v.Party}
	if v.Party != "" {
		switch p, _, err := s.books.GetParty(ctx, company, v.Party, false); {
		case err == nil:
			party = p
		case service.KindOf(err) != service.NotFound:
			return err
		}
	}
	name := "Invoice " + strings.NewReplacer("/", "-", "\\", "-").Replace(v.Number) + " " + dateString(v.Date) + ".pdf"
	return writePDF(c, name, func(b *bytes.Buffer) error {
		return pdf.Invoice(b, co, party, v, time.Now())
	})
}
