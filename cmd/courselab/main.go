// Command courselab serves courses with embedded MQTT labs.
//
//	courselab [serve] [flags]     serve the platform (the default)
//	courselab lint DIR            check a course folder
//	courselab healthcheck         exit 0 if the local server is healthy
//	courselab bench [flags]       load a class on courselab and on plain mochi-mqtt, print the ratios
//	courselab instructor add NAME | list | remove NAME [flags]
//	                              instructors with a personal token for /teach
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches on the command name and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "lint":
		return lint(args, stdout, stderr)
	case "healthcheck":
		return healthcheck(args, stderr)
	case "bench":
		return benchCmd(args, stdout, stderr)
	case "instructor":
		return instructorCmd(args, stdout, stderr)
	case "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "courselab: unknown command %q\n\n", cmd)
		usage(stderr)
		return 2
	}
}
