package processors

import (
	"strings"
	"unicode/utf8"
)

// MaxValueLen is the longest string value that leaves the process, in
// bytes. [Scrub] truncates longer strings at a rune boundary.
const MaxValueLen = 200

// minSecretRun is the length from which a run of hex or base64 characters
// is taken for a secret.
const minSecretRun = 32

// Scrub checks a string value that survived the key allowlist, as defence
// in depth against instrumentation mistakes. It drops (ok is false) a value
// that looks like, or contains anywhere:
//
//   - a URL with a host ("https://db.example.com", "www.example.com");
//   - an email address ("name@example.com");
//   - a file path: any "/" or "\" (Unix, "C:\", UNC "\\server", "./",
//     "../"), a "~" ("~/", "~user"), or a dot file (".env");
//   - a credential: a run of 32 or more hex digits; a run of 32 or more
//     base64 or base64url characters mixing letters and digits; a token
//     starting with a known key prefix ("sk-", "sk-ant-", "phc_", "phx_",
//     "ghp_", "gsk_", "xoxb-", a JWT "eyJ…", and others); an AWS access
//     key ID ("AKIA…"); "Bearer …"; words such as "password", "secret",
//     "api_key" or a PEM header;
//   - a host name or address: a dotted name whose last label is alphabetic
//     ("db.internal.example.com", "my-mac.local", also file names such as
//     "config.json"), an IPv4 address, an IPv6 address.
//
// It keeps ordinary values such as "embedded", "rate_limited",
// "gpt-4o-mini", "claude-3.5-sonnet", "llama3.1:8b", "1.2.3",
// "v0.4.0-rc.1", "go1.26.8", "darwin", "amd64" and UUIDs. A kept value is
// returned truncated to [MaxValueLen] bytes; why is [ReasonNone]. A dropped
// value returns "", the reason, and false.
//
// Scrub does not allocate and uses no regular expressions.
func Scrub(s string) (out string, why Reason, ok bool) {
	if r := classify(s); r != ReasonNone {
		return "", r, false
	}
	return truncate(s, MaxValueLen), ReasonNone, true
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// Character classes for classify.
const (
	cLower = 1 << iota // a-z
	cUpper             // A-Z
	cDigit             // 0-9
	cHex               // 0-9 a-f A-F
	cB64               // base64 and base64url alphabet except "/": A-Z a-z 0-9 + = _ -
	cHost              // host name characters (lenient): A-Z a-z 0-9 . _ -
	cLocal             // characters next to "@" in an address: A-Z a-z 0-9 . _ % + -
)

var classes = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cLower | cB64 | cHost | cLocal
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cUpper | cB64 | cHost | cLocal
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit | cHex | cB64 | cHost | cLocal
	}
	for _, c := range "abcdefABCDEF" {
		t[c] |= cHex
	}
	for _, c := range "+=_-" {
		t[c] |= cB64
	}
	for _, c := range "._-" {
		t[c] |= cHost
	}
	for _, c := range "._%+-" {
		t[c] |= cLocal
	}
	return t
}()

// Features of single bytes that call for a closer look.
const (
	fPath  = 1 << iota // "/", "\\", "~"
	fAt                // "@"
	fColon             // ":"
	fDot               // "."
)

var features = [256]uint8{'/': fPath, '\\': fPath, '~': fPath, '@': fAt, ':': fColon, '.': fDot}

// minKeyword is the length of the shortest value the credential checks
// can flag ("secret", "passwd", "Bearer x").
const minKeyword = 6

