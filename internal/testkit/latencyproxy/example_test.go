package latencyproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/elmohq/telemetry/internal/testkit/latencyproxy"
)

func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "pong")
	}))
	defer srv.Close()

	// A link of 20 ms round trip between the client and srv.
	p, err := latencyproxy.New(srv.Listener.Addr().String(), 20*time.Millisecond)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for range 2 {
		res, err := client.Get("http://" + p.Addr() + "/")
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(string(body))
	}
	// Both requests went over one connection.
	fmt.Println(p.Conns(), "connection")
	// Output:
	// pong
	// pong
	// 1 connection
}
