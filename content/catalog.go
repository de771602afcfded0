package content

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Folder names carry the order of the catalog: "4.EdgeComputing" sorts as 4 and
// shows as "Edge Computing"; "draft.x" is not published.

var orderRE = regexp.MustCompile(`^(\d+)[._](.+)$`)

// splitOrder splits "4.EdgeComputing" into 4 and "EdgeComputing" (and a
// program's unit folder "2_Sensors" into 2 and "Sensors").
func splitOrder(name string) (order int, label string, ok bool) {
	m := orderRE.FindStringSubmatch(name)
	if m == nil {
		return 0, name, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, name, false
	}
	return n, m[2], true
}

// isDraft reports whether a folder is unpublished: its name, or its name
// after the order prefix ("3.draft.Future"), starts with "draft.".
func isDraft(name string) bool {
	_, label, _ := splitOrder(name)
	return strings.HasPrefix(strings.ToLower(name), "draft.") || strings.HasPrefix(strings.ToLower(label), "draft.")
}

// sortFolders orders siblings: by front matter weight (a weight of 0 means
// none, and comes after every weighted folder, as in Hugo), then by order prefix
// (prefixed folders first), then by name.
func sortFolders(fs []*folder) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if (a.weight != 0) != (b.weight != 0) {
			return a.weight != 0
		}
		if a.weight != b.weight {
			return a.weight < b.weight
		}
		if a.has != b.has {
			return a.has
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.name < b.name
	})
}

// humanize turns a folder name into a title: "EdgeComputing" → "Edge Computing",
// "mqtt_apis" → "mqtt apis", "MQTTBroker" → "MQTT Broker", "MQTT" → "MQTT".
func humanize(label string) string {
	label = strings.NewReplacer("_", " ", "-", " ").Replace(label)
	rs := []rune(label)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && rs[i-1] != ' ' {
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// A word starts at a capital after a lower-case letter (EdgeComputing),
			// or at the last capital of an acronym before a word (MQTTBroker).
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
