package e2e

import (
	"fmt"
	"testing"
)

// BenchmarkJoinToFirstCheck measures what a learner waits from joining to
// the answer of their first Check, through HAProxy to a three-node cluster
// and directly to one of its nodes (the anchor, same run): POST /join, GET
// /api/lab, an MQTT client (paho.golang, TCP) connects and subscribes to
// devices/ESPDEVICE/#, Check on all-device-values over REST. One op is one
// learner.
//
//	go test -run '^$' -bench JoinToFirstCheck -benchtime 100x ./tests/e2e/
func BenchmarkJoinToFirstCheck(b *testing.B) {
	c := startCluster(b)
	for _, way := range []struct {
		name  string
		front *server
	}{{"direct", c.nodes[0]}, {"haproxy", c.front}} {
		b.Run(way.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				l := &clusterLearner{learner: way.front.join(b, fmt.Sprintf("%s %d", way.name, i))}
				l.subscribed = make(chan struct{}, 1)
				if err := l.dialTCP(way.front); err != nil {
					b.Fatal(err)
				}
				if ok, body, err := l.check(way.front); err != nil || !ok {
					b.Fatalf("Check: %v %s", err, body)
				}
				i++
			}
		})
	}
}
