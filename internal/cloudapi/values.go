package cloudapi

import (
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
		body, err := readJSON(c, sb, valueExample)
		if err != nil {
			return err
		}
		var ts time.Time
		value := body
		if m, ok := body.(map[string]any); ok {
			v, has := m["value"]
			if !has {
				return badRequest(`the body has no "value": send JSON like %s`, valueExample)
			}
			value = v
			if t, ok := m["timestamp"]; ok && t != nil {
				s, isStr := t.(string)
				parsed, perr := time.Parse(time.RFC3339, s)
				if !isStr || perr != nil {
					return badRequest(`"timestamp" must be a date like "2025-01-31T10:00:00.000Z" (or leave it out)`)
				}
				ts = parsed
			}
		}
		v, err := sb.Cloud().PostValue(k, c.Param("d"), c.Param("p"), value, ts)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
}
