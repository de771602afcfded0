package labs

import (
	"encoding/json"
	"time"
)

// stampLayout is RFC 3339 with milliseconds, as the Waziup cloud writes dates.
const stampLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalJSON writes {"value":…,"timestamp":…,"date_received":…}, the
// payload the cloud also publishes on MQTT: once per posted value, so the
// common parts (a number, two dates in UTC) are written by hand rather than
// through json.Marshal and time.Format, with the same bytes.
func (v Value) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48+2*len(stampLayout))
	b = append(b, `{"value":`...)
	if n, ok := v.Value.(json.Number); ok && IsJSONNumber(n) {
		b = append(b, n...)
	} else {
		val, err := json.Marshal(v.Value)
		if err != nil {
			return nil, err
		}
		b = append(b, val...)
	}
	b = append(b, `,"timestamp":"`...)
	b = appendStamp(b, v.Timestamp)
	b = append(b, `","date_received":"`...)
	b = appendStamp(b, v.DateReceived)
	b = append(b, `"}`...)
	return b, nil
}

// appendStamp appends t in UTC as stampLayout writes it.
func appendStamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, stampLayout)
	}
	hour, minute, second := t.Clock()
	digits := func(b []byte, n, width int) []byte {
		for div := pow10[width-1]; div > 0; div /= 10 {
			b = append(b, byte('0'+n/div%10))
		}
		return b
	}
	b = digits(b, year, 4)
	b = append(b, '-')
	b = digits(b, int(month), 2)
	b = append(b, '-')
	b = digits(b, day, 2)
	b = append(b, 'T')
	b = digits(b, hour, 2)
	b = append(b, ':')
	b = digits(b, minute, 2)
	b = append(b, ':')
	b = digits(b, second, 2)
	b = append(b, '.')
	b = digits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

var pow10 = [...]int{1, 10, 100, 1000}

// IsJSONNumber reports whether n is a number in JSON's grammar, the check
// encoding/json makes of a json.Number before writing it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func IsJSONNumber[T ~string | ~[]byte](n T) bool {
	i := 0
	digits := func() int {
		k := 0
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i, k = i+1, k+1
		}
		return k
	}
	if i < len(n) && n[i] == '-' {
		i++
	}
	switch {
	case i < len(n) && n[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(n) && n[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(n)
}
