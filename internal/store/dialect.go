package store

import (
	"strconv"
	"strings"
)

// dialect is the SQL engine behind a Store. The queries are written once,
// in SQL both engines accept; only placeholders differ.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// q returns query in the store's dialect.
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

// rebind rewrites the `?` placeholders of query as PostgreSQL's $1, $2, …
// for postgres; SQLite takes the query as it is. A `?` inside a quoted
// literal or identifier, or in a comment, is left alone.
func (d dialect) rebind(query string) string {
	if d != dialectPostgres || !strings.ContainsRune(query, '?') {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte // ' or " while inside a quoted literal or identifier
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
			continue
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
