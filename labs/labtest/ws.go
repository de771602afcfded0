package labtest

import (
	"net"

	"github.com/eclipse/paho.golang/packets"
)

// SerialisedWrites wraps a connection that paho.golang will write to from
// several goroutines, such as a github.com/coder/websocket NetConn, so that
// each MQTT packet goes out whole. paho writes one packet in several Write
// calls (fixed header, then each part of the body) and its pinger writes a
// PINGREQ from its own goroutine right after CONNACK: unless the conn is a
// sync.Locker, which paho then holds for a whole packet, that PINGREQ can
// land inside a SUBSCRIBE, which the broker rightly refuses as malformed.
// A *net.TCPConn needs no wrapping: paho's net.Buffers go out in one writev.
func SerialisedWrites(c net.Conn) net.Conn { return packets.NewThreadSafeConn(c) }
