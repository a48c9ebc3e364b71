package tallysim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// elem is a parsed request element. Names (element and attribute) are
// upper-cased because Tally matches them case-insensitively (`ACTION` and
// `Action`, `EXPORT` and `Export` are all seen in accepted requests).
type elem struct {
	name  string
	attrs map[string]string
	text  string
	kids  []*elem
}

// child returns the first child named name (upper case).
func (e *elem) child(name string) *elem {
	if e == nil {
		return nil
	}
	for _, k := range e.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// all returns every child named name.
func (e *elem) all(name string) []*elem {
	if e == nil {
		return nil
	}
	var out []*elem
	for _, k := range e.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// path follows a chain of child names.
func (e *elem) path(names ...string) *elem {
	for _, n := range names {
		e = e.child(n)
	}
	return e
}

// value is the trimmed text of the named child ("" when absent).
func (e *elem) value(name string) string {
	return strings.TrimSpace(e.child(name).textOr(""))
}

func (e *elem) textOr(def string) string {
	if e == nil {
		return def
	}
	return e.text
}

func (e *elem) attr(name string) string {
	if e == nil {
		return ""
	}
	return e.attrs[name]
}

func (e *elem) has(name string) bool { return e.child(name) != nil }

// errUnknownRequest is what malformed input and unknown request kinds lead to:
// `<RESPONSE>Unknown Request, cannot be processed</RESPONSE>`.
var errUnknownRequest = errors.New("unknown request")

// decodeRequest turns the raw body into text following the request charset.
// A body declared UTF-16 is read as UTF-16LE with or without a BOM (a BE BOM
// is honoured too). A body that looks like UTF-16 but was sent without the
// charset is refused, as real Tally refuses it (§9.1.3, LIVE).
func decodeRequest(contentType string, body []byte) (text string, isUTF16 bool, err error) {
	cs := charsetOf(contentType)
	switch cs {
	case "utf-16", "utf-16le", "utf-16be", "unicode", "ucs-2":
		be := cs == "utf-16be"
		switch {
		case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
			body, be = body[2:], false
		case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
			body, be = body[2:], true
		}
		if len(body)%2 != 0 {
			return "", true, errUnknownRequest
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			if be {
				u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			} else {
				u[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
			}
		}
		return string(utf16.Decode(u)), true, nil
	}
	if bytes.HasPrefix(body, []byte{0xFF, 0xFE}) || bytes.HasPrefix(body, []byte{0xFE, 0xFF}) || bytes.IndexByte(body, 0) >= 0 {
		return "", false, errUnknownRequest
	}
	body = bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF})
	if utf8.Valid(body) {
		return string(body), false, nil
	}
	// Not UTF-8: read it as Latin-1, the closest thing to the ANSI code page a
	// Windows client would have sent.
	r := make([]rune, len(body))
	for i, b := range body {
		r[i] = rune(b)
	}
	return string(r), false, nil
}

func charsetOf(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Tolerate "text/xml;charset=utf-16" style headers mime rejects.
		i := strings.Index(strings.ToLower(contentType), "charset=")
		if i < 0 {
			return ""
		}
		return strings.ToLower(strings.Trim(strings.TrimSpace(contentType[i+8:]), `"';`))
	}
	return strings.ToLower(params["charset"])
}

// parseXML parses the request into an elem tree. The `&#4;` references Tally
// itself emits (and clients may echo back) are illegal in XML 1.0, so they are
// dropped before parsing; anything else malformed (an unescaped `&`) fails,
// which the caller answers with Unknown Request (§9.4, LIVE).
func parseXML(text string) (*elem, error) {
	for _, ref := range []string{"&#4; ", "&#4;", "&#x4;", "&#X4;"} {
		text = strings.ReplaceAll(text, ref, "")
	}
	d := xml.NewDecoder(strings.NewReader(text))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already decoded
	var stack []*elem
	var root *elem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &elem{name: strings.ToUpper(t.Name.Local), attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				e.attrs[strings.ToUpper(a.Name.Local)] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, e)
			} else if root == nil {
				root = e
			} else {
				return nil, errors.New("more than one root element")
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}
