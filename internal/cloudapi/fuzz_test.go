package cloudapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/courselab/courselab/internal/cloudapi"
	"github.com/courselab/courselab/labs"
	"github.com/courselab/courselab/labs/labtest"
)

// fuzzRoutes are the calls of the simulated cloud that read a JSON body.
var fuzzRoutes = []string{
	"/api/v2/devices",
	"/api/v2/devices/ESPDEVICE/sensors",
	"/api/v2/devices/ESPDEVICE/actuators",
	"/api/v2/devices/ESPDEVICE/sensors/TC/value",
	"/api/v2/devices/ESPDEVICE/sensors/TC/values",
	"/api/v2/devices/ESPDEVICE/actuators/LED/value",
	"/api/v2/devices/ESPDEVICE/simulation",
	"/api/v2/auth/token",
}

// FuzzCloudAPIBodies posts any body to every call of the simulated cloud
// that reads one, in personal and classroom mode. Echo runs here without
// its recover middleware, so a panic in a handler reaches the fuzzer; any
// answer must be below 500, and an error must be JSON with a message.
func FuzzCloudAPIBodies(f *testing.F) {
	for _, body := range []string{
		`{"value": 25}`, `{"value": "on"}`, `{"value": true}`, `25`, `"text"`, `{ "value": 25}{}`, `{'value': 25}`,
		`{"id":"ESPDEVICE2","name":"my device","sensors":[{"id":"TC","quantity_kind":"Temperature","unit":"DegreeCelsius"}]}`,
		`{"id":"T2","name":"t","quantity_kind":"Temperature","unit":"DegreeCelsius","value":{"value":3}}`,
		`{"every_ms": 1000}`, `{"every_ms": -1}`, `{"every_ms": 1e99}`, `{"username":"u","password":"p"}`,
		`[{"value": 1}, {"value": 2}]`, `{"value": {"value": [1, {"a": null}]}}`, ``, `null`, "\xff\xfe",
	} {
		for i := range fuzzRoutes {
			f.Add(uint8(i), []byte(body))
		}
	}
	fast := labs.Limits{PublishRate: 1e9, PublishBurst: 1 << 30}
	type target struct {
		h     http.Handler
		token string
	}
	var targets []target
	for _, classroom := range []bool{false, true} {
		l := labtest.NewLabs(f, labs.Config{Classroom: classroom, Limits: fast})
		e := echo.New()
		cloudapi.Register(e.Group("/api/v2"), l, func(c echo.Context) (*labs.Sandbox, error) {
			learner := l.Personal()
			if classroom {
				tok, _ := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
				var ok bool
				if learner, ok = l.LearnerByToken(tok); !ok {
					return nil, echo.NewHTTPError(http.StatusUnauthorized, "send your lab token")
				}
			}
			return l.Sandbox(learner, labs.DefaultSetup())
		})
		targets = append(targets, target{e, l.Credentials("fuzz").Token})
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		for _, tg := range targets {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tg.token)
			rec := httptest.NewRecorder()
			tg.h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				var e struct {
					Error string `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Fatalf("POST %s %q: %d with %q, want JSON {\"error\": …}", path, body, rec.Code, rec.Body)
				}
			}
		}
	})
}
