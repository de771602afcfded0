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

	// Secret signs cookies and derives lab credentials. It is not a flag:
	// the serve command keeps it in the data folder.
	Secret string
}

// option describes one flag and the environment variable behind it.
type option struct {
	name, env, usage string
	def              string
}

var options = []option{
	{"addr", "COURSELAB_ADDR", "HTTP listen address", ":8080"},
	{"mqtt-addr", "COURSELAB_MQTT_ADDR", "MQTT (TCP) listen address", ":1883"},
	{"data", "COURSELAB_DATA", "folder for the database and other state", "./data"},
	{"courses", "COURSELAB_COURSES", "folder of courses to serve instead of the bundled ones (reloaded when edited)", ""},
	{"classroom", "COURSELAB_CLASSROOM", "classroom mode: learners join with a name, each gets private lab credentials", "false"},
	{"instructor-token", "COURSELAB_INSTRUCTOR_TOKEN", "token for the instructor dashboard /teach (generated and printed once when empty)", ""},
	{"idle-timeout", "COURSELAB_IDLE_TIMEOUT", "reclaim a learner's lab sandbox after this long without activity", "30m"},
	{"database", "COURSELAB_DATABASE", "PostgreSQL URL (postgres://user:pass@host/db) shared by the nodes of a cluster; without it SQLite in --data", ""},
	{"secret-file", "COURSELAB_SECRET_FILE", "file with the secret every node of a cluster shares (signs cookies, derives lab passwords and tokens)", ""},
}

// Usage writes the flags, their defaults and environment variables to w.
func Usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: courselab [serve] [flags]\n       courselab lint DIR\n       courselab healthcheck [--addr ADDR]\n\nFlags (each also read from its environment variable):")
	for _, o := range options {
		def := ""
		if o.def != "" && o.def != "false" {
			def = fmt.Sprintf(" (default %q)", o.def)
		}
		fmt.Fprintf(w, "  --%-17s %s%s [%s]\n", o.name, o.usage, def, o.env)
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
	return cfg, nil
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
