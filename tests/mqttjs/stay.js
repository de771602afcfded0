// stay.js URL TOPIC USERNAME PASSWORD
//
// An app that stays connected, as a learner's would: connects with MQTT.js
// (mqtt.connect(URL)), subscribes to TOPIC, and when the connection is lost
// reconnects every 250 ms and subscribes again. One JSON line per event on
// stdout:
//   {"event":"subscribed"}   SUBACK received (first time and after each reconnection)
//   {"event":"close"}        the connection ended
//   {"event":"error","message":…}
// It runs until killed; tests/e2e's cluster test reads these lines.
"use strict";

const mqtt = require("mqtt");

const [url, topic, username, password] = process.argv.slice(2);
if (!url || !topic) {
  console.error("usage: node stay.js URL TOPIC USERNAME PASSWORD");
  process.exit(2);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const client = mqtt.connect(url, {
  username,
  password,
  reconnectPeriod: 250,
  connectTimeout: 5000,
  resubscribe: false, // subscribed below on every connect, so SUBACK is seen
});

client.on("connect", () => {
  client.subscribe(topic, { qos: 0 }, (err) => {
    if (err) {
      emit({ event: "error", message: String(err.message || err) });
      return;
    }
    emit({ event: "subscribed" });
  });
});
client.on("close", () => emit({ event: "close" }));
client.on("error", (err) => emit({ event: "error", message: String(err.message || err) }));
