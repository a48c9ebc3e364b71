package tallyxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/text/encoding/unicode"
)

// genReader generates a document on the fly, so a decoder can be measured on
// input that is never in memory as a whole. It is deterministic.
type genReader struct {
	head, foot string
	n, i       int
	row        func(dst []byte, i int) []byte
	buf        []byte
	off        int
	done       bool
	// onRow, if set, is called every sampleEvery rows (heap sampling).
	onRow       func()
	sampleEvery int
}

func (g *genReader) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.done {
			return 0, io.EOF
		}
		g.buf, g.off = g.buf[:0], 0
		switch {
		case g.i == 0 && len(g.head) > 0 && g.n >= 0:
			g.buf = append(g.buf, g.head...)
			g.head = ""
		case g.i < g.n:
			for k := 0; k < 64 && g.i < g.n; k++ {
				g.buf = g.row(g.buf, g.i)
				g.i++
				if g.onRow != nil && g.i%g.sampleEvery == 0 {
					g.onRow()
				}
			}
		default:
			g.buf = append(g.buf, g.foot...)
			g.done = true
		}
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// billRow writes one Bills Receivable bill the way TallyPrime 7.1 does: CRLF,
// closing tags of parents at column 0, flat sibling groups.
func billRow(b []byte, i int) []byte {
	d := strconv.Itoa(i%28+1) + "-" + months[i%12] + "-26"
	b = append(b, " <BILLFIXED>\r\n  <BILLDATE>"...)
	b = append(b, d...)
	b = append(b, "</BILLDATE>\r\n  <BILLREF>INV/"...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "</BILLREF>\r\n  <BILLPARTY>Party &amp; Sons "...)
	b = strconv.AppendInt(b, int64(i%997), 10)
	b = append(b, "</BILLPARTY>\r\n</BILLFIXED>\r\n <BILLCL>-"...)
	b = strconv.AppendInt(b, int64(1000+i%100000), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(10+i%90), 10)
	b = append(b, "</BILLCL>\r\n <BILLDUE>"...)
	b = append(b, d...)
	b = append(b, "</BILLDUE>\r\n <BILLOVERDUE>"...)
	b = strconv.AppendInt(b, int64(i%365), 10)
	return append(b, "</BILLOVERDUE>\r\n"...)
}

func billsGen(n int) *genReader {
	return &genReader{head: "<ENVELOPE>\r\n", foot: "</ENVELOPE>\r\n", n: n, row: billRow}
}

const cmpinfoBench = "<ENVELOPE>\r\n <HEADER>\r\n  <VERSION>1</VERSION>\r\n  <STATUS>1</STATUS>\r\n </HEADER>\r\n <BODY>\r\n  <DESC>\r\n   <CMPINFO>\r\n" +
	"    <COMPANY>0</COMPANY>\r\n    <GROUP>0</GROUP>\r\n    <LEDGER>50000</LEDGER>\r\n    <COSTCATEGORY>0</COSTCATEGORY>\r\n" +
	"    <VOUCHERTYPE>0</VOUCHERTYPE>\r\n    <CURRENCY>0</CURRENCY>\r\n    <VOUCHER>0</VOUCHER>\r\n   </CMPINFO>\r\n  </DESC>\r\n" +
	"  <DATA>\r\n   <COLLECTION ISMSTDEPTYPE=\"Yes\" MSTDEPTYPE=\"8\">\r\n"

