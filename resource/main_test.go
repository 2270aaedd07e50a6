package resource_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The tests start SDK providers; none may leave a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
