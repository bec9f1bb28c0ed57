// k6 load test for the edge collector's POST /v1/events (https://k6.io; install k6 yourself).
//
//   k6 run -e EDGE_URL=http://edge.example:8090 -e API_KEY=mk_... \
//          -e RATE=200 -e EVENTS_PER_REQUEST=100 -e DURATION=2m bench/load/k6.js
//
// An open model: RATE requests per second arrive whether or not the edge keeps up (a traffic
// spike does not wait for the server), so latency under overload is measured, not hidden.
// 429 and 503 are counted apart as "backpressure"; the thresholds fail the run when more than
// 1% of requests fail outright or p99 goes over 500 ms. No remote jslib imports: runs offline.
//
// Losing a region: -e EDGE_URLS=http://edge.us:8090,http://edge.eu:8090 (home first; EDGE_URL
// alone still works). On a connection error (status 0) or a 503 the iteration moves its batch to
// the next edge, each VU stays on the edge that took it and tries home again after
// FAILBACK_SECONDS (30). Every move is counted in edge_failovers, tagged with its from and to edges;
// the failed attempt still counts in http_req_failed. 429 is backpressure, never a failover.
import http from "k6/http";
import { check } from "k6";
import { Counter } from "k6/metrics";

export function edgeUrls(env) {
  const listed = (env.EDGE_URLS || env.EDGE_URL || "http://127.0.0.1:8090").split(",");
  return listed.map((url) => url.trim().replace(/\/+$/, "")).filter((url) => url !== "");
}

const EDGE_URLS = edgeUrls(__ENV);
const FAILBACK_MS = parseFloat(__ENV.FAILBACK_SECONDS || "30") * 1000;
const API_KEY = __ENV.API_KEY;
const BATCH = parseInt(__ENV.EVENTS_PER_REQUEST || "100", 10);
const RATE = parseInt(__ENV.RATE || "100", 10);
const DURATION = __ENV.DURATION || "1m";

const backpressure = new Counter("edge_backpressure");
const acceptedEvents = new Counter("edge_events_accepted");
const failovers = new Counter("edge_failovers");

export const options = {
  scenarios: {
    spike: {
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: DURATION,
      preAllocatedVUs: Math.max(10, RATE),
      maxVUs: Math.max(50, RATE * 4),
    },
  },
  thresholds: {
    http_req_failed: ["rate<0.01"],
    http_req_duration: ["p(99)<500"],
  },
};

const REGIONS = { us: ["US", "CA"], eu: ["DE", "FR", "GB"], apac: ["JP", "SG", "AU"] };
const TYPES = ["page_view", "page_view", "page_view", "add_to_cart", "checkout", "purchase", "error"];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function uuid4() {
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

export function makeEvent() {
  const region = pick(Object.keys(REGIONS));
  const eventType = pick(TYPES);
  const user = Math.floor(Math.random() * 100000);
  const event = {
    event_id: uuid4(),
    event_type: eventType,
    occurred_at: new Date().toISOString(),
    region: region,
    user_id: `u-${region}-${user}`,
    session_id: `s-${region}-${user}`,
    country: pick(REGIONS[region]),
    device: pick(["web", "ios", "android"]),
    latency_ms: Math.round(Math.exp(4.8 + 0.6 * (Math.random() * 2 - 1)) * 1000) / 1000,
    schema_version: 1,
  };
  if (eventType === "purchase") {
    event.amount = Math.round(Math.random() * 20000) / 100;
    event.currency = "USD";
  }
  return event;
}

export function setup() {
  if (!API_KEY) {
    throw new Error("set -e API_KEY=<a key the edge accepts> (meridian edge-key)");
  }
}

// A lost region (no connection: k6's status 0) or a full edge (503) sends the batch to another edge.
export function failsOver(status, edges) {
  return edges > 1 && (status === 0 || status === 503);
}

// Where a VU's next batch goes: home once FAILBACK_MS have passed away from it, else where it is.
export function startEdge(state, now, failbackMs) {
  if (state.current !== 0 && now - state.awaySince >= failbackMs) {
    return { current: 0, awaySince: null };
  }
  return state;
}

// One batch over the edges, from state.current, at most one attempt each: post(url) gives a response.
// Returns the last response, the state for the next batch and the failovers made.
export function postOverEdges(urls, state, now, post) {
  let current = state.current;
  let awaySince = state.awaySince;
  const moves = [];
  let response = null;
  for (let attempt = 0; attempt < urls.length; attempt++) {
    response = post(urls[current]);
    if (!failsOver(response.status, urls.length)) {
      break;
    }
    const next = (current + 1) % urls.length;
    moves.push({ from: urls[current], to: urls[next] });
    current = next;
    awaySince = current === 0 ? null : awaySince === null ? now : awaySince;
  }
  return { response, state: { current, awaySince }, moves };
}

let edgeState = { current: 0, awaySince: null }; // per VU: each VU has its own copy of the module

export default function () {
  const lines = [];
  for (let i = 0; i < BATCH; i++) {
    lines.push(JSON.stringify(makeEvent()));
  }
  const body = lines.join("\n");
  const params = {
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/x-ndjson" },
    responseCallback: http.expectedStatuses(200),
  };
  const now = Date.now();
  const sent = postOverEdges(EDGE_URLS, startEdge(edgeState, now, FAILBACK_MS), now, (url) =>
    http.post(`${url}/v1/events`, body, params),
  );
  edgeState = sent.state;
  for (const move of sent.moves) {
    failovers.add(1, move);
  }
  const response = sent.response;
  if (response.status === 429 || response.status === 503) {
    backpressure.add(1);
  } else if (response.status === 200) {
    acceptedEvents.add(BATCH);
  }
  check(response, { "all events accepted": (r) => r.status === 200 });
}