// ledgerRow writes one ledger with ~10 fields, a `&#4; Primary` parent on
// every tenth, and leading-space numbers.
func ledgerRow(b []byte, i int) []byte {
	name := "Customer " + strconv.Itoa(i) + " &amp; Co"
	b = append(b, "    <LEDGER NAME=\""...)
	b = append(b, name...)
	b = append(b, "\" RESERVEDNAME=\"\">\r\n     <GUID TYPE=\"String\">da7e7890-ba54-455d-9dc6-93fc3f0ca2d8-"...)
	b = append(b, fmt.Sprintf("%08x", i)...)
	b = append(b, "</GUID>\r\n     <PARENT TYPE=\"String\">"...)
	if i%10 == 0 {
		b = append(b, "&#4; Primary"...)
	} else {
		b = append(b, "Sundry Debtors"...)
	}
	b = append(b, "</PARENT>\r\n     <MASTERID TYPE=\"Number\"> "...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, "</MASTERID>\r\n     <ALTERID TYPE=\"Number\"> "...)
	b = strconv.AppendInt(b, int64(i+100), 10)
	b = append(b, "</ALTERID>\r\n     <OPENINGBALANCE TYPE=\"Amount\">"...)
	if i%3 != 0 {
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i%50000), 10)
		b = append(b, ".50"...)
	}
	b = append(b, "</OPENINGBALANCE>\r\n     <CLOSINGBALANCE TYPE=\"Amount\">-"...)
	b = strconv.AppendInt(b, int64(i%70000), 10)
	b = append(b, ".00</CLOSINGBALANCE>\r\n     <ISBILLWISEON TYPE=\"Logical\">Yes</ISBILLWISEON>\r\n     <LEDSTATENAME>Karnataka</LEDSTATENAME>\r\n"...)
	b = append(b, "     <PARTYGSTIN>29ABCDE1234F1Z5</PARTYGSTIN>\r\n     <LEDGERMOBILE>98450"...)
	b = strconv.AppendInt(b, int64(10000+i%90000), 10)
	b = append(b, "</LEDGERMOBILE>\r\n     <ADDRESS.LIST TYPE=\"String\">\r\n      <ADDRESS>12 MG Road</ADDRESS>\r\n     </ADDRESS.LIST>\r\n"...)
	b = append(b, "     <LANGUAGENAME.LIST>\r\n      <NAME.LIST TYPE=\"String\">\r\n       <NAME>"...)
	b = append(b, name...)
	return append(b, "</NAME>\r\n      </NAME.LIST>\r\n      <LANGUAGEID TYPE=\"Number\"> 1033</LANGUAGEID>\r\n     </LANGUAGENAME.LIST>\r\n    </LEDGER>\r\n"...)
}

func ledgersGen(n int) *genReader {
	return &genReader{head: cmpinfoBench, foot: "   </COLLECTION>\r\n  </DATA>\r\n </BODY>\r\n</ENVELOPE>\r\n", n: n, row: ledgerRow}
}

