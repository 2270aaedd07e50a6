//go:build !unix

package lifeline

import (
	"errors"
	"os"
)

const supported = false

func openPipe(string) (*os.File, error) {
	return nil, errors.New("a lifeline is not supported on this system")
}
