package exporter

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultHost is the PostHog capture host used when WithHost is not given.
const DefaultHost = "https://us.i.posthog.com"

const (
	defaultBatchSize     = 100
	defaultMaxRetries    = 4
	defaultUploadTimeout = time.Minute
	defaultMaxUploads    = 2
)

type config struct {
	host          string
	apiKey        string
	batchSize     int
	maxRetries    int
	uploadTimeout time.Duration
	maxUploads    int
	transport     http.RoundTripper
	record        func([]Sent, []Drop)
	debug         io.Writer
	logger        *slog.Logger

	capture             CaptureAPI
	gzipMin             int // the smallest body compressed; -1: never
	historicalMigration bool
}

// CaptureAPI selects which of PostHog's capture APIs a Client sends to.
type CaptureAPI int

const (
	// CaptureLegacy is the batch endpoint, POST /batch/, with the API key in
	// the body; the server accepts or refuses a batch as a whole. It is the
	// default, as it is PostHog's Go client's: every PostHog host, cloud or
	// self-hosted, serves it.
	CaptureLegacy CaptureAPI = iota
	// CaptureV1 is PostHog's newer capture API, POST /i/v1/analytics/events,
	// with Bearer authentication and a result for each event: only events
	// the server asks to retry are sent again, under the same request ID.
	CaptureV1
)

// String returns "legacy" or "v1".
func (a CaptureAPI) String() string {
	switch a {
	case CaptureLegacy:
		return "legacy"
	case CaptureV1:
		return "v1"
	}
	return fmt.Sprintf("CaptureAPI(%d)", int(a))
}

// ParseCaptureAPI parses "legacy" or "v1", as ELMO_POSTHOG_CAPTURE holds
// them. An empty string is CaptureLegacy.
func ParseCaptureAPI(s string) (CaptureAPI, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "legacy":
		return CaptureLegacy, nil
	case "v1":
		return CaptureV1, nil
	}
	return 0, fmt.Errorf("posthog exporter: capture API %q is neither legacy nor v1", s)
}

// Option configures a Client.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithHost sets the PostHog host events are sent to, such as
// https://eu.i.posthog.com. The default is DefaultHost.
func WithHost(host string) Option {
	return optionFunc(func(c config) config {
		c.host = host
		return c
	})
}

// WithAPIKey sets the PostHog project API key. It is required unless
// WithDebug is given.
func WithAPIKey(key string) Option {
	return optionFunc(func(c config) config {
		c.apiKey = key
		return c
	})
}

// WithBatchSize sets how many events are sent in one request at most. The
// default is 100. Batches are also split to stay under the capture API's
// size limit.
func WithBatchSize(n int) Option {
	return optionFunc(func(c config) config {
		c.batchSize = n
		return c
	})
}

// WithMaxRetries sets how many times a request is sent again after a
// network error, a 5xx, a 408 or a 429, within the context of Send. It
// must be between 0 and 9; the default is 4. A caller that retries on its
// own, such as an OpenTelemetry Collector exporter behind exporterhelper,
// sets 0, so that one retry loop decides.
func WithMaxRetries(n int) Option {
	return optionFunc(func(c config) config {
		c.maxRetries = n
		return c
	})
}

// WithMaxUploads bounds how many requests one Send has open at once; the
// other batches of the call wait for a slot, holding no connection. The
// default is 2.
func WithMaxUploads(n int) Option {
	return optionFunc(func(c config) config {
		c.maxUploads = n
		return c
	})
}

// WithTransport sets the HTTP transport requests go through. The default is
// a clone of http.DefaultTransport. Retries are added on top of it.
func WithTransport(rt http.RoundTripper) Option {
	return optionFunc(func(c config) config {
		c.transport = rt
		return c
	})
}

// WithDebug makes the Client write each event to w as one line of JSON,
// exactly as it would be sent, and send nothing. The drop notes of a span
// or data point (processors.WithDropNotes) follow its event, one line
// each starting with NotePrefix.
func WithDebug(w io.Writer) Option {
	return optionFunc(func(c config) config {
		c.debug = w
		return c
	})
}

// WithLogger sets where the Client logs transport problems.
// The default discards them: telemetry must not clutter a user's terminal.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c config) config {
		c.logger = l
		return c
	})
}

// WithCaptureAPI selects the capture API events are sent to. The default
// is CaptureLegacy.
func WithCaptureAPI(api CaptureAPI) Option {
	return optionFunc(func(c config) config {
		c.capture = api
		return c
	})
}

// WithCompression sets whether every request body is gzip-compressed
// (true) or none is (false). The default compresses a body of 4 KiB or
// more and sends a smaller one as it is, since gzip saves little on it
// and costs a short-lived CLI run more time than sending it.
func WithCompression(on bool) Option {
	return optionFunc(func(c config) config {
		c.gzipMin = -1
		if on {
			c.gzipMin = 0
		}
		return c
	})
}

// WithHistoricalMigration marks every batch as a historical import, which
// PostHog ingests apart from live events. The default is false.
func WithHistoricalMigration(on bool) Option {
	return optionFunc(func(c config) config {
		c.historicalMigration = on
		return c
	})
}

func newConfig(opts []Option) config {
	c := config{
		gzipMin:       gzipMinSize,
		host:          DefaultHost,
		batchSize:     defaultBatchSize,
		maxRetries:    defaultMaxRetries,
		uploadTimeout: defaultUploadTimeout,
		maxUploads:    defaultMaxUploads,
	}
	for _, o := range opts {
		c = o.apply(c)
	}
	c.host = strings.TrimRight(c.host, "/")
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.transport == nil {
		c.transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	return c
}

func (c config) validate() error {
	var errs []error
	if c.debug == nil && c.apiKey == "" {
		errs = append(errs, errors.New("an API key is required (WithAPIKey) unless debug output is on"))
	}
	if u, err := url.Parse(c.host); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("host %q is not an http or https URL", c.host))
	}
	if c.batchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size %d is not positive", c.batchSize))
	}
	if c.maxUploads < 1 {
		errs = append(errs, fmt.Errorf("max uploads %d is not positive", c.maxUploads))
	}
	if c.capture != CaptureLegacy && c.capture != CaptureV1 {
		errs = append(errs, fmt.Errorf("capture API %d is neither CaptureLegacy nor CaptureV1", int(c.capture)))
	}
	if c.maxRetries < 0 || c.maxRetries > 9 {
		errs = append(errs, fmt.Errorf("max retries %d is outside 0 to 9", c.maxRetries))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("posthog exporter: %w", err)
	}
	return nil
}
