package tallyxml

import (
	"encoding"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
)

// The decoders here stream: they walk xml.Decoder tokens and decode one row
// at a time, so memory stays flat however large the export (a Day Book or a
// Bills Receivable report can run to hundreds of megabytes). Rows are decoded
// by hand rather than with struct tags because Tally's shapes need it: names
// come from an attribute or a child or a NAME.LIST, the same list appears
// under two tags (ALLLEDGERENTRIES.LIST and LEDGERENTRIES.LIST) whose order
// matters, UDF: elements must not be mistaken for fields, and newer TallyPrime
// moves fields into dated sub-lists.
//
// String fields keep their text verbatim (no trimming): names are identities,
// and Tally matches them exactly apart from ASCII case and one trailing space
// (tally-protocol.md §9.4). Typed fields (Amount, Date, Number, Logical, …)
// trim in their parsers. Every decoder also recognises the failure shapes
// (empty body, Unknown Request, STATUS 0, EXCEPTION, ERRORMSG) and yields the
// typed error from outcome.go, so a caller that skipped CheckResponse does
// not mistake a failure for an empty result.
//
// This file is the scanner and the field readers every decoder shares; the
// row decoders are in masters.go, vouchers.go and reports.go.

// first is the one object of an object export.
func first[T any](seq iter.Seq2[T, error]) (T, error) {
	for v, err := range seq {
		return v, objectExportErr(err)
	}
	var zero T
	return zero, ErrNoObject
}

// rowParents are the elements whose LEDGER/GROUP/… children are rows:
// COLLECTION (collection exports), TALLYMESSAGE (object exports and Tally's
// own export files) and DATA. Any other occurrence of the tag, notably the
// CMPINFO counters `<LEDGER>10</LEDGER>` (§9.3), is not a row.
func isRowParent(name string) bool {
	return name == "COLLECTION" || name == "TALLYMESSAGE" || name == "DATA"
}

// scanner walks a response's elements, handling the shapes every decoder
// shares: the root (and the bare-root failure bodies), the HEADER with its
// STATUS, and the DESC/CMPINFO block, which reuses row tag names as counters.
type scanner struct {
	d     *xml.Decoder
	stack []string
	root  bool
}

func newScanner(r io.Reader) *scanner { return &scanner{d: NewDecoder(r)} }

// next returns the next element start that the caller must handle, with the
// name of its parent. The caller either consumes the element (decodes or
// skips it) or calls enter to walk its children. It returns io.EOF at the end
// of the document and a typed error for the failure shapes.
func (s *scanner) next() (xml.StartElement, string, error) {
	for {
		tok, err := s.d.Token()
		if err == io.EOF {
			if !s.root {
				return xml.StartElement{}, "", ErrEmptyBody
			}
			return xml.StartElement{}, "", io.EOF
		}
		if err != nil {
			return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !s.root {
				s.root = true
				switch t.Name.Local {
				case "RESPONSE", "EXCEPTION", "ERRORMSG":
					rr, err := readRoot(s.d)
					if err != nil {
						return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
					}
					if err := rootErr(t.Name.Local, rr); err != nil {
						return xml.StartElement{}, "", err
					}
					if rr.counters {
						return xml.StartElement{}, "", errors.New("tallyxml: got an import result where an export was expected")
					}
					return xml.StartElement{}, "", io.EOF
				}
				s.stack = append(s.stack, t.Name.Local)
				continue
			}
			if t.Name.Space != "" {
				// UDF:… and other prefixed elements are user-defined fields.
				if err := s.d.Skip(); err != nil {
					return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
				}
				continue
			}
			switch t.Name.Local {
			case "HEADER":
				if err := readHeader(s.d); err != nil {
					return xml.StartElement{}, "", err
				}
				continue
			case "DESC", "CMPINFO":
				if err := s.d.Skip(); err != nil {
					return xml.StartElement{}, "", fmt.Errorf("tallyxml: decoding response: %w", err)
				}
				continue
			}
			// encoding/xml accepts a second top-level element after the
			// root; it has no parent (found by FuzzDecoders).
			parent := ""
			if len(s.stack) > 0 {
				parent = s.stack[len(s.stack)-1]
			}
			return t, parent, nil
		case xml.EndElement:
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
			}
		}
	}
}

