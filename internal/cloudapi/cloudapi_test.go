package cloudapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/cloudapi"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// newAPI serves the API the way the server mounts it, with a resolver like
// the server's: personal mode → personal sandbox; classroom → Bearer token.
func newAPI(t testing.TB, l *labs.Labs) string {
	t.Helper()
	e := echo.New()
	cloudapi.Register(e.Group("/api/v2"), l, func(c echo.Context) (*labs.Sandbox, error) {
		learner := l.Personal()
		if l.Classroom() {
			tok, _ := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
			var ok bool
			if learner, ok = l.LearnerByToken(tok); !ok || tok == "" {
				return nil, echo.NewHTTPError(http.StatusUnauthorized, "send your lab token as Authorization: Bearer <token>")
			}
		}
		return l.Sandbox(learner, labs.DefaultSetup())
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// call does an HTTP request like the course's curl line.
func call(t testing.TB, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("accept", "application/json;charset=utf-8")
	req.Header.Set("Content-Type", "application/json;charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSeedHandsOnCurlReachesSubscriber(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	api, mqttAddr := newAPI(t, l), labtest.StartFront(t, l)
	sub := labtest.MustDial(t, mqttAddr, &paho.Connect{ClientID: "mqtt-sub", CleanStart: true})
	sub.Sub(t, "devices/ESPDEVICE/sensors/TC/value", 0)
	all := labtest.MustDial(t, mqttAddr, &paho.Connect{ClientID: "all", CleanStart: true})
	all.Sub(t, "devices/#", 1)

	// curl -X POST ".../api/v2/devices/ESPDEVICE/sensors/TC/value" -H "accept: application/json;charset=utf-8" -H "Content-Type: application/json;charset=utf-8" -d "{ \"value\": 25}"
	if code, body := call(t, "POST", api+"/api/v2/devices/ESPDEVICE/sensors/TC/value", "", `{ "value": 25}`); code != 200 {
		t.Fatalf("POST value: %d %s", code, body)
	}
	m := sub.Next(t)
	var got struct {
		Value        json.Number `json:"value"`
		Timestamp    string      `json:"timestamp"`
		DateReceived string      `json:"date_received"`
	}
	if err := json.Unmarshal(m.Payload, &got); err != nil || got.Value != "25" {
		t.Fatalf("payload %s: %v", m.Payload, err)
	}
	if !strings.HasPrefix(string(m.Payload), `{"value":25,"timestamp":"`) {
		t.Fatalf("payload shape: %s", m.Payload)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", got.DateReceived); err != nil {
		t.Fatalf("date_received %q: %v", got.DateReceived, err)
	}
	if code, body := call(t, "POST", api+"/api/v2/devices/ESPDEVICE/actuators/LED/value", "", `{"value": true}`); code != 200 {
		t.Fatalf("POST actuator: %d %s", code, body)
	}
	all.NextOn(t, "devices/ESPDEVICE/sensors/TC/value")
	if m := all.NextOn(t, "devices/ESPDEVICE/actuators/LED/value"); !strings.Contains(string(m.Payload), `"value":true`) {
		t.Fatalf("actuator payload %s", m.Payload)
	}
	code, body := call(t, "GET", api+"/api/v2/devices/ESPDEVICE/sensors/TC/values", "", "")
	if code != 200 || !strings.Contains(body, `"value":25`) {
		t.Fatalf("history: %d %s", code, body)
	}
	code, body = call(t, "GET", api+"/api/v2/devices", "", "")
	if code != 200 || !strings.Contains(body, `"id":"ESPDEVICE"`) {
		t.Fatalf("devices: %d %s", code, body)
	}
	sb := l.Lookup(labs.PersonalLearner)
	var rest, platform bool
	for _, e := range sb.Journal().Since(0) {
		rest = rest || e.Kind == labs.KindREST && e.REST().Status == 200
		platform = platform || e.Kind == labs.KindPublish && e.Platform && e.Topic == "devices/ESPDEVICE/sensors/TC/value"
	}
	if !rest || !platform {
		t.Fatalf("journal lacks rest (%v) or platform publish (%v)", rest, platform)
	}
}

func TestBadRESTRequestsGetClearErrors(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Limits: labs.Limits{PacketSize: 1024, PublishRate: 1, PublishBurst: 2}})
	api := newAPI(t, l)
	v := api + "/api/v2/devices/ESPDEVICE/sensors/TC/value"
	cases := []struct {
		name, method, url, body string
		code                    int
		want                    string
	}{
		{"not JSON", "POST", v, `{ value: 25}`, 400, "not valid JSON"},
		{"no body", "POST", v, ``, 400, "no body"},
		{"no value key", "POST", v, `{"valeur": 25}`, 400, `no "value"`},
		{"object value", "POST", v, `{"value": {"a": 1}}`, 400, "not an object"},
		{"bad timestamp", "POST", v, `{"value": 1, "timestamp": "yesterday"}`, 400, "timestamp"},
		{"too large", "POST", v, `{"value":"` + strings.Repeat("x", 2000) + `"}`, 413, "too large"},
		{"unknown sensor", "POST", api + "/api/v2/devices/ESPDEVICE/sensors/TX/value", `{"value": 1}`, 404, "Its sensors: TC, HU. Create it with POST /api/v2/devices/ESPDEVICE/sensors"},
		{"unknown device", "GET", api + "/api/v2/devices/NOPE", ``, 404, "Devices in your sandbox: ESPDEVICE"},
		{"device without id", "POST", api + "/api/v2/devices", `{"name":"x"}`, 400, `needs an "id"`},
		{"device bad id", "POST", api + "/api/v2/devices", `{"id":"a b"}`, 400, "may only hold"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(t, tc.method, tc.url, "", tc.body)
			var e struct{ Error string }
			if code != tc.code || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, tc.want) {
				t.Fatalf("%d %s, want %d with %q", code, body, tc.code, tc.want)
			}
		})
	}
	var limited bool
	for i := 0; i < 5 && !limited; i++ {
		code, _ := call(t, "POST", v, "", `{"value": 1}`)
		limited = code == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatal("no 429 over the rate")
	}
	var restErr bool
	for _, e := range l.Lookup(labs.PersonalLearner).Journal().Since(0) {
		restErr = restErr || e.Kind == labs.KindREST && e.REST().Status == 400 && e.REST().Error != ""
	}
	if !restErr {
		t.Fatal("journal lacks the failed REST calls")
	}
}

