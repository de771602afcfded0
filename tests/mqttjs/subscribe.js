// subscribe.js URL TOPIC COUNT [USERNAME PASSWORD]
//
// Connects with MQTT.js the way the course's apps do (mqtt.connect(URL)),
// subscribes to TOPIC and prints one JSON line per event on stdout:
//   {"event":"connect","protocol":"mqtt"}   CONNACK received
//   {"event":"subscribed","granted":[…]}    SUBACK received: publish now
//   {"event":"message","topic":…,"payload":…,"retain":…}
//   {"event":"error","message":…}
// It exits 0 after COUNT messages, 1 on an error. The Go tests in
// tests/e2e read these lines; they also bound the run with a timeout.
"use strict";

const mqtt = require("mqtt");

const [url, topic, countArg, username, password] = process.argv.slice(2);
if (!url || !topic) {
  console.error("usage: node subscribe.js URL TOPIC COUNT [USERNAME PASSWORD]");
  process.exit(2);
}
const want = Number(countArg || 1);

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const opts = { reconnectPeriod: 0, connectTimeout: 5000 };
if (username) {
  opts.username = username;
  opts.password = password;
}
const client = mqtt.connect(url, opts);
let got = 0;

client.on("connect", () => {
  emit({ event: "connect", protocol: url.split(":")[0] });
  client.subscribe(topic, { qos: 0 }, (err, granted) => {
    if (err) {
      emit({ event: "error", message: String(err.message || err) });
      process.exit(1);
    }
    emit({ event: "subscribed", granted: granted.map((g) => g.qos) });
  });
});

client.on("message", (t, payload, packet) => {
  emit({ event: "message", topic: t, payload: payload.toString(), retain: packet.retain });
  got++;
  if (got >= want) {
    client.end(false, () => process.exit(0));
  }
});

client.on("error", (err) => {
  emit({ event: "error", message: String(err.message || err) });
  process.exit(1);
});

client.on("close", () => {
  if (got < want) {
    emit({ event: "error", message: "connection closed" });
    process.exit(1);
  }
});
