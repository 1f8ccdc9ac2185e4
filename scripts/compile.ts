/**
 * `deno task compile`: one binary per release target, each with the narrow
 * permission flags of its OS embedded (from lib/cli/permissions.ts) and the data
 * directory included, then SHA256SUMS beside them. Each binary is compiled from
 * the bundle (scripts/bundle.ts, built first, as `deno task start` runs it):
 * one ASCII module, which the runtime can hand V8 from the binary's pages
 * without a copy (a module with another character is copied into V8's heap).
 *
 *   deno task compile                       every target
 *   deno task compile x86_64-apple-darwin   one target
 */
import { COMPILE_TARGETS, compileFlags } from "../lib/cli/permissions.ts";
import { buildBundle, BUNDLE_PATH } from "./bundle.ts";

const wanted = Deno.args.length > 0 ? new Set(Deno.args) : null;
const targets = COMPILE_TARGETS.filter((t) => wanted === null || wanted.has(t.target));
if (targets.length === 0) {
  console.error(`error: unknown target; use one of ${COMPILE_TARGETS.map((t) => t.target).join(", ")}`);
  Deno.exit(2);
}

await Deno.mkdir("dist", { recursive: true });
try {
  await buildBundle(".");
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}
const sums: string[] = [];
for (const { target, os } of targets) {
  const output = `dist/conntrail-${target}${os === "windows" ? ".exe" : ""}`;
  const args = [
    "compile",
    "--target",
    target,
    "--output",
    output,
    ...compileFlags(os),
    // data/geo.bin is imported as bytes (also set in deno.json; said here so the binary never depends on it).
    "--unstable-raw-imports",
    "--include",
    "data",
    BUNDLE_PATH,
  ];
  console.log(`deno ${args.join(" ")}`);
  const { code } = await new Deno.Command("deno", { args, stdout: "inherit", stderr: "inherit" }).output();
  if (code !== 0) {
    console.error(`error: compiling for ${target} failed`);
    Deno.exit(1);
  }
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(output));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  sums.push(`${hex}  ${output.slice("dist/".length)}`);
}
await Deno.writeTextFile("dist/SHA256SUMS", sums.join("\n") + "\n");
console.log(`wrote dist/SHA256SUMS for ${sums.length} binaries`);
