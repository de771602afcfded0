package check

import "testing"

func TestGenericLeavesOutTheLearnersOwnNames(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{`Your client "ada-sub" subscribed to devices/+/sensors, which does not match devices/ESP/actuators/LED/value; subscribe to devices/+/+/+/value.`,
			`Your client "…" subscribed to devices/+/sensors, which does not match devices/ESP/actuators/LED/value; subscribe to devices/+/+/+/value.`},
		{`Your clients "a", "b \"quoted\"" and "c" together received all the fresh values`,
			`Your clients "…", "…" and "…" together received all the fresh values`},
		{`You sent a value to t at 14:05:59 UTC, but no client of yours was subscribed`,
			`You sent a value to t at … UTC, but no client of yours was subscribed`},
		{`An unbalanced " quote stays, and 99:99:99 UTC is no time.`, `An unbalanced " quote stays, and 99:99:99 UTC is no time.`},
		{``, ``},
	} {
		if got := Generic(tc.msg); got != tc.want {
			t.Errorf("Generic(%q)\n = %q\nwant %q", tc.msg, got, tc.want)
		}
	}
}
