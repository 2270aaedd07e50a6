package latencyproxy_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/elmohq/telemetry/exporter/posthogtest"
	"github.com/elmohq/telemetry/internal/testkit/latencyproxy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rtt is the round-trip time of the tests that measure: long enough to
// stand out of scheduling noise, short enough to keep the tests quick.
// Only lower bounds are asserted, which the Proxy's timers guarantee; a
// busy machine can only make a request slower.
const rtt = 40 * time.Millisecond

func newProxy(t *testing.T, target string, rtt time.Duration, opts ...latencyproxy.Option) *latencyproxy.Proxy {
	t.Helper()
	p, err := latencyproxy.New(target, rtt, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		target string
		rtt    time.Duration
	}{
		{"no port", "127.0.0.1", rtt},
		{"empty target", "", rtt},
		{"negative rtt", "127.0.0.1:1", -time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if p, err := latencyproxy.New(tt.target, tt.rtt); err == nil {
				p.Close()
				t.Fatal("New succeeded")
			}
		})
	}
}

// TestHTTPRoundTrips checks that a request costs the round trips it
// would over a real link: two on a new connection (the handshake, then
// the request and its answer), one on a connection reused.
func TestHTTPRoundTrips(t *testing.T) {
	tests := []struct {
		name        string
		opts        []latencyproxy.Option
		first, next time.Duration // lower bounds of the first and second request
	}{
		{"handshake", nil, 2 * rtt, rtt},
		{"without handshake", []latencyproxy.Option{latencyproxy.WithoutHandshake()}, rtt, rtt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(w, r.Body)
			}))
			defer srv.Close()
			p := newProxy(t, srv.Listener.Addr().String(), rtt, tt.opts...)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}

			for i, least := range []time.Duration{tt.first, tt.next} {
				start := time.Now()
				res, err := client.Post("http://"+p.Addr()+"/", "text/plain", strings.NewReader("ping"))
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				took := time.Since(start)
				if err != nil || string(body) != "ping" {
					t.Fatalf("request %d: body %q, %v; want the echo", i, body, err)
				}
				t.Logf("request %d took %v", i, took)
				if took < least {
					t.Errorf("request %d took %v, want at least %v", i, took, least)
				}
			}
			if n := p.Conns(); n != 1 {
				t.Errorf("Conns = %d, want 1: the second request reuses the connection", n)
			}
		})
	}
}

// TestServerSpeaksFirst checks that bytes a target sends before the
// client says anything wait for the handshake too.
func TestServerSpeaksFirst(t *testing.T) {
	ln := listen(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, "220 hello\n")
		_, _ = io.Copy(io.Discard, c)
	}()
	p := newProxy(t, ln.Addr().String(), rtt)

	start := time.Now()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	took := time.Since(start)
	c.Close()
	if err != nil || line != "220 hello\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	t.Logf("the greeting took %v", took)
	if took < 2*rtt {
		t.Errorf("the greeting took %v, want at least %v", took, 2*rtt)
	}
	<-done
}

// TestIntegrity sends several MiB each way at once through the Proxy and
// checks that every byte arrives, in order, and that each side's
// half-close reaches the other after its data.
func TestIntegrity(t *testing.T) {
	tests := []struct {
		name string
		rtt  time.Duration
	}{
		{"pass-through", 0},
		{"delayed", 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, down := random(t, 6<<20), random(t, 5<<20)
			ln := listen(t)
			got := make(chan []byte, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					got <- nil
					return
				}
				defer c.Close()
				var wg sync.WaitGroup
				wg.Go(func() {
					_, _ = c.Write(down)
					_ = c.(*net.TCPConn).CloseWrite()
				})
				b, _ := io.ReadAll(c)
				wg.Wait()
				got <- b
			}()
			p := newProxy(t, ln.Addr().String(), tt.rtt)

			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			werr := make(chan error, 1)
			go func() {
				_, err := c.Write(up)
				if err == nil {
					err = c.(*net.TCPConn).CloseWrite()
				}
				werr <- err
			}()
			b, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-werr; err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, down) {
				t.Errorf("the client read %d bytes, not the %d the target sent", len(b), len(down))
			}
			if b := <-got; !bytes.Equal(b, up) {
				t.Errorf("the target read %d bytes, not the %d the client sent", len(b), len(up))
			}
		})
	}
}

// TestCloseDropsDataInFlight checks that Close returns at once, though
// data waits in the delay line for an hour, and leaves no goroutine.
func TestCloseDropsDataInFlight(t *testing.T) {
	ln := listen(t)
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	p, err := latencyproxy.New(ln.Addr().String(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var clients []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if _, err := io.WriteString(clients[0], "held for an hour"); err != nil {
		t.Fatal(err)
	}
	targets := []net.Conn{<-accepted, <-accepted}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for i, c := range append(clients, targets...) {
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("conn %d read %d bytes after Close, want an error", i, n)
		}
		c.Close()
	}
	if n := p.Conns(); n != 2 {
		t.Errorf("Conns = %d, want 2", n)
	}
	ln.Close()
	goleak.VerifyNone(t)
}

// TestUnreachableTarget checks that a client whose connection cannot be
// forwarded sees it closed.
func TestUnreachableTarget(t *testing.T) {
	ln := listen(t)
	target := ln.Addr().String()
	ln.Close()
	p := newProxy(t, target, 0)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read succeeded, want the connection closed")
	}
}

// TestTLS sends a batch through the Proxy to a capture server that
// speaks TLS, and checks the round trips of the handshake: TCP, then
// TLS 1.3, then the request.
func TestTLS(t *testing.T) {
	srv := posthogtest.NewServer(posthogtest.WithTLS())
	defer srv.Close()
	p := newProxy(t, strings.TrimPrefix(srv.URL, "https://"), rtt)

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertificatePEM()) {
		t.Fatal("no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	body := `{"api_key":"k","batch":[{"uuid":"0b6b8f3e-5d1c-4c1e-9a52-1f0f4b0b6f11","event":"e",` +
		`"distinct_id":"d","timestamp":"2025-01-02T03:04:05Z","properties":{}}]}`
	start := time.Now()
	res, err := client.Post("https://"+p.Addr()+"/batch/", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	took := time.Since(start)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	t.Logf("the request took %v", took)
	if took < 3*rtt {
		t.Errorf("the request took %v, want at least %v", took, 3*rtt)
	}
	if n := len(srv.Events()); n != 1 {
		t.Errorf("%d events accepted, want 1", n)
	}
	if n := p.Conns(); n != 1 {
		t.Errorf("Conns = %d, want 1", n)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func random(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
