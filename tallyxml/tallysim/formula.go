package tallysim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/tallyfacade/tallyfacade/tallyxml"
)

// The filter formula subset the simulator evaluates (anything else is
// answered with STATUS 0 and a LINEERROR naming the formula; a simulator
// limit, see doc.go):
//
//	expr    = or
//	or      = and { "OR" and }
//	and     = not { "AND" not }
//	not     = "NOT" not | cmp
//	cmp     = operand [ ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") operand ]
//	operand = "(" expr ")" | "$$IsEqual:" operand ":" operand | "$$IsEmpty:" operand
//	        | "$$Not:" operand | "$$IsDebit:" operand | "$$IsCredit:" operand
//	        | "$$IsSales:" operand | "$$IsReceipt:" operand (a voucher type's class)
//	        | "$Method" [ ":" ObjectType ":" operand ] | "##SVFromDate" | "##SVToDate"
//	        | "##SVCurrentCompany" | "string" | number | Yes | No
//
// String comparison is case-insensitive, as TDL's is. `$Method:Type:name`
// evaluates name, finds that Ledger/Group object and reads its Method (the
// form tally-mcp-server's Bill filter uses).
type formula interface {
	eval(x *xctx, k *kindDef, o any) (fval, error)
}

type tokKind int

const (
	tEOF tokKind = iota
	tFunc
	tMethod
	tVar
	tStr
	tNum
	tWord
	tOp
	tLParen
	tRParen
	tColon
)

type token struct {
	kind tokKind
	s    string
}

func tokenize(src string) ([]token, error) {
	var toks []token
	r := []rune(src)
	for i := 0; i < len(r); {
		ch := r[i]
		switch {
		case unicode.IsSpace(ch):
			i++
		case ch == '(':
			toks, i = append(toks, token{tLParen, "("}), i+1
		case ch == ')':
			toks, i = append(toks, token{tRParen, ")"}), i+1
		case ch == ':':
			toks, i = append(toks, token{tColon, ":"}), i+1
		case ch == '"':
			j := i + 1
			for j < len(r) && r[j] != '"' {
				j++
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks, i = append(toks, token{tStr, string(r[i+1 : j])}), j+1
		case strings.ContainsRune("=<>!", ch):
			j := i + 1
			if j < len(r) && strings.ContainsRune("=>", r[j]) {
				j++
			}
			toks, i = append(toks, token{tOp, string(r[i:j])}), j
		case ch == '$' || ch == '#':
			kind, skip := tMethod, 1
			if i+1 < len(r) && r[i+1] == ch {
				kind, skip = tFunc, 2
				if ch == '#' {
					kind = tVar
				}
			} else if ch == '#' {
				return nil, fmt.Errorf("unexpected '#'")
			}
			j := i + skip
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '.') {
				j++
			}
			if j == i+skip {
				return nil, fmt.Errorf("empty name after %q", string(r[i:i+skip]))
			}
			toks, i = append(toks, token{kind, string(r[i+skip : j])}), j
		case unicode.IsDigit(ch) || ch == '-' && i+1 < len(r) && unicode.IsDigit(r[i+1]):
			j := i + 1
			for j < len(r) && (unicode.IsDigit(r[j]) || r[j] == '.') {
				j++
			}
			toks, i = append(toks, token{tNum, string(r[i:j])}), j
		case unicode.IsLetter(ch) || ch == '_':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_') {
				j++
			}
			toks, i = append(toks, token{tWord, string(r[i:j])}), j
		default:
			return nil, fmt.Errorf("unexpected %q", ch)
		}
	}
	return append(toks, token{kind: tEOF}), nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && strings.EqualFold(t.s, w)
}

// parseFormula compiles a filter formula of the supported subset.
func parseFormula(src string) (formula, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, fmt.Errorf("unexpected %q", p.peek().s)
	}
	return f, nil
}

