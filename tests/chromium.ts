/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) for the
 * web page's tests and benchmark, with the same flags everywhere and a fresh
 * profile each time; optionally inside a network namespace, through a
 * wrapper script (playwright talks to the browser over a pipe, not the network).
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { HANG_GUARD_MS } from "./waiting.ts";
import { tempDir } from "./temp_dir.ts";

/** Where Chromium is, or undefined when it is not installed. */
export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});

/** The flags every run uses: no sandbox (root in CI), no GPU, nothing fetched in the background. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A browser with one page. */
export interface OpenBrowser {
  context: BrowserContext;
  page: Page;
  /** Messages of `alert()`/`confirm()` dialogs the page opened (dismissed). */
  dialogs: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
  close(): Promise<void>;
}

/** Launch Chromium with a fresh profile and open one page of the given size. */
export async function launchChromium(
  options: { width?: number; height?: number; netnsPrefix?: string[] } = {},
): Promise<OpenBrowser> {
  if (CHROMIUM === undefined) throw new Error("chromium is not installed");
  // Both folders go with the browser, or at once when it does not start.
  await using folders = new AsyncDisposableStack();
  const profile = folders.use(await tempDir({ prefix: "conntrail-chromium-" })).path;
  const wrapperDir = folders.use(await tempDir({ prefix: "conntrail-chromium-bin-" })).path;
  let executablePath = CHROMIUM;
  if (options.netnsPrefix !== undefined) {
    executablePath = `${wrapperDir}/chromium`;
    const command = [...options.netnsPrefix, CHROMIUM].map((word) => `'${word.replaceAll("'", "'\\''")}'`)
      .join(" ");
    await Deno.writeTextFile(executablePath, `#!/bin/sh\nexec ${command} "$@"\n`, { mode: 0o755 });
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    timeout: HANG_GUARD_MS,
  });
  // Playwright's own 30 s default is a speed claim on a busy machine; waits in tests are for events.
  context.setDefaultTimeout(HANG_GUARD_MS);
  const page = context.pages()[0] ?? await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  const removeFolders = folders.move();
  return {
    context,
    page,
    dialogs,
    errors,
    async close() {
      try {
        await context.close();
      } finally {
        await removeFolders.disposeAsync();
      }
    },
  };
}
