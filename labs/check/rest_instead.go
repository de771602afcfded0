package check

import (
	"fmt"
	"strings"

	"github.com/courselab/courselab/labs"
)

// notCalled explains a REST check with no REST call at all. A learner who
// published the value over MQTT (mosquitto_pub, the console) did what the
// exercise is not about: the message names that publish as the mistake.
func (c *restCheck) notCalled(sb *labs.Sandbox) Detail {
	ev := map[string]any{"path": c.path, "method": c.method}
	if topic, ok := restTopic("/" + strings.Join(c.segs, "/")); ok {
		events := sb.Journal().Since(0)
		for i := len(events) - 1; i >= 0; i-- {
			e := events[i]
			if e.Kind != labs.KindPublish || e.Platform || e.ClientID == "" || !matches(topic, e.Topic) {
				continue
			}
			ev["published_topic"], ev["published_by"], ev["time"] = e.Topic, e.ClientID, stamp(e.Time)
			return Detail{Evidence: ev, Message: fmt.Sprintf(
				"You have not called the REST API of your sandbox yet: your client %s published on %s over MQTT instead, which skips the cloud's REST API that this exercise is about; make %s (the course's curl line) and press Check again.",
				client(e.ClientID), e.Topic, c.want())}
		}
	}
	return Detail{Evidence: ev, Message: fmt.Sprintf(
		"You have not called the REST API of your sandbox yet: make %s (the course's curl line) and press Check again.", c.want())}
}
