package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseDefaultsServePersonalModeOnLoopbackOnStandardPorts(t *testing.T) {
	cfg, err := Parse(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: "127.0.0.1:8080", MQTTAddr: "127.0.0.1:1883", Data: "./data", IdleTimeout: 30 * time.Minute,
		MaxLearners: 1000, JoinsPerMinute: 30, MaxConns: 8192, MaxConnsPerAddr: 256}
	if !reflect.DeepEqual(cfg, want) {
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
		{[]string{"--max-learners", "0"}, nil, "--max-learners"},
		{nil, map[string]string{"COURSELAB_MAX_CONNS_PER_ADDR": "lots"}, "--max-conns-per-addr"},
		{[]string{"--trusted-proxy", "10.0.0.0/33"}, nil, "--trusted-proxy"},
		{[]string{"--trusted-proxy", "haproxy"}, nil, "--trusted-proxy"},
		{[]string{"extra"}, nil, "extra"},
	}
	for _, c := range cases {
		_, err := Parse(c.args, env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%v, %v) = %v, want an error naming %s", c.args, c.env, err, c.want)
		}
	}
}

func TestClassroomModeListensOnEveryInterfaceUnlessToldOtherwise(t *testing.T) {
	cfg, err := Parse([]string{"--classroom"}, env(nil))
	if err != nil || cfg.Addr != ":8080" || cfg.MQTTAddr != ":1883" {
		t.Fatalf("classroom: addr %q mqtt %q, %v; want :8080 and :1883", cfg.Addr, cfg.MQTTAddr, err)
	}
	cfg, err = Parse(nil, env(map[string]string{"COURSELAB_ADDR": ":9090", "COURSELAB_MQTT_ADDR": "0.0.0.0:1884"}))
	if err != nil || cfg.Addr != ":9090" || cfg.MQTTAddr != "0.0.0.0:1884" {
		t.Fatalf("personal with addresses given: %+v, %v", cfg, err)
	}
}

func TestTrustedProxiesAreAddressesOrNetworks(t *testing.T) {
	cfg, err := Parse([]string{"--trusted-proxy", " 10.1.2.3, 192.168.0.0/16 ,::1"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]bool{
		"10.1.2.3": true, "10.1.2.4": false, "192.168.40.1": true, "::1": true,
		"::ffff:10.1.2.3": true, "127.0.0.1": false, "8.8.8.8": false,
	} {
		if got := cfg.Trusts(netip.MustParseAddr(a)); got != want {
			t.Errorf("Trusts(%s) = %v, want %v", a, got, want)
		}
	}
	if cfg, _ := Parse(nil, env(nil)); cfg.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Error("with no --trusted-proxy, loopback is trusted")
	}
}

func TestParseClusterSettings(t *testing.T) {
	cfg, err := Parse([]string{"--secret-file", "/etc/courselab/secret"}, env(map[string]string{
		"COURSELAB_DATABASE": "postgres://courselab:pw@db:5432/courselab",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "postgres://courselab:pw@db:5432/courselab" || cfg.SecretFile != "/etc/courselab/secret" {
		t.Errorf("database %q, secret file %q", cfg.Database, cfg.SecretFile)
	}
	for _, bad := range []string{"sqlite:///data/x.db", "db:5432", "mysql://x"} {
		_, err := Parse([]string{"--database", bad}, env(nil))
		if err == nil || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("--database %q: %v, want an error asking for a postgres:// URL", bad, err)
		}
	}
}

func TestParseSingleSignOnFromEnvironmentAndFlags(t *testing.T) {
	e := env(map[string]string{
		"COURSELAB_CLASSROOM":          "true",
		"COURSELAB_OIDC_ISSUER":        "https://sso.school.example/realms/school/",
		"COURSELAB_OIDC_CLIENT_ID":     "courselab",
		"COURSELAB_OIDC_CLIENT_SECRET": "from-the-environment",
		"COURSELAB_OIDC_INSTRUCTORS":   " Grace@School.example , alan@school.example",
	})
	cfg, err := Parse([]string{"--oidc-instructor-claim", "groups=teachers", "--oidc-scopes", "profile email groups"}, e)
	if err != nil {
		t.Fatal(err)
	}
	want := OIDC{Issuer: "https://sso.school.example/realms/school", ClientID: "courselab", ClientSecret: "from-the-environment",
		ProviderName: "sso.school.example", Scopes: []string{"openid", "profile", "email", "groups"},
		InstructorClaim: "groups", InstructorClaimValue: "teachers", InstructorEmails: []string{"grace@school.example", "alan@school.example"}}
	if !reflect.DeepEqual(cfg.OIDC, want) {
		t.Fatalf("got %+v\nwant %+v", cfg.OIDC, want)
	}
	if !cfg.OIDC.Enabled() || !cfg.OIDC.SignsInInstructors() {
		t.Error("configured single sign-on reads as off")
	}
	plain, err := Parse([]string{"--classroom"}, env(nil))
	if err != nil || plain.OIDC.Enabled() || plain.OIDC.SignsInInstructors() {
		t.Errorf("without --oidc-issuer single sign-on is on: %+v %v", plain.OIDC, err)
	}
}

func TestParseRejectsIncompleteSingleSignOnWithTheFlagName(t *testing.T) {
	full := []string{"--classroom", "--oidc-issuer", "https://sso.example", "--oidc-client-id", "c", "--oidc-client-secret", "s"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--classroom", "--oidc-client-id", "c"}, "--oidc-client-id is set but --oidc-issuer is not"},
		{[]string{"--classroom", "--oidc-issuer", "https://sso.example"}, "needs --oidc-client-id and --oidc-client-secret"},
		{[]string{"--classroom", "--oidc-issuer", "http://sso.example", "--oidc-client-id", "c", "--oidc-client-secret", "s"}, "https://"},
		{[]string{"--oidc-issuer", "https://sso.example", "--oidc-client-id", "c", "--oidc-client-secret", "s"}, "add --classroom"},
		{append(full, "--oidc-instructor-claim", "teachers"), "want claim=value"},
		{append(full, "--oidc-instructors", "grace"), `"grace" is not an e-mail address`},
	} {
		_, err := Parse(tc.args, env(nil))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to say %q", tc.args, err, tc.want)
		}
	}
	if cfg, err := Parse([]string{"--classroom", "--oidc-issuer", "http://127.0.0.1:5556/dex", "--oidc-client-id", "c", "--oidc-client-secret", "s"}, env(nil)); err != nil || cfg.OIDC.SignsInInstructors() {
		t.Errorf("a provider on loopback over http (for trying it out): %v, instructors %v", err, cfg.OIDC.SignsInInstructors())
	}
}
