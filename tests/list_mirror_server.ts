/**
 * A block-list mirror on 127.0.0.1 for `blocklist update` tests: serves files
 * from a directory laid out as the sources are (`firehol/…`, `spamhaus/…`,
 * `ipsum/levels/…`), with an ETag and Last-Modified, and answers 304 to a
 * matching If-None-Match or If-Modified-Since, as the real servers do.
 */

/** A request as the mirror saw it. */
export interface MirrorRequest {
  path: string;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  status: number;
}

/** The running mirror. */
export interface ListMirror {
  url: string;
  requests: MirrorRequest[];
  close: () => Promise<void>;
}

async function etagOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `"${Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

/** Serve the files under `root`; `override(path)` may answer instead (e.g. an HTML error page). */
export function startListMirror(root: string, override?: (path: string) => Response | null): ListMirror {
  const requests: MirrorRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname).replace(/^\/+/, "");
    const record = (status: number) =>
      requests.push({
        path,
        ifNoneMatch: request.headers.get("If-None-Match"),
        ifModifiedSince: request.headers.get("If-Modified-Since"),
        status,
      });
    const special = override?.(path) ?? null;
    if (special !== null) {
      record(special.status);
      return special;
    }
    if (path.split("/").includes("..")) {
      record(403);
      return new Response("forbidden", { status: 403 });
    }
    let bytes: Uint8Array<ArrayBuffer>;
    let modified: Date;
    try {
      bytes = await Deno.readFile(`${root}/${path}`);
      modified = (await Deno.stat(`${root}/${path}`)).mtime ?? new Date(0);
    } catch {
      record(404);
      return new Response("not found", { status: 404 });
    }
    const etag = await etagOf(bytes);
    const lastModified = new Date(Math.floor(modified.getTime() / 1000) * 1000).toUTCString();
    const since = request.headers.get("If-Modified-Since");
    const unchanged = request.headers.get("If-None-Match") === etag ||
      (request.headers.get("If-None-Match") === null && since !== null &&
        Date.parse(since) >= Date.parse(lastModified));
    record(unchanged ? 304 : 200);
    const headers = { ETag: etag, "Last-Modified": lastModified, "Content-Type": "text/plain" };
    return unchanged ? new Response(null, { status: 304, headers }) : new Response(bytes, { headers });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/`,
    requests,
    close: () => server.shutdown(),
  };
}
