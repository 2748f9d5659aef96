// The agency console's own script: maps (Leaflet, our GeoJSON, optional tiles), live redraws,
// the new-SOS sound and badge, drawing an alert's area, and messages for refused actions.
"use strict";

const Console = (() => {
  const ISLAND = [[7.75, 98.25], [8.21, 98.45]];
  const STATUS_COLOURS = {
    new: "#c62828", acknowledged: "#ef6c00", dispatched: "#1565c0",
    resolved: "#2e7d32", closed: "#616161", cancelled: "#9e9e9e",
  };
  const PLACE_COLOURS = {hospital: "#2e7d32", police: "#1565c0", shelter: "#6a1b9a"};
  const lang = document.documentElement.lang || "th";

  // --- page furniture -------------------------------------------------------------------

  function flash(html) {
    const box = document.getElementById("flash");
    if (!box) return;
    box.innerHTML = html || "<p class='refusal'>Error</p>";
    box.classList.add("shown");
    clearTimeout(box._timer);
    box._timer = setTimeout(() => box.classList.remove("shown"), 8000);
  }

  document.addEventListener("htmx:responseError", (event) => flash(event.detail.xhr.responseText));
  document.addEventListener("htmx:sendError", () => flash("<p class='refusal'>⚠ network</p>"));

  // The newest messages of a conversation are the ones that matter: keep them in view.
  function latestMessages() {
    document.querySelectorAll(".messages").forEach((list) => { list.scrollTop = list.scrollHeight; });
  }
  document.addEventListener("htmx:afterSwap", latestMessages);
  document.addEventListener("DOMContentLoaded", latestMessages);

  function tickClock() {
    const clock = document.getElementById("clock");
    if (!clock) return;
    clock.textContent = new Date().toLocaleString(lang === "th" ? "th-TH" : "en-GB",
      {timeZone: "Asia/Bangkok", dateStyle: "medium", timeStyle: "medium"});
  }
  setInterval(tickClock, 1000);
  document.addEventListener("DOMContentLoaded", tickClock);

  // --- sound and badge for new SOS ------------------------------------------------------

  let audio = null;
  function soundOn() {
    if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
    localStorage.setItem("console-sound", "on");
    document.body.classList.add("sound-on");
  }
  function beep() {
    if (!audio || audio.state !== "running") return;
    const now = audio.currentTime;
    [0, 0.25, 0.5].forEach((offset) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.2);
    });
  }
  // Browsers let a page make sound only after a click on it: the first click anywhere enables it.
  document.addEventListener("click", () => { if (localStorage.getItem("console-sound") !== "off") soundOn(); },
                            {once: true});

  let unseen = 0;
  const baseTitle = document.title;
  function bump(count) {
    unseen += count;
    const badge = document.getElementById("badge");
    if (badge) { badge.textContent = unseen; badge.hidden = unseen === 0; }
    document.title = unseen ? `(${unseen}) ${baseTitle}` : baseTitle;
  }
  function seen() { unseen = 0; bump(0); }

  // --- maps -----------------------------------------------------------------------------

  function baseMap(element) {
    const map = L.map(element, {preferCanvas: true, maxZoom: 19}).fitBounds(ISLAND);
    window.consoleMap = map;  // for the browser tests and the curious
    const tiles = element.dataset.tiles;
    if (tiles) {
      L.tileLayer(tiles, {attribution: element.dataset.attribution || "", maxZoom: 19}).addTo(map);
    }
    fetch("/console/geo/phuket-outline.geojson").then((r) => r.json()).then((outline) => {
      L.geoJSON(outline, {
        interactive: false,
        style: {color: "#5d6d7e", weight: 1.5, fillColor: "#e9e4d4", fillOpacity: tiles ? 0 : 0.8},
      }).addTo(map).bringToBack();
    });
    return map;
  }

  function zoneName(feature) {
    const names = feature.properties.names || {};
    return names[lang] || names.en || feature.properties.id;
  }

  // The gazetteer's zones as circles; resolves to {id: circle}.
  function zones(map, style, onClick) {
    return fetch("/console/geo/areas.geojson").then((r) => r.json()).then((data) => {
      const byId = {};
      for (const feature of data.features) {
        const [lon, lat] = feature.geometry.coordinates;
        const circle = L.circle([lat, lon], {radius: feature.properties.radius_m, ...style})
          .bindTooltip(zoneName(feature));
        if (onClick) circle.on("click", (event) => { L.DomEvent.stop(event); onClick(feature.properties.id, circle, event); });
        circle.addTo(map);
        byId[feature.properties.id] = circle;
      }
      return byId;
    });
  }

  function incidentMarker(properties, latlng) {
    return L.circleMarker(latlng, {
      radius: 8, weight: 2, color: "#fff", fillOpacity: 0.95,
      fillColor: STATUS_COLOURS[properties.status] || "#000",
    });
  }

  function filtersQuery() {
    const form = document.getElementById("filters");
    return form ? new URLSearchParams(new FormData(form)).toString() : "";
  }

  // --- pages ----------------------------------------------------------------------------

  function queuePage() {
    const element = document.getElementById("map");
    const map = baseMap(element);
    const labels = JSON.parse(element.dataset.labels || "{}");
    zones(map, {color: "#90a4ae", weight: 1, fillOpacity: 0.04, dashArray: "4 4"});
    const cluster = L.markerClusterGroup({maxClusterRadius: 40, showCoverageOnHover: false});
    map.addLayer(cluster);

    function reload() {
      fetch(`${element.dataset.points}?${filtersQuery()}`).then((r) => r.json()).then((data) => {
        cluster.clearLayers();
        const layer = L.geoJSON(data, {
          pointToLayer: (feature, latlng) => incidentMarker(feature.properties, latlng),
          onEachFeature: (feature, marker) => {
            const p = feature.properties;
            marker.bindTooltip(`${p.reference} · ${(labels.status || {})[p.status] || p.status}`);
            marker.on("click", () => { window.location = `/console/incidents/${p.reference}`; });
          },
        });
        cluster.addLayers(layer.getLayers());
        element.dataset.count = String(data.features.length);
        element.dataset.references = data.features.map((f) => f.properties.reference).join(" ");
      });
    }
    reload();
    document.getElementById("filters").addEventListener("change", reload);
    const rows = document.getElementById("queue-rows");
    rows.addEventListener("htmx:sseMessage", (event) => {
      const data = JSON.parse(event.detail.data || "{}");
      if (data.new && data.new.length) { bump(data.new.length); beep(); }
      reload();
    });
    document.getElementById("live").addEventListener("htmx:sseOpen", reload);
    rows.addEventListener("click", seen);
    document.getElementById("badge")?.addEventListener("click", seen);
  }

  function incidentPage() {
    const element = document.getElementById("map");
    const data = JSON.parse(element.dataset.incident);
    const map = baseMap(element);
    if (data.lat === null || data.lat === undefined) return;
    const points = [[data.lat, data.lon]];
    incidentMarker(data, [data.lat, data.lon]).addTo(map).bindTooltip(data.reference, {permanent: true});
    for (const place of data.places || []) {
      L.circleMarker([place.lat, place.lon], {radius: 6, color: PLACE_COLOURS[place.category] || "#333"})
        .addTo(map).bindTooltip(place.name);
      points.push([place.lat, place.lon]);
    }
    map.fitBounds(L.latLngBounds(points).pad(0.3), {maxZoom: 15});
  }

  function drawArea(map, area) {
    const layers = [];
    for (const circle of area.circles || []) {
      layers.push(L.circle([circle.lat, circle.lon], {radius: circle.radius_m, color: "#c62828"}).addTo(map));
    }
    for (const polygon of area.polygons || []) layers.push(L.polygon(polygon, {color: "#c62828"}).addTo(map));
    return layers;
  }

  function alertPage() {
    const element = document.getElementById("map");
    const area = JSON.parse(element.dataset.area || "{}");
    const map = baseMap(element);
    const chosen = new Set(area.zones || []);
    const layers = drawArea(map, area);
    zones(map, {color: "#c62828", weight: 1, fillOpacity: 0.2}).then((byId) => {
      for (const [id, circle] of Object.entries(byId)) {
        if (chosen.has(id)) layers.push(circle); else map.removeLayer(circle);
      }
      if (layers.length) map.fitBounds(L.featureGroup(layers).getBounds().pad(0.2));
    });
  }

  function composePage() {
    const element = document.getElementById("map");
    const map = baseMap(element);
    const input = document.getElementById("area");
    const everywhere = document.getElementById("all-phuket");
    const radius = document.getElementById("radius");
    const tools = document.querySelector(".draw-tools");
    const chosen = new Set();
    let circles = [];
    let polygons = [];
    let drawing = [];
    let sketch = null;
    let mode = "zone";
    let zoneCircles = {};
    const zoneStyle = {color: "#607d8b", weight: 1, fillOpacity: 0.05};
    const chosenStyle = {color: "#c62828", weight: 2, fillOpacity: 0.3};

    function publish() {
      const area = everywhere.checked ? {all_phuket: true} : {
        zones: [...chosen],
        circles: circles.map((c) => ({lat: c.getLatLng().lat, lon: c.getLatLng().lng, radius_m: c.getRadius()})),
        polygons: polygons.map((p) => p.getLatLngs()[0].map((ll) => [ll.lat, ll.lng])),
      };
      const empty = !area.all_phuket && !area.zones.length && !area.circles.length && !area.polygons.length;
      input.value = empty ? "" : JSON.stringify(area);
      document.body.dispatchEvent(new Event("area-changed"));
    }

    function toggleZone(id, circle, event) {
      if (mode !== "zone") { place(event.latlng); return; }
      if (everywhere.checked) return;
      if (chosen.has(id)) { chosen.delete(id); circle.setStyle(zoneStyle); }
      else { chosen.add(id); circle.setStyle(chosenStyle); }
      publish();
    }

    function setMode(next) {
      mode = next;
      tools.querySelectorAll("[data-draw]").forEach((b) => b.classList.toggle("active", b.dataset.draw === mode));
      tools.querySelector(".radius").hidden = mode !== "circle";
      tools.querySelector("[data-draw=finish]").hidden = mode !== "polygon";
    }

    function finishPolygon() {
      if (drawing.length >= 3) polygons.push(L.polygon(drawing, {color: "#c62828"}).addTo(map));
      drawing = [];
      if (sketch) { map.removeLayer(sketch); sketch = null; }
      publish();
    }

    tools.addEventListener("click", (event) => {
      const action = event.target.dataset && event.target.dataset.draw;
      if (!action) return;
      if (action === "finish") { finishPolygon(); return; }
      if (action === "clear") {
        chosen.clear();
        Object.values(zoneCircles).forEach((c) => c.setStyle(zoneStyle));
        [...circles, ...polygons].forEach((layer) => map.removeLayer(layer));
        circles = []; polygons = []; drawing = [];
        if (sketch) { map.removeLayer(sketch); sketch = null; }
        everywhere.checked = false;
        publish();
        return;
      }
      setMode(action);
    });

    // A click on the map (or on a zone while drawing) places a circle or a polygon's corner.
    function place(latlng) {
      if (everywhere.checked) return;
      if (mode === "circle") {
        const km = Math.max(0.1, parseFloat(radius.value) || 3);
        circles.push(L.circle(latlng, {radius: km * 1000, color: "#c62828", interactive: false}).addTo(map));
        publish();
      } else if (mode === "polygon") {
        drawing.push(latlng);
        if (sketch) map.removeLayer(sketch);
        sketch = L.polyline(drawing, {color: "#c62828", dashArray: "4 4", interactive: false}).addTo(map);
      }
    }
    map.on("click", (event) => place(event.latlng));
    map.on("dblclick", () => { if (mode === "polygon") finishPolygon(); });
    map.doubleClickZoom.disable();
    everywhere.addEventListener("change", publish);

    // Readers of a language without its own text get our standard wording for the hazard and the
    // headline as written (English when there is one): show that headline under each.
    const form = document.getElementById("alert-form");
    function showFallbacks() {
      const written = [...form.querySelectorAll("[name^='headline_']")].map((field) => field.value).filter(Boolean);
      const original = form.elements["headline_en"].value || written[0] || "";
      form.querySelectorAll("[data-fallback-for]").forEach((hint) => {
        const language = hint.dataset.fallbackFor;
        const own = form.elements[`headline_${language}`].value || form.elements[`instruction_${language}`].value;
        hint.hidden = Boolean(own);
        hint.querySelector("q").textContent = original;
      });
    }
    form.addEventListener("input", showFallbacks);
    showFallbacks();

    zones(map, zoneStyle, toggleZone).then((byId) => {
      zoneCircles = byId;
      if (input.value) {  // updating an alert: start from its area
        const area = JSON.parse(input.value);
        for (const id of area.zones || []) { chosen.add(id); byId[id]?.setStyle(chosenStyle); }
        circles = (area.circles || []).map((c) => L.circle([c.lat, c.lon], {radius: c.radius_m, color: "#c62828"}).addTo(map));
        polygons = (area.polygons || []).map((p) => L.polygon(p, {color: "#c62828"}).addTo(map));
        everywhere.checked = !(area.zones || []).length && !circles.length && !polygons.length;
        publish();
      }
    });
  }

  return {queuePage, incidentPage, alertPage, composePage, soundOn, beep};
})();