// classify returns why s must be dropped, or ReasonNone. One cheap pass
// finds the bytes that matter; the closer checks run only when they can
// match.
func classify(s string) Reason {
	var feat uint8
	for i := 0; i < len(s); i++ {
		feat |= features[s[i]]
	}
	// URLs and addresses first, so that their parts are not reported as
	// something else.
	if feat&fColon != 0 {
		if i := strings.Index(s, "://"); i > 0 && i+3 < len(s) && s[i+3] != '/' {
			return ReasonURL
		}
	}
	if feat&fAt != 0 {
		for at := strings.IndexByte(s, '@'); at >= 0; {
			if at > 0 && at+1 < len(s) && classes[s[at-1]]&cLocal != 0 && classes[s[at+1]]&cLocal != 0 {
				return ReasonEmail
			}
			next := strings.IndexByte(s[at+1:], '@')
			if next < 0 {
				break
			}
			at += 1 + next
		}
	}
	if feat&fPath != 0 {
		return ReasonPath
	}
	if feat&fColon != 0 && ipv6(s) {
		return ReasonHostname
	}
	if len(s) >= minKeyword && credential(s) {
		return ReasonCredential
	}
	if feat&fDot != 0 {
		return hostnames(s)
	}
	return ReasonNone
}

// ipv6 reports whether s holds "::" or a run of hex digits and at least
// four colons, as IPv6 addresses do.
func ipv6(s string) bool {
	if strings.Contains(s, "::") {
		return true
	}
	for i := strings.IndexByte(s, ':'); i >= 0 && i < len(s); {
		if ipv6Run(s, i) {
			return true
		}
		next := strings.IndexByte(s[i+1:], ':')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// credential reports whether s holds something that looks like a key,
// token or secret.
func credential(s string) bool {
	var (
		hexRun   int
		b64Start = -1
		b64Class uint8
		b64Sep   bool
	)
	for i := 0; i <= len(s); i++ {
		var c byte
		var cl uint8
		if i < len(s) {
			c = s[i]
			cl = classes[c]
		}
		if cl&cHex != 0 {
			hexRun++
			if hexRun >= minSecretRun {
				return true
			}
		} else {
			hexRun = 0
		}
		if cl&cB64 != 0 {
			if b64Start < 0 {
				b64Start, b64Class, b64Sep = i, 0, false
			}
			b64Class |= cl
			if c == '-' || c == '_' {
				b64Sep = true
			}
		} else if b64Start >= 0 {
			if secretRun(s[b64Start:i], b64Class, b64Sep) {
				return true
			}
			b64Start = -1
		}
		if i == len(s) {
			break
		}
		switch c | 0x20 { // lower-case letters; "-" is unchanged
		case 'a', 'b', 'p', 's', 'r', '-':
			if len(s)-i >= minKeyword && keyword(s[i:]) {
				return true
			}
			if c == 'A' && awsKeyID(s[i:]) {
				return true
			}
		}
	}
	return false
}

// hostnames classifies each run of host-name characters of s.
func hostnames(s string) Reason {
	from := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && classes[s[i]]&cHost != 0 {
			if from < 0 {
				from = i
			}
			continue
		}
		if from >= 0 {
			if r := hostToken(s[from:i]); r != ReasonNone {
				return r
			}
			from = -1
		}
	}
	return ReasonNone
}

// secretRun reports whether a run of base64 characters is a secret: a key
// with a known prefix, a JWT segment, or a long run mixing letters and
// digits. cls holds the classes and digit classes seen in the run; sep
// says whether it holds "-" or "_".
func secretRun(run string, cls uint8, sep bool) bool {
	if len(run) >= minSecretRun {
		const all = cLower | cUpper | cDigit
		if cls&all == all {
			return true
		}
		// A solid run of digits and one case of letters, without the
		// separators that model names and UUIDs have.
		if !sep && cls&cDigit != 0 && cls&(cLower|cUpper) != 0 {
			return true
		}
	}
	// Key prefixes, at the start of the run or after a separator inside it
	// ("api-key=sk-...").
	for i := 0; i < len(run); i++ {
		if i == 0 || run[i-1] == '-' || run[i-1] == '_' || run[i-1] == '=' || run[i-1] == '+' {
			if keyPrefix(run[i:]) {
				return true
			}
		}
	}
	return false
}

// keyPrefixes lists the prefixes of known kinds of keys and tokens, by
// their first byte.
var keyPrefixes = [256][]string{
	's': {"sk-", "sk_live_", "sk_test_", "shpat_"},
	'r': {"rk_live_", "r8_"},
	'p': {"phc_", "phx_", "pplx-", "pypi-"},
	'g': {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gsk_"},
	'x': {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xapp-", "xai-"},
	'h': {"hf_"},
	'n': {"npm_"},
	'd': {"dop_v1_"},
	'A': {"AIza"},
}

// keyPrefix reports whether t starts with the prefix of a known kind of
// key or token, followed by enough of a key to be one.
func keyPrefix(t string) bool {
	if len(t) < 3 {
		return false
	}
	if t[0] == 'e' {
		// A JWT: base64url of a JSON object; `{"` encodes as "eyJ".
		return len(t) >= 10 && t[1] == 'y' && t[2] == 'J'
	}
	for _, p := range keyPrefixes[t[0]] {
		if len(t) >= len(p) && t[:len(p)] == p && keyTail(t[len(p):]) {
			return true
		}
	}
	return false
}

// keyTail reports whether what follows a key prefix looks like key
// material: at least 8 characters, with a digit or an upper-case letter.
func keyTail(t string) bool {
	if len(t) < 8 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if classes[t[i]]&(cDigit|cUpper) != 0 {
			return true
		}
	}
	return false
}

// awsKeyID reports whether t starts with an AWS access key ID: a known
// four-letter prefix and 16 upper-case letters or digits.
func awsKeyID(t string) bool {
	if len(t) < 20 {
		return false
	}
	switch t[:4] {
	case "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA":
	default:
		return false
	}
	for i := 4; i < 20; i++ {
		if classes[t[i]]&(cUpper|cDigit) == 0 {
			return false
		}
	}
	return true
}

// keywords lists words that announce a secret, matched case-insensitively,
// by their first byte.
var keywords = [256][]string{
	'p': {"password", "passwd", "private_key", "private-key"},
	's': {"secret"},
	'a': {"api_key", "apikey", "api-key", "access_token", "authorization"},
	'r': {"refresh_token"},
	'-': {"-----begin"},
}

// keyword reports whether t starts with a word that announces a secret,
// or with "Bearer " and a token.
func keyword(t string) bool {
	c := t[0] | 0x20
	if c == 'b' {
		return hasPrefixFold(t, "bearer ") && len(t) > 7 && classes[t[7]]&cB64 != 0
	}
	for _, k := range keywords[c] {
		if hasPrefixFold(t, k) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case;
// prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// ipv6Run reports whether the run of hex digits and colons from s[i] (a
// colon) holds at least four colons, as an IPv6 address does.
func ipv6Run(s string, i int) bool {
	colons := 0
	for ; i < len(s); i++ {
		switch {
		case s[i] == ':':
			colons++
			if colons >= 4 {
				return true
			}
		case classes[s[i]]&cHex != 0:
		default:
			return false
		}
	}
	return false
}

// hostToken classifies a run of host-name characters: a dotted name whose
// last label is alphabetic is a host name (or a file name, which is just as
// private), "www." starts a URL, a leading dot is a dot file, and four
// numbers are an IPv4 address.
func hostToken(t string) Reason {
	for len(t) > 0 && t[len(t)-1] == '.' {
		t = t[:len(t)-1]
	}
	dot := -1
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return ReasonNone
	}
	if hasPrefixFold(t, "www.") {
		return ReasonURL
	}
	if tld := t[dot+1:]; len(tld) >= 2 && allLetters(tld) {
		if t[0] == '.' {
			return ReasonPath
		}
		return ReasonHostname
	}
	if ipv4(t) {
		return ReasonHostname
	}
	return ReasonNone
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if classes[s[i]]&(cLower|cUpper) == 0 {
			return false
		}
	}
	return true
}

// ipv4 reports whether t is four dot-separated numbers of one to three
// digits.
func ipv4(t string) bool {
	labels, digits := 0, 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '.' {
			if digits == 0 || digits > 3 {
				return false
			}
			labels++
			digits = 0
			continue
		}
		if classes[t[i]]&cDigit == 0 {
			return false
		}
		digits++
	}
	return labels == 4
}
