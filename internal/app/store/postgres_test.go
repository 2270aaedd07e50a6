package store_test

import (
	"context"
	"testing"

	"github.com/elmohq/telemetry/internal/app/store"
)

// resetPostgres empties the tables of the test server so each test starts
// clean.
func resetPostgres(t *testing.T, s *store.Store) {
	t.Helper()
	if err := store.ResetForTest(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}
