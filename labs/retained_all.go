package labs

import (
	"sort"
	"strings"
)

// RetainedTopics lists the topic names that hold a retained message now,
// sorted, $SYS left out: the topic tree marks them even when the publish
// that set them has left the journal.
func (s *Sandbox) RetainedTopics() []string {
	all := s.server.Topics.Retained.GetAll()
	out := make([]string, 0, len(all))
	for name, pk := range all {
		if len(pk.Payload) > 0 && !strings.HasPrefix(name, "$SYS") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
