package sqlitestore

import (
	"context"

	"github.com/riverqueue/river/riverdriver"
)

// HoldWriteLock begins a write transaction on s, signals locked, and holds
// SQLite's write lock until release is closed. Tests only.
func HoldWriteLock(s *Store, locked chan<- struct{}, release <-chan struct{}) error {
	tx, err := s.db.Begin()
	if err != nil {
		close(locked)
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM inbound_messages WHERE id = 'none'`); err != nil {
		close(locked)
		return err
	}
	close(locked)
	<-release
	return nil
}

// SilenceRiverNotifications makes the River clients RunQueue starts on s
// deaf to riversqlite's notification table: only the store's bell wakes
// the worker. Tests only.
func SilenceRiverNotifications(s *Store) {
	s.listener = func(*riverdriver.GetListenenerParams) riverdriver.Listener { return silentListener{} }
}

// silentListener is connected, listens to everything, and never delivers.
type silentListener struct{}

func (silentListener) Close(context.Context) error          { return nil }
func (silentListener) Connect(context.Context) error        { return nil }
func (silentListener) Listen(context.Context, string) error { return nil }
func (silentListener) Ping(context.Context) error           { return nil }
func (silentListener) Schema() string                       { return "" }
func (silentListener) SetAfterConnectExec(string)           {}
func (silentListener) Unlisten(context.Context, string) error {
	return nil
}

func (silentListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
