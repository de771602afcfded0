package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// result is what one run measured on one server.
type result struct {
	target    string
	sent      int64
	received  int64
	failed    int64           // publishes or POSTs that returned an error
	seconds   float64         // how long the load ran
	latencies []time.Duration // sorted
	cpu       float64         // server CPU seconds during the load
	rssStart  float64         // MiB when the server was ready, before the class joined
	rssLoad   float64         // MiB at the end of the load
	rssAfter  float64         // MiB after the settle time without load
	heapLoad  float64         // MiB of live heap at the end of the load (as of the last GC)
	heapAfter float64         // MiB of live heap after the settle time without load
	rssGone   float64         // MiB after the class disconnected and the settle time passed again
	heapGone  float64         // MiB of live heap then
	passed    int             // Check: answers that said passed
	answered  time.Duration   // Check: until the last learner had the answer
}

func (r *result) msgsPerSecond() float64 { return float64(r.received) / r.seconds }

// cpuPerMessage is server CPU per message delivered to a subscriber.
func (r *result) cpuPerMessage() time.Duration {
	if r.received == 0 {
		return 0
	}
	return time.Duration(r.cpu / float64(r.received) * 1e9)
}

func (r *result) percentile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

// seqBase is added to sequence numbers in payloads, so that no value the
// courselab simulator publishes (a temperature, a humidity) is taken for one.
const seqBase = 1_000_000_000

// clock records when each message of one learner was sent, by sequence
// number, so the subscriber can tell its latency.
type clock struct {
	sentAt []atomic.Int64
	mu     sync.Mutex
	lat    []time.Duration
	got    atomic.Int64
}

func newClock(n int) *clock {
	return &clock{sentAt: make([]atomic.Int64, n), lat: make([]time.Duration, 0, n)}
}

// receive notes a message whose payload holds a sequence number, either
// alone ("17") or as a JSON value ({"value":17,...}); others are ignored
// (the courselab simulator may publish on the same topics).
func (c *clock) receive(payload []byte) {
	now := time.Now().UnixNano()
	if i := bytes.Index(payload, []byte(`"value":`)); i >= 0 {
		payload = payload[i+len(`"value":`):]
	}
	end := 0
	for end < len(payload) && payload[end] >= '0' && payload[end] <= '9' {
		end++
	}
	seq, err := strconv.Atoi(string(payload[:end]))
	seq -= seqBase
	if err != nil || seq < 0 || seq >= len(c.sentAt) {
		return
	}
	sent := c.sentAt[seq].Load()
	if sent == 0 {
		return
	}
	c.mu.Lock()
	c.lat = append(c.lat, time.Duration(now-sent))
	c.mu.Unlock()
	c.got.Add(1)
}

