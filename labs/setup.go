package labs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/courselab/courselab/labs/check/vocab"
)

// Setup is a course's lab set-up: the devices, sensors and actuators a learner's
// simulated cloud starts with. Courses declare it in front matter under `lab:`:
//
//	lab:
//	  devices:
//	    - id: ESPDEVICE
//	      name: ESP32 board
//	      sensors:
//	        - {id: TC, name: Temperature, kind: Temperature, unit: DegreeCelsius, value: 21.5, min: 15, max: 30}
//	        - {id: HU, name: Humidity, kind: RelativeHumidity, unit: Percent, value: 45}
//	      actuators:
//	        - {id: LED, name: Status LED, kind: Boolean, value: false}
type Setup struct {
	Devices []DeviceSetup `yaml:"devices" json:"devices"`
}

// DeviceSetup is one device of a Setup.
type DeviceSetup struct {
	ID        string       `yaml:"id" json:"id"`
	Name      string       `yaml:"name,omitempty" json:"name,omitempty"`
	Sensors   []PointSetup `yaml:"sensors,omitempty" json:"sensors,omitempty"`
	Actuators []PointSetup `yaml:"actuators,omitempty" json:"actuators,omitempty"`
}

// PointSetup is one sensor or actuator of a device. Min and Max bound the
// values the device simulator streams; Value is the initial value (nil: none yet).
type PointSetup struct {
	ID    string   `yaml:"id" json:"id"`
	Name  string   `yaml:"name,omitempty" json:"name,omitempty"`
	Kind  string   `yaml:"kind,omitempty" json:"kind,omitempty"`
	Unit  string   `yaml:"unit,omitempty" json:"unit,omitempty"`
	Value any      `yaml:"value,omitempty" json:"value,omitempty"`
	Min   *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max   *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// DefaultSetup is the set-up of the bundled MQTT course (device ESPDEVICE with
// a temperature sensor TC, a humidity sensor HU and an LED actuator). Personal
// mode and tests use it when no course says otherwise.
func DefaultSetup() Setup {
	lo, hi := 15.0, 30.0
	hlo, hhi := 30.0, 70.0
	return Setup{Devices: []DeviceSetup{{
		ID:   "ESPDEVICE",
		Name: "ESP32 board",
		Sensors: []PointSetup{
			{ID: "TC", Name: "Temperature", Kind: "Temperature", Unit: "DegreeCelsius", Value: 21.5, Min: &lo, Max: &hi},
			{ID: "HU", Name: "Humidity", Kind: "RelativeHumidity", Unit: "Percent", Value: 45.0, Min: &hlo, Max: &hhi},
		},
		Actuators: []PointSetup{
			{ID: "LED", Name: "Status LED", Kind: "Boolean", Value: false},
		},
	}}}
}

// ValidID reports whether id can name a device, sensor or actuator. The rule
// is the check vocabulary's, so that a check can name every device a lab has.
func ValidID(id string) bool { return vocab.ValidID(id) }

// Validate checks ids and values, naming the first problem in words an
// instructor can act on.
func (s Setup) Validate() error {
	seen := map[string]bool{}
	for i, d := range s.Devices {
		where := fmt.Sprintf("lab.devices[%d]", i)
		if d.ID == "" {
			return fmt.Errorf("%s: missing id (e.g. id: ESPDEVICE)", where)
		}
		if !ValidID(d.ID) {
			return fmt.Errorf("%s: id %q may only hold letters, digits, '_', '-', '.', ':' (no spaces or '/')", where, d.ID)
		}
		if seen[d.ID] {
			return fmt.Errorf("%s: device id %q is used twice", where, d.ID)
		}
		seen[d.ID] = true
		if err := validatePoints(where+".sensors", d.Sensors); err != nil {
			return err
		}
		if err := validatePoints(where+".actuators", d.Actuators); err != nil {
			return err
		}
	}
	return nil
}

func validatePoints(where string, ps []PointSetup) error {
	seen := map[string]bool{}
	for i, p := range ps {
		w := fmt.Sprintf("%s[%d]", where, i)
		if p.ID == "" {
			return fmt.Errorf("%s: missing id (e.g. id: TC)", w)
		}
		if !ValidID(p.ID) {
			return fmt.Errorf("%s: id %q may only hold letters, digits, '_', '-', '.', ':' (no spaces or '/')", w, p.ID)
		}
		if seen[p.ID] {
			return fmt.Errorf("%s: id %q is used twice on this device", w, p.ID)
		}
		seen[p.ID] = true
		if p.Value != nil {
			if _, err := scalarValue(p.Value); err != nil {
				return fmt.Errorf("%s: value: %w", w, err)
			}
		}
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
			return fmt.Errorf("%s: min (%g) is above max (%g)", w, *p.Min, *p.Max)
		}
	}
	return nil
}

