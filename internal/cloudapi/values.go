package cloudapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

const valueExample = `{"value": 25}`

func (a *api) listPoints(k labs.PointKind) handler {
	return func(c echo.Context, sb *labs.Sandbox) error {
		d, err := sb.Cloud().Device(c.Param("d"))
		if err != nil {
			return err
		}
		if k == labs.Actuators {
			return c.JSON(http.StatusOK, d.Actuators)
		}
		return c.JSON(http.StatusOK, d.Sensors)
	}
}

func (a *api) createPoint(k labs.PointKind) handler {
	return func(c echo.Context, sb *labs.Sandbox) error {
		m, err := object(c, sb, `{"id":"TC","name":"Temperature","quantity_kind":"Temperature","unit":"DegreeCelsius"}`)
		if err != nil {
			return err
		}
		ps, err := pointSetup(m)
		if err != nil {
			return err
		}
		p, err := sb.Cloud().CreatePoint(k, c.Param("d"), ps)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, p)
	}
}

func (a *api) getPoint(k labs.PointKind) handler {
	return func(c echo.Context, sb *labs.Sandbox) error {
		p, err := sb.Cloud().Point(k, c.Param("d"), c.Param("p"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}
}

func (a *api) getValues(k labs.PointKind) handler {
	return func(c echo.Context, sb *labs.Sandbox) error {
		vs, err := sb.Cloud().Values(k, c.Param("d"), c.Param("p"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, vs)
	}
}

// postValue accepts {"value": 25} (optionally with "timestamp"), or a bare
// JSON value.
func (a *api) postValue(k labs.PointKind) handler {
	return func(c echo.Context, sb *labs.Sandbox) error {
		value, ts, err := valueBody(c, sb)
		if err != nil {
			return err
		}
		// The answer is the JSON the cloud published: c.JSON would write the
		// value again through the encoder's reflection, on every post. The
		// newline is what c.JSON ends with; the full slice expression makes
		// append copy, as the subscribers' payload must stay as it is.
		b, err := sb.Cloud().PostValueJSON(k, c.Param("d"), c.Param("p"), value, ts)
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, append(b[:len(b):len(b)], '\n'))
	}
}

// valueBody reads the value (and the timestamp, zero if none) of a posted
// value's body.
func valueBody(c echo.Context, sb *labs.Sandbox) (value any, ts time.Time, err error) {
	raw, err := readBody(c, sb, valueExample)
	if err != nil {
		return nil, ts, err
	}
	if v, ok := plainValue(raw); ok {
		return v, ts, nil
	}
	body, err := decodeJSON(raw, valueExample)
	if err != nil {
		return nil, ts, err
	}
	m, ok := body.(map[string]any)
	if !ok {
		return body, ts, nil
	}
	v, has := m["value"]
	if !has {
		return nil, ts, badRequest(`the body has no "value": send JSON like %s`, valueExample)
	}
	if t, ok := m["timestamp"]; ok && t != nil {
		s, isStr := t.(string)
		parsed, perr := time.Parse(time.RFC3339, s)
		if !isStr || perr != nil {
			return nil, ts, badRequest(`"timestamp" must be a date like "2025-01-31T10:00:00.000Z" (or leave it out)`)
		}
		ts = parsed
	}
	return v, ts, nil
}

// plainValue reads, without the JSON decoder, the body that devices and the
// courses' curl lines send on every value: {"value": N} with N a number,
// true, false or null and nothing else. It gives what decodeJSON would give
// for "value" (a number as json.Number, exactly as written); any other body
// (text values, a timestamp, bare values, anything malformed) answers false
// and takes the general path, which also words the errors.
func plainValue(body []byte) (any, bool) {
	rest, ok := bytes.CutPrefix(bytes.TrimLeft(body, jsonSpace), []byte("{"))
	if !ok {
		return nil, false
	}
	rest, ok = bytes.CutPrefix(bytes.TrimLeft(rest, jsonSpace), []byte(`"value"`))
	if !ok {
		return nil, false
	}
	rest, ok = bytes.CutPrefix(bytes.TrimLeft(rest, jsonSpace), []byte(":"))
	if !ok {
		return nil, false
	}
	rest = bytes.TrimLeft(rest, jsonSpace)
	end := bytes.IndexAny(rest, jsonSpace+"}")
	if end <= 0 {
		return nil, false
	}
	lit := rest[:end]
	tail, ok := bytes.CutPrefix(bytes.TrimLeft(rest[end:], jsonSpace), []byte("}"))
	if !ok || len(bytes.TrimLeft(tail, jsonSpace)) != 0 {
		return nil, false
	}
	switch string(lit) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	if !labs.IsJSONNumber(lit) {
		return nil, false
	}
	return json.Number(lit), true
}

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\r\n"