// cleanDoc returns the generated document after NewReader, i.e. the clean
// UTF-8 bytes xml.Unmarshal can take (it would reject `&#4;`).
func cleanDoc(b *testing.B, g io.Reader) []byte {
	b.Helper()
	doc, err := io.ReadAll(NewReader(g))
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func BenchmarkBills100k(b *testing.B) {
	doc := cleanDoc(b, billsGen(100_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range Bills(bytes.NewReader(doc)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 100_000 {
			b.Fatalf("%d bills", n)
		}
	}
}

// plainBills is what xml.Unmarshal can do with the flat report: four
// parallel slices that the caller must zip, strings only.
type plainBills struct {
	Fixed []struct {
		Date  string `xml:"BILLDATE"`
		Ref   string `xml:"BILLREF"`
		Party string `xml:"BILLPARTY"`
	} `xml:"BILLFIXED"`
	Closing []string `xml:"BILLCL"`
	Due     []string `xml:"BILLDUE"`
	Overdue []string `xml:"BILLOVERDUE"`
}

func BenchmarkBills100kUnmarshal(b *testing.B) {
	doc := cleanDoc(b, billsGen(100_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var v plainBills
		if err := xml.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
		if len(v.Fixed) != 100_000 {
			b.Fatalf("%d bills", len(v.Fixed))
		}
	}
}

func BenchmarkLedgers50k(b *testing.B) {
	doc := cleanDoc(b, ledgersGen(50_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, err := range Ledgers(bytes.NewReader(doc)) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 50_000 {
			b.Fatalf("%d ledgers", n)
		}
	}
}

type plainLedgers struct {
	Ledgers []struct {
		Name           string   `xml:"NAME,attr"`
		ReservedName   string   `xml:"RESERVEDNAME,attr"`
		GUID           string   `xml:"GUID"`
		Parent         string   `xml:"PARENT"`
		MasterID       string   `xml:"MASTERID"`
		AlterID        string   `xml:"ALTERID"`
		OpeningBalance string   `xml:"OPENINGBALANCE"`
		ClosingBalance string   `xml:"CLOSINGBALANCE"`
		IsBillWiseOn   string   `xml:"ISBILLWISEON"`
		State          string   `xml:"LEDSTATENAME"`
		PartyGSTIN     string   `xml:"PARTYGSTIN"`
		Mobile         string   `xml:"LEDGERMOBILE"`
		Addresses      []string `xml:"ADDRESS.LIST>ADDRESS"`
		Names          []string `xml:"LANGUAGENAME.LIST>NAME.LIST>NAME"`
	} `xml:"BODY>DATA>COLLECTION>LEDGER"`
}

func BenchmarkLedgers50kUnmarshal(b *testing.B) {
	doc := cleanDoc(b, ledgersGen(50_000))
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var v plainLedgers
		if err := xml.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
		if len(v.Ledgers) != 50_000 {
			b.Fatalf("%d ledgers", len(v.Ledgers))
		}
	}
}

// BenchmarkReader measures the filter alone (UTF-8 and Tally's BOM-less
// UTF-16LE) on the ledger document, whose `&#4;` and CMPINFO it must handle.
func BenchmarkReader(b *testing.B) {
	doc, err := io.ReadAll(ledgersGen(50_000))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("utf8", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.Copy(io.Discard, NewReader(bytes.NewReader(doc))); err != nil {
				b.Fatal(err)
			}
		}
	})
	u16 := utf16(b, doc, littleEndian(), false)
	b.Run("utf16le", func(b *testing.B) {
		b.SetBytes(int64(len(u16)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.Copy(io.Discard, NewReader(bytes.NewReader(u16))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// peakHeap decodes n generated bills straight from the generator (the input
// is never in memory) and returns how far HeapInuse rose above its starting
// point, sampled every 1000 bills.
func peakHeap(tb testing.TB, n int) uint64 {
	tb.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	g := billsGen(n)
	g.sampleEvery = 1000
	g.onRow = func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	count := 0
	for _, err := range Bills(g) {
		if err != nil {
			tb.Fatal(err)
		}
		count++
	}
	if count != n {
		tb.Fatalf("%d bills, want %d", count, n)
	}
	return peak - base
}

// BenchmarkBillsPeakHeap reports peak heap growth ("peak-heap-B") while
// streaming 10k, 100k and 1M bills from a generator: it should stay flat.
func BenchmarkBillsPeakHeap(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				peak = max(peak, peakHeap(b, n))
			}
			b.ReportMetric(float64(peak), "peak-heap-B")
		})
	}
}

// TestBillsHeapFlat is the cheap guard for the same property: ten times the
// bills must not need ten times the heap.
func TestBillsHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100k bills")
	}
	small, large := peakHeap(t, 10_000), peakHeap(t, 100_000)
	t.Logf("peak heap growth: 10k bills %d B, 100k bills %d B", small, large)
	// The decoder's live memory is a few buffers; GC pacing and the
	// sampling add noise, so allow generous slack but not growth with n.
	const limit = 8 << 20
	if large > limit || large > 4*small+(2<<20) {
		t.Errorf("peak heap growth: 10k bills %d B, 100k bills %d B", small, large)
	}
}

func littleEndian() unicode.Endianness { return unicode.LittleEndian }
