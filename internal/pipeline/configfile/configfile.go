// Package configfile reads and writes the Elmo CLI's config.json, where the
// user's telemetry choice and install ID live.
//
// The file is shared by every elmo process on the machine. Reads need no
// lock because every write replaces the file atomically (a temporary file
// in the same directory, then a rename). Writes are serialized across
// processes with an advisory lock on a sibling file, so that racing first
// runs agree on a single install ID and no concurrent update is lost.
//
// A file that cannot be understood is never repaired: every method returns
// an error that names the path and the problem, and leaves the file as it
// was.
package configfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/google/uuid"

	"github.com/elmohq/telemetry/internal/pipeline/atomicfile"
	"github.com/elmohq/telemetry/internal/pipeline/userdir"
)

// The keys of config.json that Elmo owns. Every other key is preserved
// with its value.
const (
	keyTelemetryID       = "telemetryId"
	keyTelemetryDisabled = "telemetryDisabled"
	keyNoticeVersion     = "telemetryNoticeVersion"
)

// ErrMalformed is wrapped by the errors returned for a config file whose
// contents are not a JSON object with Elmo's keys of the right types.
var ErrMalformed = errors.New("malformed config file")

// lockRetry is how often a writer waiting for another process's lock
// tries again.
const lockRetry = 5 * time.Millisecond

// DefaultPath returns where config.json lives for this user:
// $XDG_CONFIG_HOME/elmo/config.json when XDG_CONFIG_HOME is set to an
// absolute path, else ~/.config/elmo/config.json, on every operating
// system. getenv looks variables up; nil means os.Getenv.
func DefaultPath(getenv func(string) string) (string, error) {
	dir, err := userdir.Config(getenv)
	if err != nil {
		return "", fmt.Errorf("cannot find config.json: %w", err)
	}
	return filepath.Join(dir, FileName), nil
}

// FileName is the name of the config file.
const FileName = "config.json"

// Settings is the content of config.json.
type Settings struct {
	// TelemetryID is the install ID: a random UUID v4 created on the first
	// run with telemetry on. Empty when none was created yet.
	TelemetryID string
	// TelemetryDisabled is the user's explicit choice, nil when the user
	// never made one.
	TelemetryDisabled *bool
	// NoticeVersion is the version of the first-run notice the user was
	// shown, nil when no notice was shown.
	NoticeVersion *int

	// other holds every key Elmo does not own, with its raw value.
	other map[string]json.RawMessage
}

// ConsentRecorded reports whether the user has made a choice or was shown
// a notice of at least version minNotice.
func (s Settings) ConsentRecorded(minNotice int) bool {
	return s.TelemetryDisabled != nil || (s.NoticeVersion != nil && *s.NoticeVersion >= minNotice)
}

// Store is config.json at one path. The zero value is not usable; call New.
type Store struct {
	path string
}

// New returns the store for the config file at path. The file and its
// directory need not exist yet.
func New(path string) *Store { return &Store{path: path} }

// Path returns the path of config.json.
func (s *Store) Path() string { return s.path }

// Load reads config.json. A missing file is not an error: it yields zero
// Settings and exists false.
func (s *Store) Load() (settings Settings, exists bool, err error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Settings{}, false, nil
	}
	if err != nil {
		return Settings{}, false, fmt.Errorf("cannot read %s: %w", s.path, err)
	}
	settings, err = decode(data)
	if err != nil {
		return Settings{}, true, fmt.Errorf("%s: %w", s.path, err)
	}
	return settings, true, nil
}

// Update applies fn to the current settings and writes the result, holding
// the cross-process lock from read to write. The write is skipped when fn
// leaves the settings unchanged. fn's error aborts the update and is
// returned as is. ctx bounds the wait for the lock.
func (s *Store) Update(ctx context.Context, fn func(*Settings) error) (Settings, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return Settings{}, err
	}
	defer unlock()

	cur, _, err := s.Load()
	if err != nil {
		return Settings{}, err
	}
	before, err := encode(cur)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", s.path, err)
	}
	if err := fn(&cur); err != nil {
		return Settings{}, err
	}
	after, err := encode(cur)
	if err != nil {
		return Settings{}, fmt.Errorf("cannot encode %s: %w", s.path, err)
	}
	if bytes.Equal(before, after) {
		return cur, nil
	}
	if err := atomicfile.WriteFile(s.path, after, 0o600); err != nil {
		return Settings{}, err
	}
	return cur, nil
}

