package check

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Learner-facing sentences shared by several checks. Each says what happened
// and what to do next, in plain words; never a Go error.
const (
	msgInterrupted   = "The check was interrupted before it finished: press Check again."
	msgSandboxClosed = "Your lab sandbox was reset or reclaimed while idle: reload the page, reconnect your clients and press Check again."
	msgInternal      = "Something went wrong on our side while checking this exercise: press Check again, and tell your instructor if it keeps happening."
	msgNoChecks      = "This exercise has no checks to run: tell your instructor."
	msgBusy          = "Your sandbox is too busy right now to publish the test values (too many messages per second): slow down your publishers and press Check again."
)

// badSpecMessage tells a learner that the course, not they, is wrong.
func badSpecMessage(line int) string {
	where := ""
	if line > 0 {
		where = fmt.Sprintf(" (line %d)", line)
	}
	return "This exercise's check is written wrongly in the course" + where + ", so it cannot be checked: tell your instructor."
}

// client quotes a client id as the messages show it.
func client(id string) string { return strconv.Quote(id) }

// clients quotes and joins client ids: "a", "b" and "c".
func clients(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = client(id)
	}
	return list(q)
}

// list joins items as a sentence does: a, b and c.
func list(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// seconds writes a duration for a beginner: "10 s", "1.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// clock writes an event's time as the lab console does.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

// short cuts a payload for a sentence.
func short(payload string) string {
	const max = 60
	if len(payload) <= max {
		return payload
	}
	return payload[:max] + "…"
}

// withCause joins a statement and its explanation: "X: because Y".
func withCause(what, why string) string {
	if why == "" {
		return what
	}
	return what + ": " + why
}

// upper starts a sentence with a capital letter.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// qosHint is the command-line flag that sets a QoS.
func qosHint(q byte) string { return fmt.Sprintf("QoS %d (mosquitto_sub -q %d)", q, q) }

// Generic returns a result sentence with what is the learner's own left
// out: the client ids (every message quotes them, see client) become "…"
// and clock times "…". Two learners who made the same mistake then read the
// same sentence, which the instructor's overview counts.
func Generic(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		switch {
		case msg[i] == '"':
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				b.WriteString(`"…"`)
				i += len(q)
				continue
			}
		case isClock(msg[i:]):
			b.WriteString("…")
			i += len("15:04:05")
			continue
		}
		b.WriteByte(msg[i])
		i++
	}
	return b.String()
}

// isClock reports whether s starts with a time written by clock.
func isClock(s string) bool {
	const layout = "15:04:05 UTC"
	if len(s) < len(layout) || !strings.HasSuffix(s[:len(layout)], " UTC") {
		return false
	}
	_, err := time.Parse(layout, s[:len(layout)])
	return err == nil
}
