// The Connect tab: the sandbox's addresses and credentials, and lines ready
// to paste into a terminal or a program.
(function (L) {
  "use strict";
  var el = L.el;

  L.renderDetails = function (d) {
    L.state.details = d;
    var dl = L.$("[data-details]");
    dl.textContent = "";
    var personal = !d.username;
    [["MQTT URL", d.mqtt_url], ["WebSocket URL", d.ws_url], ["User name", d.username], ["Password", d.password],
      ["REST base URL", d.api_base], ["Token", d.token]].forEach(function (row) {
      if (!row[1]) return;
      var wrap = el("div", "lab-detail");
      wrap.appendChild(el("dt", null, row[0]));
      var dd = el("dd");
      dd.appendChild(el("code", null, row[1]));
      dd.appendChild(L.copyButton(function () { return row[1]; }, row[0]));
      wrap.appendChild(dd);
      dl.appendChild(wrap);
    });
    L.$("[data-personal-note]").hidden = !personal;

    var u = new URL(d.mqtt_url.replace(/^mqtt:/, "http:"));
    var host = u.hostname, port = u.port || "1883";
    var auth = personal ? "" : " -u " + L.shellQuote(d.username) + " -P " + L.shellQuote(d.password);
    var bearer = personal ? "" : ' -H "Authorization: Bearer ' + d.token + '"';
    var opts = personal ? "" : ", { username: " + JSON.stringify(d.username) + ", password: " + JSON.stringify(d.password) + " }";
    // The course's own first device and sensor (the section page says which).
    var topic = "devices/" + (L.panel.getAttribute("data-example-device") || "ESPDEVICE") +
      "/sensors/" + (L.panel.getAttribute("data-example-sensor") || "TC") + "/value";
    var snippets = [
      ["Listen with mosquitto_sub", "mosquitto_sub -h " + host + " -p " + port + auth + " -t 'devices/#' -v"],
      ["Publish with mosquitto_pub", "mosquitto_pub -h " + host + " -p " + port + auth + " -t " + topic + " -m '{\"value\": 25}'"],
      ["Push a value with curl", "curl -X POST " + d.api_base + topic.replace(/^devices/, "/devices") + bearer + ' -H "Content-Type: application/json" -d \'{"value": 25}\''],
      ["Connect with MQTT.js", 'const client = mqtt.connect("' + d.ws_url + '"' + opts + ");"]
    ];
    var box = L.$("[data-snippets]");
    box.textContent = "";
    snippets.forEach(function (s) {
      var fig = el("figure", "lab-snippet");
      fig.appendChild(el("figcaption", null, s[0]));
      var pre = el("pre");
      pre.appendChild(el("code", null, s[1]));
      fig.appendChild(pre);
      fig.appendChild(L.copyButton(function () { return s[1]; }, s[0]));
      box.appendChild(fig);
    });
    if (L.updateCurl) L.updateCurl();
  };
})(window.courselabLab);
