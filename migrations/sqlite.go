package migrations

import (
	"embed"
	"io/fs"
)

// SQLite holds the embedded store's migrations under the directory
// "sqlite": the same tables and semantics as the PostgreSQL ones, in
// SQLite's types (INTEGER, TEXT, BLOB; times as INTEGER unix nanoseconds).
// Use SQLiteFS for a file system rooted at that directory, which is what
// goose.NewProvider expects. River's SQLite tables are not here: the SQLite
// store applies them with rivermigrate, like the PostgreSQL store does.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// SQLiteFS returns the SQLite migrations with the "sqlite" directory as root.
func SQLiteFS() fs.FS {
	sub, err := fs.Sub(SQLite, "sqlite")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "sqlite" is a constant.
		panic("migrations: " + err.Error())
	}
	return sub
}
