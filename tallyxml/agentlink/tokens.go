package agentlink

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// minTokenLen is the shortest agent token accepted: a token guards the
// books as an API key does, so it must not be guessable.
const minTokenLen = 16

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidName reports whether s can name an agent: 1 to 64 letters, digits,
// dots, dashes and underscores, starting with a letter or digit. Names go in
// URLs (agent://NAME), headers, logs and metric labels.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Tokens holds each agent's token as its SHA-256 only: the plain tokens are
// not kept in memory past parsing, and a check compares hashes in constant
// time.
type Tokens struct {
	hashes map[string][sha256.Size]byte
}

// ParseTokens reads `name:token,name:token,…` (TALLYFACADE_AGENT_TOKENS).
// Spaces around entries are ignored; a name may appear once. Its errors
// never quote a token.
func ParseTokens(s string) (Tokens, error) {
	t := Tokens{hashes: map[string][sha256.Size]byte{}}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, token, ok := strings.Cut(entry, ":")
		name, token = strings.TrimSpace(name), strings.TrimSpace(token)
		switch {
		case !ok:
			return Tokens{}, fmt.Errorf("agent tokens: entry %d: want name:token", i+1)
		case !ValidName(name):
			return Tokens{}, fmt.Errorf("agent tokens: entry %d: name %q: use 1-64 letters, digits, '.', '-' or '_'", i+1, truncate(name, 64))
		case len(token) < minTokenLen:
			return Tokens{}, fmt.Errorf("agent tokens: agent %q: the token is shorter than %d characters", name, minTokenLen)
		}
		if _, dup := t.hashes[name]; dup {
			return Tokens{}, fmt.Errorf("agent tokens: agent %q is named twice", name)
		}
		t.hashes[name] = sha256.Sum256([]byte(token))
	}
	return t, nil
}

// Names returns the agents that have a token, sorted.
func (t Tokens) Names() []string {
	out := make([]string, 0, len(t.hashes))
	for n := range t.hashes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Has reports whether name has a token.
func (t Tokens) Has(name string) bool {
	_, ok := t.hashes[name]
	return ok
}

// check reports whether token is name's. An unknown name costs the same
// hash and comparison, so timing tells nothing about which names exist.
func (t Tokens) check(name, token string) bool {
	want, known := t.hashes[name]
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1 && known
}
