package tallyxml

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

func TestNewReaderFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "<A>x</A>", "<A>x</A>"},
		{"&#4; and its space", "<P>&#4; Primary</P>", "<P>Primary</P>"},
		{"&#4; without space", "<P>&#4;Primary</P>", "<P>Primary</P>"},
		{"&#4; drops one space only", "<P>&#4;  Two</P>", "<P> Two</P>"},
		{"hex &#x4;", "<P>&#x4; Primary</P>", "<P>Primary</P>"},
		{"hex upper &#X04;", "<P>&#X04; Primary</P>", "<P>Primary</P>"},
		{"in an attribute", `<G NAME="&#4; Primary"/>`, `<G NAME="Primary"/>`},
		{"other illegal refs dropped alone", "<P>a&#0;&#1; b&#31;&#xB;&#xFFFE;&#xFFFF;&#xD800;&#1114112;c</P>", "<P>a bc</P>"},
		{"legal refs kept", "<P>&#13;&#10;&#9;&#8377;&#x20B9;&amp;&lt;&#65;</P>", "<P>&#13;&#10;&#9;&#8377;&#x20B9;&amp;&lt;&#65;</P>"},
		{"raw U+0004 and its space", "<P>\x04 Primary</P>", "<P>Primary</P>"},
		{"a NUL after '<' is a stray byte, not UTF-16", "<\x00A>x</A>", "<A>x</A>"},
		{"raw control bytes", "<P>a\x00b\x04c\x0bd\x0ce\x1ff\tg\r\nh</P>", "<P>abcdef\tg\r\nh</P>"},
		{"malformed refs pass through", "<P>&#;&#x;&#12a;&# 4;&</P>", "<P>&#;&#x;&#12a;&# 4;&</P>"},
		{"unterminated ref at EOF", "<P>&#4", "<P>&#4"},
		{"lone & at EOF", "<P>&", "<P>&"},
		{"declaration 1.1 UTF-16", `<?xml version="1.1" encoding="UTF-16"?><A/>`, "<A/>"},
		{"declaration after whitespace", "\r\n <?xml version=\"1.0\"?>\r\n<A/>", "\r\n<A/>"},
		{"not a declaration", "<?xml-stylesheet href='a'?><A/>", "<?xml-stylesheet href='a'?><A/>"},
		{"declaration only", `<?xml version="1.0"?>`, ""},
		{"empty", "", ""},
		{"one byte", "<", "<"},
	}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
	}
	for _, tt := range tests {
		for rname, wrap := range readers {
			t.Run(tt.name+"/"+rname, func(t *testing.T) {
				t.Parallel()
				got, err := io.ReadAll(NewReader(wrap(strings.NewReader(tt.in))))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Errorf("NewReader(%q) = %q, want %q", tt.in, got, tt.want)
				}
				// Reading through a one-byte p must give the same.
				var small bytes.Buffer
				r := NewReader(wrap(strings.NewReader(tt.in)))
				p := make([]byte, 1)
				for {
					n, err := r.Read(p)
					small.Write(p[:n])
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if small.String() != tt.want {
					t.Errorf("1-byte reads: %q, want %q", small.String(), tt.want)
				}
			})
		}
	}
}

// TestNewReaderSplitReference puts the chunk boundary at every position of a
// `&#4; ` and a legal reference.
func TestNewReaderSplitReference(t *testing.T) {
	t.Parallel()
	in := "<PARENT>&#4; Primary</PARENT><N>A&#13;&#10;B&#x4; C</N>"
	want := "<PARENT>Primary</PARENT><N>A&#13;&#10;BC</N>"
	for split := 0; split <= len(in); split++ {
		r := io.MultiReader(strings.NewReader(in[:split]), strings.NewReader(in[split:]))
		got, err := io.ReadAll(NewReader(r))
		if err != nil || string(got) != want {
			t.Fatalf("split at %d: %q, %v; want %q", split, got, err, want)
		}
	}
}

