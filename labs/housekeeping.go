package labs

import (
	"strconv"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Housekeeping replaces the event loop of mochi's Serve. One ticker in Labs
// visits, each second, only the sandboxes that have something to do (clients
// connected, offline sessions, retained messages, delayed wills), so ten
// thousand idle sandboxes cost a few map reads per second instead of fifty
// thousand tickers.

// SysInterval is how often $SYS topics are refreshed while clients are connected.
const SysInterval = 10 * time.Second

type delayedWill struct {
	will mqtt.Will
	due  time.Time
}

func (s *Sandbox) delayWill(clientID string, w mqtt.Will) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wills == nil {
		s.wills = map[string]delayedWill{}
	}
	s.wills[clientID] = delayedWill{will: w, due: time.Now().Add(time.Duration(w.WillDelayInterval) * time.Second)}
}

func (s *Sandbox) cancelDelayedWill(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.wills, clientID)
}

// busy reports whether the sandbox needs this second's housekeeping; it is
// called for every sandbox, so it only reads counters.
func (s *Sandbox) busy() bool {
	if s.connected.Load() > 0 {
		return true
	}
	s.mu.Lock()
	w := len(s.wills)
	s.mu.Unlock()
	return w > 0 || s.server.Clients.Len() > 1 || s.notesPending() // the inline client is always there
}

// housekeep does what mochi's event loop would: expire inflight messages and
// sessions, send due delayed wills, refresh $SYS.
func (s *Sandbox) housekeep(now time.Time) {
	s.flushNotes(now)
	unix := now.Unix()
	maxExpiry := s.server.Options.Capabilities.MaximumMessageExpiryInterval
	for id, cl := range s.server.Clients.GetAll() {
		if cl.Net.Inline {
			continue
		}
		cl.ClearExpiredInflights(unix, maxExpiry)
		stopped := cl.StopTime()
		if stopped == 0 || !cl.Closed() {
			continue
		}
		expire := s.server.Options.Capabilities.MaximumSessionExpiryInterval
		if cl.Properties.ProtocolVersion == 5 && cl.Properties.Props.SessionExpiryIntervalFlag {
			expire = cl.Properties.Props.SessionExpiryInterval
		}
		// The same client id may have connected again since the snapshot:
		// its new session must not lose its subscriptions to the old one's expiry.
		if stopped+int64(expire) < unix {
			subs := cl.State.Subscriptions.GetAll() // a copy: expireSession drops them
			if s.expireSession(id, cl) {
				s.coach.forgetExpired(id, subs, expire)
			}
		}
	}
	if s.queue.estimate.Load() > 0 {
		s.recountQueue() // acknowledged and expired messages leave the estimate here
	}

	var due []delayedWill
	var dueIDs []string
	s.mu.Lock()
	for id, w := range s.wills {
		if !now.Before(w.due) {
			due = append(due, w)
			dueIDs = append(dueIDs, id)
			delete(s.wills, id)
		}
	}
	sysDue := s.connected.Load() > 0 && now.Sub(s.lastSys) >= SysInterval
	if sysDue {
		s.lastSys = now
	}
	s.mu.Unlock()
	for i, w := range due {
		s.heldWills.sentAfterDelay(dueIDs[i])
		if err := s.server.Publish(w.will.TopicName, w.will.Payload, w.will.Retain, w.will.Qos); err == nil {
			s.journal.addMessage(&message{kind: KindWill, clientID: dueIDs[i], topic: w.will.TopicName,
				payload: payloadExcerpt(w.will.Payload), qos: w.will.Qos, retain: w.will.Retain},
				&MessageInfo{DelayedS: w.will.WillDelayInterval})
		}
	}
	if sysDue {
		s.publishSys()
	}
}

// retainedHousekeep drops retained messages older than the broker's maximum
// message expiry; it runs rarely because that maximum is a day.
func (s *Sandbox) retainedHousekeep(now int64) {
	maxExpiry := s.server.Options.Capabilities.MaximumMessageExpiryInterval
	for topic, pk := range s.server.Topics.Retained.GetAll() {
		expired := pk.ProtocolVersion == 5 && pk.Expiry > 0 && pk.Expiry < now
		if expired || maxExpiry > 0 && now-pk.Created > maxExpiry {
			s.server.Topics.Retained.Delete(topic)
		}
	}
}

// sysOnConnect refreshes $SYS when a client connects, so that a learner who
// subscribes to $SYS/# right away sees values.
func (s *Sandbox) sysOnConnect() {
	now := time.Now()
	s.mu.Lock()
	due := now.Sub(s.lastSys) >= time.Second
	if due {
		s.lastSys = now
	}
	s.mu.Unlock()
	if due {
		go s.publishSys() // not inside the connecting client's hook: publishing takes locks the connect path holds
	}
}

// publishSys publishes the sandbox's own figures under $SYS, never the
// process's (mochi's $SYS/broker/system/memory would show every learner the
// heap of the whole server, which says how busy the class is).
func (s *Sandbox) publishSys() {
	if s.Closed() {
		return
	}
	info := s.server.Info
	now := time.Now().Unix()
	total := int64(s.server.Clients.Len() - 1)
	connected := atomic.LoadInt64(&info.ClientsConnected)
	i := func(v *int64) string { return strconv.FormatInt(atomic.LoadInt64(v), 10) }
	topics := [][2]string{
		{"$SYS/broker/version", "courselab (mochi-mqtt " + mqtt.Version + ")"},
		{"$SYS/broker/time", strconv.FormatInt(now, 10)},
		{"$SYS/broker/uptime", strconv.FormatInt(now-info.Started, 10)},
		{"$SYS/broker/started", strconv.FormatInt(info.Started, 10)},
		{"$SYS/broker/load/bytes/received", i(&info.BytesReceived)},
		{"$SYS/broker/load/bytes/sent", i(&info.BytesSent)},
		{"$SYS/broker/clients/connected", strconv.FormatInt(connected, 10)},
		{"$SYS/broker/clients/disconnected", strconv.FormatInt(max(total-connected, 0), 10)},
		{"$SYS/broker/clients/maximum", i(&info.ClientsMaximum)},
		{"$SYS/broker/clients/total", strconv.FormatInt(total, 10)},
		{"$SYS/broker/packets/received", i(&info.PacketsReceived)},
		{"$SYS/broker/packets/sent", i(&info.PacketsSent)},
		{"$SYS/broker/messages/received", i(&info.MessagesReceived)},
		{"$SYS/broker/messages/sent", i(&info.MessagesSent)},
		{"$SYS/broker/messages/dropped", i(&info.MessagesDropped)},
		{"$SYS/broker/messages/inflight", i(&info.Inflight)},
		{"$SYS/broker/retained", strconv.Itoa(s.server.Topics.Retained.Len())},
		{"$SYS/broker/subscriptions", i(&info.Subscriptions)},
	}
	for _, t := range topics {
		_ = s.server.Publish(t[0], []byte(t[1]), true, 0)
	}
}
