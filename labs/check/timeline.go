package check

import (
	"fmt"
	"strings"
	"time"

	"github.com/courselab/courselab/labs"
)

// TimelineSteps is how many journal events a result's timeline keeps: the
// last ones before the verdict, enough to see a connect, a subscribe and a
// few messages, short enough to read under the Check button.
const TimelineSteps = 20

// timelineText bounds a payload shown in a step.
const timelineText = 60

// Step is one line of the evidence timeline beside a check's result: a
// packet or event of the learner's sandbox, in words.
type Step struct {
	At     time.Time `json:"at"`
	Client string    `json:"client"` // the client id; "courselab" for the platform's own publishes
	Kind   string    `json:"kind"`   // a journal kind (connect, subscribe, publish, deliver…) or "check"
	Text   string    `json:"text"`
	Wrong  bool      `json:"wrong,omitempty"` // where the result went wrong
}

// platformClient names courselab's own publisher in a timeline.
const platformClient = "courselab"

// timeline turns the newest learner-relevant events of evs into at most
// TimelineSteps steps, and ends with the verdict: at a failed check, the
// step marked wrong says what was missing at that moment.
func timeline(evs []labs.Event, res Result) []Step {
	var steps []Step
	for _, e := range evs {
		if s, ok := stepOf(e); ok {
			steps = append(steps, s)
		}
	}
	if len(steps) > TimelineSteps {
		steps = steps[len(steps)-TimelineSteps:]
	}
	verdict := Step{At: res.At, Kind: "check", Text: "Check: " + res.Summary}
	if !res.Passed {
		verdict.Wrong = true
		for _, d := range res.Details {
			if !d.Passed {
				verdict.Text = "Check " + d.Check + " failed here: " + d.Message
				break
			}
		}
	}
	return append(steps, verdict)
}

// stepOf says one journal event in words, or reports that it is not part
// of the learner's evidence (the platform's REST reads, refused strangers).
func stepOf(e labs.Event) (Step, bool) {
	s := Step{At: e.Time, Client: e.ClientID, Kind: e.Kind}
	switch e.Kind {
	case labs.KindConnect:
		s.Text = connectText(e)
	case labs.KindSessionResumed:
		r := e.Resumed()
		s.Text = fmt.Sprintf("session resumed: %d subscriptions, %d messages waiting", r.Subscriptions, r.Queued)
	case labs.KindSubscribe:
		s.Text = "SUBSCRIBE " + subscribeText(e)
	case labs.KindUnsubscribe:
		s.Text = "UNSUBSCRIBE " + strings.Join(e.Unsubscribe().Filters, ", ")
	case labs.KindPublish:
		if e.Platform {
			s.Client = platformClient
		}
		s.Text = "PUBLISH " + messageText(e)
	case labs.KindDeliver:
		s.Text = "delivered " + messageText(e)
		if e.Message().Dup {
			s.Text += " (DUP: a redelivery)"
		}
	case labs.KindWill:
		s.Text = "will published: " + messageText(e)
	case labs.KindDisconnect:
		d := e.Disconnect()
		s.Text = "disconnected: " + d.Reason
		if d.SessionKept {
			s.Text += "; the session is kept"
		}
	case labs.KindFault:
		s.Text = "fault injected" // its coach says which and what follows
		if e.Fault().Armed {
			s.Text = "fault armed"
		}
	case labs.KindREST:
		if e.Platform {
			return Step{}, false
		}
		r := e.REST()
		s.Text = fmt.Sprintf("REST %s %s → %d", r.Method, r.Path, r.Status)
		if r.Error != "" {
			s.Text += ": " + r.Error
		}
	default:
		return Step{}, false
	}
	if why := e.Coach(); why != "" {
		s.Text += " — " + why
	}
	return s, true
}

func connectText(e labs.Event) string {
	var b strings.Builder
	c := e.Connect()
	b.WriteString("CONNECT " + c.Protocol)
	if c.CleanStart {
		b.WriteString(", clean start")
	} else {
		b.WriteString(", keeps its session (clean start off)")
	}
	fmt.Fprintf(&b, ", keep-alive %d s", c.KeepAlive)
	if c.SessionExpiry != nil {
		fmt.Fprintf(&b, ", session expiry %d s", *c.SessionExpiry)
	}
	if c.WillTopic != "" {
		b.WriteString(", will on " + c.WillTopic)
	}
	return b.String()
}

func subscribeText(e labs.Event) string {
	fs := e.Subscribe().Filters
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.Code >= 0x80 {
			parts = append(parts, fmt.Sprintf("%s (QoS %d, refused: code 0x%02X)", f.Filter, f.QoS, f.Code))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (asked QoS %d, granted %d)", f.Filter, f.QoS, f.Code))
	}
	return strings.Join(parts, ", ")
}

func messageText(e labs.Event) string {
	t := fmt.Sprintf("%s QoS %d", e.Topic, e.QoS)
	if e.Retain {
		t += " retained"
	}
	p := e.Payload
	if len(p) > timelineText {
		p = clipRunes(p, timelineText) + "…"
	}
	if p == "" {
		return t + " (empty payload)"
	}
	return t + ": " + p
}

// clipRunes cuts s to at most n bytes without splitting a rune.
func clipRunes(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
