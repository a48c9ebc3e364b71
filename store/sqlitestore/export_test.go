package sqlitestore

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