// enter makes the scanner walk t's children.
func (s *scanner) enter(t xml.StartElement) { s.stack = append(s.stack, t.Name.Local) }

// rows streams the tag rows of a collection/object export.
func rows[T any](r io.Reader, tag string, decode func(*xml.Decoder, xml.StartElement) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		s := newScanner(r)
		for {
			t, parent, err := s.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(zero, err)
				return
			}
			if t.Name.Local != tag || !isRowParent(parent) {
				s.enter(t)
				continue
			}
			v, err := decode(s.d, t)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// eachChild calls fn for each child element of the element whose start was
// just read, up to its end. fn must consume the child (decode or d.Skip()).
// Prefixed children (UDF:…) are skipped.
func eachChild(d *xml.Decoder, fn func(xml.StartElement) error) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != "" {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// text reads the character data of the element whose start was just read, up
// to its end. Nested elements are skipped.
func text(d *xml.Decoder) (string, error) {
	var s string
	var buf []byte
	n := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return s, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			switch n {
			case 0:
				s = string(t)
			case 1:
				buf = append(append(buf, s...), t...)
			default:
				buf = append(buf, t...)
			}
			n++
		case xml.StartElement:
			if err := d.Skip(); err != nil {
				return s, err
			}
		case xml.EndElement:
			if n > 1 {
				return string(buf), nil
			}
			return s, nil
		}
	}
}

// innerText is text that also gathers the character data of nested elements:
// report amounts sit one level down (DSPCLDRAMT{DSPCLDRAMTA}), and a value
// read this way parses the same whether Tally nests it or not.
func innerText(d *xml.Decoder) (string, error) {
	var b []byte
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return string(b), err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(b) < 1<<16 {
				b = append(b, t...)
			}
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return string(b), nil
			}
			depth--
		}
	}
}

// textInto reads an element's text into a typed value.
func textInto(d *xml.Decoder, v encoding.TextUnmarshaler) error {
	s, err := text(d)
	if err != nil {
		return err
	}
	return v.UnmarshalText([]byte(s))
}

// innerInto reads an element's inner text into a typed value.
func innerInto(d *xml.Decoder, v encoding.TextUnmarshaler) error {
	s, err := innerText(d)
	if err != nil {
		return err
	}
	return v.UnmarshalText([]byte(s))
}

// list reads the item children of a .LIST element (ADDRESS.LIST/ADDRESS,
// NAME.LIST/NAME) and appends their texts to dst. A whitespace-only list,
// which Tally writes for every empty collection, adds nothing.
func list(d *xml.Decoder, item string, dst []string) ([]string, error) {
	err := eachChild(d, func(t xml.StartElement) error {
		if t.Name.Local != item {
			return d.Skip()
		}
		s, err := text(d)
		if err == nil {
			dst = append(dst, s)
		}
		return err
	})
	return dst, err
}

// attr returns the value of the unprefixed attribute name.
func attr(t xml.StartElement, name string) (string, bool) {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// fieldErr prefixes a field's decode error with the field's tag.
func fieldErr(field string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", field, err)
}

// rowErr says which row a decode error belongs to.
func rowErr(row, name string, err error) error {
	return fmt.Errorf("tallyxml: decoding %s %q: %w", row, name, err)
}

// nameList reads LANGUAGENAME.LIST (NAME.LIST/NAME …) names.
func nameList(d *xml.Decoder, dst []string) ([]string, error) {
	err := eachChild(d, func(t xml.StartElement) error {
		if t.Name.Local != "NAME.LIST" {
			return d.Skip()
		}
		var err error
		dst, err = list(d, "NAME", dst)
		return err
	})
	return dst, err
}

// pickName applies the name rule: the NAME attribute, else a NAME child, else
// the first NAME.LIST name. Aliases are the NAME.LIST names other than the
// chosen one.
func pickName(attrName, child string, names []string) (string, []string) {
	name := attrName
	if name == "" {
		name = child
	}
	if name == "" && len(names) > 0 {
		name = names[0]
	}
	var aliases []string
	skipped := false
	for _, n := range names {
		if n == name && !skipped {
			skipped = true
			continue
		}
		aliases = append(aliases, n)
	}
	return name, aliases
}

func orElse(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}
