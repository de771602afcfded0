// Package pgtest gives tests a real PostgreSQL server: the one named by
// COURSELAB_TEST_DATABASE, or a throwaway cluster it starts itself with
// Debian's initdb and pg_ctl (from /usr/lib/postgresql/*/bin) in a temporary
// folder, listening on 127.0.0.1 on a free port. PostgreSQL refuses to run
// as root, so when the tests run as root the cluster runs as the "postgres"
// user that Debian's package creates.
//
// Without PostgreSQL a test that asks for it is skipped with the command
// that installs it; under CI=true it fails instead, so CI cannot pass by
// skipping.
//
// A package that uses it stops the cluster it started in its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names a PostgreSQL server the tests may use instead of starting
// their own; its user must be allowed to create databases and schemas.
const EnvURL = "COURSELAB_TEST_DATABASE"

// Install is what to run on a Debian machine that lacks PostgreSQL.
const Install = "apt-get install -y postgresql (or set " + EnvURL + " to a postgres:// URL whose user may create databases)"

var (
	once     sync.Once
	base     string // URL of the server: from the environment or started here
	startErr error
	started  *cluster // nil unless this process started it
)

// Main runs the package's tests and then stops the cluster they started.
func Main(m *testing.M) int {
	code := m.Run()
	if started != nil {
		started.stop()
	}
	return code
}

// ServerURL returns the URL of a PostgreSQL server for this test, starting
// a throwaway one the first time; it skips (or under CI=true fails) when
// there is none to be had.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		if u := strings.TrimSpace(os.Getenv(EnvURL)); u != "" {
			base = u
			return
		}
		started, startErr = start()
		if startErr == nil {
			base = started.url
		}
	})
	if startErr != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is needed under CI=true: %v", startErr)
		}
		tb.Skipf("no PostgreSQL: %v; to run this test: %s", startErr, Install)
	}
	return base
}

// Schema returns the URL of a fresh, empty schema on the test server, used
// as the connection's search_path, and drops it when the test ends. It is
// the cheap way to isolate tests that need no database of their own.
func Schema(tb testing.TB) string {
	tb.Helper()
	srv := ServerURL(tb)
	name := "t_" + randomHex(6)
	admin(tb, srv, "CREATE SCHEMA "+name)
	tb.Cleanup(func() { adminQuiet(srv, "DROP SCHEMA IF EXISTS "+name+" CASCADE") })
	return withParam(tb, srv, "search_path", name)
}

// Database returns the URL of a fresh, empty database on the test server,
// dropped when the test ends. Tests that LISTEN need one: notification
// channels belong to a database, not to a schema.
func Database(tb testing.TB) string {
	tb.Helper()
	srv := ServerURL(tb)
	name := "t_" + randomHex(6)
	admin(tb, srv, "CREATE DATABASE "+name)
	tb.Cleanup(func() { adminQuiet(srv, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(srv)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func withParam(tb testing.TB, raw, key, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs one statement on the database at url (a URL from Schema or
// Database), failing the test if it fails.
func Exec(tb testing.TB, url, stmt string) {
	tb.Helper()
	admin(tb, url, stmt)
}

func admin(tb testing.TB, srv, stmt string) {
	tb.Helper()
	if err := adminQuiet(srv, stmt); err != nil {
		tb.Fatalf("PostgreSQL test server: %s: %v", stmt, err)
	}
}

func adminQuiet(srv, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cluster is a PostgreSQL cluster started by this process.
type cluster struct {
	bin, dir, url string
	runAs         string // user to run the server as; "" for ourselves
}

// start initialises and starts a cluster in a temporary folder.
func start() (*cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root.
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, errors.New("running as root and there is no 'postgres' user to run PostgreSQL as")
		}
		c.runAs = "postgres"
	}
	c.dir, err = os.MkdirTemp("", "courselab-pg-")
	if err != nil {
		return nil, err
	}
	if c.runAs != "" {
		u, _ := user.Lookup(c.runAs)
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			os.RemoveAll(c.dir)
			return nil, err
		}
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// fsync=off: the tests kill courselab processes, never the server or
	// the machine, so commits need not reach the disk, and each test's
	// CREATE SCHEMA and migrations run in milliseconds. Clients still see
	// synchronous_commit=on, which the store insists on. A free port can be
	// taken between our probe and the server's bind: try a few.
	for range 3 {
		port, err := freePort()
		if err != nil {
			break
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s -c max_connections=300 -c fsync=off -c full_page_writes=off", port, c.dir)
		out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			c.reapAfterUs()
			return c, nil
		}
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		if !strings.Contains(string(log), "Address already in use") {
			os.RemoveAll(c.dir)
			return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
		}
	}
	os.RemoveAll(c.dir)
	return nil, errors.New("pg_ctl start: no free port on 127.0.0.1")
}

// reapAfterUs starts a small shell, in a session of its own, that stops
// the cluster and removes its folder once this process is gone: Main does
// that when the tests end, but a test binary killed by -timeout or SIGKILL
// runs no clean-up, and the server would outlive it.
func (c *cluster) reapAfterUs() {
	pgctl := filepath.Join(c.bin, "pg_ctl")
	stop := fmt.Sprintf("%q -D %q -m immediate -w stop", pgctl, filepath.Join(c.dir, "data"))
	if c.runAs != "" {
		stop = "runuser -u " + c.runAs + " -- " + stop
	}
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; if [ -d %q ]; then %s >/dev/null 2>&1; rm -rf %q; fi",
		os.Getpid(), c.dir, stop, c.dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		go cmd.Wait() // reaped by us if we outlive it (we normally do not)
	}
}

func (c *cluster) stop() {
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
}

// run runs one of PostgreSQL's programs, as c.runAs when set.
func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin finds the newest /usr/lib/postgresql/*/bin with initdb, or the
// folder of an initdb on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