func TestDevicesSensorsAndSimulationEndpoints(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	api := newAPI(t, l)
	if code, body := call(t, "POST", api+"/api/v2/devices", "", `{"id":"GW","name":"gateway","sensors":[{"id":"P","quantity_kind":"Pressure"}]}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, _ := call(t, "POST", api+"/api/v2/devices", "", `{"id":"GW"}`); code != 200 {
		t.Fatalf("re-create must be idempotent: %d", code)
	}
	if code, body := call(t, "POST", api+"/api/v2/devices/GW/actuators", "", `{"id":"FAN","kind":"Boolean"}`); code != 201 {
		t.Fatalf("actuator: %d %s", code, body)
	}
	if code, body := call(t, "GET", api+"/api/v2/devices/GW/sensors/P", "", ""); code != 200 || !strings.Contains(body, `"quantity_kind":"Pressure"`) {
		t.Fatalf("sensor: %d %s", code, body)
	}
	if code, body := call(t, "POST", api+"/api/v2/devices/GW/simulation", "", `{"every_ms": 200}`); code != 200 || !strings.Contains(body, `"running":true`) {
		t.Fatalf("simulation: %d %s", code, body)
	}
	time.Sleep(500 * time.Millisecond)
	if code, _ := call(t, "DELETE", api+"/api/v2/devices/GW/simulation", "", ""); code != 200 {
		t.Fatal(code)
	}
	_, body := call(t, "GET", api+"/api/v2/devices/GW/sensors/P/values", "", "")
	if strings.Count(body, `"value"`) < 1 {
		t.Fatalf("simulated values: %s", body)
	}
}

func TestClassroomTokenAndAuth(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{Classroom: true})
	api := newAPI(t, l)
	cr := l.Credentials("ana")
	code, tok := call(t, "POST", api+"/api/v2/auth/token", "", `{"username":"`+cr.Username+`","password":"`+cr.Password+`"}`)
	if code != 200 || tok != cr.Token {
		t.Fatalf("token: %d %q", code, tok)
	}
	if code, _ := call(t, "POST", api+"/api/v2/auth/token", "", `{"username":"ana","password":"x"}`); code != 401 {
		t.Fatalf("wrong password: %d", code)
	}
	if code, body := call(t, "GET", api+"/api/v2/devices", "", ""); code != 401 || !strings.Contains(body, `"error"`) {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, _ := call(t, "GET", api+"/api/v2/devices", tok, ""); code != 200 {
		t.Fatalf("with token: %d", code)
	}
	if l.Lookup("ana") == nil {
		t.Fatal("sandbox not created by the API call")
	}
}

func TestPersonalTokenNeedsNoCredentials(t *testing.T) {
	l := labtest.NewLabs(t, labs.Config{})
	code, tok := call(t, "POST", newAPI(t, l)+"/api/v2/auth/token", "", `{"username":"whoever","password":"x"}`)
	if code != 200 || tok != l.Credentials(labs.PersonalLearner).Token {
		t.Fatalf("%d %q", code, tok)
	}
}
