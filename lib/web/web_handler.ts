/**
 * The routes of `conntrail serve`: the page and its assets, and the JSON
 * API. Every request passes {@linkcode checkAccess} first; only GET and HEAD
 * are served, and POST for `/api/filter` (a JSON body, which a page on
 * another site cannot send without a preflight this server never answers).
 *
 * @module
 */
import { findHistory, historyAddress, loadDiff } from "../store/history_queries.ts";
import { InputError } from "../model/errors.ts";
import { captureFilters } from "../model/capture_filter.ts";
import { parseDuration } from "../model/duration.ts";
import { RISK_LEVELS, type RiskLevel } from "../model/risk.ts";
import { renderDiffJson } from "../render/diff_report.ts";
import { renderHistoryJson } from "../render/history_report.ts";
import type { HistoryStore } from "../store/history_store.ts";
import { type AccessPolicy, checkAccess, securityHeaders } from "./access_policy.ts";
import { WEB_ASSETS } from "./web_assets.ts";
import { boundedText } from "../enrich/bounded_body.ts";
import type { EventStream } from "./event_stream.ts";
import type { LiveView } from "./live_view.ts";

/** What the routes answer from. */
export interface WebHandlerDeps {
  live: LiveView;
  events: EventStream;
  /** The history being recorded, or null with `--store none`. */
  history: () => HistoryStore | null;
  /** Who may ask: read on every request. */
  policy: () => AccessPolicy;
  now: () => number;
  /** One line for the server's log (stderr): a request refused before it could be read. */
  log?: (line: string) => void;
}

/** Refused requests logged one line each; past this, one more line says the rest are not. */
const MAX_LOGGED_REFUSALS = 100;

/** Largest `/api/filter` body accepted. */
const MAX_FILTER_BODY = 4 * 1024 * 1024;
/** Most alerts one `/api/alerts` answer holds. */
const MAX_ALERTS = 1000;

function badRequest(message: string): Response {
  return json({ error: message }, 400);
}

function json(data: unknown, status = 200): Response {
  const text = typeof data === "string" ? data : JSON.stringify(data) + "\n";
  return new Response(text, { status, headers: securityHeaders("application/json; charset=utf-8") });
}

function limitParam(params: URLSearchParams, fallback: number, max: number): number {
  const text = params.get("limit");
  if (text === null || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`limit must be a positive integer, not "${text}"`);
  return Math.min(n, max);
}

function idParam(params: URLSearchParams, name: string): number | undefined {
  const text = params.get(name);
  if (text === null || text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`"${text}" is not a snapshot id`);
  return n;
}

async function historyAnswer(store: HistoryStore | null, params: URLSearchParams, now: number) {
  if (store === null) return json({ addresses: [], total: 0, note: "history is off (--store none)" });
  const ip = params.get("ip");
  const since = params.get("since");
  // An empty field is no filter: the page's form sends `risk=` for "any risk".
  const risk = params.get("risk")?.toUpperCase() || undefined;
  if (risk !== undefined && !(RISK_LEVELS as readonly string[]).includes(risk)) {
    throw new InputError(`risk must be one of ${RISK_LEVELS.join(", ")}, not "${risk}"`);
  }
  const process = params.get("process");
  const { entries, total } = await findHistory(store, {
    ...(ip === null || ip === "" ? {} : { ip: historyAddress(ip) }),
    ...(since === null || since === "" ? {} : { since: now - parseDuration(since) }),
    ...(risk === undefined ? {} : { risk: risk as RiskLevel }),
    ...(process === null || process === "" ? {} : { process }),
    limit: limitParam(params, 200, 10_000),
  });
  return json(renderHistoryJson(entries, total));
}

async function alertsAnswer(deps: WebHandlerDeps, params: URLSearchParams) {
  const store = deps.history();
  const limit = limitParam(params, 200, MAX_ALERTS);
  if (store === null) return json({ alerts: deps.live.state().alerts.slice(-limit).reverse() });
  const since = params.get("since");
  const alerts = await store.alerts({
    limit,
    ...(since === null || since === "" ? {} : { since: deps.now() - parseDuration(since) }),
  });
  return json({ alerts: alerts.map((a) => ({ ...a, at: new Date(a.at).toISOString() })) });
}

