package labs

import (
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// resumedIDBase is where the broker's own packet ids for messages queued
// while a client was offline start once its session resumes. Clients number
// their SUBSCRIBE, UNSUBSCRIBE and PUBLISH packets from 1 up (mosquitto,
// paho) or from a random start (MQTT.js), so the top of the id space is the
// part they are least likely to be using right after they reconnect.
const resumedIDBase = 0xF000

// sessionResumeHook makes a resumed persistent session behave as MQTT says,
// where mochi v2.7.9 does not:
//
//   - mochi resends every queued PUBLISH with DUP=1 ([MQTT-3.3.1-1] says
//     DUP=1 only for a re-delivery), so a message queued while the client was
//     offline arrives flagged as a duplicate on its first delivery;
//   - mochi keeps one packet-id space per client for both directions, and
//     processSubscribe refuses a SUBSCRIBE whose id is in the broker's own
//     outbound inflight (SUBACK 0x91, not even a valid 3.1.1 code), while the
//     spec lets each side number its packets independently. A resumed session
//     holds queued messages numbered 1, 2, … and the client re-subscribes
//     with id 1 at once: every re-SUBSCRIBE is denied.
//
// The hook remembers which of the broker's QoS 1/2 PUBLISH packets actually
// went out on the wire. When a session resumes, the queued messages that never
// did are renumbered from resumedIDBase up (a message never sent may take any
// free id) and are sent with DUP=0; messages sent before keep their id and
// DUP=1, as [MQTT-4.4.0-1] requires.
type sessionResumeHook struct {
	mqtt.HookBase
	sb *Sandbox

	mu   sync.Mutex
	sent map[string]map[uint16]bool // client id → packet ids of outbound PUBLISHes written to the wire
}

func (h *sessionResumeHook) ID() string { return "courselab-session-resume" }

func (h *sessionResumeHook) Provides(b byte) bool {
	switch b {
	case mqtt.OnSessionEstablish, mqtt.OnQosPublish, mqtt.OnPacketEncode, mqtt.OnPacketSent,
		mqtt.OnQosDropped, mqtt.OnDisconnect:
		return true
	}
	return false
}

// OnSessionEstablish runs just before mochi's inheritClientSession clones the
// old client's inflight into the new one.
func (h *sessionResumeHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	old, ok := h.sb.server.Clients.Get(cl.ID)
	if !ok {
		return
	}
	if pk.Connect.Clean || (old.Properties.Clean && old.Properties.ProtocolVersion < 5) {
		h.forget(cl.ID) // mochi starts this client afresh
		return
	}
	orderQueuedMessages(old)
	h.renumberUnsent(old)
}

// renumberUnsent moves the old session's never-sent PUBLISHes to ids from
// resumedIDBase up, keeping their order, and forgets marks of ids that left
// the inflight.
func (h *sessionResumeHook) renumberUnsent(old *mqtt.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sent := h.sent[old.ID]
	kept := map[uint16]bool{}
	next := uint16(resumedIDBase)
	for _, m := range old.State.Inflight.GetAll(false) {
		if m.FixedHeader.Type != packets.Publish || sent[m.PacketID] {
			if sent[m.PacketID] {
				kept[m.PacketID] = true
			}
			continue
		}
		if m.PacketID >= resumedIDBase {
			continue // already out of the clients' way
		}
		id, ok := freePacketID(old.State.Inflight, next)
		if !ok {
			return // every id is taken; leave the rest as they are
		}
		old.State.Inflight.Delete(m.PacketID)
		m.PacketID = id
		old.State.Inflight.Set(m)
		next = id + 1
		if next == 0 {
			next = 1
		}
	}
	if len(kept) > 0 {
		h.sent[old.ID] = kept
	} else {
		delete(h.sent, old.ID)
	}
}

// freePacketID is the first id from start up (wrapping past 65535 to 1) that
// the inflight does not hold.
func freePacketID(in *mqtt.Inflight, start uint16) (uint16, bool) {
	id := start
	for range 65535 {
		if id == 0 {
			id = 1
		}
		if _, taken := in.Get(id); !taken {
			return id, true
		}
		id++
	}
	return 0, false
}

// OnQosPublish sees every new outbound QoS 1/2 message take its id (DUP=0);
// an older mark for that id belonged to a message that has completed.
// mochi's resends call it too, with DUP=1: those keep their mark.
func (h *sessionResumeHook) OnQosPublish(cl *mqtt.Client, pk packets.Packet, _ int64, _ int) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Dup {
		return
	}
	h.mu.Lock()
	delete(h.sent[cl.ID], pk.PacketID)
	h.mu.Unlock()
}

// OnPacketEncode clears the DUP flag mochi sets on a resent PUBLISH that was
// never sent before.
func (h *sessionResumeHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos == 0 || !pk.FixedHeader.Dup {
		return pk
	}
	h.mu.Lock()
	sent := h.sent[cl.ID][pk.PacketID]
	h.mu.Unlock()
	if !sent {
		pk.FixedHeader.Dup = false
	}
	return pk
}

func (h *sessionResumeHook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sent == nil {
		h.sent = map[string]map[uint16]bool{}
	}
	ids := h.sent[cl.ID]
	if ids == nil {
		ids = map[uint16]bool{}
		h.sent[cl.ID] = ids
	}
	ids[pk.PacketID] = true
}

// OnQosDropped forgets a message mochi gave up on. A taken-over client's
// inflight is cleared after the new connection got a copy: those marks now
// belong to the new connection and stay.
func (h *sessionResumeHook) OnQosDropped(cl *mqtt.Client, pk packets.Packet) {
	if cl.IsTakenOver() {
		return
	}
	h.mu.Lock()
	delete(h.sent[cl.ID], pk.PacketID)
	h.mu.Unlock()
}

func (h *sessionResumeHook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if expire && !cl.IsTakenOver() {
		h.forget(cl.ID)
	}
}

func (h *sessionResumeHook) forget(clientID string) {
	h.mu.Lock()
	delete(h.sent, clientID)
	h.mu.Unlock()
}
