package tallysim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLiveness(t *testing.T) {
	tests := []struct {
		name    string
		product Product
		method  string
		ct      string
		want    string
		utf16   bool
	}{
		{"prime GET", TallyPrime, http.MethodGet, "", "<RESPONSE>TallyPrime Server is Running</RESPONSE>\r\n", false},
		{"erp9 GET", TallyERP9, http.MethodGet, "", "<RESPONSE>Tally.ERP 9 Server is Running</RESPONSE>\r\n", false},
		{"empty POST", TallyPrime, http.MethodPost, "text/xml", "<RESPONSE>TallyPrime Server is Running</RESPONSE>\r\n", false},
		{"GET mirrors utf-16", TallyPrime, http.MethodGet, "text/xml; charset=utf-16", "<RESPONSE>TallyPrime Server is Running</RESPONSE>\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, Config{Product: tt.product})
			req, _ := http.NewRequest(tt.method, s.URL()+"/status", nil)
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			resp, err := testClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got := string(b)
			if tt.utf16 {
				got = fromUTF16le(t, b)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if recs := s.Requests(); len(recs) != 1 || recs[0].Kind != "status" {
				t.Errorf("records = %+v", recs)
			}
		})
	}
}

func TestCharsetMirroring(t *testing.T) {
	s := startServer(t, Config{})
	// A voucher whose narration carries ₹ and whose party is Devanagari.
	imp := v1Import("ABC Traders", "Vouchers",
		`<VOUCHER REMOTEID="rupee-1" VCHTYPE="Receipt" ACTION="Create"><DATE>20261120</DATE><NARRATION>₹ 500 advance</NARRATION>`+
			`<PARTYLEDGERNAME>गणेश ट्रेडर्स</PARTYLEDGERNAME>`+
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>गणेश ट्रेडर्स</LEDGERNAME><AMOUNT>500.00</AMOUNT></ALLLEDGERENTRIES.LIST>`+
			`<ALLLEDGERENTRIES.LIST><LEDGERNAME>Cash</LEDGERNAME><AMOUNT>-500.00</AMOUNT></ALLLEDGERENTRIES.LIST></VOUCHER>`)
	out := postRaw(t, s, "text/xml; charset=utf-16", utf16le(imp, false))
	if bytes.HasPrefix(out, []byte{0xFF, 0xFE}) {
		t.Fatal("UTF-16 response carries a BOM")
	}
	if !bytes.HasPrefix(out, []byte{'<', 0, 'E', 0}) {
		t.Fatalf("response does not start with UTF-16LE <E: % x", out[:min(8, len(out))])
	}
	if got := counter(t, fromUTF16le(t, out), "CREATED"); got != "1" {
		t.Fatalf("CREATED = %s\n%s", got, fromUTF16le(t, out))
	}

	read := tdlCollectionReq("ABC Traders", "Vch", "Voucher", "Date,Narration,PartyLedgerName", `$$IsEqual:$VoucherTypeName:"Receipt" AND $Date >= ##SVFromDate`,
		"<SVFROMDATE>20261120</SVFROMDATE><SVTODATE>20261120</SVTODATE>")
	// UTF-16 in (with a BOM this time) → UTF-16 out, characters intact, exactly twice the UTF-8 size.
	u16 := postRaw(t, s, "text/xml; charset=utf-16", utf16le(read, true))
	text16 := fromUTF16le(t, u16)
	for _, want := range []string{"₹ 500 advance", "<PARTYLEDGERNAME TYPE=\"String\">गणेश ट्रेडर्स</PARTYLEDGERNAME>"} {
		if !strings.Contains(text16, want) {
			t.Errorf("UTF-16 response lacks %q:\n%s", want, text16)
		}
	}
	// UTF-8 in → UTF-8 out with non-Latin characters as '?'.
	u8 := post(t, s, read)
	for _, want := range []string{"? 500 advance", "<PARTYLEDGERNAME TYPE=\"String\">???? ????????</PARTYLEDGERNAME>"} {
		if !strings.Contains(u8, want) {
			t.Errorf("UTF-8 response lacks %q:\n%s", want, u8)
		}
	}
	if strings.ContainsAny(u8, "₹ग") {
		t.Error("UTF-8 response kept non-Latin characters")
	}
	// UTF-16 without the charset → Unknown Request.
	noCS := postRaw(t, s, "text/xml", utf16le(read, false))
	if string(noCS) != unknownRequest {
		t.Errorf("UTF-16 without charset: got %q", noCS)
	}
}

func TestSerialProcessing(t *testing.T) {
	s := startServer(t, Config{})
	s.SetLatency(400 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := testClient.Post(s.URL(), "text/xml", strings.NewReader(exportData("", "Trial Balance", "")))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the slow POST take the gateway
	s.SetLatency(0)
	start := time.Now()
	resp, err := testClient.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("GET answered in %v while a slow request was in progress; the gateway must be serial", d)
	}
	<-done
}

func TestFaultRefuse(t *testing.T) {
	s := startServer(t, Config{})
	addr := s.Addr()
	s.SetFault(Refuse)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("dial succeeded while refusing")
	}
	s.SetFault(NoFault)
	if s.Addr() != addr {
		t.Fatalf("reopened on %s, want %s", s.Addr(), addr)
	}
	resp, err := testClient.Get(s.URL())
	if err != nil {
		t.Fatalf("after clearing the fault: %v", err)
	}
	resp.Body.Close()
}

func TestFaultHang(t *testing.T) {
	s := startServer(t, Config{})
	s.SetFault(Hang)
	short := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := short.Get(s.URL())
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("hang: got %v, want a client timeout", err)
	}
	s.SetFault(NoFault)
	resp, err := testClient.Get(s.URL())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Server is Running") {
		t.Errorf("after release: %q", b)
	}
}

