// Package migrations holds tallyfacade's SQL schema migrations, embedded in
// the binary so that start-up (and `tallyfacade migrate`) needs no files on
// disk. The embed directives must live here, beside the files, because embed
// patterns cannot reach up with "..".
//
// The migrations are goose v3 SQL files (`-- +goose Up` / `-- +goose Down`),
// one directory per dialect because the DDL differs (TIMESTAMPTZ, JSONB,
// BYTEA and TEXT[] on PostgreSQL). River's own tables are not here: the
// PostgreSQL store applies them with rivermigrate at the same start-up step,
// so River's schema always matches the River version compiled in.
package migrations

import (
	"embed"
	"io/fs"
)

// Postgres holds the PostgreSQL migrations under the directory "postgres".
// Use PostgresFS for a file system rooted at that directory, which is what
// goose.NewProvider expects.
//
//go:embed postgres/*.sql
var Postgres embed.FS

// PostgresFS returns the PostgreSQL migrations with the "postgres" directory
// as root.
func PostgresFS() fs.FS {
	sub, err := fs.Sub(Postgres, "postgres")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "postgres" is a constant.
		panic("migrations: " + err.Error())
	}
	return sub
}