// schedule calls send for slots 0..n-1 at a fixed rate from start; a slot
// more than one interval late is skipped, as a device that missed its
// tick would.
func schedule(start time.Time, interval time.Duration, n int, send func(seq int)) {
	for k := range n {
		at := start.Add(time.Duration(k) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if -d > interval {
			continue
		}
		send(k)
	}
}

// sensorTopic is where the cloud publishes a value posted over REST.
func sensorTopic(device string) string { return "devices/" + device + "/sensors/TC/value" }

// runMessages measures the publish→receive load: every learner has a
// subscriber and a publisher (MQTT, qos) or posts values over REST (rest;
// courselab only: the anchor's learners publish over MQTT at QoS 1 as the
// cloud does), rate messages a second each, for d.
func runMessages(ctx context.Context, p *process, ls []*learner, rate int, d time.Duration, qos byte, rest bool, settle time.Duration) (*result, error) {
	n := int(d.Seconds() * float64(rate))
	clocks := make([]*clock, len(ls))
	subs := make([]*paho.Client, len(ls))
	pubs := make([]*paho.Client, len(ls))
	defer func() {
		for _, cs := range [][]*paho.Client{subs, pubs} {
			for _, c := range cs {
				if c != nil {
					_ = c.Disconnect(&paho.Disconnect{})
				}
			}
		}
	}()
	topic := func(l *learner) string { return "bench/" + l.device }
	if rest {
		topic = func(l *learner) string { return sensorTopic(l.device) }
	}
	err := forEach(ls, func(i int, l *learner) error {
		clocks[i] = newClock(n)
		c, err := dial(ctx, p.mqtt, l, "sub", func(pr paho.PublishReceived) { clocks[i].receive(pr.Packet.Payload) })
		if err != nil {
			return err
		}
		subs[i] = c
		if err := subscribe(ctx, c, topic(l), qos); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		if rest && p.base != "" {
			return nil
		}
		pubs[i], err = dial(ctx, p.mqtt, l, "pub", nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	r := &result{target: p.name}
	var sent, failed atomic.Int64
	interval := time.Second / time.Duration(rate)
	cpu0, err := p.cpuSeconds()
	if err != nil {
		return nil, err
	}
	start := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for i, l := range ls {
		first := start.Add(interval * time.Duration(i) / time.Duration(len(ls))) // spread over one tick
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clocks[i]
			if rest && p.base != "" {
				url := p.base + "/api/v2/devices/" + l.device + "/sensors/TC/value"
				schedule(first, interval, n, func(seq int) {
					c.sentAt[seq].Store(time.Now().UnixNano())
					if postValue(ctx, l, url, seq) != nil {
						failed.Add(1)
						return
					}
					sent.Add(1)
				})
				return
			}
			pubQoS := qos
			payload := func(seq int) []byte { return strconv.AppendInt(nil, int64(seqBase+seq), 10) }
			if rest {
				pubQoS = 1 // as the cloud publishes a posted value
				payload = func(seq int) []byte { return fmt.Appendf(nil, `{"value":%d}`, seqBase+seq) }
			}
			schedule(first, interval, n, func(seq int) {
				c.sentAt[seq].Store(time.Now().UnixNano())
				_, err := pubs[i].PublishWithOptions(ctx, &paho.Publish{Topic: topic(l), QoS: pubQoS, Payload: payload(seq)},
					paho.PublishOptions{Method: paho.PublishMethod_AsyncSend})
				if err != nil {
					failed.Add(1)
					return
				}
				sent.Add(1)
			})
		}()
	}
	wg.Wait()
	r.seconds = time.Since(start).Seconds()
	// Wait for what is still on its way (up to 3 s).
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if received(clocks) >= sent.Load() {
			break
		}
	}
	cpu1, err := p.cpuSeconds()
	if err != nil {
		return nil, err
	}
	r.cpu, r.sent, r.failed, r.received = cpu1-cpu0, sent.Load(), failed.Load(), received(clocks)
	r.rssLoad = p.rssMiB()
	r.heapLoad = p.liveHeapMiB()
	for _, c := range clocks {
		c.mu.Lock()
		r.latencies = append(r.latencies, c.lat...)
		c.mu.Unlock()
	}
	slices.Sort(r.latencies)
	if settle > 0 {
		// The class is still connected, only quiet.
		if err := sleep(ctx, settle); err != nil {
			return nil, err
		}
		r.rssAfter, r.heapAfter = p.rssMiB(), p.liveHeapMiB()
		// Then the class leaves (sandboxes stay until their idle timeout).
		for _, cs := range [][]*paho.Client{subs, pubs} {
			for i, c := range cs {
				if c != nil {
					_ = c.Disconnect(&paho.Disconnect{})
					cs[i] = nil
				}
			}
		}
		if err := sleep(ctx, settle); err != nil {
			return nil, err
		}
		r.rssGone, r.heapGone = p.rssMiB(), p.liveHeapMiB()
	}
	return r, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func received(clocks []*clock) int64 {
	var n int64
	for _, c := range clocks {
		n += c.got.Load()
	}
	return n
}

// postValue sends a sensor value as the course's curl line does.
func postValue(ctx context.Context, l *learner, url string, seq int) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"value": `+strconv.Itoa(seqBase+seq)+`}`))
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	req.Header.Set("Accept", "application/json;charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.web.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

// checkTopics are what Check on all-device-values publishes: a fresh value
// on every point of the device.
var checkTopics = []string{"sensors/TC/value", "sensors/HUM/value", "actuators/LED/value"}

// runCheckBurst has every learner press Check on all-device-values at the
// same instant, each with an application subscribed to devices/ESPDEVICE/#
// as the exercise asks. On the anchor the learners do the same wire work
// themselves: each publishes the three values (QoS 1, as the check does)
// and its subscriber receives them.
func runCheckBurst(ctx context.Context, p *process, ls []*learner) (*result, error) {
	subs := make([]*paho.Client, len(ls))
	pubs := make([]*paho.Client, len(ls))
	got := make([]chan struct{}, len(ls))
	defer func() {
		for _, cs := range [][]*paho.Client{subs, pubs} {
			for _, c := range cs {
				if c != nil {
					_ = c.Disconnect(&paho.Disconnect{})
				}
			}
		}
	}()
	err := forEach(ls, func(i int, l *learner) error {
		got[i] = make(chan struct{}, 16)
		c, err := dial(ctx, p.mqtt, l, "app", func(paho.PublishReceived) {
			select {
			case got[i] <- struct{}{}:
			default:
			}
		})
		if err != nil {
			return err
		}
		subs[i] = c
		if err := subscribe(ctx, c, "devices/"+l.device+"/#", 0); err != nil {
			return err
		}
		if p.base == "" {
			pubs[i], err = dial(ctx, p.mqtt, l, "pub", nil)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// Drop anything published while connecting (a simulator tick).
	time.Sleep(100 * time.Millisecond)
	for _, g := range got {
		for len(g) > 0 {
			<-g
		}
	}
	r := &result{target: p.name}
	cpu0, err := p.cpuSeconds()
	if err != nil {
		return nil, err
	}
	var passed, failed atomic.Int64
	durations := make([]time.Duration, len(ls))
	go1 := make(chan struct{})
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-go1
			t0 := time.Now()
			defer func() { durations[i] = time.Since(t0) }()
			if p.base != "" {
				ok, err := pressCheck(ctx, p.base, l)
				switch {
				case err != nil:
					failed.Add(1)
				case ok:
					passed.Add(1)
				}
				return
			}
			for _, t := range checkTopics {
				if _, err := pubs[i].Publish(ctx, &paho.Publish{Topic: "devices/" + l.device + "/" + t, QoS: 1, Payload: []byte(`{"value":21.5}`)}); err != nil {
					failed.Add(1)
					return
				}
			}
			timeout := time.After(10 * time.Second)
			for range checkTopics {
				select {
				case <-got[i]:
				case <-timeout:
					failed.Add(1)
					return
				}
			}
			passed.Add(1)
		}()
	}
	start := time.Now()
	close(go1)
	wg.Wait()
	r.answered = time.Since(start)
	cpu1, err := p.cpuSeconds()
	if err != nil {
		return nil, err
	}
	r.cpu, r.seconds = cpu1-cpu0, r.answered.Seconds()
	r.passed, r.failed, r.sent, r.received = int(passed.Load()), failed.Load(), int64(len(ls)), passed.Load()
	r.latencies = durations
	slices.Sort(r.latencies)
	r.rssLoad = p.rssMiB()
	return r, nil
}

// pressCheck presses Check on all-device-values with the learner's token
// and tells whether the answer said passed.
func pressCheck(ctx context.Context, base string, l *learner) (bool, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/courses/mqtt_course/exercises/all-device-values/check", nil)
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := l.web.Do(req)
	if err != nil {
		return false, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("press Check: %s %.200s", resp.Status, body)
	}
	return bytes.Contains(body, []byte(`"passed":true`)), nil
}
