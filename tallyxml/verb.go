package tallyxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotARequest is a body RequestVerb cannot read as a gateway request.
var ErrNotARequest = errors.New("tallyxml: not a Tally gateway request")

// RequestVerb reads a gateway request (in either charset, as NewReader
// sniffs it) the way Tally dispatches it, by HEADER/TALLYREQUEST, and returns
// what it asks for. It is the read-only agent's judge, so it fails closed:
// a request it cannot read, one with no TALLYREQUEST or an unknown one is an
// error, and one that also carries an import body (IMPORTDATA, or a second
// TALLYREQUEST that differs) is VerbImport whatever its header says.
// Element names and the verb are matched case-insensitively, as Tally
// matches them (tally-protocol.md §7), and both envelope families count:
// `Import` and the legacy `Import Data` (§7(d)).
func RequestVerb(r io.Reader) (Verb, error) {
	d := NewDecoder(r)
	var (
		path   []string
		verb   Verb
		seen   bool
		text   strings.Builder
		writes bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrNotARequest, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToUpper(t.Name.Local)
			path = append(path, name)
			switch name {
			case "TALLYREQUEST":
				text.Reset()
			case "IMPORTDATA":
				writes = true
			}
		case xml.CharData:
			if len(path) > 0 && path[len(path)-1] == "TALLYREQUEST" {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return 0, ErrNotARequest
			}
			if path[len(path)-1] == "TALLYREQUEST" {
				v, err := parseVerb(text.String())
				if err != nil {
					return 0, err
				}
				header := len(path) == 3 && path[0] == "ENVELOPE" && path[1] == "HEADER"
				switch {
				case header && !seen:
					verb, seen = v, true
				case v != verb || !seen:
					writes = true
				}
			}
			path = path[:len(path)-1]
		}
	}
	if !seen {
		return 0, fmt.Errorf("%w: no ENVELOPE/HEADER/TALLYREQUEST", ErrNotARequest)
	}
	if writes {
		return VerbImport, nil
	}
	return verb, nil
}

// parseVerb reads a TALLYREQUEST value.
func parseVerb(s string) (Verb, error) {
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "export", "export data":
		return VerbExport, nil
	case "import", "import data":
		return VerbImport, nil
	case "execute":
		return VerbExecute, nil
	}
	return 0, fmt.Errorf("%w: TALLYREQUEST %q", ErrNotARequest, truncate(s, 40))
}
