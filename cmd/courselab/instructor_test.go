package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/courselab/courselab/internal/store"
)

// TestInstructorAddPrintsATokenThatSignsThatInstructorIn: add prints a
// personal token once, list names the instructors, remove makes the token
// useless; a second add of the same name and a remove of nobody are
// refused in words.
func TestInstructorAddPrintsATokenThatSignsThatInstructorIn(t *testing.T) {
	dir := t.TempDir()
	run1 := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(append(args, "--data", dir), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, _ := run1("instructor", "add", "  Grace   Hopper ")
	token := regexp.MustCompile(`\n    (\S+)\n`).FindStringSubmatch(out)
	if code != 0 || token == nil || !strings.Contains(out, "Grace Hopper") {
		t.Fatalf("add: %d\n%s", code, out)
	}
	if code, _, errOut := run1("instructor", "add", "Grace Hopper"); code != 1 || !strings.Contains(errOut, "already an instructor called") {
		t.Errorf("second add: %d %s", code, errOut)
	}
	if code, _, errOut := run1("instructor", "add"); code != 2 || !strings.Contains(errOut, "give the instructor's name") {
		t.Errorf("add without a name: %d %s", code, errOut)
	}
	if code, out, _ := run1("instructor", "list"); code != 0 || !strings.Contains(out, "first instructor") || !strings.Contains(out, "Grace Hopper (added") {
		t.Errorf("list: %d\n%s", code, out)
	}

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "courselab.db"))
	if err != nil {
		t.Fatal(err)
	}
	if in, err := st.InstructorByToken(ctx, token[1]); err != nil || in.Name != "Grace Hopper" {
		t.Fatalf("the printed token: %+v, %v", in, err)
	}
	st.Close()

	if code, out, _ := run1("instructor", "remove", "Grace Hopper"); code != 0 || !strings.Contains(out, "was removed") {
		t.Errorf("remove: %d %s", code, out)
	}
	if code, _, errOut := run1("instructor", "remove", "Grace Hopper"); code != 1 || !strings.Contains(errOut, "no instructor called") {
		t.Errorf("remove again: %d %s", code, errOut)
	}
}
