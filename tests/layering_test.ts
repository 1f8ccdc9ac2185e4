/**
 * lib/ reads top-down: a folder imports only from folders of a lower layer
 * (model < parse < platform < collect, enrich, store < render < monitor < web < cli), the
 * three middle folders never import each other, and no folder sits in a cycle.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));
const LAYERS: Record<string, number> = {
  model: 0,
  parse: 1,
  platform: 1.5,
  collect: 2,
  enrich: 2,
  store: 2,
  render: 3,
  monitor: 4,
  web: 5,
  cli: 6,
};

interface ImportEdge {
  from: string;
  to: string;
  fromFolder: string;
  toFolder: string;
}

function folderOf(path: string): string {
  return relative(LIB, path).split("/")[0] ?? "";
}

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* typescriptFiles(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/g;
const DYNAMIC_IMPORT = /import\(\s*"(\.{1,2}\/[^"]+)"/g;

function libImports(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of typescriptFiles(LIB)) {
    const text = Deno.readTextFileSync(file);
    for (const pattern of [IMPORT, DYNAMIC_IMPORT]) {
      for (const match of text.matchAll(pattern)) {
        const target = resolve(dirname(file), match[1]!);
        if (!target.startsWith(LIB)) continue;
        edges.push({
          from: relative(LIB, file),
          to: relative(LIB, target),
          fromFolder: folderOf(file),
          toFolder: folderOf(target),
        });
      }
    }
  }
  return edges;
}

Deno.test("lib/ has every file in a layer folder", () => {
  const stray = [...typescriptFiles(LIB)].map((file) => relative(LIB, file))
    .filter((path) => !(path.split("/")[0]! in LAYERS) || !path.includes("/"));
  deepStrictEqual(stray, []);
});

/** The imports that cross folders against the flow (or between two folders of one layer). */
function againstFlow(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter((edge) => edge.fromFolder !== edge.toFolder)
    .filter((edge) => !(LAYERS[edge.toFolder]! < LAYERS[edge.fromFolder]!))
    .map((edge) => `${edge.from} → ${edge.to}`);
}

/** Every cycle among folders, as `a → b → a`. */
function folderCycles(edges: readonly ImportEdge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const edge of edges) {
    if (edge.fromFolder === edge.toFolder) continue;
    if (!next.has(edge.fromFolder)) next.set(edge.fromFolder, new Set());
    next.get(edge.fromFolder)!.add(edge.toFolder);
  }
  const cycles = new Set<string>();
  const visit = (folder: string, path: string[]) => {
    if (path.includes(folder)) {
      cycles.add([...path.slice(path.indexOf(folder)), folder].join(" → "));
      return;
    }
    for (const to of next.get(folder) ?? []) visit(to, [...path, folder]);
  };
  for (const folder of next.keys()) visit(folder, []);
  return [...cycles];
}

Deno.test("no import in lib/ runs against the flow model < parse < platform < collect/enrich/store < render < monitor < web < cli", () => {
  const edges = libImports();
  ok(edges.length > 100, `found only ${edges.length} imports: the import pattern is broken`);
  deepStrictEqual(againstFlow(edges), []);
});

Deno.test("lib's folders form no cycle", () => {
  deepStrictEqual(folderCycles(libImports()), []);
});

Deno.test("the layering check sees planted backward, sideways and cyclic imports", () => {
  const edge = (from: string, to: string): ImportEdge => ({
    from,
    to,
    fromFolder: from.split("/")[0]!,
    toFolder: to.split("/")[0]!,
  });
  const planted = [
    edge("model/a.ts", "cli/b.ts"),
    edge("store/c.ts", "enrich/d.ts"),
    edge("render/e.ts", "model/f.ts"),
    edge("render/e.ts", "render/g.ts"),
  ];
  deepStrictEqual(againstFlow(planted), ["model/a.ts → cli/b.ts", "store/c.ts → enrich/d.ts"]);
  deepStrictEqual(folderCycles([edge("monitor/a.ts", "render/b.ts"), edge("render/b.ts", "monitor/c.ts")]), [
    "monitor → render → monitor",
    "render → monitor → render",
  ]);
  deepStrictEqual(folderCycles(planted), []);
});

Deno.test("render and web read the timeline's view (model/timeline_view.ts), never the monitor's tracker", () => {
  const readers = libImports()
    .filter((edge) =>
      (edge.fromFolder === "render" || edge.fromFolder === "web") && edge.to === "monitor/tracker.ts"
    )
    .map((edge) => edge.from);
  deepStrictEqual(readers, []);
  ok(libImports().some((edge) => edge.from === "web/live_view.ts" && edge.to === "model/timeline_view.ts"));
});
