package tallyxml

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// addSamples seeds a fuzz corpus with every capture in testdata/samples.
func addSamples(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<P>&#4; Primary</P>&#x4;\x01&#1114112;&#"))
	f.Add([]byte{0x3c, 0x00, 0x41, 0x00, 0x2f, 0x00, 0x3e, 0x00})
	f.Add([]byte("\xEF\xBB\xBF<?xml version=\"1.1\" encoding=\"UTF-16\"?><A/>"))
}

// FuzzReader: NewReader never panics, never emits a control byte XML
// forbids, and its output does not depend on how the input is chunked.
func FuzzReader(f *testing.F) {
	addSamples(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, err := io.ReadAll(NewReader(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range whole {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				t.Fatalf("control byte %#x at %d in output", b, i)
			}
		}
		split, err := io.ReadAll(NewReader(iotest.OneByteReader(bytes.NewReader(in))))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole, split) {
			t.Fatalf("chunking changes the output:\n%q\n%q", whole, split)
		}
	})
}

// FuzzDecoders: every decoder either yields or errors on any input, without
// panicking or looping.
func FuzzDecoders(f *testing.F) {
	addSamples(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		r := func() io.Reader { return bytes.NewReader(in) }
		_, _ = collectErr(Ledgers(r()))
		_, _ = collectErr(Groups(r()))
		_, _ = collectErr(Companies(r()))
		_, _ = collectErr(Vouchers(r()))
		_, _ = collectErr(StockItems(r()))
		_, _ = collectErr(Bills(r()))
		_, _ = collectErr(TrialBalance(r()))
		_, _ = collectErr(BalanceSheet(r()))
		_, _ = collectErr(ProfitAndLoss(r()))
		_, _ = DecodeImportResult(r())
		_ = CheckResponse(bufio.NewReaderSize(NewReader(r()), 64))
		_ = CheckResponse(bufio.NewReader(r()))
	})
}

// FuzzNameRoundTrip: any text legal in XML 1.0, written by encoding/xml as a
// ledger's NAME attribute and as its PARENT, comes back from Ledgers exactly.
// Leading and trailing whitespace are kept too: the decoders never trim
// string fields, because names are identities (tally-protocol.md §9.4); CR
// and LF survive because the encoder writes them as &#xD; and &#xA;. The
// reader's "&#4; " rule cannot interfere: escaping legal text never produces
// a reference to U+0004.
func FuzzNameRoundTrip(f *testing.F) {
	for _, s := range []string{"Cash", "A & B <Traders>", " Profit & Loss A/c ", "राजेश एंटरप्राइज़ेज", "₹ \"quoted\" 'x'",
		"Line1\r\nLine2", "\ttab", "&#4; Primary", "]]>", "a\u2028b\uFFFD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip()
		}
		for _, r := range name {
			if !legalXMLChar(r) {
				t.Skip()
			}
		}
		var buf bytes.Buffer
		e := xml.NewEncoder(&buf)
		open := func(n string, attrs ...xml.Attr) {
			if err := e.EncodeToken(xml.StartElement{Name: xml.Name{Local: n}, Attr: attrs}); err != nil {
				t.Fatal(err)
			}
		}
		end := func(n string) {
			if err := e.EncodeToken(xml.EndElement{Name: xml.Name{Local: n}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []string{"ENVELOPE", "BODY", "DATA", "COLLECTION"} {
			open(n)
		}
		open("LEDGER", xml.Attr{Name: xml.Name{Local: "NAME"}, Value: name})
		if err := e.EncodeElement(name, xml.StartElement{Name: xml.Name{Local: "PARENT"}}); err != nil {
			t.Fatal(err)
		}
		end("LEDGER")
		for _, n := range []string{"COLLECTION", "DATA", "BODY", "ENVELOPE"} {
			end(n)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		ls, err := collectErr(Ledgers(bytes.NewReader(buf.Bytes())))
		if err != nil {
			t.Fatalf("%q: %v\n%s", name, err, buf.Bytes())
		}
		want := name
		if len(ls) != 1 || ls[0].Parent != want || (name != "" && ls[0].Name != want) {
			t.Fatalf("round trip of %q gave %+v\n%s", name, ls, buf.Bytes())
		}
	})
}

// FuzzParseAmount: ParseAmount never panics, and a successful parse prints
// as a string that re-parses to the same paise.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"-1180.00", " 1500", "1,500.00 Dr", "(1,500.00)", "(-)1500.00", "₹ 1,500.00",
		"Rs. 1,500.00", "$ 100.00 @ ₹ 81.20/$ = ₹ 8120.00", "1.001", "", "-", "92233720368547758.07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil || !a.IsSet() {
			return
		}
		back, err := ParseAmount(a.String())
		if err != nil || back != a {
			t.Fatalf("ParseAmount(%q) = %d; String %q re-parses to %d, %v", s, a.Paise(), a.String(), back.Paise(), err)
		}
		if dc, err := ParseAmount(a.DrCr()); err != nil || dc != a {
			t.Fatalf("ParseAmount(%q) = %d; DrCr %q re-parses to %d, %v", s, a.Paise(), a.DrCr(), dc.Paise(), err)
		}
	})
}

