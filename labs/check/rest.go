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
		path := detailString(e, "path")
		method := detailString(e, "method")
		if !c.pathMatches(path) {
			other = &e
			continue
		}
		if method != c.method {
			wrongMethod = &e
			continue
		}
		if status, _ := detailUint(e, "status"); status < 200 || status > 299 {
			failed = &e
			continue
		}
		return Detail{Passed: true, Evidence: restEvidence(e), Message: fmt.Sprintf("You called %s %s and it worked.", method, path)}
	}
	switch {
	case failed != nil:
		status, _ := detailUint(*failed, "status")
		why := ""
		if msg := detailString(*failed, "error"); msg != "" {
			why = " (" + strings.TrimSuffix(short(msg), ".") + ")"
		}
		return Detail{Evidence: restEvidence(*failed), Message: fmt.Sprintf("Your call %s %s failed with HTTP %d%s: fix it and call again.",
			detailString(*failed, "method"), detailString(*failed, "path"), status, why)}
	case wrongMethod != nil:
		return Detail{Evidence: restEvidence(*wrongMethod), Message: fmt.Sprintf("You called %s %s, but this exercise needs %s: use curl -X %s.",
			detailString(*wrongMethod, "method"), detailString(*wrongMethod, "path"), c.want(), c.method)}
	case other != nil:
		return Detail{Evidence: restEvidence(*other), Message: fmt.Sprintf("Your latest REST call was %s %s, but this exercise needs %s: check the path and call again.",
			detailString(*other, "method"), detailString(*other, "path"), c.want())}
	}
	return c.notCalled(sb)
}

func restEvidence(e labs.Event) map[string]any {
	ev := map[string]any{"method": detailString(e, "method"), "path": detailString(e, "path"), "time": stamp(e.Time)}
	if s, ok := detailUint(e, "status"); ok {
		ev["status"] = s
	}
	return ev
}