func TestNewReaderEncodings(t *testing.T) {
	t.Parallel()
	doc := `<ENVELOPE><BODY><DATA><TALLYMESSAGE><LEDGER NAME="राजेश एंटरप्राइज़ेज"><PARENT>&#4; Primary</PARENT><CLOSINGBALANCE>₹ 1,500.00 Dr</CLOSINGBALANCE></LEDGER></TALLYMESSAGE></DATA></BODY></ENVELOPE>`
	want := `<ENVELOPE><BODY><DATA><TALLYMESSAGE><LEDGER NAME="राजेश एंटरप्राइज़ेज"><PARENT>Primary</PARENT><CLOSINGBALANCE>₹ 1,500.00 Dr</CLOSINGBALANCE></LEDGER></TALLYMESSAGE></DATA></BODY></ENVELOPE>`
	tests := []struct {
		name string
		in   []byte
	}{
		{"utf8", []byte(doc)},
		{"utf8 bom", append([]byte("\xEF\xBB\xBF"), doc...)},
		{"utf16le no bom (Tally's answer)", utf16(t, []byte(doc), unicode.LittleEndian, false)},
		{"utf16le bom", utf16(t, []byte(doc), unicode.LittleEndian, true)},
		{"utf16be bom", utf16(t, []byte(doc), unicode.BigEndian, true)},
		{"utf16be no bom", utf16(t, []byte(doc), unicode.BigEndian, false)},
		{"utf16le with declaration", utf16(t, []byte(`<?xml version="1.0" encoding="UTF-16"?>`+doc), unicode.LittleEndian, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, wrap := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader} {
				got, err := io.ReadAll(NewReader(wrap(bytes.NewReader(tt.in))))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("got %q\nwant %q", got, want)
				}
			}
			l, err := LedgerObject(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if l.Name != "राजेश एंटरप्राइज़ेज" || l.Parent != "Primary" || l.ClosingBalance != Paise(-150000) {
				t.Errorf("decoded %+v", l)
			}
		})
	}
}

func TestNewDecoderStrictAndCharset(t *testing.T) {
	t.Parallel()
	// Garbage is still garbage.
	d := NewDecoder(strings.NewReader("<A><B></A>"))
	var err error
	for err == nil {
		_, err = d.Token()
	}
	if _, ok := err.(*xml.SyntaxError); !ok {
		t.Errorf("mismatched tags: err = %v, want *xml.SyntaxError", err)
	}
	// A declaration that is not leading reaches the CharsetReader, which
	// accepts the UTF-16 label as identity and refuses others.
	for label, ok := range map[string]bool{"UTF-16": true, "utf-8": true, "ISO-8859-1": false} {
		d := NewDecoder(strings.NewReader("<!-- c --><?xml version=\"1.0\" encoding=\"" + label + "\"?><A>x</A>"))
		var got []string
		var err error
		for {
			var tok xml.Token
			tok, err = d.Token()
			if err != nil {
				break
			}
			if cd, isCD := tok.(xml.CharData); isCD {
				got = append(got, string(cd))
			}
		}
		if ok && (err != io.EOF || !cmp.Equal(got, []string{"x"})) {
			t.Errorf("%s: got %q, %v", label, got, err)
		}
		if !ok && err == io.EOF {
			t.Errorf("%s: accepted", label)
		}
	}
}

func TestNewReaderLarge(t *testing.T) {
	t.Parallel()
	// Longer than the internal buffer, with references straddling chunks.
	var in, want strings.Builder
	for i := 0; in.Len() < 3*cleanBufSize; i++ {
		in.WriteString("<P>&#4; Primary</P>\x01<N>a&#13;&#10;b</N>")
		want.WriteString("<P>Primary</P><N>a&#13;&#10;b</N>")
	}
	got, err := io.ReadAll(NewReader(iotest.HalfReader(strings.NewReader(in.String()))))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("large input differs (len %d vs %d)", len(got), want.Len())
	}
}

func TestNewReaderPropagatesErrors(t *testing.T) {
	t.Parallel()
	_, err := io.ReadAll(NewReader(iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader("<A>xyz</A>")))))
	if err != iotest.ErrTimeout {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
	_, err = io.ReadAll(NewReader(iotest.ErrReader(io.ErrUnexpectedEOF)))
	if err != io.ErrUnexpectedEOF {
		t.Errorf("err = %v, want ErrUnexpectedEOF", err)
	}
}