async function diffAnswer(store: HistoryStore | null, params: URLSearchParams) {
  if (store === null) return json({ snapshots: [], note: "history is off (--store none)" });
  const saved = await store.snapshots();
  const snapshots = saved.map((s) => ({ ...s, taken_at: new Date(s.taken_at).toISOString() }));
  if (saved.length < 2 && params.get("from") === null) {
    return json({ snapshots, note: "diff needs two saved snapshots: run `conntrail snapshot --save`" });
  }
  const { diff, from, to } = await loadDiff(store, saved, {
    from: idParam(params, "from"),
    to: idParam(params, "to"),
  });
  return json(`{"snapshots":${JSON.stringify(snapshots)},"diff":${renderDiffJson(diff, from, to)}}\n`);
}

async function filterAnswer(deps: WebHandlerDeps, request: Request) {
  if (!(request.headers.get("content-type") ?? "").startsWith("application/json")) {
    return json({ error: 'send the selected keys as JSON: {"keys": [...]}' }, 415);
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_FILTER_BODY) return tooLarge(request);
  // Read no further than the limit, whatever Content-Length said (a chunked body says nothing).
  const body = await boundedText(new Response(request.body), MAX_FILTER_BODY);
  if (body === null) return tooLarge(request);
  let keys: unknown;
  try {
    keys = (JSON.parse(body) as { keys?: unknown }).keys;
  } catch {
    throw new InputError("the body is not JSON");
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
    throw new InputError("keys must be a list of connection keys");
  }
  const connections = deps.live.connections(keys as string[]);
  return json({ selected: connections.length, ...captureFilters(connections) });
}

function tooLarge(request: Request): Response {
  request.body?.cancel().catch(() => {});
  const response = json({
    error: `the body is larger than ${MAX_FILTER_BODY / (1024 * 1024)} MiB: too many keys`,
  }, 413);
  // The rest of the body is not read: the connection is closed rather than reused.
  response.headers.set("connection", "close");
  return response;
}

function eventsAnswer(deps: WebHandlerDeps): Response {
  const stream = deps.events.open();
  if (stream === null) {
    const response = json({ error: "too many pages are open; close one and reload" }, 503);
    response.headers.set("retry-after", "10");
    return response;
  }
  return new Response(stream, { headers: securityHeaders("text/event-stream; charset=utf-8") });
}

async function route(deps: WebHandlerDeps, request: Request, url: URL): Promise<Response> {
  const asset = WEB_ASSETS.get(url.pathname);
  if (asset !== undefined) {
    return new Response(asset.body, { headers: securityHeaders(asset.contentType) });
  }
  switch (url.pathname) {
    case "/api/connections":
      return json(deps.live.state());
    case "/api/traffic":
      return json(deps.live.traffic() ?? { enabled: false, note: "byte counters are off (--no-traffic)" });
    case "/api/history":
      return await historyAnswer(deps.history(), url.searchParams, deps.now());
    case "/api/alerts":
      return await alertsAnswer(deps, url.searchParams);
    case "/api/diff":
      return await diffAnswer(deps.history(), url.searchParams);
    case "/api/events":
      return eventsAnswer(deps);
    case "/api/filter":
      return await filterAnswer(deps, request);
    default:
      return json({ error: `no such page: ${url.pathname}` }, 404);
  }
}

/**
 * The request handler of `conntrail serve`, for `Deno.serve`. Bad parameters
 * are a 400 with one sentence; a failure is a 500 with its message, never a
 * stack trace.
 */
export function webHandler(deps: WebHandlerDeps): (request: Request) => Promise<Response> {
  let logged = 0;
  const log = (line: string) => {
    logged++;
    if (logged <= MAX_LOGGED_REFUSALS) deps.log?.(line);
    else if (logged === MAX_LOGGED_REFUSALS + 1) deps.log?.("serve: more refused requests; no longer logged");
  };
  return async (request) => {
    // Deno builds request.url from the Host header: a Host that is no host (`127.0.0.1:8377.evil.com`,
    // a tab inside) makes it unparseable. That is the client's fault: 400 and one line, no stack trace.
    const url = URL.canParse(request.url) ? new URL(request.url) : null;
    if (url === null) {
      log(
        `serve: refused a request whose Host header is not a host: ${
          JSON.stringify(request.headers.get("host"))
        }`,
      );
      return badRequest("the Host header is not a host name or address with a port");
    }
    const refused = checkAccess(request, deps.policy(), url);
    if (refused !== null) return refused;
    const post = url.pathname === "/api/filter";
    const allowed = post ? ["POST"] : ["GET", "HEAD"];
    if (!allowed.includes(request.method)) {
      const response = json({ error: `${request.method} is not allowed here` }, 405);
      response.headers.set("allow", allowed.join(", "));
      return response;
    }
    try {
      return await route(deps, request, url);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return json({ error: message }, error instanceof InputError ? 400 : 500);
    }
  };
}
