// Package config turns command-line flags and COURSELAB_* environment
// variables into one Config. Every flag has an environment variable; a flag
// given on the command line wins over the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is everything the serve command needs to start.
type Config struct {
	Addr            string        // HTTP listen address
	MQTTAddr        string        // MQTT TCP listen address
	Data            string        // folder for the SQLite database and other state
	Courses         string        // folder of courses replacing the embedded catalog; empty = embedded
	Classroom       bool          // learners join with a name; credentials everywhere
	InstructorToken string        // protects /teach in classroom mode; generated when empty
	IdleTimeout     time.Duration // reclaim a lab sandbox after this long without activity
	Database        string        // postgres:// URL shared by the nodes of a cluster; empty = SQLite in Data
	SecretFile      string        // file holding the secret shared by the nodes of a cluster; empty = one in Data

	MaxLearners     int            // learners a class holds; the next one is refused at the join
	JoinsPerMinute  int            // joins allowed per source address and minute
	MaxConns        int            // connections open at once on each listener (HTTP, MQTT)
	MaxConnsPerAddr int            // connections open at once from one address on each listener
	TrustedProxies  []netip.Prefix // reverse proxies whose X-Forwarded-For is believed

	OIDC OIDC // single sign-on with the school's OpenID Connect provider; off when OIDC.Issuer is empty

	// Secret signs cookies and derives lab credentials. It is not a flag:
	// the serve command keeps it in the data folder.
	Secret string
}

// OIDC is the single sign-on set-up. Learners may sign in with the
// provider when Issuer is set; instructors too when InstructorClaim or
// InstructorEmails says who they are.
type OIDC struct {
	Issuer       string   // the provider's issuer URL (its discovery document is below it)
	ClientID     string   // courselab's client at the provider
	ClientSecret string   // and its secret
	ProviderName string   // shown on the button: "Sign in with <ProviderName>"
	Scopes       []string // asked for at sign-in; always includes openid

	InstructorClaim      string   // a claim that marks instructors ("groups"), with InstructorClaimValue
	InstructorClaimValue string   // the value, or one of the values, it must hold ("teachers")
	InstructorEmails     []string // verified e-mail addresses of instructors, lower case
}

// Enabled tells whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// SignsInInstructors tells whether some provider identity can be an
// instructor; without a rule the instructor token is the only way in.
func (o OIDC) SignsInInstructors() bool {
	return o.Enabled() && (o.InstructorClaim != "" || len(o.InstructorEmails) > 0)
}

// option describes one flag and the environment variable behind it.
type option struct {
	name, env, usage string
	def              string
}

// Listen addresses by mode: personal mode has no login, so it listens on
// this machine only; a classroom listens on every interface.
const (
	personalAddr      = "127.0.0.1:8080"
	personalMQTTAddr  = "127.0.0.1:1883"
	classroomAddr     = ":8080"
	classroomMQTTAddr = ":1883"
)

