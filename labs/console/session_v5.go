package console

import (
	"context"
	"errors"
	"net"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// v5Session is an MQTT 5 connection run by paho.golang.
type v5Session struct {
	c    *paho.Client
	conn net.Conn
}

var _ connectFunc = connectV5

func connectV5(ctx context.Context, conn net.Conn, o Options, user, pass string, h sessionHooks) (session, bool, error) {
	s := &v5Session{conn: conn}
	s.c = paho.NewClient(paho.ClientConfig{
		// paho writes a packet in several Writes (header, then body parts)
		// from the caller's goroutine and from its own acks; only a conn
		// that is a sync.Locker keeps one packet's parts together.
		Conn:     packets.NewThreadSafeConn(conn),
		ClientID: o.ClientID,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			p := pr.Packet
			h.message(p.Topic, p.Payload, p.QoS, p.Retain, p.Duplicate())
			return true, nil
		}},
		OnClientError: func(err error) { h.ended(describe(err)) },
		OnServerDisconnect: func(d *paho.Disconnect) {
			reason := ""
			if d.Properties != nil {
				reason = d.Properties.ReasonString
			}
			h.ended("the broker disconnected it: " + reasonWords(d.ReasonCode, reason))
		},
	})
	cp := &paho.Connect{ClientID: o.ClientID, KeepAlive: o.KeepAlive, CleanStart: o.CleanStart,
		Properties: &paho.ConnectProperties{RequestProblemInfo: true}}
	if o.SessionExpiry > 0 {
		exp := o.SessionExpiry
		cp.Properties.SessionExpiryInterval = &exp
	}
	if user != "" {
		cp.Username, cp.UsernameFlag = user, true
		cp.Password, cp.PasswordFlag = []byte(pass), true
	}
	if w := o.Will; w != nil {
		cp.WillMessage = &paho.WillMessage{Topic: w.Topic, Payload: []byte(w.Payload), QoS: w.QoS, Retain: w.Retain}
	}
	ca, err := s.c.Connect(ctx, cp)
	if err != nil {
		if ca != nil && ca.ReasonCode >= 0x80 {
			reason := ""
			if ca.Properties != nil {
				reason = ca.Properties.ReasonString
			}
			return nil, false, &refusal{code: ca.ReasonCode, reason: reason}
		}
		return nil, false, errors.New(describe(err))
	}
	return s, ca.SessionPresent, nil
}

func (s *v5Session) subscribe(ctx context.Context, filter string, qos byte) (byte, error) {
	sa, err := s.c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}}})
	if sa != nil && len(sa.Reasons) == 1 {
		if code := sa.Reasons[0]; code >= 0x80 {
			reason := ""
			if sa.Properties != nil {
				reason = sa.Properties.ReasonString
			}
			return 0, &refusal{code: code, reason: reason}
		}
		return sa.Reasons[0], nil
	}
	if err == nil {
		err = errors.New("no SUBACK")
	}
	return 0, err
}

func (s *v5Session) unsubscribe(ctx context.Context, filter string) error {
	ua, err := s.c.Unsubscribe(ctx, &paho.Unsubscribe{Topics: []string{filter}})
	if ua != nil && len(ua.Reasons) == 1 && ua.Reasons[0] >= 0x80 && ua.Reasons[0] != 0x11 {
		return &refusal{code: ua.Reasons[0]}
	}
	if ua != nil {
		return nil // 0x11 "no subscription existed" is fine: the learner's intent holds
	}
	return err
}

func (s *v5Session) publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	pr, err := s.c.Publish(ctx, &paho.Publish{Topic: topic, Payload: payload, QoS: qos, Retain: retain})
	if pr != nil && pr.ReasonCode >= 0x80 {
		reason := ""
		if pr.Properties != nil {
			reason = pr.Properties.ReasonString
		}
		return &refusal{code: pr.ReasonCode, reason: reason}
	}
	return err
}

func (s *v5Session) disconnect() { _ = s.c.Disconnect(&paho.Disconnect{ReasonCode: 0}) }

func (s *v5Session) drop() { _ = s.conn.Close() }

func (s *v5Session) done() <-chan struct{} { return s.c.Done() }