// InstallID returns the install ID. When none exists yet and create is
// true, it creates a random UUID v4 and records it; racing processes agree
// on one ID. With create false and no ID recorded it returns "".
func (s *Store) InstallID(ctx context.Context, create bool) (string, error) {
	cur, _, err := s.Load()
	if err != nil {
		return "", err
	}
	if cur.TelemetryID != "" || !create {
		return cur.TelemetryID, nil
	}
	cur, err = s.Update(ctx, func(st *Settings) error {
		if st.TelemetryID == "" {
			st.TelemetryID = uuid.NewString()
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return cur.TelemetryID, nil
}

// lock takes the cross-process write lock, a file beside config.json,
// creating the directory (mode 0700) when needed.
func (s *Store) lock(ctx context.Context) (func(), error) {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the config directory %s: %w", dir, err)
	}
	l := flock.New(s.path + ".lock")
	ok, err := l.TryLockContext(ctx, lockRetry)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s for writing: %w", s.path, err)
	}
	if !ok {
		return nil, fmt.Errorf("cannot lock %s for writing: %w", s.path, ctx.Err())
	}
	return func() { _ = l.Unlock() }, nil
}

// decode parses config.json, checking the types of Elmo's keys. A key
// that appears twice in one object makes the file malformed: readers
// disagree on which of the two values counts (encoding/json takes the
// last, others the first), so neither can be trusted to say what the
// person chose.
func decode(data []byte) (Settings, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Settings{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw == nil {
		return Settings{}, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if err := checkDuplicateKeys(data); err != nil {
		return Settings{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var s Settings
	for key, val := range raw {
		var err error
		switch key {
		case keyTelemetryID:
			err = json.Unmarshal(val, &s.TelemetryID)
			if err == nil && s.TelemetryID != "" {
				if _, perr := uuid.Parse(s.TelemetryID); perr != nil {
					err = fmt.Errorf("not a UUID")
				}
			}
		case keyTelemetryDisabled:
			var b *bool
			if err = json.Unmarshal(val, &b); err == nil {
				s.TelemetryDisabled = b
			}
		case keyNoticeVersion:
			var n *int
			if err = json.Unmarshal(val, &n); err == nil {
				s.NoticeVersion = n
			}
		default:
			if s.other == nil {
				s.other = make(map[string]json.RawMessage)
			}
			s.other[key] = val
			continue
		}
		if err != nil {
			return Settings{}, fmt.Errorf("%w: key %q: %v", ErrMalformed, key, err)
		}
	}
	return s, nil
}

// checkDuplicateKeys walks the JSON value in data, which is known to be
// well formed, and returns an error naming the first key that appears
// twice in one object, at any depth.
func checkDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkValue(dec, "")
}

// walkValue reads one value from dec; path names it in errors.
func walkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := make(map[string]bool)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := tok.(string)
			keyPath := key
			if path != "" {
				keyPath = path + "." + key
			}
			if seen[key] {
				return fmt.Errorf("key %q appears more than once", keyPath)
			}
			seen[key] = true
			if err := walkValue(dec, keyPath); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

// encode renders settings as indented JSON with a trailing newline.
func encode(s Settings) ([]byte, error) {
	out := make(map[string]any, len(s.other)+3)
	for k, v := range s.other {
		out[k] = v
	}
	if s.TelemetryID != "" {
		out[keyTelemetryID] = s.TelemetryID
	}
	if s.TelemetryDisabled != nil {
		out[keyTelemetryDisabled] = *s.TelemetryDisabled
	}
	if s.NoticeVersion != nil {
		out[keyNoticeVersion] = *s.NoticeVersion
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// SetTelemetryDisabled records the user's explicit choice.
func (s *Store) SetTelemetryDisabled(ctx context.Context, disabled bool) (Settings, error) {
	return s.Update(ctx, func(st *Settings) error {
		st.TelemetryDisabled = &disabled
		return nil
	})
}

// RecordNotice records that the first-run notice of the given version was
// shown.
func (s *Store) RecordNotice(ctx context.Context, version int) (Settings, error) {
	return s.Update(ctx, func(st *Settings) error {
		st.NoticeVersion = &version
		return nil
	})
}
