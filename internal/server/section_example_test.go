package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestConsoleExamplesUseTheCoursesOwnDevice: the sensor-data course sets up
// GREENHOUSE, so its console's ready-to-paste lines and placeholders name
// GREENHOUSE, not the MQTT course's ESPDEVICE (issue 10, item 12).
func TestConsoleExamplesUseTheCoursesOwnDevice(t *testing.T) {
	ts := bundledServer(t)
	for _, tc := range []struct{ path, device, sensor string }{
		{"/courses/sensor-data/read-the-values-over-rest", "GREENHOUSE", "TC"},
	} {
		res, err := http.Get(ts.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", tc.path, res.Status)
		}
		page := string(body)
		for _, want := range []string{
			`data-example-device="` + tc.device + `"`,
			`data-example-sensor="` + tc.sensor + `"`,
			`placeholder="devices/` + tc.device + `/sensors/` + tc.sensor + `/value"`,
			`placeholder="devices/` + tc.device + `/#"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("GET %s: the page lacks %s", tc.path, want)
			}
		}
		if strings.Contains(page, "ESPDEVICE") {
			t.Errorf("GET %s: the page still names ESPDEVICE", tc.path)
		}
	}
}