var options = []option{
	{"addr", "COURSELAB_ADDR", "HTTP listen address (default " + personalAddr + " in personal mode, " + classroomAddr + " in classroom mode)", ""},
	{"mqtt-addr", "COURSELAB_MQTT_ADDR", "MQTT (TCP) listen address (default " + personalMQTTAddr + " in personal mode, " + classroomMQTTAddr + " in classroom mode)", ""},
	{"data", "COURSELAB_DATA", "folder for the database and other state", "./data"},
	{"courses", "COURSELAB_COURSES", "folder of courses to serve instead of the bundled ones (reloaded when edited)", ""},
	{"classroom", "COURSELAB_CLASSROOM", "classroom mode: learners join with a name, each gets private lab credentials", "false"},
	{"instructor-token", "COURSELAB_INSTRUCTOR_TOKEN", "token for the instructor dashboard /teach (generated and printed once when empty)", ""},
	{"idle-timeout", "COURSELAB_IDLE_TIMEOUT", "reclaim a learner's lab sandbox after this long without activity", "30m"},
	{"max-learners", "COURSELAB_MAX_LEARNERS", "learners the class holds; the next one to join is told the class is full", "1000"},
	{"joins-per-minute", "COURSELAB_JOINS_PER_MINUTE", "joins allowed from one address per minute", "30"},
	{"max-conns", "COURSELAB_MAX_CONNS", "connections open at once on each listener (HTTP, MQTT)", "8192"},
	{"max-conns-per-addr", "COURSELAB_MAX_CONNS_PER_ADDR", "connections open at once from one address on each listener", "256"},
	{"trusted-proxy", "COURSELAB_TRUSTED_PROXY", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed", ""},
	{"database", "COURSELAB_DATABASE", "PostgreSQL URL (postgres://user:pass@host/db) shared by the nodes of a cluster; without it SQLite in --data", ""},
	{"secret-file", "COURSELAB_SECRET_FILE", "file with the secret every node of a cluster shares (signs cookies, derives lab passwords and tokens)", ""},
	{"oidc-issuer", "COURSELAB_OIDC_ISSUER", "single sign-on: issuer URL of the school's OpenID Connect provider (classroom mode)", ""},
	{"oidc-client-id", "COURSELAB_OIDC_CLIENT_ID", "single sign-on: client id registered at the provider", ""},
	{"oidc-client-secret", "COURSELAB_OIDC_CLIENT_SECRET", "single sign-on: client secret (prefer the environment variable: flags show in ps)", ""},
	{"oidc-provider-name", "COURSELAB_OIDC_PROVIDER_NAME", "single sign-on: name on the sign-in button (default: the issuer's host)", ""},
	{"oidc-scopes", "COURSELAB_OIDC_SCOPES", "single sign-on: space-separated scopes asked for (add groups if the provider sends groups only then)", "openid profile email"},
	{"oidc-instructor-claim", "COURSELAB_OIDC_INSTRUCTOR_CLAIM", "single sign-on: claim=value marking instructors, e.g. groups=teachers", ""},
	{"oidc-instructors", "COURSELAB_OIDC_INSTRUCTORS", "single sign-on: comma-separated verified e-mail addresses of instructors", ""},
}

// Usage writes the flags, their defaults and environment variables to w.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: courselab [serve] [flags]\n       courselab lint DIR\n       courselab healthcheck [--addr ADDR]\n       courselab instructor add NAME | list | remove NAME [--data DIR | --database URL]\n\nFlags (each also read from its environment variable):")
	for _, o := range options {
		def := ""
		if o.def != "" && o.def != "false" {
			def = fmt.Sprintf(" (default %q)", o.def)
		}
		fmt.Fprintf(w, "  --%-22s %s%s [%s]\n", o.name, o.usage, def, o.env)
	}
}

