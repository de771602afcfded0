package cloudapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/check"
	"github.com/courselab/courselab/labs/labtest"
)

// consoleGET reads the API the way the lab console's page does: a fetch from
// a page of the same server, with the Fetch Metadata headers a browser sends
// to HTTPS and localhost, or (plain HTTP to another host) with only a Referer.
func consoleGET(t *testing.T, url string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/json")
	if strings.HasSuffix(url, "/devices") {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		req.Header.Set("Sec-Fetch-Dest", "empty")
	} else {
		req.Header.Set("Referer", "http://"+req.URL.Host+"/courses/mqtt-apis/")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

func TestConsoleReadsAreThePlatformsNotTheLearnersCalls(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	api := newAPI(t, l)
	sb, _ := l.Sandbox(labs.PersonalLearner, labs.DefaultSetup())
	rest := func(method, path string) check.Detail {
		res := check.New(labtest.QuietLogger()).Evaluate(context.Background(), sb,
			[]check.Spec{{Type: "rest", Args: map[string]string{"method": method, "path": path}}})
		return res.Details[0]
	}
	// Page loads: the console lists the devices and asks for the simulation.
	for range 3 {
		consoleGET(t, api+"/api/v2/devices")
		consoleGET(t, api+"/api/v2/devices/ESPDEVICE/simulation")
	}
	if d := rest("POST", "/api/v2/devices/ESPDEVICE/sensors/TC/value"); d.Passed || strings.Contains(d.Message, "simulation") ||
		!strings.Contains(d.Message, "have not called") {
		t.Fatalf("with only the console's own reads, the check says: %q", d.Message)
	}
	// The learner's own call, with curl, counts; so does the course's link
	// opened from the page (a navigation, with a Referer).
	if status, _ := call(t, "GET", api+"/api/v2/devices/ESPDEVICE/sensors/TC/values", "", ""); status != http.StatusOK {
		t.Fatal(status)
	}
	req, _ := http.NewRequest(http.MethodGet, api+"/api/v2/devices/ESPDEVICE/sensors/HU/values", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	req.Header.Set("Referer", api+"/courses/sensor-data/")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the course's link: %v", err)
	}
	learnerCalls := 0
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindREST && !e.Platform {
			learnerCalls++
		}
	}
	if learnerCalls != 2 {
		t.Fatalf("%d of the learner's 2 calls journaled as theirs", learnerCalls)
	}
	for range 500 { // many page loads later
		consoleGET(t, api+"/api/v2/devices/ESPDEVICE/simulation")
	}
	if d := rest("GET", "/api/v2/devices/+/sensors/+/values"); !d.Passed {
		t.Fatalf("the learner's curl call no longer counts after page loads: %q", d.Message)
	}
	platform := 0
	for _, e := range sb.Journal().Since(0) {
		if e.Kind == labs.KindREST && e.Platform {
			platform++
		}
	}
	if platform == 0 || platform > labs.NoiseSize {
		t.Fatalf("%d console reads kept in the journal, want them marked platform and at most %d", platform, labs.NoiseSize)
	}
}
