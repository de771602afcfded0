package labs

// Withholding the broker's acknowledgements: mochi has no hook that keeps a
// packet from being written, so the client's connection drops it. mochi
// writes whole packets (one per Write, or several flushed from its buffer
// together), so the packet is found by following the MQTT framing of what is
// written: each packet's type, remaining length and packet id.

// swallowedAck is an acknowledgement the connection must not write.
type swallowedAck struct {
	typ byte
	id  uint16
	cut bool // close the connection once it is dropped
}

// swallow makes the connection drop the next ack of type typ for packet id.
func (c *meteredConn) swallow(typ byte, id uint16, cut bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.swallows = append(c.swallows, swallowedAck{typ: typ, id: id, cut: cut})
}

// withoutSwallowed returns p without the packets to swallow, and whether
// the connection is to be cut; c.wmu is held. Bytes it cannot frame as
// whole packets are written as they are.
func (c *meteredConn) withoutSwallowed(p []byte) (out []byte, cut bool) {
	var kept []byte // nil until a packet is dropped
	for i := 0; i < len(p); {
		end, typ, id, ok := frameAt(p, i)
		if !ok {
			break
		}
		drop := false
		if isAck(typ) {
			for k, s := range c.swallows {
				if s.typ == typ && s.id == id {
					c.swallows = append(c.swallows[:k:k], c.swallows[k+1:]...)
					drop, cut = true, cut || s.cut
					break
				}
			}
		}
		switch {
		case drop && kept == nil:
			kept = append([]byte{}, p[:i]...)
		case !drop && kept != nil:
			kept = append(kept, p[i:end]...)
		}
		i = end
	}
	if kept == nil {
		return p, cut
	}
	return kept, cut
}

// frameAt reads the packet starting at p[i]: where it ends, its type, and
// the packet id its body starts with (meaningful for acks only).
func frameAt(p []byte, i int) (end int, typ byte, id uint16, ok bool) {
	typ = p[i] >> 4
	n, shift, j := 0, uint(0), i+1
	for ; ; j++ {
		if j >= len(p) || j > i+4 {
			return 0, 0, 0, false
		}
		n |= int(p[j]&0x7f) << shift
		shift += 7
		if p[j]&0x80 == 0 {
			break
		}
	}
	body := j + 1
	end = body + n
	if end > len(p) {
		return 0, 0, 0, false
	}
	if n >= 2 {
		id = uint16(p[body])<<8 | uint16(p[body+1])
	}
	return end, typ, id, true
}
