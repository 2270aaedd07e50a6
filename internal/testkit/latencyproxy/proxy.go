package latencyproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// readSize is the largest chunk one read takes from a connection.
	readSize = 32 << 10
	// window is how many chunks each direction queues for delivery: with
	// readSize, up to 2 MiB.
	window = 64
)

// Option configures a Proxy.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

type config struct {
	handshake bool
}

// WithoutHandshake makes data flow as soon as a connection is accepted,
// each chunk delayed half a round trip but none held for the handshake:
// a link whose connections cost nothing to set up.
func WithoutHandshake() Option {
	return optionFunc(func(c config) config {
		c.handshake = false
		return c
	})
}

// newConfig returns the configuration opts make, from the defaults.
func newConfig(opts []Option) config {
	c := config{handshake: true}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Proxy is a TCP proxy listening on 127.0.0.1 that delays the data it
// forwards to emulate a network round trip. Its methods are safe for
// concurrent use.
type Proxy struct {
	target string
	half   time.Duration // half the round-trip time
	cfg    config
	ln     net.Listener
	ctx    context.Context // cancelled by Close, for dials under way
	cancel context.CancelFunc
	conns  atomic.Int64
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	links     map[*link]struct{}
	acceptErr error

	closeOnce sync.Once
	closeErr  error
}

// New starts a Proxy that listens on 127.0.0.1, on a port the system
// chooses, and forwards each connection to target, a host:port address,
// over a link of round-trip time rtt. It returns an error when target is
// not a host:port address, rtt is negative or the Proxy cannot listen.
// The caller must call Close when finished with it.
func New(target string, rtt time.Duration, opts ...Option) (*Proxy, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, fmt.Errorf("latencyproxy: target: %w", err)
	}
	if rtt < 0 {
		return nil, fmt.Errorf("latencyproxy: negative round-trip time %v", rtt)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("latencyproxy: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		target: target,
		half:   rtt / 2,
		cfg:    newConfig(opts),
		ln:     ln,
		ctx:    ctx,
		cancel: cancel,
		links:  make(map[*link]struct{}),
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

// Addr returns the address the Proxy listens on, of the form
// 127.0.0.1:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Conns returns how many connections the Proxy has accepted so far, for
// tests that assert a client reuses its connections.
func (p *Proxy) Conns() int { return int(p.conns.Load()) }

// Close stops listening, closes every connection, dropping the data still
// in flight, and waits until all of the Proxy's goroutines have returned.
// It returns the error of closing the listener, or of accepting a
// connection if that stopped the Proxy before. Calls after the first
// return the same error.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		err := p.ln.Close()
		p.mu.Lock()
		p.closed = true
		for l := range p.links {
			l.abort()
		}
		if p.acceptErr != nil {
			err = p.acceptErr
		}
		p.mu.Unlock()
		p.wg.Wait()
		if err != nil {
			p.closeErr = fmt.Errorf("latencyproxy: %w", err)
		}
	})
	return p.closeErr
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			p.mu.Lock()
			if !p.closed && !errors.Is(err, net.ErrClosed) {
				p.acceptErr = err
			}
			p.mu.Unlock()
			return
		}
		accepted := time.Now()
		p.conns.Add(1)
		l := &link{client: c, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l, accepted)
	}
}

// serve dials the target for l and forwards between the two until both
// directions are closed or l is aborted.
func (p *Proxy) serve(l *link, accepted time.Time) {
	defer p.wg.Done()
	defer func() {
		l.abort()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()

	var d net.Dialer
	target, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		return
	}
	if !l.setTarget(target) {
		_ = target.Close()
		return
	}

	// When the data of each direction may start to flow: the client's
	// after the handshake's round trip, the target's once the last leg
	// of the handshake has reached it.
	up, down := accepted, accepted
	if p.cfg.handshake {
		up = accepted.Add(2 * p.half)
		down = accepted.Add(3 * p.half)
	}

	var wg sync.WaitGroup
	wg.Add(4)
	for _, dir := range []struct {
		src, dst net.Conn
		open     time.Time
	}{
		{l.client, target, up},
		{target, l.client, down},
	} {
		ch := make(chan chunk, window)
		go func() {
			defer wg.Done()
			p.read(l, dir.src, ch, dir.open)
		}()
		go func() {
			defer wg.Done()
			p.write(l, dir.dst, ch)
		}()
	}
	wg.Wait()
}

// chunk is what one read of a connection returned, and when it is due at
// the other end.
type chunk struct {
	data []byte
	err  error
	due  time.Time
}

// read takes chunks from src and queues them on ch, each due half a round
// trip after it was read, or after open if it was read before. Its last
// chunk carries the error that ended the reading.
func (p *Proxy) read(l *link, src net.Conn, ch chan<- chunk, open time.Time) {
	buf := make([]byte, readSize)
	for {
		n, err := src.Read(buf)
		due := time.Now()
		if due.Before(open) {
			due = open
		}
		c := chunk{err: err, due: due.Add(p.half)}
		if n > 0 {
			c.data = bytes.Clone(buf[:n])
		}
		select {
		case ch <- c:
		case <-l.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// write delivers the chunks from ch to dst, each when it is due. It ends
// after passing on io.EOF as a half-close; any other error, its own or
// the one a chunk carries, aborts l.
func (p *Proxy) write(l *link, dst net.Conn, ch <-chan chunk) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var c chunk
		select {
		case c = <-ch:
		case <-l.done:
			return
		}
		if d := time.Until(c.due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-l.done:
				timer.Stop()
				return
			}
		}
		if len(c.data) > 0 {
			if _, err := dst.Write(c.data); err != nil {
				l.abort()
				return
			}
		}
		switch {
		case c.err == nil:
		case errors.Is(c.err, io.EOF):
			if cw, ok := dst.(interface{ CloseWrite() error }); !ok || cw.CloseWrite() != nil {
				l.abort()
			}
			return
		default:
			l.abort()
			return
		}
	}
}

// link is one proxied connection: the client's and the one to the target.
type link struct {
	client net.Conn
	done   chan struct{} // closed by abort

	once   sync.Once
	mu     sync.Mutex
	target net.Conn
}

// setTarget records the connection to the target, and reports false if l
// was aborted before.
func (l *link) setTarget(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.done:
		return false
	default:
	}
	l.target = c
	return true
}

// abort closes both connections of l, dropping the data in flight, and
// stops its goroutines.
func (l *link) abort() {
	l.once.Do(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		close(l.done)
		_ = l.client.Close()
		if l.target != nil {
			_ = l.target.Close()
		}
	})
}
