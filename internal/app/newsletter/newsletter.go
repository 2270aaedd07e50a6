// Package newsletter signs a person up for Elmo's product updates: the
// newsletter_signup event, the one event sent even with telemetry off,
// because typing an email is explicit intent.
//
// The event goes out on its own, through a PostHog client made for it
// (otelsetup's Telemetry.NewPostHogClient), never through the telemetry
// pipeline: it is not gated, spooled or recorded in the telemetry log, so
// the address is written nowhere. With telemetry on it is keyed by the
// install ID; off, by the email itself, and the install ID is not sent.
package newsletter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/otelsetup"
)

// Budget bounds a signup on its own: SignUp waits at most this long for
// PostHog to acknowledge it, whatever the network does.
const Budget = 3 * time.Second

// SignUp sends exactly one newsletter_signup event for email, with source
// cli_init, and waits until PostHog acknowledges it, ctx ends or Budget
// runs out. It is keyed by tel's install ID when telemetry is on, and by
// the email when it is off. With ELMO_TELEMETRY_DEBUG the event is printed
// on stderr and nothing is sent; without a PostHog project key it returns
// an error wrapping otelsetup.ErrNoPostHogKey.
func SignUp(ctx context.Context, tel *otelsetup.Telemetry, email string, wantsUpdates bool) error {
	if err := CheckEmail(email); err != nil {
		return fmt.Errorf("newsletter signup: %w", err)
	}
	c, err := tel.NewPostHogClient()
	if err != nil {
		return fmt.Errorf("newsletter signup: %w", err)
	}
	s := signup{Email: email, WantsUpdates: wantsUpdates, Source: catalog.SourceCLIInit}
	if tel.Enabled() {
		s.InstallID = tel.InstallID()
	}
	sctx, cancel := context.WithTimeout(ctx, Budget)
	defer cancel()
	err = send(sctx, c, s)
	if err != nil && sctx.Err() != nil && ctx.Err() == nil {
		// The budget running out is not an interruption: say so without
		// the context's error.
		err = fmt.Errorf("newsletter signup: PostHog did not acknowledge it within %v", Budget)
	}
	// Nothing is left to deliver: the signup was acknowledged or is
	// given up, never kept.
	_ = c.Shutdown(sctx)
	return err
}

// signup is one request to receive product updates.
type signup struct {
	// Email is the address the person typed; it must pass CheckEmail.
	Email string
	// WantsUpdates records the answer to the product-updates question.
	WantsUpdates bool
	// Source says where the signup happened, such as "cli_init".
	Source string
	// InstallID is the install ID when telemetry is on, and empty when it
	// is off.
	InstallID string
}

// send sends s as exactly one newsletter_signup event through c, and
// waits until PostHog acknowledges it or ctx ends.
//
// With an install ID, the event belongs to the install and the email is set
// on that person. Without one, the event belongs to the email itself and
// nothing in the request links it to an install. The event carries source
// and $set: {email, wants_updates}, nothing else of Elmo's. Client.Send
// never passes it to the undelivered hook: an address is not kept on disk
// for a later run.
func send(ctx context.Context, c *exporter.Client, s signup) error {
	if err := CheckEmail(s.Email); err != nil {
		return fmt.Errorf("newsletter signup: %w", err)
	}
	props := map[string]any{
		catalog.PropSet: map[string]any{
			catalog.PersonEmail:        s.Email,
			catalog.PersonWantsUpdates: s.WantsUpdates,
		},
	}
	if s.Source != "" {
		props[string(catalog.KeySource)] = s.Source
	}
	ev := exporter.Event{
		UUID:       uuid.NewString(),
		Event:      catalog.EventNewsletterSignup,
		DistinctID: cmp.Or(s.InstallID, s.Email),
		Timestamp:  time.Now().UTC(),
		Properties: props,
	}
	err := c.Send(ctx, ev)
	var se *exporter.SendError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exporter.ErrRejected):
		return fmt.Errorf("newsletter signup: PostHog refused it: %w", err)
	case errors.As(err, &se):
		err = se.Err // why: the last delivery error, or the context's
	}
	return fmt.Errorf("newsletter signup was not delivered: %w", err)
}

// ErrInvalidEmail is wrapped by the errors of CheckEmail, and so of
// SignUp, for an address that is missing or not one.
var ErrInvalidEmail = errors.New("not an email address, such as name@example.com")

// CheckEmail reports whether s is a bare email address, the only form
// SignUp sends: a local part, "@" and a dotted domain, at most 254 bytes,
// with no display name, angle brackets, quotes, comments, white space
// (surrounding white space included) or list separators. It returns nil
// for such an address and an error wrapping ErrInvalidEmail otherwise. A
// caller that asks a person for an address checks it with CheckEmail
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
