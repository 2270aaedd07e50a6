package catalog

import (
	"fmt"
	"strings"
)

// Rule is a named value rule: it says what a string value of a property
// without enumerated values is sent as, or that it is dropped. Rules are
// written without regular expressions, so that checking a value costs
// nothing at start-up.
type Rule int

const (
	// RuleNone is no rule: a string property with neither values nor a
	// rule allows nothing, so its values are always dropped.
	RuleNone Rule = iota
	// RuleModelName sends a model name as its public name, "fine-tuned" or
	// "other" ([NormalizeModel]); it never drops the value.
	RuleModelName
	// RuleVersion allows a release version such as 1.4.2, v2.0.0-rc.1 or a
	// Go pseudo-version, or "dev" for a development build; anything else is
	// dropped.
	RuleVersion
	// RuleRandomUUID allows a random (version 4) UUID in canonical
	// lower-case form; anything else is dropped.
	RuleRandomUUID
	// RuleGoVersion allows a Go release such as go1.26.8 or go1.27rc1, or
	// "devel"; anything else is dropped.
	RuleGoVersion
)

// Rules returns every rule but RuleNone, in a stable order.
func Rules() []Rule { return []Rule{RuleModelName, RuleVersion, RuleRandomUUID, RuleGoVersion} }

// String returns the rule's name as the catalog shows it, such as
// "model-name".
func (r Rule) String() string {
	switch r {
	case RuleNone:
		return "none"
	case RuleModelName:
		return "model-name"
	case RuleVersion:
		return "version"
	case RuleRandomUUID:
		return "random-uuid"
	case RuleGoVersion:
		return "go-version"
	default:
		return fmt.Sprintf("Rule(%d)", int(r))
	}
}

// Description says, in a sentence or two, what the rule sends.
func (r Rule) Description() string {
	switch r {
	case RuleModelName:
		return ModelRuleDescription
	case RuleVersion:
		return "A release version (1.4.2, v2.0.0-rc.1, a Go pseudo-version) or dev; any other value is not sent."
	case RuleRandomUUID:
		return "A random UUID (version 4), never derived from the machine or the person; any other value is not sent."
	case RuleGoVersion:
		return "A Go release such as go1.26.8, or devel; any other value is not sent."
	default:
		return "No value is allowed."
	}
}

// Apply returns what s is sent as under r, or ok false when s must be
// dropped with its key.
func (r Rule) Apply(s string) (out string, ok bool) {
	switch r {
	case RuleModelName:
		return NormalizeModel(s), true
	case RuleVersion:
		return s, IsVersion(s)
	case RuleRandomUUID:
		return s, IsRandomUUID(s)
	case RuleGoVersion:
		return s, IsGoVersion(s)
	default:
		return "", false
	}
}

// MaxVersionLen is the longest version [IsVersion] accepts, in bytes.
const MaxVersionLen = 64

// DevVersion is the version of a development build.
const DevVersion = "dev"

// prereleaseWords are the words a pre-release part of a version may use.
var prereleaseWords = []string{"alpha", "beta", "rc", "dev", "pre", "preview", "next", "snapshot", "nightly"}

// IsVersion reports whether s is a release version: an optional "v",
// one to four dot-separated numbers, then optionally "-" and a
// pre-release made of dot-separated numbers and the words alpha, beta,
// rc, dev, pre, preview, next, snapshot and nightly (each may end in
// digits), or the date and 12-hex-digit commit of a Go pseudo-version,
// and optionally "+dirty" or "+incompatible". "dev" is a version too.
// Nothing a user could type to name themselves passes.
func IsVersion(s string) bool {
	if s == DevVersion {
		return true
	}
	if len(s) == 0 || len(s) > MaxVersionLen {
		return false
	}
	s, meta, hasMeta := strings.Cut(s, "+")
	if hasMeta && meta != "dirty" && meta != "incompatible" {
		return false
	}
	s = strings.TrimPrefix(s, "v")
	core, pre, hasPre := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if !digits(p) {
			return false
		}
	}
	if !hasPre {
		return true
	}
	// A Go pseudo-version ends in -yyyymmddhhmmss-abcdef123456, after an
	// optional pre-release and ".0." or "0.".
	fields := strings.Split(pre, "-")
	if n := len(fields); n >= 2 && isHex(fields[n-1], 12) && len(fields[n-2]) >= 14 {
		stamp := fields[n-2]
		stamp = stamp[len(stamp)-14:]
		if digits(stamp) {
			fields = append(fields[:n-2:n-2], strings.TrimSuffix(strings.TrimSuffix(fields[n-2], stamp), "."))
			if fields[len(fields)-1] == "" || fields[len(fields)-1] == "0" {
				fields = fields[:len(fields)-1]
			}
		}
	}
	for _, f := range fields {
		for _, id := range strings.Split(f, ".") {
			if !digits(id) && !prereleaseWord(id) {
				return false
			}
		}
	}
	return true
}

// prereleaseWord reports whether s is a pre-release word, optionally
// followed by digits, such as "rc1".
func prereleaseWord(s string) bool {
	w := strings.TrimRight(s, "0123456789")
	for _, p := range prereleaseWords {
		if w == p {
			return true
		}
	}
	return false
}

// IsGoVersion reports whether s is a Go release as runtime.Version
// reports it for a released toolchain: "go" then one to three
// dot-separated numbers, optionally followed by rc or beta and a number,
// such as go1.26.8 or go1.27rc1, or "devel" for a development
// toolchain.
func IsGoVersion(s string) bool {
	if s == "devel" {
		return true
	}
	rest, ok := strings.CutPrefix(s, "go")
	if !ok || len(s) > 32 {
		return false
	}
	for _, tag := range []string{"rc", "beta"} {
		if i := strings.Index(rest, tag); i > 0 {
			if !digits(rest[i+len(tag):]) {
				return false
			}
			rest = rest[:i]
			break
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if !digits(p) {
			return false
		}
	}
	return true
}

// IsRandomUUID reports whether s is a version 4 UUID of the RFC 9562
// variant in canonical lower-case form, such as
// "5f0c6a4e-2b8f-4a51-9d5e-0d2a6f3c9b10". Other versions are refused:
// version 1 and 6 UUIDs embed a network card's address.
func IsRandomUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	if s[14] != '4' {
		return false
	}
	switch s[19] {
	case '8', '9', 'a', 'b':
		return true
	}
	return false
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isHex reports whether s is n lower-case hexadecimal digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
