package labs

import (
	"sort"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// orderQueuedMessages puts an offline session's queued messages back in the
// order they were published, just before mochi resends them.
//
// Worked around in mochi v2.7.9: Inflight.GetAll sorts by uint16(Created),
// a time in whole seconds, with an unstable sort, so messages queued within
// the same second come back shuffled, against [MQTT-4.6.0-6]. Here every
// queued message gets a distinct, increasing Created (ties broken by packet
// id, which mochi hands out in publish order). A burst of n messages is
// stamped up to n seconds late, so it may outlive its expiry by as much;
// never expire early.
func orderQueuedMessages(old *mqtt.Client) {
	queued := old.State.Inflight.GetAll(false)
	if len(queued) < 2 {
		return
	}
	sort.SliceStable(queued, func(i, j int) bool {
		if queued[i].Created != queued[j].Created {
			return queued[i].Created < queued[j].Created
		}
		return queued[i].PacketID < queued[j].PacketID
	})
	prev := queued[0].Created
	for i := 1; i < len(queued); i++ {
		if queued[i].Created <= prev {
			queued[i].Created = prev + 1
			old.State.Inflight.Set(queued[i])
		}
		prev = queued[i].Created
	}
}
