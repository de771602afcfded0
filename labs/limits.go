package labs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Limits bound what one sandbox may use, so that one learner cannot starve
// the others. Zero fields take the defaults of DefaultLimits.
type Limits struct {
	Clients       int           // connected MQTT clients
	PacketSize    int           // bytes per MQTT packet and per REST body
	PublishRate   float64       // learner publishes per second (MQTT and REST together)
	PublishBurst  int           // publishes allowed at once before the rate applies
	FloodTimeout  time.Duration // a client over the publish rate this long without a break is disconnected
	Retained      int           // retained messages (including the broker's own $SYS ones)
	Queued        int           // QoS 1/2 messages held for one client (offline sessions included)
	Sessions      int           // MQTT sessions, connected and offline together
	QueuedBytes   int           // bytes of QoS 1/2 messages held for all clients together
	Subscriptions int           // subscriptions per client
	Devices       int           // devices in the simulated cloud
	Points        int           // sensors plus actuators per device
}

// DefaultLimits are the limits of issue 3.
func DefaultLimits() Limits {
	return Limits{
		Clients:       16,
		PacketSize:    64 << 10,
		PublishRate:   100,
		PublishBurst:  300, // at least the Receive Maximum (256): a client filling its window is not slowed
		FloodTimeout:  10 * time.Second,
		Retained:      1000,
		Queued:        1000,
		Sessions:      32,
		QueuedBytes:   8 << 20,
		Subscriptions: 100,
		Devices:       50,
		Points:        50,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Clients <= 0 {
		l.Clients = d.Clients
	}
	if l.PacketSize <= 0 {
		l.PacketSize = d.PacketSize
	}
	if l.PublishRate <= 0 {
		l.PublishRate = d.PublishRate
	}
	if l.PublishBurst <= 0 {
		l.PublishBurst = max(d.PublishBurst, int(l.PublishRate*2))
	}
	if l.FloodTimeout <= 0 {
		l.FloodTimeout = d.FloodTimeout
	}
	if l.Retained <= 0 {
		l.Retained = d.Retained
	}
	if l.Queued <= 0 {
		l.Queued = d.Queued
	}
	if l.Sessions <= 0 {
		l.Sessions = max(d.Sessions, l.Clients)
	}
	if l.QueuedBytes <= 0 {
		l.QueuedBytes = d.QueuedBytes
	}
	if l.Subscriptions <= 0 {
		l.Subscriptions = d.Subscriptions
	}
	if l.Devices <= 0 {
		l.Devices = d.Devices
	}
	if l.Points <= 0 {
		l.Points = d.Points
	}
	return l
}

// bucket is a token bucket; one per sandbox, shared by MQTT and REST publishes.
type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
	rate   float64
	burst  float64
}

func newBucket(rate float64, burst int) bucket {
	return bucket{tokens: float64(burst), rate: rate, burst: float64(burst)}
}

// reserve takes a token even if there is none yet, and returns how long the
// caller must wait for it to be there. Each connection reserves one PUBLISH
// at a time, so the debt stays below the number of connections.
func (b *bucket) reserve() time.Duration {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
}

func (b *bucket) allow() bool {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// limitsHook enforces the per-sandbox retained cap and subscription cap
// inside the broker, answering with MQTT reason codes. (Clients per sandbox
// are enforced by the front, the publish rate and the packet size by
// meteredConn and mochi's MaximumPacketSize.)
type limitsHook struct {
	mqtt.HookBase
	sb *Sandbox

	mu   sync.Mutex
	over map[string][]int // client id → indexes of SUBSCRIBE filters over the cap, between OnSubscribe and OnSubscribed
}

func (h *limitsHook) ID() string { return "courselab-limits" }

func (h *limitsHook) Provides(b byte) bool {
	return b == mqtt.OnPublish || b == mqtt.OnSubscribe || b == mqtt.OnSubscribed || b == mqtt.OnPublishDropped
}

func (h *limitsHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // the platform's own publishes are bounded where they start
	}
	if pk.FixedHeader.Retain && len(pk.Payload) > 0 {
		retained := h.sb.server.Topics.Retained
		if _, exists := retained.Get(pk.TopicName); !exists && retained.Len() >= h.sb.limits.Retained {
			h.sb.limit("retained", cl.ID, pk.TopicName,
				fmt.Sprintf("this sandbox already holds %d retained messages: not retained; clear some by publishing an empty retained message", h.sb.limits.Retained))
			if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
				return refusePublish(cl, pk, packets.ErrQuotaExceeded)
			}
			pk.FixedHeader.Retain = false // still delivered, just not kept
		}
	}
	return pk, nil
}

// refusePublish answers a refused publish the way each protocol allows: an
// MQTT 5 client with QoS 1/2 gets the reason code in its PUBACK/PUBREC; MQTT
// 3 and QoS 0 have no negative ack, so the message is acknowledged as usual
// and dropped (the journal line tells the learner).
func refusePublish(cl *mqtt.Client, pk packets.Packet, code packets.Code) (packets.Packet, error) {
	if cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
		t := packets.Puback
		if pk.FixedHeader.Qos == 2 {
			t = packets.Pubrec // mochi would answer a QoS 2 refusal with PUBACK, which confuses clients
		}
		_ = cl.WritePacket(packets.Packet{
			FixedHeader: packets.FixedHeader{Type: t},
			PacketID:    pk.PacketID,
			ReasonCode:  code.Code,
			Properties:  packets.Properties{ReasonString: code.Reason},
		})
		return pk, packets.ErrRejectPacket
	}
	return pk, packets.CodeSuccessIgnore
}

func (h *limitsHook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	n := cl.State.Subscriptions.Len()
	var over []int
	for i, f := range pk.Filters {
		if _, exists := cl.State.Subscriptions.Get(f.Filter); exists {
			continue
		}
		if n >= h.sb.limits.Subscriptions {
			over = append(over, i)
			continue
		}
		n++
	}
	if over != nil {
		h.mu.Lock()
		if h.over == nil {
			h.over = map[string][]int{}
		}
		h.over[cl.ID] = over
		h.mu.Unlock()
	}
	return pk
}

// OnSubscribed takes back the filters over the cap. mochi has no per-filter
// refusal in its hooks, but the reason codes slice it passes here is the one
// it then writes in the SUBACK and consults before sending retained messages.
func (h *limitsHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	h.mu.Lock()
	over := h.over[cl.ID]
	delete(h.over, cl.ID)
	h.mu.Unlock()
	for _, i := range over {
		if i >= len(codes) || i >= len(pk.Filters) || codes[i] >= packets.ErrUnspecifiedError.Code {
			continue
		}
		f := pk.Filters[i].Filter
		if h.sb.server.Topics.Unsubscribe(f, cl.ID) {
			atomic.AddInt64(&h.sb.server.Info.Subscriptions, -1)
		}
		cl.State.Subscriptions.Delete(f)
		codes[i] = packets.ErrQuotaExceeded.Code
		if cl.Properties.ProtocolVersion < 5 {
			codes[i] = packets.ErrUnspecifiedError.Code // 0x80, the only failure code of MQTT 3
		}
		h.sb.limit("subscriptions", cl.ID, f,
			fmt.Sprintf("a client may hold %d subscriptions: %q refused; unsubscribe from some or use a wildcard", h.sb.limits.Subscriptions, f))
	}
}

func (h *limitsHook) OnPublishDropped(cl *mqtt.Client, pk packets.Packet) {
	h.sb.limit("client-slow", cl.ID, pk.TopicName, "the client reads too slowly: a message for it was dropped")
}
