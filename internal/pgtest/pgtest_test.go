package pgtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

const childEnv = "COURSELAB_PGTEST_CHILD"

// TestHelperChild is not a test on its own: it is the process that
// TestClusterOutlivesNoKilledTestBinary starts and kills.
func TestHelperChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("helper process for TestClusterOutlivesNoKilledTestBinary")
	}
	ServerURL(t)
	os.Stdout.WriteString("dir " + started.dir + "\n")
	time.Sleep(time.Minute)
}

func TestSchemaIsFreshAndUsable(t *testing.T) {
	u := Schema(t)
	Exec(t, u, `CREATE TABLE notes (id INTEGER PRIMARY KEY)`)
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT COUNT(*) FROM notes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the new schema's table: %d, %v", n, err)
	}
}

// TestClusterOutlivesNoKilledTestBinary kills a test binary that started a
// throwaway cluster (as go test's -timeout or a SIGKILL would) and checks
// that the cluster is stopped and its folder removed all the same.
func TestClusterOutlivesNoKilledTestBinary(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Skip(EnvURL + " is set: no throwaway cluster is started")
	}
	if _, err := findBin(); err != nil {
		ServerURL(t) // skips, or fails under CI=true, saying what to install
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dir := ""
	sc := bufio.NewScanner(out)
	for dir == "" && sc.Scan() {
		dir, _ = strings.CutPrefix(sc.Text(), "dir ")
	}
	if dir == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child started no cluster")
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still there 15 s after its test binary was killed", dir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
