package labs

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds of the simulator's interval: faster would eat the learner's publish
// rate, slower is indistinguishable from stopped.
const (
	MinSimulationInterval = 200 * time.Millisecond
	MaxSimulationInterval = time.Hour
)

// Simulator streams plausible values from a sandbox's devices: every
// interval, each sensor of the device takes a small random step within its
// range and is posted to the cloud (hence published on MQTT). A goroutine
// runs only while a device is being simulated.
type Simulator struct {
	sb      *Sandbox
	mu      sync.Mutex
	running map[string]chan struct{}
}

func newSimulator(sb *Sandbox) *Simulator { return &Simulator{sb: sb} }

// Start streams the device's sensor values every interval (clamped to
// MinSimulationInterval…MaxSimulationInterval), replacing a running stream.
func (s *Simulator) Start(deviceID string, every time.Duration) error {
	if _, err := s.sb.cloud.Device(deviceID); err != nil {
		return err
	}
	if s.sb.Closed() {
		return ErrSandboxClosed
	}
	every = min(max(every, MinSimulationInterval), MaxSimulationInterval)
	s.mu.Lock()
	defer s.mu.Unlock()
	if stop, ok := s.running[deviceID]; ok {
		close(stop)
	}
	if s.running == nil {
		s.running = map[string]chan struct{}{}
	}
	stop := make(chan struct{})
	s.running[deviceID] = stop
	go s.run(deviceID, every, stop)
	return nil
}

// Stop stops streaming the device's values; stopping a stopped device is fine.
func (s *Simulator) Stop(deviceID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stop, ok := s.running[deviceID]; ok {
		close(stop)
		delete(s.running, deviceID)
	}
}

// Running lists the devices being simulated, sorted.
func (s *Simulator) Running() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.running {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func (s *Simulator) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, stop := range s.running {
		close(stop)
		delete(s.running, id)
	}
}

func (s *Simulator) run(deviceID string, every time.Duration, stop chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if !s.tick(deviceID) {
				s.Stop(deviceID)
				return
			}
		}
	}
}

// tick posts one value per sensor; false when the device is gone.
func (s *Simulator) tick(deviceID string) bool {
	d, err := s.sb.cloud.Device(deviceID)
	if err != nil {
		return false
	}
	for _, p := range d.Sensors {
		next := s.next(deviceID, p)
		_, err := s.sb.cloud.PostSensorValue(deviceID, p.ID, next)
		if errors.Is(err, ErrSandboxClosed) {
			return false
		}
		// ErrRateLimited: skip this tick's value; the learner's own traffic has priority.
	}
	return true
}

// next computes the sensor's next value from its current one.
func (s *Simulator) next(deviceID string, p PointInfo) any {
	lo, hi := PlausibleRange(p.QuantityKind, p.Unit)
	s.sb.cloud.mu.Lock()
	if d := s.sb.cloud.find(deviceID); d != nil {
		if pt := d.find(Sensors, p.ID); pt != nil {
			if pt.setup.Min != nil {
				lo = *pt.setup.Min
			}
			if pt.setup.Max != nil {
				hi = *pt.setup.Max
			}
		}
	}
	s.sb.cloud.mu.Unlock()
	var cur any
	if p.Value != nil {
		cur = p.Value.Value
	}
	switch c := cur.(type) {
	case bool:
		if rand.IntN(5) == 0 {
			return !c
		}
		return c
	case string:
		if _, err := strconv.ParseFloat(c, 64); err != nil {
			return c
		}
	}
	x, ok := number(cur)
	if !ok || x < lo || x > hi {
		x = lo + (hi-lo)/2
	}
	x += (rand.Float64()*2 - 1) * (hi - lo) / 20
	x = math.Min(hi, math.Max(lo, x))
	return math.Round(x*10) / 10
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	}
	return toFloat(v)
}

// PlausibleRange gives a believable range of values for common quantity
// kinds, for the simulator and for checks that publish fresh values.
func PlausibleRange(kind, unit string) (float64, float64) {
	k := strings.ToLower(kind + " " + unit)
	switch {
	case strings.Contains(k, "temp") || strings.Contains(k, "celsius"):
		return 15, 30
	case strings.Contains(k, "humid") || strings.Contains(k, "percent"):
		return 30, 70
	case strings.Contains(k, "pressure"):
		return 990, 1030
	}
	return 0, 100
}