// ParseSetup reads the value of the front matter key `lab:` as decoded by a
// YAML library (map[string]any or map[any]any at any depth). Given the whole
// front matter instead, it reads its `lab` key. Unknown keys are errors,
// because a typo ("sensor:") would otherwise silently give an empty lab.
func ParseSetup(m map[string]any) (Setup, error) {
	if inner, ok := m["lab"]; ok {
		mm, ok := toStringMap(inner)
		if !ok {
			return Setup{}, errors.New("lab: expected a mapping with key devices")
		}
		m = mm
	}
	var s Setup
	for k, v := range m {
		if k != "devices" {
			return Setup{}, fmt.Errorf("lab: unknown key %q (expected devices)", k)
		}
		list, ok := v.([]any)
		if !ok {
			return Setup{}, errors.New("lab.devices: expected a list of devices (- id: ESPDEVICE …)")
		}
		for i, item := range list {
			where := fmt.Sprintf("lab.devices[%d]", i)
			dm, ok := toStringMap(item)
			if !ok {
				return Setup{}, fmt.Errorf("%s: expected a mapping with id, name, sensors, actuators", where)
			}
			d, err := parseDevice(where, dm)
			if err != nil {
				return Setup{}, err
			}
			s.Devices = append(s.Devices, d)
		}
	}
	return s, s.Validate()
}

func parseDevice(where string, m map[string]any) (DeviceSetup, error) {
	var d DeviceSetup
	for k, v := range m {
		var err error
		switch k {
		case "id":
			d.ID, err = stringField(where, k, v)
		case "name":
			d.Name, err = stringField(where, k, v)
		case "sensors":
			d.Sensors, err = parsePoints(where+".sensors", v)
		case "actuators":
			d.Actuators, err = parsePoints(where+".actuators", v)
		default:
			err = fmt.Errorf("%s: unknown key %q (expected id, name, sensors, actuators)", where, k)
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

func parsePoints(where string, v any) ([]PointSetup, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected a list (- id: TC …)", where)
	}
	var out []PointSetup
	for i, item := range list {
		w := fmt.Sprintf("%s[%d]", where, i)
		m, ok := toStringMap(item)
		if !ok {
			return nil, fmt.Errorf("%s: expected a mapping with id, name, kind, unit, value", w)
		}
		var p PointSetup
		for k, fv := range m {
			var err error
			switch k {
			case "id":
				p.ID, err = stringField(w, k, fv)
			case "name":
				p.Name, err = stringField(w, k, fv)
			case "kind":
				p.Kind, err = stringField(w, k, fv)
			case "unit":
				p.Unit, err = stringField(w, k, fv)
			case "value":
				p.Value = fv
			case "min", "max":
				f, ok := toFloat(fv)
				if !ok {
					err = fmt.Errorf("%s: %s must be a number", w, k)
				} else if k == "min" {
					p.Min = &f
				} else {
					p.Max = &f
				}
			default:
				err = fmt.Errorf("%s: unknown key %q (expected id, name, kind, unit, value, min, max)", w, k)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func stringField(where, key string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), nil
	case int, int64, float64:
		return fmt.Sprint(x), nil // YAML reads `id: 42` as a number; an id is still text
	}
	return "", fmt.Errorf("%s: %s must be text", where, key)
}

func toStringMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}
