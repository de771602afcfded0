package cloudapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

type simulationStatus struct {
	Device  string `json:"device"`
	Running bool   `json:"running"`
	EveryMS int64  `json:"every_ms,omitempty"`
}

func (a *api) getSimulation(c echo.Context, sb *labs.Sandbox) error {
	d := c.Param("d")
	if _, err := sb.Cloud().Device(d); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, simulationStatus{Device: d, Running: slices.Contains(sb.Simulator().Running(), d)})
}

// startSimulation starts streaming a device's values; the body
// {"every_ms": 1000} is optional.
func (a *api) startSimulation(c echo.Context, sb *labs.Sandbox) error {
	every := time.Second
	if c.Request().ContentLength != 0 {
		v, err := readJSON(c, sb, `{"every_ms": 1000}`)
		var ae *apiError
		if errors.As(err, &ae) && strings.HasPrefix(ae.msg, noBody) {
			err, v = nil, nil // an empty body means the default interval
		}
		if err != nil {
			return err
		}
		if m, ok := v.(map[string]any); ok {
			if n, ok := m["every_ms"].(json.Number); ok {
				ms, err := n.Int64()
				if err != nil || ms <= 0 {
					return badRequest(`"every_ms" must be a whole number of milliseconds, like {"every_ms": 1000}`)
				}
				every = time.Duration(ms) * time.Millisecond
			} else if _, has := m["every_ms"]; has {
				return badRequest(`"every_ms" must be a number, like {"every_ms": 1000}`)
			}
		}
	}
	every = min(max(every, labs.MinSimulationInterval), labs.MaxSimulationInterval)
	if err := sb.Simulator().Start(c.Param("d"), every); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, simulationStatus{Device: c.Param("d"), Running: true, EveryMS: every.Milliseconds()})
}

func (a *api) stopSimulation(c echo.Context, sb *labs.Sandbox) error {
	d := c.Param("d")
	if _, err := sb.Cloud().Device(d); err != nil {
		return err
	}
	sb.Simulator().Stop(d)
	return c.JSON(http.StatusOK, simulationStatus{Device: d, Running: false})
}
