package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// crashEnv tells the test binary, re-executed as a child, to run
// TestHelperWriter against the database it names.
const crashEnv = "COURSELAB_STORE_CRASH_DB"

// TestHelperWriter is not a test on its own: it is the child process of
// TestKillDuringWritesLosesNothingAcknowledged. Four writers record checks,
// section reads and quiz answers in a loop and print "ack <learner> <n>"
// only after all three calls returned, i.e. after COMMIT.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestKillDuringWritesLosesNothingAcknowledged")
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(2 * time.Minute) // never outlive a dead parent for long
	for w := range 4 {
		wg.Go(func() {
			id := fmt.Sprintf("writer-%d", w)
			if _, err := s.EnsureLearner(ctx, id, id); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			for n := 0; time.Now().Before(deadline); n++ {
				key := fmt.Sprintf("n%06d", n)
				err := s.RecordCheck(ctx, id, "mqtt", key, ExerciseResult{Passed: n%2 == 0, Summary: key})
				if err == nil {
					err = s.MarkSectionRead(ctx, id, "mqtt", key)
				}
				if err == nil {
					err = s.SaveQuizAnswer(ctx, id, "mqtt", key, []string{key}, true)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				// One write(2) per line, so a kill never leaves half an ack.
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %s\n", id, key)
				out.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

func TestKillDuringWritesLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process and kills it")
	}
	forEachEngine(t, killDuringWrites)
}

// killDuringWrites kills a writing child process and checks every write it
// acknowledged is there.
func killDuringWrites(t *testing.T, e engine) {
	path := e.target(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	check(t, err)
	check(t, cmd.Start())

	acked := map[string][]string{} // learner → exercise keys
	total, killed := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "ack" {
			continue // the test framework's own output
		}
		acked[f[1]] = append(acked[f[1]], f[2])
		total++
		// Kill mid-stream; the acks still in the pipe count too.
		if total == 400 && !killed {
			check(t, cmd.Process.Kill()) // SIGKILL: no deferred code, no Close
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d acks without being killed; stderr:\n%s", total, stderr.String())
	}

	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer s.Close()
	if s.dialect == dialectSQLite {
		var integrity string
		check(t, s.w.QueryRow("PRAGMA integrity_check").Scan(&integrity))
		if integrity != "ok" {
			t.Fatalf("integrity_check after kill -9: %s", integrity)
		}
	}
	class, err := s.ClassProgress(context.Background(), DefaultClass)
	check(t, err)
	byID := map[string]map[string]*CourseProgress{}
	for _, lp := range class {
		byID[lp.Learner.ID] = lp.Courses
	}
	for learner, keys := range acked {
		m := byID[learner]["mqtt"]
		if m == nil {
			t.Fatalf("learner %s lost after kill -9 (%d acks)", learner, len(keys))
		}
		for _, key := range keys {
			e, eok := m.Exercises[key]
			_, sok := m.Sections[key]
			q, qok := m.Quizzes[key]
			if !eok || !sok || !qok || e.Attempts != 1 || e.Passed != (key[len(key)-1]%2 == 0) || q.Attempts != 1 {
				t.Errorf("%s %s acknowledged but not all there after kill -9: exercise %v %+v, section %v, quiz %v", learner, key, eok, e, sok, qok)
			}
		}
	}
	t.Logf("%d acknowledged records across %d writers, all present after kill -9", total, len(acked))
}
