package configfile

import "encoding/json"

// SetOtherForTest sets a key Elmo does not own, for tests that check
// that concurrent writers lose no update.
func SetOtherForTest(s *Settings, key string, val json.RawMessage) error {
	if s.other == nil {
		s.other = make(map[string]json.RawMessage)
	}
	s.other[key] = val
	return nil
}
