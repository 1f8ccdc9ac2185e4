// @ts-check
/// <reference lib="dom" />
// Building elements for conntrail's page. Every string from the network or another process enters
// the page as a text node or an attribute value set from script, never as markup: a PTR name
// `<img src=x onerror=alert(1)>` stays text. There is no innerHTML anywhere in web/. Text nodes show controls
// and bidi overrides as visible escapes (`visibleText`): a name cannot reorder what the page shows.

import { visibleText } from "./format.js";

/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * An element with a class and children; strings and numbers become text nodes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} [className]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(visibleText(String(child))));
  }
  return node;
}

/**
 * The element with this id; a missing one is a bug in index.html.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`index.html has no #${id}`);
  return node;
}

/**
 * Set a node's text (as {@linkcode visibleText} shows it) only when it differs, so an unchanged row costs no layout.
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  const safe = visibleText(text);
  if (node.textContent !== safe) node.textContent = safe;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes (numbers and words this script computes, never outside text).
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function svg(tag, attributes = {}, ...children) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(visibleText(String(child))));
  }
  return node;
}
