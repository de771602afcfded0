package check

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// Fresh values: what a check publishes so that only a client that really
// receives the topic can have seen it.

// errBusy says the sandbox's publish rate did not let the check publish in time.
var errBusy = errors.New("sandbox publish rate exceeded")

// point is a sensor or actuator named by a cloud topic
// devices/{d}/{sensors|actuators}/{p}/value.
type point struct {
	kind   labs.PointKind
	device string
	id     string
}

func pointOf(topic string) (point, bool) {
	parts := strings.Split(topic, "/")
	if len(parts) != 5 || parts[0] != "devices" || parts[4] != "value" {
		return point{}, false
	}
	k := labs.PointKind(parts[2])
	if k != labs.Sensors && k != labs.Actuators {
		return point{}, false
	}
	return point{kind: k, device: parts[1], id: parts[3]}, true
}

func pointTopic(k labs.PointKind, device, id string) string {
	return "devices/" + device + "/" + string(k) + "/" + id + "/value"
}

// deviceTopics lists the value topics of every sensor and actuator of a device.
func deviceTopics(d labs.DeviceInfo) []string {
	var out []string
	for _, p := range d.Sensors {
		out = append(out, pointTopic(labs.Sensors, d.ID, p.ID))
	}
	for _, p := range d.Actuators {
		out = append(out, pointTopic(labs.Actuators, d.ID, p.ID))
	}
	return out
}

// publishFresh publishes a value the learner cannot guess on topic and
// returns the payload as sent. A sensor's or actuator's topic goes through
// the cloud model (so the cloud and MQTT agree, and the cloud's QoS 1
// applies) unless qos 2 is needed; any other topic is published on the
// broker directly, in the cloud's value format. A busy sandbox (publish
// rate) is retried until deadline.
func publishFresh(ctx context.Context, sb *labs.Sandbox, topic string, qos byte, deadline time.Time) (string, error) {
	if p, ok := pointOf(topic); ok && qos <= 1 {
		if info, err := sb.Cloud().Point(p.kind, p.device, p.id); err == nil {
			v := freshValue(p.kind, info)
			for {
				val, err := sb.Cloud().PostValue(p.kind, p.device, p.id, v, time.Time{})
				if err == nil {
					b, err := json.Marshal(val)
					return string(b), err
				}
				if !errors.Is(err, labs.ErrRateLimited) {
					return "", err
				}
				if time.Now().Add(100 * time.Millisecond).After(deadline) {
					return "", errBusy
				}
				select {
				case <-ctx.Done():
					return "", ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}
	now := time.Now().UTC()
	b, err := json.Marshal(labs.Value{Value: randomNumber(0, 100), Timestamp: now, DateReceived: now})
	if err != nil {
		return "", err
	}
	if err := sb.Publish(topic, b, max(qos, 1), false); err != nil {
		return "", err
	}
	return string(b), nil
}

// freshValue is a new value for a point: the opposite of a true/false
// actuator's current state, else a random number with four decimals in a
// plausible range, different from the current value.
func freshValue(k labs.PointKind, p labs.PointInfo) any {
	var cur any
	if p.Value != nil {
		cur = p.Value.Value
	}
	if b, ok := cur.(bool); ok {
		return !b
	}
	if k == labs.Actuators && strings.Contains(strings.ToLower(p.QuantityKind), "bool") {
		return true
	}
	lo, hi := 0.0, 100.0
	if k == labs.Sensors {
		lo, hi = labs.PlausibleRange(p.QuantityKind, p.Unit)
	}
	for {
		if v := randomNumber(lo, hi); v != cur {
			return v
		}
	}
}

// randomNumber is a number in [lo, hi) with four decimals, the last not
// zero, so that it reads like a measurement nobody typed (23.4817).
func randomNumber(lo, hi float64) float64 {
	x := math.Floor((lo+rand.Float64()*(hi-lo))*1000) / 1000
	return math.Round((x+float64(1+rand.IntN(9))/10000)*10000) / 10000
}