// Parse reads args (without the program and command name) and the
// environment through getenv.
func Parse(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("courselab serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]*string{}
	for _, o := range options {
		v := o.def
		if e := strings.TrimSpace(getenv(o.env)); e != "" {
			v = e
		}
		p := new(string)
		*p = v
		vals[o.name] = p
		if o.def == "false" {
			fs.Var(boolValue{p}, o.name, o.usage)
		} else {
			fs.StringVar(p, o.name, v, o.usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("%w (run 'courselab --help' for the flags)", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q (run 'courselab --help' for the flags)", fs.Arg(0))
	}

	var cfg Config
	cfg.Addr = *vals["addr"]
	cfg.MQTTAddr = *vals["mqtt-addr"]
	cfg.Data = *vals["data"]
	cfg.Courses = *vals["courses"]
	cfg.InstructorToken = *vals["instructor-token"]
	var err error
	if cfg.Classroom, err = parseBool("classroom", *vals["classroom"]); err != nil {
		return Config{}, err
	}
	if cfg.IdleTimeout, err = time.ParseDuration(*vals["idle-timeout"]); err != nil || cfg.IdleTimeout <= 0 {
		return Config{}, fmt.Errorf("--idle-timeout %q: want a positive duration such as 30m or 1h", *vals["idle-timeout"])
	}
	for _, n := range []struct {
		flag string
		p    *int
	}{{"max-learners", &cfg.MaxLearners}, {"joins-per-minute", &cfg.JoinsPerMinute}, {"max-conns", &cfg.MaxConns}, {"max-conns-per-addr", &cfg.MaxConnsPerAddr}} {
		if *n.p, err = strconv.Atoi(*vals[n.flag]); err != nil || *n.p <= 0 {
			return Config{}, fmt.Errorf("--%s %q: want a whole number above 0", n.flag, *vals[n.flag])
		}
	}
	if cfg.TrustedProxies, err = parsePrefixes(*vals["trusted-proxy"]); err != nil {
		return Config{}, fmt.Errorf("--trusted-proxy: %w", err)
	}
	if cfg.Addr == "" {
		cfg.Addr = personalAddr
		if cfg.Classroom {
			cfg.Addr = classroomAddr
		}
	}
	if cfg.MQTTAddr == "" {
		cfg.MQTTAddr = personalMQTTAddr
		if cfg.Classroom {
			cfg.MQTTAddr = classroomMQTTAddr
		}
	}
	for _, a := range []struct{ flag, addr string }{{"addr", cfg.Addr}, {"mqtt-addr", cfg.MQTTAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return Config{}, fmt.Errorf("--%s %q: want host:port or :port, e.g. :8080", a.flag, a.addr)
		}
	}
	if cfg.Data == "" {
		return Config{}, errors.New("--data must name a folder, e.g. ./data")
	}
	cfg.Database, cfg.SecretFile = *vals["database"], *vals["secret-file"]
	if d := cfg.Database; d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") {
		return Config{}, errors.New("--database: want a postgres:// URL, e.g. postgres://courselab:secret@db:5432/courselab (leave it out to keep SQLite in --data)")
	}
	if cfg.OIDC, err = parseOIDC(vals); err != nil {
		return Config{}, err
	}
	if cfg.OIDC.Enabled() && !cfg.Classroom {
		return Config{}, errors.New("--oidc-issuer: single sign-on is for classroom mode; add --classroom (personal mode has no sign-in at all)")
	}
	return cfg, nil
}

// parseOIDC reads the single sign-on flags; all of them are empty or the
// issuer and the client are given.
func parseOIDC(vals map[string]*string) (OIDC, error) {
	o := OIDC{Issuer: strings.TrimRight(*vals["oidc-issuer"], "/"), ClientID: *vals["oidc-client-id"], ClientSecret: *vals["oidc-client-secret"],
		ProviderName: *vals["oidc-provider-name"]}
	if o.Issuer == "" {
		for _, f := range []string{"oidc-client-id", "oidc-client-secret", "oidc-provider-name", "oidc-instructor-claim", "oidc-instructors"} {
			if *vals[f] != "" {
				return OIDC{}, fmt.Errorf("--%s is set but --oidc-issuer is not: give the issuer URL of your provider too, or leave out every --oidc flag", f)
			}
		}
		return OIDC{}, nil
	}
	u, err := url.Parse(o.Issuer)
	local := err == nil && (u.Hostname() == "localhost" || net.ParseIP(u.Hostname()) != nil && net.ParseIP(u.Hostname()).IsLoopback())
	if err != nil || u.Host == "" || !(u.Scheme == "https" || u.Scheme == "http" && local) {
		return OIDC{}, fmt.Errorf("--oidc-issuer %q: want the provider's https:// issuer URL, e.g. https://sso.school.example/realms/school", o.Issuer)
	}
	if o.ClientID == "" || o.ClientSecret == "" {
		return OIDC{}, errors.New("--oidc-issuer needs --oidc-client-id and --oidc-client-secret: register courselab as a client at your provider (see docs/DEPLOY.md)")
	}
	if o.ProviderName == "" {
		o.ProviderName = u.Hostname()
	}
	o.Scopes = strings.Fields(*vals["oidc-scopes"])
	hasOpenID := false
	for _, sc := range o.Scopes {
		hasOpenID = hasOpenID || sc == "openid"
	}
	if !hasOpenID {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	if c := strings.TrimSpace(*vals["oidc-instructor-claim"]); c != "" {
		name, value, ok := strings.Cut(c, "=")
		o.InstructorClaim, o.InstructorClaimValue = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || o.InstructorClaim == "" || o.InstructorClaimValue == "" {
			return OIDC{}, fmt.Errorf("--oidc-instructor-claim %q: want claim=value, e.g. groups=teachers", c)
		}
	}
	for _, e := range strings.Split(*vals["oidc-instructors"], ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !strings.Contains(e, "@") {
			return OIDC{}, fmt.Errorf("--oidc-instructors: %q is not an e-mail address", e)
		}
		o.InstructorEmails = append(o.InstructorEmails, e)
	}
	return o, nil
}

// parsePrefixes reads a comma-separated list of addresses (10.0.0.7) and
// networks (10.0.0.0/8); an address stands for itself alone.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// Trusts reports whether addr is one of the trusted proxies.
func (c Config) Trusts(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range c.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func parseBool(name, s string) (bool, error) {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("--%s %q: want true or false (or 1 or 0)", name, s)
	}
	return b, nil
}

// boolValue lets a boolean flag be written bare (--classroom) while its
// value is still kept as text, so flag and environment share one parser.
type boolValue struct{ p *string }

func (b boolValue) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolValue) Set(s string) error { *b.p = s; return nil }
func (b boolValue) IsBoolFlag() bool   { return true }
