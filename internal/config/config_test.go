package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseDefaultsServePersonalModeOnStandardPorts(t *testing.T) {
	cfg, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: ":8080", MQTTAddr: ":1883", Data: "./data", IdleTimeout: 30 * time.Minute}
	if cfg != want {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
}

func TestParseEnvironmentAndFlags(t *testing.T) {
	e := env(map[string]string{
		"COURSELAB_ADDR":      "127.0.0.1:9000",
		"COURSELAB_CLASSROOM": "1",
		"COURSELAB_COURSES":   "/srv/courses",
		"COURSELAB_DATA":      "/data",
	})
	cfg, err := Parse([]string{"--addr", ":7000", "--instructor-token", "s3cret"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7000" {
		t.Errorf("flag should win over environment: addr = %q", cfg.Addr)
	}
	if !cfg.Classroom || cfg.Courses != "/srv/courses" || cfg.Data != "/data" || cfg.InstructorToken != "s3cret" {
		t.Errorf("environment not applied: %+v", cfg)
	}
	cfg, err = Parse([]string{"--classroom"}, env(nil))
	if err != nil || !cfg.Classroom {
		t.Fatalf("bare --classroom: %+v, %v", cfg, err)
	}
	cfg, err = Parse([]string{"--classroom=false"}, env(map[string]string{"COURSELAB_CLASSROOM": "true"}))
	if err != nil || cfg.Classroom {
		t.Fatalf("--classroom=false should override the environment: %+v, %v", cfg, err)
	}
}

func TestParseRejectsBadValuesWithTheFlagName(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "8080"}, nil, "--addr"},
		{nil, map[string]string{"COURSELAB_MQTT_ADDR": "nope"}, "--mqtt-addr"},
		{nil, map[string]string{"COURSELAB_CLASSROOM": "maybe"}, "--classroom"},
		{[]string{"--idle-timeout", "soon"}, nil, "--idle-timeout"},
		{[]string{"--no-such-flag"}, nil, "no-such-flag"},
		{[]string{"extra"}, nil, "extra"},
	}
	for _, c := range cases {
		_, err := Parse(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%v, %v) = %v, want an error naming %s", c.args, c.env, err, c.want)
		}
	}
}
