// @ts-check
/// <reference lib="dom" />
// The count panels: open connections per process, remote address, country and AS, the busiest
// first, each a button that puts its value in the search box.
import { el } from "./dom.js";
import { count, visibleText } from "./format.js";

/** @typedef {import("./live_store.js").CountList} CountList */

/**
 * Draw one panel's list.
 * @param {HTMLElement} list an `<ol>`
 * @param {CountList} data
 * @param {number} total the connections the bars are a share of
 */
export function drawCountList(list, data, total) {
  const items = data.items.map((item) => {
    const bar = el("span", "bar-fill");
    bar.style.width = `${total > 0 ? Math.max(1, Math.round((item.n / total) * 100)) : 0}%`;
    const pick = el("button", "pick-count", item.label);
    pick.type = "button";
    pick.dataset.pick = item.pick;
    pick.title = `show only ${visibleText(item.label)}`;
    return el("li", null, pick, el("span", "n", count(item.n)), el("span", "bar", bar));
  });
  if (data.distinct > data.items.length) {
    items.push(el("li", "more", `and ${count(data.distinct - data.items.length)} more`));
  }
  if (items.length === 0) items.push(el("li", "more", "none"));
  list.replaceChildren(...items);
}
