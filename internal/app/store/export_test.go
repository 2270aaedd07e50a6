package store

import "context"

// ResetForTest deletes every row of the data tables.
func ResetForTest(ctx context.Context, s *Store) error {
	for _, table := range []string{"responses", "prompts", "brands"} {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	return nil
}
