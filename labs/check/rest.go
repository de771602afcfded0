package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/courselab/courselab/labs"
)

// apiPrefix is where the simulated cloud is mounted; a check's path may
// leave it out (/devices/ESPDEVICE/sensors/TC/value).
const apiPrefix = "/api/v2"

// restCheck passes when the learner called the cloud's REST API with the
// method on a path matching the pattern (+ matches one segment) and the call
// succeeded.
type restCheck struct {
	method string
	path   string // as written, for messages
	segs   []string
}

func parseREST(a args) (evaluator, error) {
	c := &restCheck{method: a.get("method"), path: a.get("path")}
	p := c.path
	if !strings.HasPrefix(p, "/api/") {
		p = apiPrefix + "/" + strings.TrimPrefix(p, "/")
	}
	c.segs = strings.Split(strings.Trim(p, "/"), "/")
	return c, nil
}

// want is the call the exercise asks for, as a learner would type it.
func (c *restCheck) want() string {
	return c.method + " /" + strings.Join(c.segs, "/")
}

func (c *restCheck) pathMatches(path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) != len(c.segs) {
		return false
	}
	for i, s := range c.segs {
		if s != "+" && s != segs[i] {
			return false
		}
	}
	return true
}

func (c *restCheck) evaluate(_ context.Context, sb *labs.Sandbox) Detail {
	var failed, wrongMethod, other *labs.Event
	for _, e := range sb.Journal().Since(0) {
		if e.Kind != labs.KindREST || e.Platform {
			continue // the lab console's own reads are not the learner's calls
		}
		r := e.REST()
		path, method := r.Path, r.Method
		if !c.pathMatches(path) {
			other = &e
			continue
		}
		if method != c.method {
			wrongMethod = &e
			continue
		}
		if r.Status < 200 || r.Status > 299 {
			failed = &e
			continue
		}
		return Detail{Passed: true, Evidence: restEvidence(e), Message: fmt.Sprintf("You called %s %s and it worked.", method, path)}
	}
	switch {
	case failed != nil:
		r := failed.REST()
		why := ""
		if r.Error != "" {
			why = " (" + strings.TrimSuffix(short(r.Error), ".") + ")"
		}
		return Detail{Evidence: restEvidence(*failed), Message: fmt.Sprintf("Your call %s %s failed with HTTP %d%s: fix it and call again.",
			r.Method, r.Path, r.Status, why)}
	case wrongMethod != nil:
		r := wrongMethod.REST()
		return Detail{Evidence: restEvidence(*wrongMethod), Message: fmt.Sprintf("You called %s %s, but this exercise needs %s: use curl -X %s.",
			r.Method, r.Path, c.want(), c.method)}
	case other != nil:
		r := other.REST()
		return Detail{Evidence: restEvidence(*other), Message: fmt.Sprintf("Your latest REST call was %s %s, but this exercise needs %s: check the path and call again.",
			r.Method, r.Path, c.want())}
	}
	return c.notCalled(sb)
}

func restEvidence(e labs.Event) map[string]any {
	r := e.REST()
	return map[string]any{"method": r.Method, "path": r.Path, "status": r.Status, "time": stamp(e.Time)}
}
