// Package atomicfile replaces files so that a reader sees the old content
// or the new, never a mix: the data goes to a temporary file in the same
// directory, is synced (unless the writer asks otherwise), and is renamed
// over the target.
//
// A path that is a symbolic link is written through: the link is
// resolved, the temporary file is made beside the file it points to and
// renamed over that file, and the link stays a link. Renaming over the
// link itself would replace it with a regular file, cutting it off from
// the file the person keeps elsewhere (in a dotfiles repository, say).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxLinks bounds how many symbolic links are followed from one path, as
// the operating system does, so that a loop of links ends in an error.
const maxLinks = 40

// WriteFile replaces the file at path with data. The file gets mode perm.
// When path is a symbolic link, or a chain of them, the file at the end
// of the chain is replaced, and created when it does not exist yet.
// Errors name path.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// WriteFileUnsynced is WriteFile without syncing the data to disk first:
// readers still see the old content or the new, never a mix, but after a
// crash of the machine the file may hold either, or be empty. It is for
// files whose loss costs little and whose writer must be quick, such as
// the telemetry spool and the sent log a command writes on its way out.
func WriteFileUnsynced(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, sync bool) (err error) {
	target, err := resolve(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	name := path
	if target != path {
		name = fmt.Sprintf("%s (through the link %s)", target, path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if sync {
		if err = tmp.Sync(); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	if err = os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("cannot replace %s: %w", name, err)
	}
	return nil
}

// resolve returns the file that path names once every symbolic link in
// its last element is followed: path itself when it is not a link or does
// not exist, else the end of the chain of links, which need not exist. A
// relative link is taken relative to the directory of the link.
func resolve(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("more than %d symbolic links to follow: %w", maxLinks, errTooManyLinks)
}

// errTooManyLinks is wrapped by the error for a chain of links that does
// not end, such as a link to itself.
var errTooManyLinks = errors.New("too many levels of symbolic links")
