//go:build unix

package launch

import (
	"os/exec"
	"testing"
)

func TestStopErrorAcceptsTheStopSignal(t *testing.T) {
	tests := []struct {
		name  string
		shell string
		clean bool
	}{
		{"exit 0", "exit 0", true},
		{"ended by SIGTERM", "kill -TERM $$", true},
		{"exit 1", "exit 1", false},
		{"ended by SIGKILL", "kill -KILL $$", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := exec.Command("sh", "-c", tt.shell).Run()
			got := stopError(exit{service: "elmo-worker", err: err})
			if (got == nil) != tt.clean {
				t.Errorf("stopError(%v) = %v, want clean=%v", err, got, tt.clean)
			}
		})
	}
}
