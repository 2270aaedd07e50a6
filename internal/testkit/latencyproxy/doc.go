// Package latencyproxy provides a TCP proxy on the loopback interface that
// emulates the round trip of a network link, for tests and benchmarks that
// need to see what latency costs a client: a new connection, a TLS
// handshake, a request that waits for its answer.
//
// A Proxy listens on 127.0.0.1 and forwards each connection it accepts to a
// target address. It models a link of round-trip time rtt the way TCP
// meets it:
//
//   - A new connection costs one round trip before data flows, as the TCP
//     handshake does: bytes the client sends reach the target no sooner
//     than 1.5 round trips after the connection was accepted, and bytes
//     the target sends first reach the client no sooner than 2 round
//     trips after it.
//   - Every chunk of data, in either direction, is delivered half a round
//     trip after the proxy read it. The delays overlap, like a delay line:
//     two chunks read 1 ms apart are delivered 1 ms apart, in order.
//   - A half-close (CloseWrite, or io.EOF from a peer) is passed on half a
//     round trip later, after the data before it.
//
// The link has no bandwidth limit beyond a window: each direction holds at
// about 2 MiB in flight, and reads no more from its source until some of it
// is delivered. With an rtt of 0 the Proxy passes data through as soon as
// it is read.
//
//	p, err := latencyproxy.New(srv.Listener.Addr().String(), 40*time.Millisecond)
//	if err != nil {
//		// handle err
//	}
//	defer p.Close()
//	// point the client under test at p.Addr()
package latencyproxy
