package labs_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// BenchmarkNoisyNeighbour is issue 9's noisy neighbour: 100 well-behaved
// learners, each with a publisher (10 QoS 0 messages a second) and a
// subscriber in their own sandbox, measure publish→receive latency, in
// turns: NOISY_SECONDS (default 2) alone, then as long while one more
// learner's 16 connections write PUBLISH packets as fast as the socket takes
// them (measured from one second after they connected; the flooder's
// sandbox is reclaimed before the next turn), NOISY_ROUNDS times (default 3). Taking turns spreads
// the noise of a shared machine over both. It reports p50/p99 of all turns
// without and with the flooder, p99-ratio (the issue asks for at most 2),
// p99-ratio-median-turn (the median over turns of each turn's ratio, which a
// single hiccup of the machine does not move) and flood-msgs/s, the
// flooder's publishes the broker took in. Run with -benchtime=1x.
func BenchmarkNoisyNeighbour(b *testing.B) {
	env := func(name string, def int) int {
		if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
			return n
		}
		return def
	}
	phase := time.Duration(env("NOISY_SECONDS", 2)) * time.Second
	rounds := env("NOISY_ROUNDS", 3)
	for range b.N {
		l := labtest.NewLabs(b, labs.Config{Classroom: true})
		addr := labtest.StartFront(b, l)
		lat := &latencies{}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 100 {
			learner := fmt.Sprintf("learner-%03d", i)
			pub := calmPair(b, l, addr, learner, lat)
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.NewTicker(100 * time.Millisecond)
				defer t.Stop()
				payload := make([]byte, 8)
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
						_, _ = pub.Publish(context.Background(), &paho.Publish{Topic: "calm/" + learner, Payload: payload})
					}
				}
			}()
		}
		time.Sleep(500 * time.Millisecond) // every pair connected and ticking
		flood := l.Credentials("flooder")
		var quiet, noisy []time.Duration
		var ratios []float64 // per turn: p99 beside the flooder / p99 alone
		var taken int64
		for range rounds {
			lat.reset()
			time.Sleep(phase)
			alone := lat.reset()
			quiet = append(quiet, alone...)

			floodStop := make(chan struct{})
			var fwg sync.WaitGroup
			for i := range 16 {
				fwg.Add(1)
				go func() { defer fwg.Done(); flooder(b, addr, flood, fmt.Sprintf("flood-%d", i), floodStop) }()
			}
			time.Sleep(time.Second) // connected and flooding: measure the steady state
			lat.reset()
			before := floodCount(l)
			time.Sleep(phase)
			beside := lat.reset()
			noisy = append(noisy, beside...)
			ratios = append(ratios, float64(quantile(beside, 0.99))/float64(max(quantile(alone, 0.99), 1)))
			taken += floodCount(l) - before
			close(floodStop)
			fwg.Wait()
			l.Reclaim("flooder") // what the flooder's closed sockets still hold would drain at the rate for minutes
		}
		close(stop)
		wg.Wait()

		q50, q99 := quantile(quiet, 0.5), quantile(quiet, 0.99)
		n50, n99 := quantile(noisy, 0.5), quantile(noisy, 0.99)
		b.ReportMetric(float64(q50.Microseconds())/1000, "quiet-p50-ms")
		b.ReportMetric(float64(q99.Microseconds())/1000, "quiet-p99-ms")
		b.ReportMetric(float64(n50.Microseconds())/1000, "flood-p50-ms")
		b.ReportMetric(float64(n99.Microseconds())/1000, "flood-p99-ms")
		b.ReportMetric(float64(n99)/float64(max(q99, 1)), "p99-ratio")
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "p99-ratio-median-turn")
		b.ReportMetric(float64(taken)/(float64(rounds)*phase.Seconds()), "flood-msgs/s")
		b.Logf("alone: %d messages, p50 %v p99 %v; beside the flooder: %d messages, p50 %v p99 %v; flooder's publishes taken in: %d in %v; p99 ratio per turn %.2f",
			len(quiet), q50, q99, len(noisy), n50, n99, taken, time.Duration(rounds)*phase, ratios)
	}
}

// floodCount is how many PUBLISH packets the flooder's sandbox broker took in.
func floodCount(l *labs.Labs) int64 {
	sb := l.Lookup("flooder")
	if sb == nil {
		return 0
	}
	return sb.PublishesReceived()
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) reset() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.d
	l.d = nil
	return d
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// calmPair connects a learner's publisher and subscriber; the subscriber
// records each message's latency from the time the publisher wrote in it.
func calmPair(b *testing.B, l *labs.Labs, addr, learner string, lat *latencies) *paho.Client {
	cr := l.Credentials(learner)
	connect := func(id string, onMsg func(paho.PublishReceived) (bool, error)) *paho.Client {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		cfg := paho.ClientConfig{Conn: conn, ClientID: id, OnClientError: func(error) {}}
		if onMsg != nil {
			cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
		}
		c := paho.NewClient(cfg)
		ctx, cancel := context.WithTimeout(context.Background(), labtest.Wait)
		defer cancel()
		if _, err := c.Connect(ctx, &paho.Connect{ClientID: id, CleanStart: true, KeepAlive: 30,
			UsernameFlag: true, Username: cr.Username, PasswordFlag: true, Password: []byte(cr.Password)}); err != nil {
			b.Fatalf("%s: %v", id, err)
		}
		return c
	}
	sub := connect(learner+"-sub", func(pr paho.PublishReceived) (bool, error) {
		if len(pr.Packet.Payload) == 8 {
			sent := int64(binary.BigEndian.Uint64(pr.Packet.Payload))
			lat.add(time.Duration(time.Now().UnixNano() - sent))
		}
		return true, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), labtest.Wait)
	defer cancel()
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "calm/" + learner}}}); err != nil {
		b.Fatal(err)
	}
	return connect(learner+"-pub", nil)
}

// flooder connects and writes QoS 0 PUBLISH packets as fast as the socket
// takes them until stop.
func flooder(b *testing.B, addr string, cr labs.Credentials, id string, stop chan struct{}) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Error(err)
		return
	}
	defer conn.Close()
	connect := labtest.RawConnect(4, id, cr.Username, cr.Password, true)
	if _, err := conn.Write(labtest.Encode(b, connect)); err != nil {
		b.Error(err)
		return
	}
	ack := make([]byte, 4)
	if _, err := conn.Read(ack); err != nil || ack[3] != 0 {
		b.Errorf("flooder CONNACK %x: %v", ack, err)
		return
	}
	one := labtest.Encode(b, packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: "flood", Payload: []byte("x")})
	burst := bytes.Repeat(one, 4096)
	go func() { <-stop; _ = conn.Close() }()
	for {
		if _, err := conn.Write(burst); err != nil {
			return
		}
	}
}
