package check

import (
	"testing"

	"github.com/courselab/courselab/labs"
)

func TestQoS2PassesOnACompletePublishExchange(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "pub").Pub(t, "lab/qos2", "exactly once", 2, false)
	lb.completed(t, 1, "PUBCOMP")
	wantPass(t, lb.check(t, "qos2", "topic", "lab/#", "direction", "publish"),
		`Your client "pub" published a message on lab/qos2 with QoS 2 and completed the exchange (PUBLISH, PUBREC, PUBREL, PUBCOMP).`)
}

func TestQoS2PassesOnACompleteReceiveExchange(t *testing.T) {
	lb := newLab(t)
	sub := lb.v5(t, "sub")
	sub.Sub(t, "lab/qos2", 2)
	lb.v5(t, "pub").Pub(t, "lab/qos2", "exactly once", 2, false)
	sub.Next(t)
	lb.completed(t, 2, "PUBCOMP") // the broker's PUBCOMP to pub, sub's PUBCOMP to the broker
	wantPass(t, lb.check(t, "qos2", "topic", "lab/qos2", "direction", "receive"),
		`Your client "sub" received a message on lab/qos2 with QoS 2`)
}

func TestQoS2FailsWhileTheExchangeIsOpen(t *testing.T) {
	lb := newLab(t)
	// A delivery at QoS 2 whose client has answered with PUBREC only.
	lb.sb.Journal().Add(labs.Event{Kind: labs.KindDeliver, ClientID: "sub", Topic: "lab/qos2", QoS: 2,
		Detail: &labs.MessageInfo{PacketID: 3, Ack: "PUBREC"}})
	wantFail(t, lb.check(t, "qos2", "topic", "lab/qos2"),
		`The QoS 2 exchange of your client "sub" on lab/qos2 started but did not finish (no PUBCOMP yet)`)
}

func TestQoS2FailsWhenPublishedWithQoS1(t *testing.T) {
	lb := newLab(t)
	lb.v5(t, "pub").Pub(t, "lab/qos2", "at least once", 1, false)
	lb.journaled(t, 1, labs.KindPublish, "lab/qos2")
	wantFail(t, lb.check(t, "qos2", "topic", "lab/qos2"),
		"You published on lab/qos2 with QoS 1; publish with QoS 2 (mosquitto_pub -q 2)")
}

func TestQoS2FailsWhenReceivedWithALowerQoS(t *testing.T) {
	lb := newLab(t)
	sub := lb.v5(t, "sub")
	sub.Sub(t, "lab/qos2", 1)
	lb.v5(t, "pub").Pub(t, "lab/qos2", "x", 2, false)
	sub.Next(t)
	lb.journaled(t, 1, labs.KindDeliver, "lab/qos2")
	wantFail(t, lb.check(t, "qos2", "topic", "lab/qos2", "direction", "receive"),
		`Your client "sub" received lab/qos2 with QoS 1: for a QoS 2 exchange both the subscription and the publish need QoS 2`)
}
