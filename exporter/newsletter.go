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
	// Email is the address the person typed. It is required.
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
// and $set: {email, wants_updates}, nothing else of Elmo's. It is never
// passed to the undelivered hook: an address is not kept on disk for a
// later run.
func NewsletterSignup(ctx context.Context, c *Client, s Signup) error {
	if c == nil {
		return errors.New("newsletter signup: no client")
	}
	email, err := checkEmail(s.Email)
	if err != nil {
		return err
	}
	distinctID := s.InstallID
	if distinctID == "" {
		distinctID = email
	}
	props := map[string]any{
		"$set": map[string]any{
			"email":         email,
			"wants_updates": s.WantsUpdates,
		},
	}
	if s.Source != "" {
		props["source"] = s.Source
	}
	ev := Event{
		UUID:       uuid.NewString(),
		Event:      catalog.EventNewsletterSignup,
		DistinctID: distinctID,
		Timestamp:  time.Now().UTC(),
		Properties: props,
	}
	if c.debug != nil {
		return c.enqueue(ev, nil, true)
	}

	done := make(chan error, 1)
	if err := c.enqueue(ev, done, true); err != nil {
		return fmt.Errorf("newsletter signup: %w", err)
	}
	flushErr := c.Flush(ctx)
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("newsletter signup was not delivered: %w", err)
		}
		return nil
	default:
	}
	if flushErr == nil {
		flushErr = ctx.Err()
	}
	return fmt.Errorf("newsletter signup was not delivered: %w", flushErr)
}

// checkEmail returns the trimmed address, or an error a person can act on.
func checkEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("newsletter signup: an email address is required")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", fmt.Errorf("newsletter signup: %q is not an email address like name@example.com", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") {
		return "", fmt.Errorf("newsletter signup: %q is not an email address like name@example.com", s)
	}
	return s, nil
}
