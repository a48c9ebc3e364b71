package tallysim

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// node is one element of a response. Responses are built as trees and written
// by one encoder (writeTo) that does all escaping, because Tally's output
// differs from what encoding/xml's Encoder can be made to produce: `&apos;` and
// `&quot;` instead of `&#39;`/`&#34;`, the illegal-in-XML-1.0 reference `&#4;`
// before system names, one-space indentation with CRLF, and (in reports) the
// closing tags of parents at column 0 (tally-protocol.md §9.2, the samples).
type node struct {
	name  string
	attrs []attr
	text  string
	kids  []*node
}

type attr struct{ name, value string }

// sysName marks a Tally system name: it is written as "&#4; Primary" etc.
func sysName(s string) string { return "\x04 " + s }

func el(name string, kids ...*node) *node { return &node{name: name, kids: kids} }

func leaf(name, text string) *node { return &node{name: name, text: text} }

func typed(name, typ, text string) *node {
	return &node{name: name, attrs: []attr{{"TYPE", typ}}, text: text}
}

func (n *node) attr(name, value string) *node {
	n.attrs = append(n.attrs, attr{name, value})
	return n
}

func (n *node) add(kids ...*node) *node {
	for _, k := range kids {
		if k != nil {
			n.kids = append(n.kids, k)
		}
	}
	return n
}

// tallyNumber formats a Number field the way Tally does: a leading space for
// non-zero values (`<ALTERID TYPE="Number"> 210</ALTERID>`), bare "0" for zero
// (ledger-collection-export-02.xml shows both).
func tallyNumber(n int64) string {
	if n == 0 {
		return "0"
	}
	return " " + strconv.FormatInt(n, 10)
}

// layout selects where closing tags of parents go.
type layout int

const (
	indentedClose layout = iota // collection/object/import responses: closing tag at the element's indentation
	col0Close                   // flat reports (Bills, Trial Balance, BS, P&L): closing tags of parents at column 0
)

// render writes root and its children with one space per level and CRLF line
// endings, the root at column 0, and a trailing CRLF (bills-payable-report-
// export-01.xml is byte-exact: 257 B, CRLF).
func render(root *node, lay layout) string {
	var b strings.Builder
	writeNode(&b, root, 0, lay)
	return b.String()
}

func writeNode(b *strings.Builder, n *node, depth int, lay layout) {
	b.WriteString(strings.Repeat(" ", depth))
	b.WriteByte('<')
	b.WriteString(n.name)
	for _, a := range n.attrs {
		b.WriteByte(' ')
		b.WriteString(a.name)
		b.WriteString(`="`)
		escape(b, a.value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	if len(n.kids) == 0 {
		escape(b, n.text)
		b.WriteString("</")
		b.WriteString(n.name)
		b.WriteString(">\r\n")
		return
	}
	b.WriteString("\r\n")
	for _, k := range n.kids {
		writeNode(b, k, depth+1, lay)
	}
	if lay == indentedClose {
		b.WriteString(strings.Repeat(" ", depth))
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteString(">\r\n")
}

// escape writes s as XML character data the way Tally does: the five named
// entities, CR/LF as `&#13;&#10;` (§9.2) and other control characters, notably
// U+0004, as decimal references.
func escape(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\t':
			b.WriteRune(r)
		default:
			if r < 0x20 {
				b.WriteString("&#")
				b.WriteString(strconv.Itoa(int(r)))
				b.WriteByte(';')
				continue
			}
			b.WriteRune(r)
		}
	}
}

// encodeBody turns a response into bytes in the charset the request used
// (tally-protocol.md §9.1.3, LIVE): UTF-16LE without a BOM for a UTF-16
// request; otherwise UTF-8 in which every character outside Latin-1 (₹,
// Devanagari, …) has become '?', as the real gateway answers UTF-8 clients.
func encodeBody(s string, utf16Out bool) []byte {
	if utf16Out {
		u := utf16.Encode([]rune(s))
		out := make([]byte, 0, 2*len(u))
		for _, x := range u {
			out = append(out, byte(x), byte(x>>8))
		}
		return out
	}
	var buf bytes.Buffer
	buf.Grow(len(s))
	for _, r := range s {
		if r > 0xFF || r == utf8.RuneError {
			buf.WriteByte('?')
			continue
		}
		buf.WriteRune(r)
	}
	return buf.Bytes()
}
