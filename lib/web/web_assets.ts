/**
 * The web page's files, from `web/` in the repository, built into the
 * program (and the compiled binary) as text: no build step, no CDN.
 *
 * @module
 */
import indexHtml from "../../web/index.html" with { type: "text" };
import appJs from "../../web/app.js" with { type: "text" };
import styleCss from "../../web/style.css" with { type: "text" };

/** One file the server hands out. */
export interface WebAsset {
  body: string;
  contentType: string;
}

/** Each asset by the path it is served at. */
export const WEB_ASSETS: ReadonlyMap<string, WebAsset> = new Map([
  ["/", { body: indexHtml, contentType: "text/html; charset=utf-8" }],
  ["/app.js", { body: appJs, contentType: "text/javascript; charset=utf-8" }],
  ["/style.css", { body: styleCss, contentType: "text/css; charset=utf-8" }],
]);
