/**
 * The web page in headless Chromium at 10,000 and 20,000 established
 * loopback connections (plus 1,000 UDP sockets: about 21,000 and 41,000
 * rows), each beside `ss -tunap` timed in the same run on the same sockets
 * (the baseline). For each size:
 *
 *   server:        a poll's work in `conntrail serve` (collect, track, alerts, the page's update), as its
 *                  exit line reports it
 *   first rows:    from navigation to the first connection row drawn, and to every row received
 *   longest task:  the longest main-thread task (CDP trace, `RunTask` on the renderer's main thread) while
 *                  the page loads, and across 10 s of live updates while 25 connections open and 25 close
 *                  every second and the list is scrolled
 *   one update:    from an update event's arrival to the first paint after the page applied it (median and
 *                  longest over the live updates)
 *   DOM:           elements in the document at the end
 *
 * The farm, the server and the browser run in network and pid namespaces of their own when this runs as
 * root (tests/netns.ts): the farm does not slow the `ss` of anything else on the machine, and `ss -p` here
 * reads only the file descriptors of these processes. BENCH_WEB_SIZES=10000,20000
 * chooses the sizes.
 */
import type { CDPSession, Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../tests/chromium.ts";
import { startServe } from "../tests/conntrail_process.ts";
import { canIsolateProcesses, makeNetns } from "../tests/netns.ts";
import { freshLoopback, socketControl } from "../tests/open_sockets.ts";
import { startSocketFarm } from "../tests/socket_farm.ts";
import { median, processCpu, timeCommand } from "./_process_cost.ts";

const SIZES = (Deno.env.get("BENCH_WEB_SIZES") ?? "10000,20000").split(",").map(Number);
const UDP = 1_000;
const LIVE_MS = 10_000;
const CHURN_PER_SECOND = 25;

/** What a function run in the page sees (this file is typed without the DOM library). */
type PageGlobals = {
  document: {
    getElementsByTagName(name: string): { length: number };
    getElementById(id: string): { scrollTop: number; scrollHeight: number } | null;
    documentElement: { dataset: { updates?: string } };
  };
  performance: { getEntriesByName(name: string): { startTime: number }[] };
  longTasks?: number[];
  /** Per applied update: ms from its event's arrival to the first paint after the page applied it. */
  updatePaints?: number[];
};

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  /** Wall time, µs. */
  dur?: number;
  /** The thread's CPU time, µs: what the task cost, whatever else the machine was doing. */
  tdur?: number;
  args?: { name?: string; data?: { type?: string; functionName?: string; url?: string } };
}

async function trace<T>(
  cdp: CDPSession,
  work: () => Promise<T>,
): Promise<{ result: T; events: TraceEvent[] }> {
  const events: TraceEvent[] = [];
  const collected = (data: { value: object[] }) => void events.push(...(data.value as TraceEvent[]));
  cdp.on("Tracing.dataCollected", collected);
  await cdp.send("Tracing.start", {
    categories: "toplevel,disabled-by-default-devtools.timeline,devtools.timeline",
    transferMode: "ReportEvents",
  });
  const result = await work();
  const done = new Promise<void>((resolve) => cdp.once("Tracing.tracingComplete", () => resolve()));
  await cdp.send("Tracing.end");
  await done;
  cdp.off("Tracing.dataCollected", collected);
  return { result, events };
}

/**
 * The renderer main thread's longest task (wall and CPU time, and what ran in it), and its busy time, in ms.
 */
function mainThread(
  events: TraceEvent[],
): { longest: number; longestCpu: number; what: string; busy: number; busyCpu: number; tasks: number } {
  const main = new Set<string>();
  for (const e of events) {
    if (e.ph === "M" && e.name === "thread_name" && e.args?.name === "CrRendererMain") {
      main.add(`${e.pid}:${e.tid}`);
    }
  }
  let longest: TraceEvent | null = null;
  let longestCpu = 0;
  let busy = 0;
  let busyCpu = 0;
  let tasks = 0;
  const onMain = events.filter((e) => e.ph === "X" && main.has(`${e.pid}:${e.tid}`));
  for (const e of onMain) {
    if (e.name !== "RunTask") continue;
    if (longest === null || (e.dur ?? 0) > (longest.dur ?? 0)) longest = e;
    longestCpu = Math.max(longestCpu, (e.tdur ?? 0) / 1000);
    busy += (e.dur ?? 0) / 1000;
    busyCpu += (e.tdur ?? 0) / 1000;
    tasks++;
  }
  // The biggest pieces of work inside the longest task, by wall time.
  const inside = longest === null
    ? []
    : onMain.filter((e) =>
      e !== longest && e.name !== "RunTask" && e.ts >= longest.ts &&
      e.ts + (e.dur ?? 0) <= longest.ts + (longest.dur ?? 0)
    );
  const what = inside.sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0)).slice(0, 4)
    .map((e) =>
      `${e.name}${e.args?.data?.type ? ` ${e.args.data.type}` : ""} ${Math.round((e.dur ?? 0) / 1000)}`
    )
    .join(", ");
  return { longest: (longest?.dur ?? 0) / 1000, longestCpu, what, busy, busyCpu, tasks };
}

