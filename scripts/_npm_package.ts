/**
 * Fetch a pinned npm package's files (data packages, not code) into a cache
 * directory with `npm pack` and `tar`, once. Used by `deno task geo:build` and
 * by the tests that compare the embedded database with its source's mmdb.
 */
import { fileURLToPath } from "node:url";

/** The repository's cache directory for downloaded packages (git-ignored). */
export const PACKAGE_CACHE = fileURLToPath(new URL("../.cache/npm/", import.meta.url));

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr}`);
  }
  return new TextDecoder().decode(output.stdout).trim();
}

/** The directory holding `name@version`'s files (its `package/` folder). */
export async function npmPackageDir(name: string, version: string, cache = PACKAGE_CACHE): Promise<string> {
  const dir = `${cache}${name.replace("/", "__")}@${version}`;
  try {
    await Deno.stat(`${dir}/package/package.json`);
    return `${dir}/package`;
  } catch {
    // not fetched yet
  }
  await Deno.mkdir(dir, { recursive: true });
  const tarball = (await run("npm", ["pack", "--silent", `${name}@${version}`], dir)).split("\n").pop() ?? "";
  await run("tar", ["xzf", tarball], dir);
  await Deno.remove(`${dir}/${tarball}`);
  return `${dir}/package`;
}
