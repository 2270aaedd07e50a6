package newsletter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/elmohq/telemetry/internal/app/newsletter"
)

// CheckEmail accepts what both of its callers accepted before they
// shared it and rejects what either rejected: the CLI's questions and
// flags, and the signup itself.
func TestCheckEmail(t *testing.T) {
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"ada@example.com", true},
		{"a@b.example", true},
		{"first.last+tag@sub.example.co.uk", true},
		{"", false},
		{"ada", false},
		{"ada@", false},
		{"@example.com", false},
		{"ada@localhost", false},
		{"ada@.example.com", false},
		{"ada@example.com.", false},
		{"Ada <ada@example.com>", false},
		{"<ada@example.com>", false},
		{"a b@example.com", false},
		{" ada@example.com", false},
		{"ada@example.com\n", false},
		{"ada@example.com, bob@example.com", false},
		{"ada@example.com;bob@example.com", false},
		{`"ada"@example.com`, false},
		{"ada@example.com (Ada)", false},
		{strings.Repeat("a", 250) + "@example.com", false},
	} {
		t.Run(tc.email, func(t *testing.T) {
			err := newsletter.CheckEmail(tc.email)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckEmail(%q) = %v, want ok %v", tc.email, err, tc.ok)
			}
			if err != nil && !errors.Is(err, newsletter.ErrInvalidEmail) {
				t.Errorf("CheckEmail(%q) = %v, which does not wrap ErrInvalidEmail", tc.email, err)
			}
		})
	}
}
