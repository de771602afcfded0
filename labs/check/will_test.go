package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestWillPassesAfterAnUngracefulDisconnect(t *testing.T) {
	lb := newLab(t)
	watcher := lb.v5(t, "watcher")
	watcher.Sub(t, "devices/ESPDEVICE/status", 0)
	r := lb.raw3(t, "esp32", true, "devices/ESPDEVICE/status")
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"),
		`Your client "esp32" set its will on devices/ESPDEVICE/status but is still connected: drop its connection without DISCONNECT`)
	_ = r.Close() // the process dies: no DISCONNECT
	watcher.NextOn(t, "devices/ESPDEVICE/status")
	lb.journaled(t, 1, labs.KindWill, "")
	// The broker journals the end of a connection after its will: wait for
	// it, so it is not taken for the end of the next connection below.
	lb.journaled(t, 1, labs.KindDisconnect, "")
	wantPass(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/#"),
		`The broker sent the last will of your client "esp32" on devices/ESPDEVICE/status when it lost the connection, and your client "watcher" received it.`)

	// A later attempt that ends with a goodbye is what Check judges now.
	lb.disconnect3(t, lb.raw3(t, "esp32", true, "devices/ESPDEVICE/status"), "esp32")
	lb.journaled(t, 2, labs.KindDisconnect, "")
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"),
		`Your client "esp32" disconnected gracefully (it sent DISCONNECT), so the broker discarded its will`)
}

// TestWillFailsWhenNobodyWatched: the exercise is to see the broker
// announce the death; a will sent to nobody proves only half of it.
func TestWillFailsWhenNobodyWatched(t *testing.T) {
	lb := newLab(t)
	_ = lb.raw3(t, "esp32", true, "devices/ESPDEVICE/status").Close()
	lb.journaled(t, 1, labs.KindWill, "")
	lb.journaled(t, 1, labs.KindDisconnect, "") // journaled after the will
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"),
		`The broker sent the last will of your client "esp32" on devices/ESPDEVICE/status, but no other client of yours was subscribed to devices/ESPDEVICE/status to receive it`)

	// With a watcher (on a wildcard), the next death passes.
	watcher := lb.v5(t, "watcher")
	watcher.Sub(t, "devices/+/status", 0)
	_ = lb.raw3(t, "esp32", true, "devices/ESPDEVICE/status").Close()
	watcher.NextOn(t, "devices/ESPDEVICE/status")
	lb.journaled(t, 2, labs.KindWill, "") // the broker journals a will after delivering it
	wantPass(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"), `your client "watcher" received it`)
}

func TestWillFailsAfterAGracefulDisconnect(t *testing.T) {
	lb := newLab(t)
	r := lb.raw3(t, "esp32", true, "devices/ESPDEVICE/status")
	lb.disconnect3(t, r, "esp32")
	lb.journaled(t, 1, labs.KindDisconnect, "")
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"),
		`Your client "esp32" disconnected gracefully (it sent DISCONNECT), so the broker discarded its will: drop the connection instead (kill the process or close the socket)`)
}

func TestWillFailsWithoutAWillOrOnAnotherTopic(t *testing.T) {
	lb := newLab(t)
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"), "No client of yours set a last will on devices/ESPDEVICE/status")
	lb.raw3(t, "esp32", true, "devices/ESPDEVICE/state")
	lb.journaled(t, 1, labs.KindConnect, "")
	wantFail(t, lb.check(t, "will", "topic", "devices/ESPDEVICE/status"),
		`Your client "esp32" set its will on devices/ESPDEVICE/state, which does not match devices/ESPDEVICE/status: level 3 of the topic is "state", not "status"`)
}
