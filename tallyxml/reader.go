package tallyxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// NewReader returns a reader of UTF-8 text that encoding/xml can parse, made
// from a raw Tally gateway response.
//
// It sniffs the encoding from the first bytes. Real Tally answers a UTF-16
// request with BOM-less UTF-16LE (first bytes 3c 00, tally-protocol.md §9.1);
// files Tally writes carry a BOM (UTF-16LE/BE or UTF-8). UTF-16 is transcoded
// with golang.org/x/text, streaming.
//
// It then filters, in constant memory:
//
//   - character references that XML 1.0 forbids (&#0;–&#31; other than tab, LF
//     and CR, surrogates, &#xFFFE;, &#xFFFF;, beyond U+10FFFF). Tally writes
//     &#4; before system names ("&#4; Primary", "&#4; Not Applicable",
//     §9.2); the reference and the single space after it are dropped, as
//     TallyConnector's Replace("&#4; ", "") does, so the name reads "Primary".
//     Other illegal references are dropped alone;
//   - raw control bytes 0x00–0x08, 0x0B, 0x0C, 0x0E–0x1F;
//   - a leading XML declaration: after transcoding the declared encoding
//     ("UTF-16") is stale, and encoding/xml rejects version="1.1".
//
// Legal references (&#13;&#10; inside a name, &#8377;) pass through untouched.
// A reference inside a CDATA section or comment is treated like any other
// (Tally writes neither). Everything else, including malformed XML, passes
// through unchanged, so a strict decoder still reports garbage.
func NewReader(r io.Reader) io.Reader {
	return &cleanReader{src: r}
}

// NewDecoder returns a strict xml.Decoder over NewReader(r). The
// CharsetReader accepts the UTF-8 and UTF-16 labels as identity because the
// stream is UTF-8 by then; it only matters for a declaration that NewReader
// did not recognise as leading.
func NewDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(NewReader(r))
	d.Strict = true
	d.CharsetReader = identityCharset
	return d
}

func identityCharset(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "us-ascii", "ascii", "utf-16", "utf16", "utf-16le", "utf-16be", "unicode":
		return input, nil
	}
	return nil, fmt.Errorf("tallyxml: unsupported charset %q", label)
}

const (
	cleanBufSize = 32 << 10
	// maxRefLen bounds how far past "&#" a reference's ';' is looked for:
	// "&#x10FFFF;" needs 8, leading zeros a little more. A longer run is not
	// a reference we could judge, so it passes through for the decoder to
	// reject.
	maxRefLen = 16
	// maxDeclLen bounds the leading declaration we are willing to buffer.
	maxDeclLen = 1 << 10
)

// special marks the bytes the filter must look at: '&' and the control bytes
// XML 1.0 forbids. Everything else is copied in bulk.
var special = func() (t [256]bool) {
	for b := 0; b < 0x20; b++ {
		t[b] = b != '\t' && b != '\n' && b != '\r'
	}
	t['&'] = true
	return t
}()

// cleanReader implements NewReader. buf[r:w] holds raw (UTF-8) input not yet
// filtered; it stays small except for one chunk, so memory is constant.
type cleanReader struct {
	src       io.Reader
	buf       []byte
	r, w      int
	err       error // sticky error from src
	started   bool  // encoding sniffed
	declDone  bool  // leading declaration handled
	dropSpace bool  // the previous byte ended a dropped &#4;
}

func (c *cleanReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !c.started {
		c.start()
	}
	for {
		if !c.declDone {
			if !c.stripDecl() {
				if err := c.fill(); err != nil {
					c.declDone = true
				}
				continue
			}
		}
		n, needMore := c.filter(p)
		if n > 0 {
			return n, nil
		}
		if c.r == c.w && c.err != nil {
			return 0, c.err
		}
		if !needMore && c.r < c.w {
			continue
		}
		if c.err != nil {
			// needMore at EOF cannot happen: filter treats the tail as final.
			return 0, c.err
		}
		_ = c.fill()
	}
}

// start sniffs the encoding from the first bytes and, for UTF-16, puts a
// streaming transcoder between src and the filter.
func (c *cleanReader) start() {
	c.started = true
	c.buf = make([]byte, cleanBufSize)
	// Four bytes tell every case apart (BOM-less UTF-16 needs two zero
	// bytes to be told from UTF-8 with a stray NUL); a shorter body is
	// judged on what there is.
	var hdr [4]byte
	n, err := io.ReadFull(c.src, hdr[:])
	if err == io.ErrUnexpectedEOF && n > 0 {
		err = io.EOF // a body shorter than four bytes
	}
	if err != nil && n == 0 {
		c.err = err
		return
	}
	h := hdr[:n]
	rest := c.src
	var enc *unicode.Endianness
	le, be := unicode.LittleEndian, unicode.BigEndian
	switch {
	case bytes.HasPrefix(h, []byte{0xEF, 0xBB, 0xBF}):
		h = h[3:]
	case bytes.HasPrefix(h, []byte{0xFF, 0xFE}):
		h, enc = h[2:], &le
	case bytes.HasPrefix(h, []byte{0xFE, 0xFF}):
		h, enc = h[2:], &be
	case len(h) >= 4 && h[0] != 0 && h[1] == 0 && h[3] == 0:
		// Tally's BOM-less UTF-16LE answer ("<\x00E\x00"). Two zero bytes
		// are needed: one NUL after a '<' is a stray control byte in UTF-8.
		enc = &le
	case len(h) >= 4 && h[0] == 0 && h[1] != 0 && h[2] == 0:
		enc = &be
	}
	if enc == nil {
		// UTF-8: the header goes straight into the buffer.
		c.w = copy(c.buf, h)
		if err != nil {
			c.err = err
		}
		return
	}
	head := append([]byte(nil), h...)
	var in io.Reader = bytes.NewReader(head)
	switch {
	case err == nil:
		in = io.MultiReader(in, rest)
	case err != io.EOF:
		in = io.MultiReader(in, errReader{err})
	}
	dec := unicode.UTF16(*enc, unicode.IgnoreBOM).NewDecoder()
	c.src = transform.NewReader(in, dec)
}