const ms = (n: number) => `${Math.round(n).toLocaleString("en")} ms`;

async function elementCount(page: Page): Promise<number> {
  return await page.evaluate(() =>
    (globalThis as unknown as PageGlobals).document.getElementsByTagName("*").length
  );
}

async function measure(connections: number): Promise<string[]> {
  const netns = canIsolateProcesses ? await makeNetns("ctbench", { ownProcesses: true }) : null;
  const prefix = netns?.prefix ?? [];
  const inside = netns === null ? {} : { prefix, signal: netns.signal };
  const dir = await Deno.makeTempDir();
  const farm = await startSocketFarm(connections, UDP, inside);
  const control = socketControl(prefix);
  const lines: string[] = [];
  try {
    const ss: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < 3; i++) ss.push(await timeCommand([...prefix, "ss", "-tunap"]));
    const serve = await startServe(dir, ["--store", "none"], inside);
    const browser = await launchChromium({
      width: 1280,
      height: 900,
      ...(netns === null ? {} : { netnsPrefix: prefix }),
    });
    const { page, context } = browser;
    let serverLine = "";
    try {
      await page.addInitScript(() => {
        const g = globalThis as unknown as PageGlobals & {
          PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => {
            observe(o: unknown): void;
          };
        };
        g.longTasks = [];
        new g.PerformanceObserver((list) => {
          for (const entry of list.getEntries()) g.longTasks!.push(entry.duration);
        }).observe({ type: "longtask", buffered: true });
        // Time to paint of one update: from its event's arrival (the page's listener) to the first frame
        // after the page counted it applied (data-updates), taken when that frame has painted (a message
        // posted from requestAnimationFrame runs after the paint).
        const w = globalThis as unknown as {
          EventSource: { prototype: { addEventListener(type: string, fn: unknown, o?: unknown): void } };
          MutationObserver: new (cb: () => void) => { observe(target: unknown, o: unknown): void };
          MessageChannel: new () => {
            port1: { onmessage: (() => void) | null };
            port2: { postMessage(m: unknown): void };
          };
          requestAnimationFrame(cb: () => void): void;
          document: unknown;
          performance: { now(): number };
        };
        g.updatePaints = [];
        const arrivals: number[] = [];
        const add = w.EventSource.prototype.addEventListener;
        w.EventSource.prototype.addEventListener = function (type: string, fn: unknown, o?: unknown) {
          if (type !== "update" || typeof fn !== "function") return add.call(this, type, fn, o);
          return add.call(this, type, function (this: unknown, event: unknown) {
            arrivals.push(w.performance.now());
            return (fn as (e: unknown) => unknown).call(this, event);
          }, o);
        };
        new w.MutationObserver(() => {
          const arrived = arrivals.shift();
          if (arrived === undefined) return;
          w.requestAnimationFrame(() => {
            const channel = new w.MessageChannel();
            channel.port1.onmessage = () => g.updatePaints!.push(w.performance.now() - arrived);
            channel.port2.postMessage(0);
          });
        }).observe(w.document, { subtree: true, attributes: true, attributeFilter: ["data-updates"] });
      });
      // A page opened on a running server: a first page waits for the server's first poll, then the measured
      // page opens.
      const warmup = await context.newPage();
      await warmup.goto(serve.url.href);
      await warmup.locator("#status", { hasText: "updated" }).waitFor({ timeout: 120_000 });
      await warmup.close();
      const cdp = await context.newCDPSession(page);
      const load = await trace(cdp, async () => {
        await page.goto(serve.url.href);
        await page.waitForFunction(
          () =>
            (globalThis as unknown as PageGlobals).performance.getEntriesByName("conntrail:loaded").length >
              0,
          null,
          { timeout: 120_000 },
        );
        await page.locator("#status", { hasText: "updated" }).waitFor({ timeout: 120_000 });
      });
      const marks = await page.evaluate(() => {
        const p = (globalThis as unknown as PageGlobals).performance;
        return {
          first: p.getEntriesByName("conntrail:first-rows")[0]?.startTime ?? NaN,
          loaded: p.getEntriesByName("conntrail:loaded")[0]?.startTime ?? NaN,
        };
      });
      const rows = Number(
        (await page.locator("#live-counts").textContent())?.match(/^([\d,]+)/)?.[1]?.replaceAll(",", ""),
      );
      const loadThread = mainThread(load.events);
      const updatesBefore = Number(
        await page.evaluate(() =>
          (globalThis as unknown as PageGlobals).document.documentElement.dataset.updates ?? 0
        ),
      );

      const paintsBefore = await page.evaluate(() =>
        ((globalThis as unknown as PageGlobals).updatePaints ?? []).length
      );
      const serverPid = netns === null ? serve.child.pid : await netns.pidOutside(serve.child);
      const serverCpuBefore = await processCpu(serverPid);
      const live = await trace(cdp, async () => {
        const opened: number[] = [];
        const end = Date.now() + LIVE_MS;
        let step = 0;
        while (Date.now() < end) {
          const started = Date.now();
          for (let i = 0; i < CHURN_PER_SECOND / 5; i++) {
            opened.push((await control.open(freshLoopback())).id);
          }
          while (opened.length > CHURN_PER_SECOND * 2) await control.close(opened.shift()!);
          if (step++ % 5 === 0) await page.mouse.wheel(0, 600 * (step % 3 === 0 ? -1 : 1));
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, 200 - (Date.now() - started))));
        }
        await page.locator("#connections").hover();
        await page.mouse.wheel(0, 4000);
      });
      const serverCpu = await processCpu(serverPid) - serverCpuBefore;
      const liveThread = mainThread(live.events);
      const updates = Number(
        await page.evaluate(() =>
          (globalThis as unknown as PageGlobals).document.documentElement.dataset.updates ?? 0
        ),
      ) - updatesBefore;
      const longTasks = await page.evaluate(() => (globalThis as unknown as PageGlobals).longTasks ?? []);
      const elements = await elementCount(page);
      const paints = (await page.evaluate(() => (globalThis as unknown as PageGlobals).updatePaints ?? []))
        .slice(paintsBefore);
      lines.push(
        `web page at ${connections.toLocaleString("en")} connections (${
          rows.toLocaleString("en")
        } rows), Chromium ${context.browser()?.version() ?? ""}${
          netns === null ? "" : ", in namespaces of its own"
        }:`,
        `  ss -tunap (baseline, median of 3)      ${ms(median(ss.map((t) => t.wall)))} wall, ${
          ms(median(ss.map((t) => t.cpu)))
        } CPU`,
        `  server: one poll, while live           ${
          ms(serverCpu / Math.max(1, updates))
        } CPU (its ss included; ${ms(serverCpu)} over ${updates} polls)`,
        `  first rows drawn                       ${ms(marks.first)} after navigation`,
        `  every row received                     ${ms(marks.loaded)} after navigation`,
        `  longest main-thread task, loading      ${ms(loadThread.longest)} wall, ${
          ms(loadThread.longestCpu)
        } CPU (${loadThread.what})`,
        `  longest main-thread task, 10 s live    ${ms(liveThread.longest)} wall, ${
          ms(liveThread.longestCpu)
        } CPU (${updates} updates; busy ${ms(liveThread.busy / (LIVE_MS / 1000))} wall, ${
          ms(liveThread.busyCpu / (LIVE_MS / 1000))
        } CPU per second)`,
        `  one update, arrival to painted         ${
          paints.length === 0
            ? "(none painted)"
            : `${ms(median(paints))} median, ${ms(Math.max(...paints))} longest`
        } (${paints.length} updates, while live)`,
        `  long tasks (>50 ms) seen by the page   ${longTasks.length}${
          longTasks.length === 0 ? "" : `, longest ${ms(Math.max(...longTasks))}`
        }`,
        `  DOM elements at the end                ${elements.toLocaleString("en")}`,
      );
    } finally {
      await browser.close();
      const end = await serve.stop();
      serverLine = end.stdout.match(/a poll's work took [^|\n]*/)?.[0] ??
        `(no pace line: ${end.stdout.trim()})`;
      lines.push(`  server: ${serverLine}`);
    }
  } finally {
    await control.stop();
    await farm.stop();
    await netns?.close();
    await Deno.remove(dir, { recursive: true });
  }
  return lines;
}

if (CHROMIUM === undefined) {
  console.log("web page bench: chromium is not installed; skipped");
} else {
  for (const size of SIZES) {
    try {
      console.log((await measure(size)).join("\n"));
    } catch (error) {
      console.log(
        `web page at ${size.toLocaleString("en")} connections: FAILED: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
}
