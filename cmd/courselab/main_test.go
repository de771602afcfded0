package main

import (
	"bytes"
	"debug/elf"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildStatic builds the command the way the Dockerfile does.
func buildStatic(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "courselab")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestStaticBinaryServesFromAnEmptyFolder proves what the minimal container
// image relies on: the binary needs no shared library, no file beside it and
// no environment beyond its own settings.
func TestStaticBinaryServesFromAnEmptyFolder(t *testing.T) {
	bin := buildStatic(t)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary asks for a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
	f.Close()

	empty := t.TempDir()
	addr := freePort(t)
	cmd := exec.Command(bin)
	cmd.Dir = empty
	cmd.Env = []string{"COURSELAB_ADDR=" + addr, "COURSELAB_MQTT_ADDR=" + freePort(t)}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become healthy: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "MQTT APIs") {
		t.Errorf("catalog from the bare binary lacks the bundled MQTT course")
	}
	if _, err := os.Stat(filepath.Join(empty, "data")); err != nil {
		t.Errorf("data folder not created in the working directory: %v", err)
	}

	hc := exec.Command(bin, "healthcheck", "--addr", addr)
	hc.Env = []string{}
	if out, err := hc.CombinedOutput(); err != nil {
		t.Errorf("healthcheck against a healthy server: %v %s", err, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v (want a clean exit)\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop within 10 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no graceful shutdown in the log:\n%s", logs.String())
	}

	hc = exec.Command(bin, "healthcheck", "--addr", addr)
	if err := hc.Run(); err == nil {
		t.Error("healthcheck succeeded with no server running")
	}
}

func TestUnknownCommandAndBadFlagsExitWithUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"--addr", "nonsense"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--addr") {
		t.Errorf("bad --addr: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "COURSELAB_ADDR") {
		t.Errorf("--help: exit %d, stdout %q", code, out.String())
	}
}