// errReader replays a read error met while sniffing.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// fill compacts buf and reads at least one more byte from src (or records
// its error).
func (c *cleanReader) fill() error {
	if c.err != nil {
		return c.err
	}
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.buf) {
		// Cannot happen with our bounded look-ahead; grow rather than spin.
		c.buf = append(c.buf, make([]byte, len(c.buf))...)
	}
	for range 100 {
		n, err := c.src.Read(c.buf[c.w:])
		c.w += n
		if err != nil {
			c.err = err
			return err
		}
		if n > 0 {
			return nil
		}
	}
	c.err = io.ErrNoProgress
	return c.err
}

// stripDecl drops a leading "<?xml …?>" (after optional whitespace). It
// reports false when it needs more input to decide.
func (c *cleanReader) stripDecl() bool {
	b := c.buf[c.r:c.w]
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	rest := b[i:]
	const decl = "<?xml"
	if len(rest) < len(decl)+1 {
		if c.err != nil || len(b) >= maxDeclLen {
			c.declDone = true
			return true
		}
		if !bytes.HasPrefix([]byte(decl), rest) {
			c.declDone = true
			return true
		}
		return false
	}
	if !bytes.HasPrefix(rest, []byte(decl)) || !isXMLSpace(rest[len(decl)]) && rest[len(decl)] != '?' {
		c.declDone = true
		return true
	}
	end := bytes.Index(rest, []byte("?>"))
	if end < 0 {
		if c.err != nil || len(b) >= maxDeclLen {
			c.declDone = true // not a declaration we understand; let the decoder judge
			return true
		}
		return false
	}
	c.r += i + end + 2
	c.declDone = true
	return true
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// filter copies filtered bytes from buf[r:w] into p. needMore reports that it
// stopped at a reference it cannot judge without more input.
func (c *cleanReader) filter(p []byte) (n int, needMore bool) {
	src := c.buf[c.r:c.w]
	eof := c.err != nil
	i := 0
	for i < len(src) && n < len(p) {
		if c.dropSpace {
			c.dropSpace = false
			if src[i] == ' ' {
				i++
				continue
			}
		}
		// Bulk copy up to the next special byte or the end of p.
		limit := min(len(src), i+len(p)-n)
		j := i
		for j < limit && !special[src[j]] {
			j++
		}
		n += copy(p[n:], src[i:j])
		i = j
		if j == limit {
			break
		}
		if src[j] != '&' {
			// A raw control byte is dropped; a raw U+0004 stands where
			// Tally writes "&#4; " before a system name, so the space
			// after it goes too.
			if src[j] == 0x04 {
				c.dropSpace = true
			}
			i++
			continue
		}
		// A '&': only "&#…;" references need judging.
		if j+1 >= len(src) && !eof {
			needMore = true
			break
		}
		if j+1 >= len(src) || src[j+1] != '#' {
			p[n] = '&'
			n++
			i++
			continue
		}
		look := src[j+2 : min(len(src), j+2+maxRefLen)]
		k := bytes.IndexByte(look, ';')
		if k < 0 {
			if len(src)-j-2 < maxRefLen && !eof {
				needMore = true
				break
			}
			p[n] = '&' // not a reference we can judge: pass through
			n++
			i++
			continue
		}
		cp, ok := parseCharRef(look[:k])
		if !ok || legalXMLChar(cp) {
			// A legal (or malformed) reference passes through byte by byte.
			p[n] = '&'
			n++
			i++
			continue
		}
		i = j + 2 + k + 1
		if cp == 4 {
			c.dropSpace = true
		}
	}
	c.r += i
	return n, needMore
}

// parseCharRef parses the part of a character reference between "&#" and
// ';': decimal digits or x followed by hex digits. Values beyond the Unicode
// range saturate to a value legalXMLChar rejects.
func parseCharRef(s []byte) (rune, bool) {
	base := int64(10)
	if len(s) > 0 && (s[0] == 'x' || s[0] == 'X') {
		base, s = 16, s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var v int64
	for _, b := range s {
		var d int64
		switch {
		case b >= '0' && b <= '9':
			d = int64(b - '0')
		case base == 16 && b >= 'a' && b <= 'f':
			d = int64(b-'a') + 10
		case base == 16 && b >= 'A' && b <= 'F':
			d = int64(b-'A') + 10
		default:
			return 0, false
		}
		v = v*base + d
		if v > 0x10FFFF {
			v = 0x110000
		}
	}
	return rune(v), true
}

// legalXMLChar is the XML 1.0 Char production, as encoding/xml enforces it.
func legalXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
