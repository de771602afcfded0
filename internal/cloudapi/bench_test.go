package cloudapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// BenchmarkRESTToSubscriber measures the time from sending the course's
// REST POST to a subscriber receiving the value, paced at 1,000 messages per
// second, over TCP and over WebSocket; p50-µs and p99-µs are the percentiles.
func BenchmarkRESTToSubscriber(b *testing.B) {
	for _, transport := range []string{"tcp", "ws"} {
		b.Run(transport, func(b *testing.B) {
			l := labtest.NewLabs(b, labs.Config{Limits: labs.Limits{PublishRate: 1e6, PublishBurst: 1e6}})
			api := newAPI(b, l)
			var sub *labtest.Client
			cp := &paho.Connect{ClientID: "bench-sub", CleanStart: true}
			if transport == "tcp" {
				sub = labtest.MustDial(b, labtest.StartFront(b, l), cp)
			} else {
				ws := httptest.NewServer(l.Front())
				b.Cleanup(ws.Close)
				c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(ws.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
				if err != nil {
					b.Fatal(err)
				}
				if sub, _, err = labtest.Over(b, labtest.SerialisedWrites(websocket.NetConn(context.Background(), c, websocket.MessageBinary)), cp); err != nil {
					b.Fatal(err)
				}
			}
			sub.Sub(b, "devices/ESPDEVICE/sensors/TC/value", 0)
			url := api + "/api/v2/devices/ESPDEVICE/sensors/TC/value"
			client := &http.Client{}
			lat := make([]time.Duration, 0, b.N)
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			for range b.N {
				<-tick.C
				start := time.Now()
				req, _ := http.NewRequest("POST", url, strings.NewReader(`{ "value": 25}`))
				req.Header.Set("Content-Type", "application/json;charset=utf-8")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("POST: %v %v", err, resp)
				}
				resp.Body.Close()
				sub.Next(b)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