func TestFaultReset(t *testing.T) {
	s := startServer(t, Config{})
	s.SetFault(Reset)
	resp, err := testClient.Get(s.URL())
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("reset: the client read a whole response")
	}
}

func TestFaultGarbage(t *testing.T) {
	s := startServer(t, Config{})
	s.SetFault(Garbage)
	resp, err := testClient.Post(s.URL(), "text/xml", strings.NewReader(exportData("", "Bills Receivable", "")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	if _, err := parseXML(string(b)); err == nil {
		t.Errorf("garbage parsed as XML: %q", b)
	}
}

func TestFaultSlow(t *testing.T) {
	s := startServer(t, Config{SlowDelay: 150 * time.Millisecond})
	s.SetFault(Slow)
	start := time.Now()
	resp, err := testClient.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("slow answered in %v", d)
	}
}

func TestServeHTTPConcurrentSafety(t *testing.T) {
	s := startServer(t, Config{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				post(t, s, exportData("", "Bills Receivable", ""))
			} else {
				post(t, s, v1Import("", "Vouchers", salesVoucher("", "20261101", "Priya Textiles", "100.00", "")))
			}
		}()
	}
	wg.Wait()
	c, _ := s.Company("abc traders")
	_ = c.Vouchers()
	if n := len(s.Requests()); n != 8 {
		t.Errorf("recorded %d requests", n)
	}
}

func TestUnknownCompany(t *testing.T) {
	s := startServer(t, Config{})
	want := "<ENVELOPE>\r\n <HEADER>\r\n  <VERSION>1</VERSION>\r\n  <STATUS>0</STATUS>\r\n </HEADER>\r\n <BODY>\r\n  <DATA>\r\n" +
		"   <LINEERROR>Could not set &apos;SVCurrentCompany&apos; to &apos;Bhrama Enterprises&apos;</LINEERROR>\r\n  </DATA>\r\n </BODY>\r\n</ENVELOPE>\r\n"
	for _, req := range []string{
		v1Import("Bhrama Enterprises", "All Masters", `<LEDGER NAME="X" ACTION="Create"><PARENT>Sundry Debtors</PARENT></LEDGER>`),
		legacyImport("Bhrama Enterprises", "Vouchers", salesVoucher("", "20261101", "Priya Textiles", "1.00", "")),
		exportData("Bhrama Enterprises", "Bills Receivable", ""),
		exportData("Bhrama Enterprises", "Trial Balance", ""),
	} {
		if got := post(t, s, req); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
	// A collection read answers 0 rows with STATUS 1.
	got := parse(t, post(t, s, tdlCollectionReq("Bhrama Enterprises", "L", "Ledger", "Name", "", "")))
	if got.path("HEADER").value("STATUS") != "1" || len(got.path("BODY", "DATA", "COLLECTION").kids) != 0 {
		t.Errorf("collection of an unknown company: %+v", got)
	}
	// Case-insensitive, trimmed match works.
	if got := post(t, s, exportData("  abc TRADERS ", "Bills Receivable", "")); !strings.Contains(got, "Rajesh Enterprises") {
		t.Errorf("case-insensitive company: %s", got)
	}
}

func TestUnknownRequests(t *testing.T) {
	s := startServer(t, Config{})
	for name, req := range map[string]string{
		"malformed":             `<ENVELOPE><HEADER><TALLYREQUEST>Import Data</TALLYREQUEST></HEADER><BODY><X>Duties & Taxes</X></BODY></ENVELOPE>`,
		"legacy with VERSION 1": strings.Replace(legacyImport("ABC Traders", "All Masters", ""), "<HEADER>", "<HEADER><VERSION>1</VERSION>", 1),
		"unknown report":        exportData("", "No Such Report", ""),
		"unknown collection":    strings.Replace(tdlCollectionReq("", "Mine", "Ledger", "Name", "", ""), "<ID>Mine</ID>", "<ID>Other</ID>", 1),
		"not an envelope":       `<FOO/>`,
	} {
		if got := post(t, s, req); got != unknownRequest {
			t.Errorf("%s: got %q", name, got)
		}
	}
}

func TestExecuteTDLAction(t *testing.T) {
	s := startServer(t, Config{})
	got := parse(t, post(t, s, `<ENVELOPE><HEADER><VERSION>1</VERSION><TALLYREQUEST>Execute</TALLYREQUEST><TYPE>TDLAction</TYPE><ID>Sync</ID></HEADER></ENVELOPE>`))
	if got.path("HEADER").value("STATUS") != "1" {
		t.Errorf("execute: %+v", got)
	}
}

func TestShutdownReleasesHang(t *testing.T) {
	s := startServer(t, Config{})
	s.SetFault(Hang)
	done := make(chan error, 1)
	go func() {
		_, err := testClient.Get(s.URL())
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("hung request not released by Shutdown")
	}
}

func TestRefuseThroughServeHTTPOnly(t *testing.T) {
	s := New(Config{Today: fixedToday})
	ts := httptest.NewServer(s)
	defer ts.Close()
	s.SetFault(Refuse)
	if resp, err := testClient.Get(ts.URL); err == nil {
		resp.Body.Close()
		t.Fatal("request succeeded while refusing")
	}
	s.SetFault(NoFault)
	resp, err := testClient.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := s.Requests(); len(got) != 2 || got[0].Kind != "fault:refuse" || got[1].Kind != "status" {
		t.Errorf("records: %+v", got)
	}
}
