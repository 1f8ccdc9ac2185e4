/**
 * A response body as text, at most `limit` bytes of it; null when it is
 * longer (the rest is not read). A server's `Content-Length` is not trusted:
 * a chunked body has none.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { boundedText } from "./bounded_body.ts";
 * deepStrictEqual(await boundedText(new Response("hello"), 5), "hello");
 * deepStrictEqual(await boundedText(new Response("hello!"), 5), null);
 * ```
 */
export async function boundedText(response: Response, limit: number): Promise<string | null> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}
