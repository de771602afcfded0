package cloudapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/labs"
)

const deviceExample = `{"id":"ESPDEVICE","name":"my device","sensors":[{"id":"TC","quantity_kind":"Temperature","unit":"DegreeCelsius"}]}`

func (a *api) listDevices(c echo.Context, sb *labs.Sandbox) error {
	return c.JSON(http.StatusOK, sb.Cloud().Devices())
}

func (a *api) getDevice(c echo.Context, sb *labs.Sandbox) error {
	d, err := sb.Cloud().Device(c.Param("d"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (a *api) createDevice(c echo.Context, sb *labs.Sandbox) error {
	m, err := object(c, sb, deviceExample)
	if err != nil {
		return err
	}
	var ds labs.DeviceSetup
	if ds.ID, err = str(m, "id"); err != nil {
		return err
	}
	if ds.ID == "" {
		return badRequest(`the device needs an "id": send JSON like %s`, deviceExample)
	}
	if ds.Name, err = str(m, "name"); err != nil {
		return err
	}
	if ds.Sensors, err = pointList(m, "sensors"); err != nil {
		return err
	}
	if ds.Actuators, err = pointList(m, "actuators"); err != nil {
		return err
	}
	d, created, err := sb.Cloud().CreateDevice(ds)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, d)
}

func pointList(m map[string]any, key string) ([]labs.PointSetup, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest("%q must be a list like [{\"id\":\"TC\"}]", key)
	}
	var out []labs.PointSetup
	for _, item := range list {
		pm, ok := item.(map[string]any)
		if !ok {
			return nil, badRequest("each of %q must be an object like {\"id\":\"TC\"}", key)
		}
		ps, err := pointSetup(pm)
		if err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	return out, nil
}

// pointSetup reads a Waziup sensor/actuator body; "kind" is accepted for
// "quantity_kind" because the front matter uses it.
func pointSetup(m map[string]any) (labs.PointSetup, error) {
	var ps labs.PointSetup
	var err error
	if ps.ID, err = str(m, "id"); err != nil {
		return ps, err
	}
	if ps.ID == "" {
		return ps, badRequest(`a sensor or actuator needs an "id", like {"id":"TC"}`)
	}
	if ps.Name, err = str(m, "name"); err != nil {
		return ps, err
	}
	if ps.Kind, err = str(m, "quantity_kind"); err != nil {
		return ps, err
	}
	if ps.Kind == "" {
		if ps.Kind, err = str(m, "kind"); err != nil {
			return ps, err
		}
	}
	if ps.Unit, err = str(m, "unit"); err != nil {
		return ps, err
	}
	if v, ok := m["value"]; ok {
		if vm, isObj := v.(map[string]any); isObj {
			v = vm["value"] // a value object as GET returns it
		}
		ps.Value = v
	}
	return ps, nil
}
