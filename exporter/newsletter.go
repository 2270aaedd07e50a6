package exporter

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/catalog"
)

// Signup is a request to receive product updates.
type Signup struct {
	// Email is the address the person typed. It is required, and must
	// pass CheckEmail.
	Email string
	// WantsUpdates records the person's answer to the product-updates
	// question.
	WantsUpdates bool
	// Source says where the signup happened, such as "cli_init".
	Source string
	// InstallID is the install ID when telemetry is on, and must be empty
	// when it is off.
	InstallID string
}

// NewsletterSignup sends exactly one newsletter_signup event through c and
// waits until PostHog acknowledges it or ctx ends.
//
// With an install ID, the event belongs to the install and the email is set
// on that person. Without one, the event belongs to the email itself and
// nothing in the request links it to an install. The event carries source
// and $set: {email, wants_updates}, nothing else of Elmo's. What is not
// delivered is returned in the error and never kept: an address is not
// kept on disk for a later run.
func NewsletterSignup(ctx context.Context, c *Client, s Signup) error {
	if c == nil {
		return errors.New("newsletter signup: no client")
	}
	email := s.Email
	if err := CheckEmail(email); err != nil {
		return fmt.Errorf("newsletter signup: %w", err)
	}
	distinctID := s.InstallID
	if distinctID == "" {
		distinctID = email
	}
	props := map[string]any{
		catalog.PropSet: map[string]any{
			catalog.PersonEmail:        email,
			catalog.PersonWantsUpdates: s.WantsUpdates,
		},
	}
	if s.Source != "" {
		props[string(catalog.KeySource)] = s.Source
	}
	ev := Event{
		UUID:       uuid.NewString(),
		Event:      catalog.EventNewsletterSignup,
		DistinctID: distinctID,
		Timestamp:  time.Now().UTC(),
		Properties: props,
	}
	if err := c.Send(ctx, ev); err != nil {
		return fmt.Errorf("newsletter signup was not delivered: %w", err)
	}
	return nil
}

// ErrInvalidEmail is wrapped by the errors of CheckEmail, and so of
// NewsletterSignup, for an address that is missing or not one.
var ErrInvalidEmail = errors.New("not an email address, such as name@example.com")

// CheckEmail reports whether s is a bare email address, the only form
// NewsletterSignup sends: a local part, "@" and a dotted domain, at most
// 254 bytes, with no display name, angle brackets, quotes, comments, white
// space (surrounding white space included) or list separators. It returns
// nil for such an address and an error wrapping ErrInvalidEmail otherwise.
// A caller that asks a person for an address checks it with CheckEmail
// before it signs them up.
func CheckEmail(s string) error {
	if s == "" {
		return fmt.Errorf("an email address is required: %w", ErrInvalidEmail)
	}
	invalid := fmt.Errorf("%q is %w", s, ErrInvalidEmail)
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>\"(),;") {
		return invalid
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return invalid
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return invalid
	}
	return nil
}
