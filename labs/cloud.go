package labs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// HistorySize is how many past values a sensor or actuator keeps.
const HistorySize = 100

// PointKind says whether a point of a device is a sensor or an actuator; its
// value is the path segment of the Waziup API and of the MQTT topic.
type PointKind string

// The two kinds of points.
const (
	Sensors   PointKind = "sensors"
	Actuators PointKind = "actuators"
)

func (k PointKind) singular() string { return strings.TrimSuffix(string(k), "s") }

// Value is one value of a sensor or actuator, as the Waziup API shows it.
type Value struct {
	Value        any
	Timestamp    time.Time // when the device measured it (given by the client, or the time received)
	DateReceived time.Time // when the cloud received it
}

// PointInfo describes a sensor or actuator.
type PointInfo struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	QuantityKind string `json:"quantity_kind,omitempty"`
	Unit         string `json:"unit,omitempty"`
	Value        *Value `json:"value"`
}

// DeviceInfo describes a device with its sensors and actuators.
type DeviceInfo struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Sensors     []PointInfo `json:"sensors"`
	Actuators   []PointInfo `json:"actuators"`
	DateCreated time.Time   `json:"date_created"`
}

type point struct {
	setup   PointSetup
	current *Value
	history []Value
}

func (p *point) info() PointInfo {
	pi := PointInfo{ID: p.setup.ID, Name: p.setup.Name, QuantityKind: p.setup.Kind, Unit: p.setup.Unit}
	if p.current != nil {
		v := *p.current
		pi.Value = &v
	}
	return pi
}

func (p *point) store(v Value) {
	p.current = &v
	if len(p.history) >= HistorySize {
		copy(p.history, p.history[1:])
		p.history = p.history[:HistorySize-1]
	}
	p.history = append(p.history, v)
}

type device struct {
	id, name  string
	created   time.Time
	sensors   []*point
	actuators []*point
}

func (d *device) points(k PointKind) *[]*point {
	if k == Actuators {
		return &d.actuators
	}
	return &d.sensors
}

func (d *device) find(k PointKind, id string) *point {
	for _, p := range *d.points(k) {
		if p.setup.ID == id {
			return p
		}
	}
	return nil
}

func (d *device) info() DeviceInfo {
	di := DeviceInfo{ID: d.id, Name: d.name, DateCreated: d.created, Sensors: []PointInfo{}, Actuators: []PointInfo{}}
	for _, p := range d.sensors {
		di.Sensors = append(di.Sensors, p.info())
	}
	for _, p := range d.actuators {
		di.Actuators = append(di.Actuators, p.info())
	}
	return di
}

// Cloud is a sandbox's simulated IoT cloud: the subset of the Waziup API v2
// that IoT courses use. Posting a value stores it and publishes it on
// devices/{d}/sensors/{s}/value; a learner's MQTT publish there updates it too.
type Cloud struct {
	sb      *Sandbox
	mu      sync.Mutex
	devices []*device
	// applied is the Devices array of the last set-up applied in full. The
	// server builds one Setup per catalog and passes that same value on
	// every request, so the same array means nothing new to add; a reloaded
	// catalog builds a new array and gets applied. Devices and points are
	// never removed from a cloud (a reset makes a new sandbox), so a set-up
	// applied once stays applied.
	applied []DeviceSetup
}

func newCloud(sb *Sandbox) *Cloud { return &Cloud{sb: sb} }

func (c *Cloud) find(id string) *device {
	for _, d := range c.devices {
		if d.id == id {
			return d
		}
	}
	return nil
}

// apply adds the devices and points of setup that are missing. Applying the
// set-up that was last applied in full costs one comparison: every cloud
// API call asks for its sandbox with the set-up, and validating and
// re-creating every device each time was a fifth of a REST post's CPU.
func (c *Cloud) apply(s Setup) error {
	if c.isApplied(s) {
		return nil
	}
	if err := s.Validate(); err != nil {
		return err
	}
	for _, ds := range s.Devices {
		if _, _, err := c.CreateDevice(ds); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.applied = s.Devices
	c.mu.Unlock()
	return nil
}

// isApplied reports whether s is, by identity, the set-up last applied in full.
func (c *Cloud) isApplied(s Setup) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(s.Devices) > 0 && len(s.Devices) == len(c.applied) && &s.Devices[0] == &c.applied[0]
}

