package exporter_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/elmohq/telemetry/exporter"
	"github.com/elmohq/telemetry/exporter/posthogtest"
)

// A redirect that repeats the POST (307, 308), as a proxy in front of the
// capture endpoint may answer, is followed with the events; one that would
// turn the POST into a GET without them (301, 302, 303) is not, and the
// events are refused, never sent anywhere as a GET.
func TestRedirects(t *testing.T) {
	tests := []struct {
		status    int
		delivered bool
	}{
		{http.StatusTemporaryRedirect, true},
		{http.StatusPermanentRedirect, true},
		{http.StatusMovedPermanently, false},
		{http.StatusFound, false},
		{http.StatusSeeOther, false},
	}
	for _, api := range captureAPIs {
		for _, tt := range tests {
			t.Run(api.String()+"/"+http.StatusText(tt.status), func(t *testing.T) {
				srv := posthogtest.NewServer()
				defer srv.Close()
				front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, srv.URL+r.URL.RequestURI(), tt.status)
				}))
				defer front.Close()
				c, err := exporter.NewClient(exporter.WithHost(front.URL), exporter.WithAPIKey(testKey),
					exporter.WithCaptureAPI(api), exporter.WithMaxRetries(0))
				if err != nil {
					t.Fatal(err)
				}
				defer shutdown(t, c)
				err = c.Send(waitCtx(t), captureEvent("cli_version", 0))
				if tt.delivered != (err == nil) || !tt.delivered && !errors.Is(err, exporter.ErrRejected) {
					t.Errorf("Send = %v, want delivered %v, else refused for good", err, tt.delivered)
				}
				st := c.Stats()
				if tt.delivered {
					if got := len(srv.Events()); got != 1 || st.Delivered != 1 {
						t.Fatalf("%d events arrived, %d delivered; want 1 through the redirect", got, st.Delivered)
					}
					return
				}
				if got := len(srv.Requests()); got != 0 {
					t.Errorf("%d requests reached the redirect's target, want none", got)
				}
				if st.Delivered != 0 || st.Rejected != 1 {
					t.Errorf("stats %+v, want the event rejected", st)
				}
			})
		}
	}
}
