package processors

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Reason says why something was dropped. The zero value, ReasonNone, means
// nothing was.
type Reason uint8

const (
	// ReasonNone means the value was kept.
	ReasonNone Reason = iota
	// ReasonKeyNotAllowed is an attribute whose key the event may not carry.
	ReasonKeyNotAllowed
	// ReasonWrongType is an attribute whose value has the wrong type.
	ReasonWrongType
	// ReasonNotInEnum is a string (or slice element) outside the values the
	// catalog enumerates for its key.
	ReasonNotInEnum
	// ReasonInvalid is a string that does not pass the value rule of its
	// key ([catalog.Rule]), such as a version that is not a release
	// version, or, on a metric, a value the rule would change (a metric
	// filter can keep or drop an attribute, not rewrite it).
	ReasonInvalid
	// ReasonPath is a string that looks like a file path.
	ReasonPath
	// ReasonURL is a string that looks like a URL with a host.
	ReasonURL
	// ReasonEmail is a string that looks like an email address.
	ReasonEmail
	// ReasonHostname is a string that looks like a host name or an IP
	// address.
	ReasonHostname
	// ReasonCredential is a string that looks like a key, token or secret.
	ReasonCredential
	// ReasonSpanNotInCatalog is a span whose name is not in the policy.
	ReasonSpanNotInCatalog
	// ReasonInstrumentNotInCatalog is an instrument whose name, or kind,
	// is not in the policy.
	ReasonInstrumentNotInCatalog
	// ReasonEvent is a span event (a log line, an exception, a stack
	// trace).
	ReasonEvent
	// ReasonLink is a span link.
	ReasonLink

	numReasons
)

var reasonNames = [numReasons]string{
	ReasonNone:                   "none",
	ReasonKeyNotAllowed:          "key_not_allowed",
	ReasonWrongType:              "wrong_type",
	ReasonNotInEnum:              "not_in_enum",
	ReasonInvalid:                "invalid",
	ReasonPath:                   "path",
	ReasonURL:                    "url",
	ReasonEmail:                  "email",
	ReasonHostname:               "hostname",
	ReasonCredential:             "credential",
	ReasonSpanNotInCatalog:       "span_not_in_catalog",
	ReasonInstrumentNotInCatalog: "instrument_not_in_catalog",
	ReasonEvent:                  "event",
	ReasonLink:                   "link",
}

// String returns the snake_case name of r, such as "key_not_allowed".
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Reasons returns every reason a drop can have, in a stable order
// (ReasonNone excluded).
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// DropCounts is a snapshot of how many things a filter dropped, per reason.
// Attribute reasons count attributes, ReasonSpanNotInCatalog counts spans,
// ReasonInstrumentNotInCatalog counts instruments, ReasonEvent and
// ReasonLink count span events and links. It never holds dropped values.
type DropCounts struct {
	n [numReasons]uint64
}

// Get returns the count for r.
func (d DropCounts) Get(r Reason) uint64 {
	if r >= numReasons {
		return 0
	}
	return d.n[r]
}

// Total returns the sum of all counts.
func (d DropCounts) Total() uint64 {
	var t uint64
	for _, v := range d.n {
		t += v
	}
	return t
}

// String lists the non-zero counts as "reason=count" pairs in the order of
// [Reasons], such as "key_not_allowed=2 path=1", or "none" when nothing
// was dropped.
func (d DropCounts) String() string {
	var b strings.Builder
	for r := ReasonNone + 1; r < numReasons; r++ {
		if d.n[r] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", r, d.n[r])
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// dropCounters are the live counters behind DropCounts.
type dropCounters struct {
	n [numReasons]atomic.Uint64
}

func (c *dropCounters) add(r Reason, n uint64) {
	if r != ReasonNone && r < numReasons && n > 0 {
		c.n[r].Add(n)
	}
}

func (c *dropCounters) snapshot() DropCounts {
	var d DropCounts
	for i := range c.n {
		d.n[i] = c.n[i].Load()
	}
	return d
}
