package labs

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// allowHook lets every connection in: by the time a connection reaches a
// sandbox broker the front has already checked its credentials, and inside
// one sandbox every client belongs to the same learner.
type allowHook struct{ mqtt.HookBase }

func (h *allowHook) ID() string { return "courselab-allow" }

func (h *allowHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

func (h *allowHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func (h *allowHook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// FilterResult is one filter of a SUBSCRIBE as the broker answered it: Code
// is the granted QoS (0–2) or a refusal (0x80 and above).
type FilterResult struct {
	Filter string `json:"filter"`
	QoS    byte   `json:"qos"`
	Code   byte   `json:"code"`
}

// journalHook writes what the broker does into the sandbox journal.
type journalHook struct {
	mqtt.HookBase
	sb      *Sandbox
	hadWill sync.Map // client id → true while its connection has a will (mochi clears it before OnDisconnect)
}

func (h *journalHook) ID() string { return "courselab-journal" }

func (h *journalHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnSessionEstablish, mqtt.OnDisconnect, mqtt.OnSubscribed, mqtt.OnUnsubscribed,
		mqtt.OnPublished, mqtt.OnPacketSent, mqtt.OnPacketRead, mqtt.OnWill, mqtt.OnWillSent:
		return true
	}
	return false
}

func protocolName(v byte) string {
	switch v {
	case 3:
		return "MQTT 3.1"
	case 4:
		return "MQTT 3.1.1"
	case 5:
		return "MQTT 5"
	}
	return "MQTT ?"
}

func (h *journalHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	d := &ConnectInfo{
		Protocol:   protocolName(cl.Properties.ProtocolVersion),
		CleanStart: pk.Connect.Clean,
		KeepAlive:  pk.Connect.Keepalive,
		Transport:  cl.Net.Listener,
	}
	if pk.Connect.UsernameFlag {
		d.Username = string(pk.Connect.Username)
	}
	if cl.Properties.ProtocolVersion == 5 {
		expiry := pk.Properties.SessionExpiryInterval
		d.SessionExpiry = &expiry
	}
	if pk.Connect.WillFlag {
		d.WillTopic = pk.Connect.WillTopic
		d.WillQoS = pk.Connect.WillQos
		d.WillRetain = pk.Connect.WillRetain
		d.WillPayload = excerpt(pk.Connect.WillPayload)
		h.hadWill.Store(cl, true)
	}
	h.sb.journal.Add(Event{Kind: KindConnect, ClientID: cl.ID, Detail: d})
	h.sb.cancelDelayedWill(cl.ID) // [MQTT-3.1.3-9]: a reconnect before the delay cancels the will
	h.sb.coach.welcomeBack(cl.ID)

	// Mirror mochi's inheritClientSession, which runs right after this hook.
	if old, ok := h.sb.server.Clients.Get(cl.ID); ok && !pk.Connect.Clean &&
		!(old.Properties.Clean && old.Properties.ProtocolVersion < 5) {
		h.sb.journal.Add(Event{Kind: KindSessionResumed, ClientID: cl.ID, Detail: &ResumedInfo{
			Subscriptions: old.State.Subscriptions.Len(),
			Queued:        old.State.Inflight.Len(),
		}})
	}
	h.sb.sysOnConnect()
}

// disconnectReason says in words why a connection ended.
func disconnectReason(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "DISCONNECT sent by the client"
	case errors.Is(err, packets.ErrSessionTakenOver):
		return "another connection took over this client id"
	case errors.Is(err, packets.CodeDisconnectWillMessage):
		return "client asked to disconnect with its will message"
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return "connection closed without DISCONNECT"
	case errors.As(err, &ne) && ne.Timeout():
		return "keep-alive expired: no packet within 1.5 × keep-alive"
	case errors.Is(err, packets.ErrPacketTooLarge):
		return "packet too large"
	case errors.Is(err, packets.ErrServerShuttingDown):
		return "sandbox closed"
	}
	return err.Error()
}

func (h *journalHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	_, hadWill := h.hadWill.LoadAndDelete(cl)
	if expire && !cl.IsTakenOver() && !errors.Is(err, packets.ErrServerShuttingDown) {
		h.sb.coach.forgetOnDisconnect(cl) // mochi drops the subscriptions right after this hook
	}
	reason := disconnectReason(err)
	takenOver := cl.IsTakenOver() || errors.Is(cl.StopCause(), packets.ErrSessionTakenOver) || h.sb.handovers.superseded(cl.Net.Conn, cl.ID)
	if takenOver {
		reason = disconnectReason(packets.ErrSessionTakenOver)
	}
	h.sb.journal.Add(Event{Kind: KindDisconnect, ClientID: cl.ID, Detail: &DisconnectInfo{
		Graceful:    err == nil,
		Reason:      reason,
		SessionKept: !expire,
		Transport:   cl.Net.Listener,
		Coach:       coachText(disconnectCoach(cl.ID, err, takenOver, hadWill, h.sb.delayedWillOf(cl.ID))),
	}})
}

func (h *journalHook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, codes []byte) {
	if cl.Net.Inline {
		return
	}
	res := make([]FilterResult, 0, len(pk.Filters))
	for i, f := range pk.Filters {
		r := FilterResult{Filter: f.Filter, QoS: f.Qos}
		if i < len(codes) {
			r.Code = codes[i]
		}
		res = append(res, r)
	}
	e := Event{Kind: KindSubscribe, ClientID: cl.ID, Detail: &SubscribeInfo{Filters: res, Coach: coachText(subscribeCoach(res))}}
	if len(res) > 0 {
		e.Topic, e.QoS = res[0].Filter, res[0].QoS
	}
	h.sb.journal.Add(e)
}

func (h *journalHook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	if pk.PacketID == 0 || cl.Net.Inline {
		return // session clean-up by the broker, not an UNSUBSCRIBE from the client
	}
	fs := make([]string, 0, len(pk.Filters))
	for _, f := range pk.Filters {
		fs = append(fs, f.Filter)
	}
	e := Event{Kind: KindUnsubscribe, ClientID: cl.ID, Detail: &UnsubscribeInfo{Filters: fs}}
	if len(fs) > 0 {
		e.Topic = fs[0]
	}
	h.sb.journal.Add(e)
}

func isSys(topic string) bool { return strings.HasPrefix(topic, "$SYS") }

func (h *journalHook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if isSys(pk.TopicName) {
		return
	}
	m := message{kind: KindPublish, topic: pk.TopicName, payload: payloadExcerpt(pk.Payload),
		qos: pk.FixedHeader.Qos, retain: pk.FixedHeader.Retain}
	var d EventDetail
	if cl.Net.Inline {
		m.platform = true
	} else {
		m.clientID, m.dup = cl.ID, pk.FixedHeader.Dup
		if pk.FixedHeader.Qos > 0 {
			// mochi answers a QoS 1 or 2 PUBLISH (PUBACK, PUBREC) before
			// this hook runs, and never runs it when the answer failed.
			m.packetID, m.ack = pk.PacketID, packets.Puback
			if pk.FixedHeader.Qos == 2 {
				m.ack = packets.Pubrec
			}
		}
		if why := coachText(publishCoach(h.sb.server, &h.sb.coach, cl, pk)); why != "" {
			d = &MessageInfo{Coach: why}
		}
	}
	h.sb.journal.addMessage(&m, d)
}

func ackName(t byte) string {
	switch t {
	case packets.Puback:
		return "PUBACK"
	case packets.Pubrec:
		return "PUBREC"
	case packets.Pubrel:
		return "PUBREL"
	case packets.Pubcomp:
		return "PUBCOMP"
	}
	return packets.PacketNames[t]
}

// ackType is the packet type ackName names (0 for none).
func ackType(name string) byte {
	for _, t := range []byte{packets.Puback, packets.Pubrec, packets.Pubrel, packets.Pubcomp} {
		if ackName(t) == name {
			return t
		}
	}
	return 0
}

// refused reports whether an acknowledgement ends its exchange with an
// error (reason code 0x80 or above).
func refused(pk packets.Packet) bool { return pk.ReasonCode >= packets.ErrUnspecifiedError.Code }

// OnPacketSent journals deliveries, and folds the broker's acknowledgements
// into the exchanges they belong to: PUBCOMP ends a client's QoS 2 publish,
// PUBREL moves on a QoS 2 delivery. (Its PUBACK and PUBREC to a publish are
// in the publish already: see OnPublished.) An acknowledgement that refuses
// is a line of its own.
func (h *journalHook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	switch t := pk.FixedHeader.Type; t {
	case packets.Publish:
		if isSys(pk.TopicName) {
			return
		}
		m := message{kind: KindDeliver, clientID: cl.ID, topic: pk.TopicName, payload: payloadExcerpt(pk.Payload),
			qos: pk.FixedHeader.Qos, retain: pk.FixedHeader.Retain}
		if pk.FixedHeader.Qos > 0 {
			m.packetID, m.dup = pk.PacketID, pk.FixedHeader.Dup
		}
		h.sb.journal.addMessage(&m, nil)
	case packets.Puback, packets.Pubrec, packets.Pubcomp:
		if pk.Ignore {
			return // withheld by a fault (faults.go), which journals it
		}
		if refused(pk) {
			h.sb.journal.Add(Event{Kind: KindAck, ClientID: cl.ID, Detail: &AckInfo{Packet: ackName(t), From: "broker",
				PacketID: pk.PacketID, ReasonCode: pk.ReasonCode, Reason: pk.Properties.ReasonString}})
		} else if t == packets.Pubcomp {
			h.sb.journal.acked(KindPublish, cl.ID, pk.PacketID, t)
		}
	case packets.Pubrel:
		h.sb.journal.acked(KindDeliver, cl.ID, pk.PacketID, t)
	}
}

// OnPacketRead folds the client's acknowledgements into the exchanges they
// belong to: PUBACK, PUBREC and PUBCOMP to a delivery, PUBREL to its own
// QoS 2 publish.
func (h *journalHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.Ignore {
		return pk, nil // a client's acknowledgement withheld by a fault (faults.go), which journals it
	}
	switch t := pk.FixedHeader.Type; t {
	case packets.Puback, packets.Pubrec, packets.Pubcomp:
		if refused(pk) {
			h.sb.journal.Add(Event{Kind: KindAck, ClientID: cl.ID, Detail: &AckInfo{Packet: ackName(t), From: "client",
				PacketID: pk.PacketID, ReasonCode: pk.ReasonCode, Reason: pk.Properties.ReasonString}})
		} else {
			h.sb.journal.acked(KindDeliver, cl.ID, pk.PacketID, t)
		}
	case packets.Pubrel:
		h.sb.journal.acked(KindPublish, cl.ID, pk.PacketID, t)
	}
	return pk, nil
}

// OnWill takes over delayed wills: mochi keeps them for its own event loop,
// which courselab never starts (see housekeeping.go).
func (h *journalHook) OnWill(cl *mqtt.Client, will mqtt.Will) (mqtt.Will, error) {
	if cl.Properties.Will.WillDelayInterval > 0 {
		h.sb.delayWill(cl.ID, will)
	}
	return will, nil
}

func (h *journalHook) OnWillSent(cl *mqtt.Client, pk packets.Packet) {
	h.sb.journal.addMessage(&message{kind: KindWill, clientID: cl.ID, topic: pk.TopicName,
		payload: payloadExcerpt(pk.Payload), qos: pk.FixedHeader.Qos, retain: pk.FixedHeader.Retain}, nil)
}
