package labs

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// connackHook announces in an MQTT 5 CONNACK what mochi enforces without
// saying: the Maximum Packet Size ([MQTT-3.2.2-15]), so that a client knows
// the limit before it sends a packet over it.
type connackHook struct {
	mqtt.HookBase
	sb *Sandbox
}

func (h *connackHook) ID() string { return "courselab-connack" }

func (h *connackHook) Provides(b byte) bool { return b == mqtt.OnPacketEncode }

func (h *connackHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && pk.ProtocolVersion == 5 && pk.ReasonCode < packets.ErrUnspecifiedError.Code {
		pk.Properties.MaximumPacketSize = uint32(h.sb.limits.PacketSize)
	}
	return pk
}