func (p *parser) or() (formula, error) {
	l, err := p.and()
	for err == nil && p.isWord("OR") {
		p.next()
		var r formula
		if r, err = p.and(); err == nil {
			l = logicOp{or: true, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) and() (formula, error) {
	l, err := p.not()
	for err == nil && p.isWord("AND") {
		p.next()
		var r formula
		if r, err = p.not(); err == nil {
			l = logicOp{l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) not() (formula, error) {
	if p.isWord("NOT") {
		p.next()
		f, err := p.not()
		return notOp{f}, err
	}
	return p.cmp()
}

func (p *parser) cmp() (formula, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tOp {
		p.next()
		switch t.s {
		case "=", "==", "!=", "<>", "<", "<=", ">", ">=":
		default:
			return nil, fmt.Errorf("operator %q", t.s)
		}
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return cmpOp{op: t.s, l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) expectColon() error {
	if p.next().kind != tColon {
		return fmt.Errorf("expected ':'")
	}
	return nil
}

func (p *parser) operand() (formula, error) {
	t := p.next()
	switch t.kind {
	case tLParen:
		f, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next().kind != tRParen {
			return nil, fmt.Errorf("expected ')'")
		}
		return f, nil
	case tStr:
		return lit{str(t.s)}, nil
	case tNum:
		if strings.Contains(t.s, ".") {
			a, err := tallyxml.ParseAmount(t.s)
			if err != nil {
				return nil, err
			}
			return lit{amt(a.Paise())}, nil
		}
		n, err := strconv.ParseInt(t.s, 10, 64)
		if err != nil {
			return nil, err
		}
		return lit{num(n)}, nil
	case tWord:
		switch strings.ToLower(t.s) {
		case "yes", "true":
			return lit{logical(true)}, nil
		case "no", "false":
			return lit{logical(false)}, nil
		}
		return nil, fmt.Errorf("unknown word %q", t.s)
	case tVar:
		switch strings.ToLower(t.s) {
		case "svfromdate", "svtodate", "svcurrentcompany":
			return varRef(strings.ToLower(t.s)), nil
		}
		return nil, fmt.Errorf("variable ##%s", t.s)
	case tFunc:
		fn := strings.ToLower(t.s)
		nargs := map[string]int{"isequal": 2, "isempty": 1, "not": 1, "isdebit": 1, "iscredit": 1, "issales": 1, "isreceipt": 1}[fn]
		if nargs == 0 {
			return nil, fmt.Errorf("function $$%s", t.s)
		}
		args := make([]formula, nargs)
		for i := range args {
			if err := p.expectColon(); err != nil {
				return nil, err
			}
			a, err := p.operand()
			if err != nil {
				return nil, err
			}
			args[i] = a
		}
		return call{fn: fn, args: args}, nil
	case tMethod:
		m := method{name: t.s}
		// $Method:ObjectType:operand — the colon is followed by a bare word
		// and another colon.
		if p.peek().kind == tColon && p.toks[p.pos+1].kind == tWord && p.toks[p.pos+2].kind == tColon {
			p.next()
			m.objType = p.next().s
			p.next()
			of, err := p.operand()
			if err != nil {
				return nil, err
			}
			m.of = of
		}
		return m, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.s)
}

type lit struct{ v fval }

func (l lit) eval(*xctx, *kindDef, any) (fval, error) { return l.v, nil }

type varRef string

func (v varRef) eval(x *xctx, _ *kindDef, _ any) (fval, error) {
	switch v {
	case "svfromdate":
		return date(x.from), nil
	case "svtodate":
		return date(x.to), nil
	}
	return str(x.c.name), nil
}

type method struct {
	name    string
	objType string
	of      formula
}

func (m method) eval(x *xctx, k *kindDef, o any) (fval, error) {
	if m.of != nil {
		nv, err := m.of.eval(x, k, o)
		if err != nil {
			return fval{}, err
		}
		switch strings.ToLower(m.objType) {
		case "ledger":
			k, o = ledgerKind, nil
			if l := x.c.ledger(nv.asString()); l != nil {
				o = l
			}
		case "group":
			k, o = groupKind, nil
			if g := x.c.group(nv.asString()); g != nil {
				o = g
			}
		default:
			return fval{}, fmt.Errorf("object type %q", m.objType)
		}
		if o == nil {
			return str(""), nil // a missing object yields an empty value, as in TDL
		}
	}
	f := k.find(m.name)
	if f == nil {
		return fval{}, fmt.Errorf("method $%s of %s", m.name, k.name)
	}
	return f.get(x, o), nil
}

type call struct {
	fn   string
	args []formula
}

func (c call) eval(x *xctx, k *kindDef, o any) (fval, error) {
	vals := make([]fval, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(x, k, o)
		if err != nil {
			return fval{}, err
		}
		vals[i] = v
	}
	switch c.fn {
	case "isequal":
		r, err := compare(vals[0], vals[1])
		return logical(err == nil && r == 0), nil
	case "isempty":
		return logical(vals[0].isEmpty()), nil
	case "not":
		return logical(!vals[0].truthy()), nil
	case "isdebit":
		return logical(vals[0].kind == vAmt && vals[0].n < 0), nil
	case "iscredit":
		return logical(vals[0].kind == vAmt && vals[0].n > 0), nil
	case "issales":
		return logical(x.c.voucherBase(vals[0].asString()) == "Sales"), nil
	case "isreceipt":
		return logical(x.c.voucherBase(vals[0].asString()) == "Receipt"), nil
	}
	return fval{}, fmt.Errorf("function $$%s", c.fn)
}

type logicOp struct {
	or   bool
	l, r formula
}

func (op logicOp) eval(x *xctx, k *kindDef, o any) (fval, error) {
	l, err := op.l.eval(x, k, o)
	if err != nil {
		return fval{}, err
	}
	if op.or && l.truthy() {
		return logical(true), nil
	}
	if !op.or && !l.truthy() {
		return logical(false), nil
	}
	r, err := op.r.eval(x, k, o)
	if err != nil {
		return fval{}, err
	}
	return logical(r.truthy()), nil
}

type notOp struct{ f formula }

func (n notOp) eval(x *xctx, k *kindDef, o any) (fval, error) {
	v, err := n.f.eval(x, k, o)
	return logical(!v.truthy()), err
}

type cmpOp struct {
	op   string
	l, r formula
}

func (c cmpOp) eval(x *xctx, k *kindDef, o any) (fval, error) {
	l, err := c.l.eval(x, k, o)
	if err != nil {
		return fval{}, err
	}
	r, err := c.r.eval(x, k, o)
	if err != nil {
		return fval{}, err
	}
	d, err := compare(l, r)
	if err != nil {
		return logical(false), nil
	}
	switch c.op {
	case "=", "==":
		return logical(d == 0), nil
	case "!=", "<>":
		return logical(d != 0), nil
	case "<":
		return logical(d < 0), nil
	case "<=":
		return logical(d <= 0), nil
	case ">":
		return logical(d > 0), nil
	}
	return logical(d >= 0), nil
}

// compare orders two values: dates against dates (a string side is parsed
// as a date), numbers and amounts by value, booleans, and strings
// case-insensitively.
func compare(a, b fval) (int, error) {
	if a.kind == vDate || b.kind == vDate {
		da, err1 := asDate(a)
		db, err2 := asDate(b)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("not a date")
		}
		return strings.Compare(da.String(), db.String()), nil
	}
	if isNumeric(a) && isNumeric(b) {
		pa, pb := paiseOf(a), paiseOf(b)
		switch {
		case pa < pb:
			return -1, nil
		case pa > pb:
			return 1, nil
		}
		return 0, nil
	}
	if a.kind == vBool || b.kind == vBool {
		if a.truthy() == b.truthy() {
			return 0, nil
		}
		return 1, nil
	}
	return strings.Compare(strings.ToLower(a.asString()), strings.ToLower(b.asString())), nil
}

func isNumeric(v fval) bool {
	if v.kind == vNum || v.kind == vAmt {
		return true
	}
	if v.kind == vStr {
		_, err := tallyxml.ParseAmount(v.s)
		return err == nil && strings.TrimSpace(v.s) != ""
	}
	return false
}

func paiseOf(v fval) int64 {
	switch v.kind {
	case vNum:
		return v.n * 100
	case vAmt:
		return v.n
	}
	a, _ := tallyxml.ParseAmount(v.s)
	return a.Paise()
}

func asDate(v fval) (tallyxml.Date, error) {
	if v.kind == vDate {
		return v.d, nil
	}
	return tallyxml.ParseDate(v.asString())
}
