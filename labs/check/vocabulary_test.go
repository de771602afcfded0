package check

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/courselab/courselab/content"
)

// TestLintAndEngineReadChecksAlike feeds the same <check> lines to the content
// loader (what `courselab lint` and the server's course loading report) and
// to the check engine: a check lint lets through must run, and one the engine
// would refuse must be refused by lint, with the same advice.
func TestLintAndEngineReadChecksAlike(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		// want is "" for a valid check, else a phrase both must say.
		want string
	}{
		{"rest path without a leading /", spec("rest", "method", "GET", "path", "api/v2/devices/+/sensors/TC/value"), "write a path starting with /"},
		{"rest without method", spec("rest", "path", "/api/v2/devices/ESPDEVICE/sensors/TC/value"), `needs method="…"`},
		{"timeout without a unit", spec("received", "device", "ESPDEVICE", "timeout", "15"), "give a unit, e.g. 15s"},
		{"device id with a colon", spec("received", "device", "esp32:a1"), ""},
		{"rest with a lower-case method", spec("rest", "method", "post", "path", "/api/v2/devices/+/sensors/TC/value"), ""},
		{"timeout under a second", spec("persistent-session", "topic", "a/b", "timeout", "500ms"), "between 1s and 2m"},
		{"device id with a space", spec("received", "device", "ESP DEVICE"), "device"},
		{"recovers with its defaults", spec("recovers", "topic", "devices/+/sensors/TC/value"), ""},
		{"recovers from a restart", spec("recovers", "topic", "a/b", "fault", "RESTART", "timeout", "30s"), ""},
		{"recovers from an unknown fault", spec("recovers", "topic", "a/b", "fault", "flood"), "use one of withhold-ack, restart"},
		{"recovers without topic", spec("recovers", "fault", "restart"), `needs topic="…"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			engineErr := tc.spec.Validate()
			lintErrs := lintCheck(t, tc.spec)
			if tc.want == "" {
				if engineErr != nil || len(lintErrs) != 0 {
					t.Fatalf("a valid check was refused: engine %v; lint %q", engineErr, lintErrs)
				}
				return
			}
			if engineErr == nil || !strings.Contains(engineErr.Error(), tc.want) {
				t.Errorf("engine: %v, want it to say %q", engineErr, tc.want)
			}
			if len(lintErrs) != 1 || !strings.Contains(lintErrs[0], tc.want) {
				t.Errorf("lint: %q, want one problem saying %q", lintErrs, tc.want)
			}
		})
	}
}

// lintCheck loads a one-exercise course holding s and returns the problems
// reported on the check's line, as "file:line: message".
func lintCheck(t *testing.T, s Spec) []string {
	t.Helper()
	var attrs strings.Builder
	fmt.Fprintf(&attrs, "type=%q", s.Type)
	for k, v := range s.Args {
		fmt.Fprintf(&attrs, " %s=%q", k, v)
	}
	md := "---\ntitle: Demo\n---\n# Hands on\n\n<exercise id=\"x\" title=\"X\">\nDo it.\n\n<check " + attrs.String() + " />\n</exercise>\n"
	const checkLine = 9
	cat := content.Load(fstest.MapFS{"demo/index.md": {Data: []byte(md)}}, content.Options{})
	var out []string
	for _, p := range cat.Problems {
		if p.Line != checkLine || p.File != "demo/index.md" {
			t.Errorf("unexpected problem %s:%d: %s", p.File, p.Line, p.Message)
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message))
	}
	return out
}
