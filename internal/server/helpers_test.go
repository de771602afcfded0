package server

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/courselab/courselab/content"
	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/store"
	"github.com/courselab/courselab/labs"
)

// testServer is a whole courselab on loopback: HTTP through httptest, MQTT
// on a free TCP port, a real SQLite file in a temporary folder.
type testServer struct {
	*httptest.Server
	srv   *Server
	cfg   config.Config
	labs  *labs.Labs
	store *store.Store
	mqtt  string // host:port of the MQTT TCP listener
	stop  func() // stops everything, as a shutdown does
}

const testInstructorToken = "teach-me-please"

func startServer(t testing.TB, fsys fs.FS, classroom bool) *testServer {
	t.Helper()
	return startServerIn(t, fsys, classroom, t.TempDir())
}

// startServerIn starts a server on the data folder dir, so a test can stop
// one and start another on the same data, as a restart does.
func startServerIn(t testing.TB, fsys fs.FS, classroom bool, dir string) *testServer {
	t.Helper()
	return startServerWith(t, fsys, classroom, dir, nil)
}

// startServerOn starts a server on the database target (an SQLite path or
// a postgres:// URL), so several can share one database as a cluster's
// nodes do.
func startServerOn(t testing.TB, fsys fs.FS, classroom bool, dir, target string) *testServer {
	t.Helper()
	return startServerWithTarget(t, fsys, classroom, dir, target, nil)
}

// startServerWith is startServerIn with a say in the configuration (caps,
// trusted proxies) before the server starts.
func startServerWith(t testing.TB, fsys fs.FS, classroom bool, dir string, configure func(*config.Config)) *testServer {
	t.Helper()
	return startServerWithTarget(t, fsys, classroom, dir, filepath.Join(dir, "courselab.db"), configure)
}

func startServerWithTarget(t testing.TB, fsys fs.FS, classroom bool, dir, target string, configure func(*config.Config)) *testServer {
	t.Helper()
	cat := content.Load(fsys, content.Options{})
	st, err := store.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	closeStore := st.Close
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{Addr: ":0", MQTTAddr: ln.Addr().String(), Data: dir, Classroom: classroom,
		Secret: "test-secret", InstructorToken: testInstructorToken}
	if configure != nil {
		configure(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := labs.New(labs.Config{Classroom: classroom, Secret: []byte(cfg.Secret), Logger: logger})
	if !classroom {
		l.SetPersonal(labs.PersonalLearner, labs.DefaultSetup())
	}
	go l.Front().ServeTCP(ln)
	t.Cleanup(func() { ln.Close(); l.Close() })
	s, err := New(cfg, StaticCatalog{C: cat}, l, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stopListen)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, srv: s, cfg: cfg, labs: l, store: st, mqtt: ln.Addr().String(),
		stop: func() { ts.Close(); ln.Close(); l.Close(); closeStore() }}
}
