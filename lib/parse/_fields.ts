/**
 * Split off the first `count` whitespace-separated fields of a line and
 * return them with the rest of the line (which may hold spaces, such as a
 * process name). Faster than a regex split on the parsers' hot path.
 */
export function leadingFields(line: string, count: number): { fields: string[]; rest: string } {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  while (fields.length < count) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9) i++;
    fields.push(line.slice(start, i));
  }
  return { fields, rest: line.slice(i).trim() };
}
