package labs

import (
	"fmt"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// takeWithhold consumes the withhold-ack fault of (clientID, side), if armed.
func (f *faults) takeWithhold(clientID string, side AckSide) (armed, cut bool) {
	if !f.used.Load() {
		return false, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := withholdKey{clientID, side}
	cut, armed = f.withhold[k]
	delete(f.withhold, k)
	return armed, cut
}

// delayOf is the delay of deliveries to clientID now (0: none).
func (f *faults) delayOf(clientID string) time.Duration {
	if !f.used.Load() {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.delays[clientID]
	if !ok {
		return 0
	}
	if !d.until.After(time.Now()) {
		delete(f.delays, clientID)
		return 0
	}
	return d.by
}

// faultHook applies a sandbox's faults to its broker's packets.
type faultHook struct {
	mqtt.HookBase
	sb *Sandbox
}

func (h *faultHook) ID() string { return "courselab-faults" }

func (h *faultHook) Provides(b byte) bool { return b == mqtt.OnPacketRead || b == mqtt.OnPacketEncode }

func isAck(t byte) bool { return t == packets.Puback || t == packets.Pubrec || t == packets.Pubcomp }

// OnPacketRead drops a withheld acknowledgement from the client. mochi
// v2.7.9 ends the connection when this hook returns ErrRejectPacket
// (TestRejectPacketEndsTheConnectionInMochi), so the ack is not rejected
// but made inert: packet id 0, which no exchange uses (ids start at 1), so
// that mochi finds nothing to complete; a PUBREC becomes a PUBCOMP, whose
// unknown id mochi ignores where it would answer a PUBREC with a PUBREL.
// The journal hook, after this one, skips it (Ignore).
func (h *faultHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if !isAck(pk.FixedHeader.Type) || pk.PacketID == 0 {
		return pk, nil
	}
	armed, cut := h.sb.faults.takeWithhold(cl.ID, AckFromClient)
	if !armed {
		return pk, nil
	}
	name := ackName(pk.FixedHeader.Type)
	again := fmt.Sprintf("it will send message %d again, with DUP=1, when %s reconnects with its session", pk.PacketID, cl.ID)
	if pk.FixedHeader.Type == packets.Pubcomp {
		again = fmt.Sprintf("it will send its PUBREL for message %d again when %s reconnects with its session", pk.PacketID, cl.ID)
	}
	coach := fmt.Sprintf("The broker did not receive this %s from %s (fault injected): for the broker, message %d is not delivered yet, so %s.", name, cl.ID, pk.PacketID, again)
	if cut {
		coach += " The connection is now cut, as a network failure would cut it."
	}
	h.sb.journal.Add(Event{Kind: KindFault, ClientID: cl.ID, Detail: &FaultInfo{Fault: FaultWithholdAck, From: string(AckFromClient),
		Packet: name, PacketID: pk.PacketID, Coach: coach}})
	pk.PacketID = 0
	pk.Ignore = true // the journal hook skips it: this fault's line tells the story
	pk.FixedHeader.Type = packets.Pubcomp
	if name == "PUBACK" {
		pk.FixedHeader.Type = packets.Puback
	}
	if cut {
		_ = cl.Net.Conn.Close() // the reader finds it closed next: a lost connection, will and all
	}
	return pk, nil
}

// OnPacketEncode delays deliveries and withholds the broker's acks. It runs
// in the goroutine that writes to this client only (mochi's write loop for
// deliveries), so a delay holds back this client's packets, nobody else's.
func (h *faultHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	switch {
	case pk.FixedHeader.Type == packets.Publish && !cl.Net.Inline:
		if d := h.sb.faults.delayOf(cl.ID); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			var closed <-chan struct{}
			if mc, ok := cl.Net.Conn.(*meteredConn); ok {
				closed = mc.closed
			}
			select {
			case <-t.C:
			case <-closed:
			}
		}
	case isAck(pk.FixedHeader.Type) && pk.PacketID != 0:
		mc, ok := cl.Net.Conn.(*meteredConn)
		if !ok {
			return pk
		}
		armed, cut := h.sb.faults.takeWithhold(cl.ID, AckFromBroker)
		if !armed {
			return pk
		}
		mc.swallow(pk.FixedHeader.Type, pk.PacketID, cut)
		pk.Ignore = true // mochi does not encode it; the journal hook skips it as sent
		name := ackName(pk.FixedHeader.Type)
		coach := fmt.Sprintf("The broker's %s for message %d never reached %s (fault injected): for %s the message is not acknowledged, so it sends it again, with DUP=1, when it reconnects with its session.", name, pk.PacketID, cl.ID, cl.ID)
		if pk.FixedHeader.Type == packets.Pubcomp {
			coach = fmt.Sprintf("The broker's PUBCOMP for message %d never reached %s (fault injected): %s sends its PUBREL again when it reconnects with its session.", pk.PacketID, cl.ID, cl.ID)
		}
		if cut {
			coach += " The connection is now cut, as a network failure would cut it."
		}
		h.sb.journal.Add(Event{Kind: KindFault, ClientID: cl.ID, Detail: &FaultInfo{Fault: FaultWithholdAck, From: string(AckFromBroker),
			Packet: name, PacketID: pk.PacketID, Coach: coach}})
	}
	return pk
}
