// stay.js: many apps that stay connected, as learners' apps would, in one
// node process (one MQTT.js client per learner, so a class of them costs one
// node start-up).
//
// Reads one JSON line per client on stdin:
//   {"id":"…","url":"ws://…","topic":"…","username":"…","password":"…"}
// connects it with MQTT.js (mqtt.connect(url)), subscribes to topic, and
// when the connection is lost reconnects every 250 ms and subscribes again.
// Prints one JSON line per event on stdout, with the client's id:
//   {"id":…,"event":"connect"}      CONNACK received
//   {"id":…,"event":"subscribed"}   SUBACK received (first time and after each reconnection)
//   {"id":…,"event":"close"}        the connection ended
//   {"id":…,"event":"error","message":…}
// It runs until stdin closes; tests/e2e's cluster test reads these lines.
"use strict";

const mqtt = require("mqtt");
const readline = require("readline");

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const clients = [];
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    emit({ id: "", event: "error", message: "not a JSON line: " + line });
    return;
  }
  const client = mqtt.connect(c.url, {
    username: c.username,
    password: c.password,
    reconnectPeriod: 250,
    connectTimeout: 5000,
    resubscribe: false, // subscribed below on every connect, so SUBACK is seen
  });
  clients.push(client);
  client.on("connect", () => {
    emit({ id: c.id, event: "connect" });
    client.subscribe(c.topic, { qos: 0 }, (err) => {
      if (err) {
        emit({ id: c.id, event: "error", message: String(err.message || err) });
        return;
      }
      emit({ id: c.id, event: "subscribed" });
    });
  });
  client.on("close", () => emit({ id: c.id, event: "close" }));
  client.on("error", (err) => emit({ id: c.id, event: "error", message: String(err.message || err) }));
}).on("close", () => {
  for (const client of clients) client.end(true);
  process.exit(0);
});
emit({ id: "", event: "started" });
