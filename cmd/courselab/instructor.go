package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/courselab/courselab/internal/config"
	"github.com/courselab/courselab/internal/server"
	"github.com/courselab/courselab/internal/store"
)

// instructorCmd manages the instructors who sign in with a personal token,
// in the database the server uses (the same --data or --database flags):
//
//	courselab instructor add NAME [flags]     print NAME's personal token, once
//	courselab instructor list [flags]
//	courselab instructor remove NAME [flags]  their token stops working, their sessions end
//
// The first instructor is --instructor-token, kept outside the database.
func instructorCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "courselab instructor: say add NAME, list or remove NAME")
		return 2
	}
	verb, args := args[0], args[1:]
	var name string
	if verb == "add" || verb == "remove" {
		if len(args) == 0 || len(args[0]) == 0 || args[0][0] == '-' {
			fmt.Fprintf(stderr, "courselab instructor %s: give the instructor's name, e.g. courselab instructor %s \"Grace Hopper\"\n", verb, verb)
			return 2
		}
		name, args = server.CleanName(args[0]), args[1:]
	}
	cfg, err := config.Parse(args, os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "courselab instructor:", err)
		return 2
	}
	ctx := context.Background()
	if !store.IsPostgres(cfg.Database) {
		if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
			fmt.Fprintln(stderr, "courselab instructor: data folder:", err)
			return 1
		}
	}
	st, err := store.Open(ctx, databaseTarget(cfg))
	if err != nil {
		fmt.Fprintln(stderr, "courselab instructor:", err)
		return 1
	}
	defer st.Close()
	switch verb {
	case "add":
		if msg := server.CheckName(name); msg != "" {
			fmt.Fprintln(stderr, "courselab instructor add:", msg)
			return 2
		}
		if name == server.FirstInstructor {
			fmt.Fprintf(stderr, "courselab instructor add: %q is how the sessions page names whoever signs in with --instructor-token; choose another name\n", name)
			return 2
		}
		_, token, err := st.AddInstructor(ctx, name)
		if errors.Is(err, store.ErrNameTaken) {
			fmt.Fprintf(stderr, "courselab instructor add: there is already an instructor called %q; remove them first, or choose another name\n", name)
			return 1
		}
		if err != nil {
			fmt.Fprintln(stderr, "courselab instructor add:", err)
			return 1
		}
		fmt.Fprintf(stdout, "Personal instructor token of %s (shown once; courselab keeps only its hash):\n\n    %s\n\nOpen /teach and enter it to sign in.\n", name, token)
	case "list":
		list, err := st.Instructors(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "courselab instructor list:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s (--instructor-token)\n", server.FirstInstructor)
		for _, in := range list {
			fmt.Fprintf(stdout, "%s (added %s)\n", in.Name, in.Created.Format("2006-01-02 15:04 UTC"))
		}
	case "remove":
		err := st.RemoveInstructor(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(stderr, "courselab instructor remove: there is no instructor called %q (courselab instructor list shows them)\n", name)
			return 1
		}
		if err != nil {
			fmt.Fprintln(stderr, "courselab instructor remove:", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s was removed: their token no longer works and their sessions were signed out.\n", name)
	default:
		fmt.Fprintf(stderr, "courselab instructor: unknown %q; say add NAME, list or remove NAME\n", verb)
		return 2
	}
	return 0
}
