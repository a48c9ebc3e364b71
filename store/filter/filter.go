// Package filter builds the WHERE, ORDER BY and LIMIT of the stores' list
// queries, once for both: PostgreSQL numbers its placeholders ($1, $2…),
// SQLite takes ?. Each condition is written with one ?; the values are the
// caller's, in the form its driver stores (times as each store keeps them).
package filter

import (
	"strconv"
	"strings"

	"github.com/tallyfacade/tallyfacade/service"
)

// Query is a list query being built.
type Query struct {
	numbered bool
	where    []string
	// Args are the values of the placeholders, in order, once SQL is called
	// with the page size last.
	Args []any
}

// Postgres starts a query with $n placeholders.
func Postgres() *Query { return &Query{numbered: true} }

// SQLite starts a query with ? placeholders.
func SQLite() *Query { return &Query{} }

// Where adds cond (with one ?) for v when set is true: a filter left empty
// selects everything.
func (q *Query) Where(set bool, cond string, v any) {
	if !set {
		return
	}
	q.Args = append(q.Args, v)
	q.where = append(q.where, q.placeholder(cond))
}

// SQL is from (the SELECT … FROM) with the conditions, ordered by orderBy,
// limited to one page (service.PageLimit of limit).
func (q *Query) SQL(from, orderBy string, limit int) string {
	var b strings.Builder
	b.WriteString(from)
	if len(q.where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(q.where, " AND "))
	}
	q.Args = append(q.Args, service.PageLimit(limit))
	b.WriteString(" ORDER BY " + orderBy + q.placeholder(" LIMIT ?"))
	return b.String()
}

// placeholder numbers the ? of s as the last argument, for PostgreSQL.
func (q *Query) placeholder(s string) string {
	if !q.numbered {
		return s
	}
	return strings.Replace(s, "?", "$"+strconv.Itoa(len(q.Args)), 1)
}