// Devices lists the devices, in creation order.
func (c *Cloud) Devices() []DeviceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]DeviceInfo, 0, len(c.devices))
	for _, d := range c.devices {
		out = append(out, d.info())
	}
	return out
}

// Device describes one device.
func (c *Cloud) Device(id string) (DeviceInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.find(id)
	if d == nil {
		return DeviceInfo{}, c.unknownDevice(id)
	}
	return d.info(), nil
}

// CreateDevice creates a device, or completes an existing one with the
// sensors and actuators it lacks (created reports which): learners re-run
// the course's set-up commands, and that should not be an error.
func (c *Cloud) CreateDevice(ds DeviceSetup) (info DeviceInfo, created bool, err error) {
	if err := (Setup{Devices: []DeviceSetup{ds}}).Validate(); err != nil {
		return DeviceInfo{}, false, &CloudError{Kind: ErrInvalid, Message: strings.Replace(err.Error(), "lab.devices[0]", "device", 1)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.find(ds.ID)
	if d == nil {
		if len(c.devices) >= c.sb.limits.Devices {
			c.sb.limit("devices", "", "", fmt.Sprintf("a sandbox holds at most %d devices", c.sb.limits.Devices))
			return DeviceInfo{}, false, &CloudError{Kind: ErrQuota, Message: fmt.Sprintf(
				"your sandbox already has %d devices, the most it can hold; reuse one of them", c.sb.limits.Devices)}
		}
		name := ds.Name
		if name == "" {
			name = ds.ID
		}
		d = &device{id: ds.ID, name: name, created: time.Now().UTC()}
		c.devices = append(c.devices, d)
		created = true
	} else if ds.Name != "" {
		d.name = ds.Name
	}
	for _, k := range []PointKind{Sensors, Actuators} {
		list := ds.Sensors
		if k == Actuators {
			list = ds.Actuators
		}
		for _, ps := range list {
			if _, err := c.createPoint(d, k, ps); err != nil {
				return DeviceInfo{}, false, err
			}
		}
	}
	return d.info(), created, nil
}

// CreatePoint adds a sensor or actuator to a device (or returns the existing one).
func (c *Cloud) CreatePoint(k PointKind, deviceID string, ps PointSetup) (PointInfo, error) {
	if !ValidID(ps.ID) {
		return PointInfo{}, &CloudError{Kind: ErrInvalid, Message: fmt.Sprintf(
			"%s id %q is not valid: use letters, digits, '_', '-', '.' or ':' (for example {\"id\":\"TC\"})", k.singular(), ps.ID)}
	}
	if ps.Value != nil {
		if _, err := scalarValue(ps.Value); err != nil {
			return PointInfo{}, &CloudError{Kind: ErrInvalid, Message: err.Error()}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.find(deviceID)
	if d == nil {
		return PointInfo{}, c.unknownDevice(deviceID)
	}
	p, err := c.createPoint(d, k, ps)
	if err != nil {
		return PointInfo{}, err
	}
	return p.info(), nil
}

func (c *Cloud) createPoint(d *device, k PointKind, ps PointSetup) (*point, error) {
	if p := d.find(k, ps.ID); p != nil {
		return p, nil
	}
	if len(d.sensors)+len(d.actuators) >= c.sb.limits.Points {
		return nil, &CloudError{Kind: ErrQuota, Message: fmt.Sprintf(
			"device %q already has %d sensors and actuators, the most it can hold", d.id, c.sb.limits.Points)}
	}
	p := &point{setup: ps}
	if ps.Value != nil {
		now := time.Now().UTC()
		v, _ := scalarValue(ps.Value)
		p.store(Value{Value: v, Timestamp: now, DateReceived: now})
	}
	list := d.points(k)
	*list = append(*list, p)
	return p, nil
}

// Point describes one sensor or actuator with its current value.
func (c *Cloud) Point(k PointKind, deviceID, id string) (PointInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.lookup(k, deviceID, id)
	if err != nil {
		return PointInfo{}, err
	}
	return p.info(), nil
}

// Values returns a point's history, oldest first (at most HistorySize).
func (c *Cloud) Values(k PointKind, deviceID, id string) ([]Value, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.lookup(k, deviceID, id)
	if err != nil {
		return nil, err
	}
	return append([]Value{}, p.history...), nil
}

// PostSensorValue stores a sensor value and publishes it on
// devices/{d}/sensors/{s}/value, as the Waziup cloud does.
func (c *Cloud) PostSensorValue(deviceID, sensorID string, value any) (Value, error) {
	return c.PostValue(Sensors, deviceID, sensorID, value, time.Time{})
}

// PostActuatorValue stores an actuator value and publishes it on
// devices/{d}/actuators/{a}/value.
func (c *Cloud) PostActuatorValue(deviceID, actuatorID string, value any) (Value, error) {
	return c.PostValue(Actuators, deviceID, actuatorID, value, time.Time{})
}

// PostValue stores and publishes a value. A zero timestamp means now. It
// counts against the sandbox's publish rate, like a learner's MQTT publish.
func (c *Cloud) PostValue(k PointKind, deviceID, id string, value any, timestamp time.Time) (Value, error) {
	v, _, err := c.post(k, deviceID, id, value, timestamp)
	return v, err
}

// PostValueJSON is PostValue answering the value as JSON, the payload it
// published (the REST API's answer, without writing it a second time). The
// bytes are the caller's to read, not to change: subscribers still get them.
func (c *Cloud) PostValueJSON(k PointKind, deviceID, id string, value any, timestamp time.Time) ([]byte, error) {
	_, payload, err := c.post(k, deviceID, id, value, timestamp)
	return payload, err
}

func (c *Cloud) post(k PointKind, deviceID, id string, value any, timestamp time.Time) (Value, []byte, error) {
	v, err := scalarValue(value)
	if err != nil {
		return Value{}, nil, &CloudError{Kind: ErrInvalid, Message: err.Error()}
	}
	now := time.Now().UTC()
	if timestamp.IsZero() {
		timestamp = now
	}
	val := Value{Value: v, Timestamp: timestamp, DateReceived: now}
	// MarshalJSON itself: json.Marshal would add reflection and a second
	// pass over the bytes (compacting what is compact already).
	payload, err := val.MarshalJSON()
	if err != nil {
		return Value{}, nil, &CloudError{Kind: ErrInvalid, Message: "value cannot be written as JSON"}
	}
	if len(payload) > c.sb.limits.PacketSize {
		return Value{}, nil, &CloudError{Kind: ErrTooLarge, Message: fmt.Sprintf("value too large: at most %d bytes", c.sb.limits.PacketSize)}
	}
	c.mu.Lock()
	p, err := c.lookup(k, deviceID, id)
	if err != nil {
		c.mu.Unlock()
		return Value{}, nil, err
	}
	c.mu.Unlock()
	if !c.sb.bucket.allow() {
		c.sb.limit("publish-rate", "", "", fmt.Sprintf("more than %g values per second: refused with HTTP 429", c.sb.limits.PublishRate))
		return Value{}, nil, &CloudError{Kind: ErrRateLimited, Message: fmt.Sprintf(
			"too many values: your sandbox accepts %g per second (bursts of %d); wait a moment and send fewer", c.sb.limits.PublishRate, c.sb.limits.PublishBurst)}
	}
	c.mu.Lock()
	p.store(val)
	c.mu.Unlock()
	topic := "devices/" + deviceID + "/" + string(k) + "/" + id + "/value"
	if err := c.sb.Publish(topic, payload, 1, false); err != nil {
		return val, payload, err
	}
	return val, payload, nil
}

// lookup finds a point; c.mu is held.
func (c *Cloud) lookup(k PointKind, deviceID, id string) (*point, error) {
	d := c.find(deviceID)
	if d == nil {
		return nil, c.unknownDevice(deviceID)
	}
	p := d.find(k, id)
	if p == nil {
		var ids []string
		for _, p := range *d.points(k) {
			ids = append(ids, p.setup.ID)
		}
		have := "It has no " + string(k) + " yet."
		if len(ids) > 0 {
			have = fmt.Sprintf("Its %s: %s.", k, strings.Join(ids, ", "))
		}
		return nil, &CloudError{Kind: ErrNotFound, Message: fmt.Sprintf(
			"device %q has no %s %q. %s Create it with POST /api/v2/devices/%s/%s and a body like {\"id\":\"%s\"}.",
			deviceID, k.singular(), id, have, deviceID, k, id)}
	}
	return p, nil
}

func (c *Cloud) unknownDevice(id string) error {
	var ids []string
	for _, d := range c.devices {
		ids = append(ids, d.id)
	}
	have := "Your sandbox has no devices yet."
	if len(ids) > 0 {
		have = "Devices in your sandbox: " + strings.Join(ids, ", ") + "."
	}
	return &CloudError{Kind: ErrNotFound, Message: fmt.Sprintf(
		"device %q does not exist. %s Create it with POST /api/v2/devices and a body like {\"id\":\"%s\",\"name\":\"my device\"}.", id, have, id)}
}

// scalarValue accepts what a sensor can read: a number, text, true/false or
// null. Objects and lists are refused so that the console and checks can
// show and compare values simply.
func scalarValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string, json.Number, float64, float32, int, int64, int32, uint64, uint32:
		if s, ok := x.(string); ok && len(s) > 1024 {
			return nil, fmt.Errorf("value text too long: at most 1024 characters")
		}
		return x, nil
	case map[string]any, map[any]any:
		return nil, fmt.Errorf("value must be a number, text or true/false, not an object (send {\"value\": 25})")
	case []any:
		return nil, fmt.Errorf("value must be a number, text or true/false, not a list (send {\"value\": 25})")
	}
	return nil, fmt.Errorf("value must be a number, text or true/false")
}

// fromMQTT updates the model from a learner's publish on
// devices/{d}/sensors|actuators/{p}/value, as the real cloud does. The
// payload may be {"value":…} or a bare value; unknown points are ignored
// (MQTT has no way to tell the publisher, and the message still flows).
func (c *Cloud) fromMQTT(topic string, payload []byte) {
	parts := strings.Split(topic, "/")
	if len(parts) != 5 || parts[0] != "devices" || parts[4] != "value" {
		return
	}
	k := PointKind(parts[2])
	if k != Sensors && k != Actuators {
		return
	}
	now := time.Now().UTC()
	val := Value{Timestamp: now, DateReceived: now}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err == nil {
		if m, ok := raw.(map[string]any); ok {
			v, ok := m["value"]
			if !ok {
				return
			}
			raw = v
			if ts, ok := m["timestamp"].(string); ok {
				if t, err := time.Parse(time.RFC3339, ts); err == nil {
					val.Timestamp = t
				}
			}
		}
	} else if utf8.Valid(payload) && len(payload) <= 1024 {
		raw = strings.TrimSpace(string(payload))
	} else {
		return
	}
	v, err := scalarValue(raw)
	if err != nil {
		return
	}
	val.Value = v
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, err := c.lookup(k, parts[1], parts[3]); err == nil {
		p.store(val)
	}
}

// cloudHook feeds learners' MQTT publishes into the cloud model.
type cloudHook struct {
	mqtt.HookBase
	sb *Sandbox
}

func (h *cloudHook) ID() string { return "courselab-cloud" }

func (h *cloudHook) Provides(b byte) bool { return b == mqtt.OnPublished }

func (h *cloudHook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline || !strings.HasPrefix(pk.TopicName, "devices/") {
		return
	}
	h.sb.cloud.fromMQTT(pk.TopicName, pk.Payload)
}