// FuzzRequestVerb: the read-only agent's judge never panics, and whatever
// it calls an export has no import body.
func FuzzRequestVerb(f *testing.F) {
	addSamples(f)
	f.Add([]byte(`<ENVELOPE><HEADER><TALLYREQUEST>Export</TALLYREQUEST></HEADER><BODY><IMPORTDATA/></BODY></ENVELOPE>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := RequestVerb(bytes.NewReader(b))
		if err != nil || v != VerbExport {
			return
		}
		d := NewDecoder(bytes.NewReader(b))
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			if se, ok := tok.(xml.StartElement); ok && bytes.EqualFold([]byte(se.Name.Local), []byte("IMPORTDATA")) {
				t.Fatalf("%q judged an export", b)
			}
		}
	})
}

// FuzzStockItems: the stock item decoder yields or errors on any input,
// never panics, and a quantity it accepts prints back to the same value.
func FuzzStockItems(f *testing.F) {
	addSamples(f)
	f.Add([]byte(`<ENVELOPE><BODY><DATA><COLLECTION><STOCKITEM NAME="Steel"><BASEUNITS>Nos</BASEUNITS>` +
		`<CLOSINGBALANCE> 118 Nos</CLOSINGBALANCE><GSTDETAILS.LIST><APPLICABLEFROM>20250401</APPLICABLEFROM><HSNCODE>7208</HSNCODE>` +
		`<STATEWISEDETAILS.LIST><RATEDETAILS.LIST><GSTRATEDUTYHEAD>Integrated Tax</GSTRATEDUTYHEAD><GSTRATE> 18</GSTRATE>` +
		`</RATEDETAILS.LIST></STATEWISEDETAILS.LIST></GSTDETAILS.LIST><STANDARDPRICELIST.LIST><DATE>20250401</DATE>` +
		`<RATE>2500.00/Nos</RATE></STANDARDPRICELIST.LIST></STOCKITEM></COLLECTION></DATA></BODY></ENVELOPE>`))
	f.Add([]byte(`<STOCKITEM><NAME>x</NAME><CLOSINGBALANCE>1e999999999 Nos</CLOSINGBALANCE><GSTDETAILS.LIST><STATEWISEDETAILS.LIST>` +
		`<RATEDETAILS.LIST><GSTRATEDUTYHEAD>CGST</GSTRATEDUTYHEAD><GSTRATE>1e-999999999</GSTRATE></RATEDETAILS.LIST>` +
		`</STATEWISEDETAILS.LIST></GSTDETAILS.LIST></STOCKITEM>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		items, _ := collectErr(StockItems(NewReader(bytes.NewReader(in))))
		for _, it := range items {
			if !it.ClosingBalance.IsSet() {
				continue
			}
			back, err := ParseQuantity(it.ClosingBalance.Value.String() + " " + it.ClosingBalance.Unit)
			if err != nil || !back.Value.Equal(it.ClosingBalance.Value) {
				t.Fatalf("quantity %v does not print back: %v %v", it.ClosingBalance, back, err)
			}
		}
	})
}
