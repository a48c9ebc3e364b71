//go:build race

package sqlitestore_test

// raceEnabled: the race detector instruments modernc's SQLite, which is C
// transpiled to Go, and makes every statement roughly 20 times slower; load
// tests size themselves down under it so they measure the store, not the
// detector.
const raceEnabled = true
