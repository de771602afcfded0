package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// learner is one member of the class as the bench drives it: MQTT
// credentials (courselab: from /api/lab after joining; anchor: any) and the
// topic prefix of their devices (courselab: each sandbox has its own
// ESPDEVICE; anchor: one shared broker, so a prefix per learner).
type learner struct {
	user, pass, token string
	device            string // ESPDEVICE, or ESPDEVICE-<i> on the anchor
	web               *http.Client
}

// labDetails is what GET /api/lab answers a joined learner.
type labDetails struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

// joinClass makes n learners join: on courselab as a browser does (POST
// /join with a name, the session cookie, GET /api/lab); on the anchor
// they only get a name.
func joinClass(ctx context.Context, p *process, n int) ([]*learner, error) {
	ls := make([]*learner, n)
	if p.base == "" {
		for i := range ls {
			ls[i] = &learner{user: fmt.Sprintf("learner-%d", i), device: fmt.Sprintf("ESPDEVICE-%d", i)}
		}
		return ls, nil
	}
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			l, err := join(ctx, p.base, fmt.Sprintf("Bench learner %d", i))
			if err != nil {
				errs <- err
				return
			}
			ls[i] = l
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return ls, nil
}

func join(ctx context.Context, base, name string) (*learner, error) {
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}
	form := url.Values{"name": {name}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/join", strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := web.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST /join: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // the 303 to the catalog is followed
		return nil, fmt.Errorf("POST /join: %s\n%.300s", resp.Status, body)
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/lab", nil)
	resp, err = web.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /api/lab: %w", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var d labDetails
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &d) != nil || d.Username == "" {
		return nil, fmt.Errorf("GET /api/lab: %s, no credentials in %.300s", resp.Status, body)
	}
	return &learner{user: d.Username, pass: d.Password, token: d.Token, device: "ESPDEVICE", web: web}, nil
}

// dial connects an MQTT client (paho.golang, TCP) as the learner; received
// messages go to onMessage, called from the client's own goroutine.
func dial(ctx context.Context, addr string, l *learner, suffix string, onMessage func(paho.PublishReceived)) (*paho.Client, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cfg := paho.ClientConfig{Conn: conn, PacketTimeout: 20 * time.Second}
	if onMessage != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			onMessage(pr)
			return true, nil
		}}
	}
	c := paho.NewClient(cfg)
	cp := &paho.Connect{KeepAlive: 60, ClientID: l.user + "-" + suffix, CleanStart: true,
		Username: l.user, UsernameFlag: true}
	if l.pass != "" {
		cp.Password, cp.PasswordFlag = []byte(l.pass), true
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if ack, err := c.Connect(cctx, cp); err != nil {
		conn.Close()
		return nil, fmt.Errorf("MQTT connect as %s: %v (CONNACK %+v)", l.user, err, ack)
	}
	return c, nil
}

func subscribe(ctx context.Context, c *paho.Client, topic string, qos byte) error {
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err := c.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: qos}}})
	return err
}

// forEach runs f for every learner, 16 at a time, and returns the first error.
func forEach(ls []*learner, f func(i int, l *learner) error) error {
	errs := make(chan error, len(ls))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := f(i, l); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
