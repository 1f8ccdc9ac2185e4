/**
 * The web page's files, from `web/` in the repository, built into the
 * program (and the compiled binary) as text: no build step, no CDN. The
 * scripts are ES modules that import each other by these paths.
 *
 * @module
 */
import indexHtml from "../../web/index.html" with { type: "text" };
import styleCss from "../../web/style.css" with { type: "text" };
import faviconSvg from "../../web/favicon.svg" with { type: "text" };
import alertListJs from "../../web/alert_list.js" with { type: "text" };
import appJs from "../../web/app.js" with { type: "text" };
import bootJs from "../../web/boot.js" with { type: "text" };
import chartJs from "../../web/chart.js" with { type: "text" };
import connectionListJs from "../../web/connection_list.js" with { type: "text" };
import countPanelsJs from "../../web/count_panels.js" with { type: "text" };
import domJs from "../../web/dom.js" with { type: "text" };
import formatJs from "../../web/format.js" with { type: "text" };
import liveStoreJs from "../../web/live_store.js" with { type: "text" };
import tabsJs from "../../web/tabs.js" with { type: "text" };
import trafficJs from "../../web/traffic.js" with { type: "text" };

/** One file the server hands out. */
export interface WebAsset {
  body: string;
  contentType: string;
}

const JS = "text/javascript; charset=utf-8";

/** Each asset by the path it is served at. */
export const WEB_ASSETS: ReadonlyMap<string, WebAsset> = new Map([
  ["/", { body: indexHtml, contentType: "text/html; charset=utf-8" }],
  ["/style.css", { body: styleCss, contentType: "text/css; charset=utf-8" }],
  ["/favicon.svg", { body: faviconSvg, contentType: "image/svg+xml" }],
  ["/boot.js", { body: bootJs, contentType: JS }],
  ["/app.js", { body: appJs, contentType: JS }],
  ["/alert_list.js", { body: alertListJs, contentType: JS }],
  ["/chart.js", { body: chartJs, contentType: JS }],
  ["/connection_list.js", { body: connectionListJs, contentType: JS }],
  ["/count_panels.js", { body: countPanelsJs, contentType: JS }],
  ["/dom.js", { body: domJs, contentType: JS }],
  ["/format.js", { body: formatJs, contentType: JS }],
  ["/live_store.js", { body: liveStoreJs, contentType: JS }],
  ["/tabs.js", { body: tabsJs, contentType: JS }],
  ["/traffic.js", { body: trafficJs, contentType: JS }],
]);
