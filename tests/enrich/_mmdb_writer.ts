/**
 * A small MaxMind DB writer for tests, following the published format
 * (https://maxmind.github.io/MaxMind-DB/): an IPv6 tree with IPv4 under
 * ::/96, 32-bit records, and a data section of maps, strings, unsigned
 * integers and arrays. It lets the tests give mmdb-lib files in every layout
 * conntrail reads (GeoLite2 Country/City/ASN, DB-IP, IPinfo), which are not
 * on the npm registry, and damage them on purpose.
 */
import ipaddr from "ipaddr.js";

type Value = string | number | bigint | Value[] | { [key: string]: Value };

function control(type: number, size: number): number[] {
  const head = type <= 7 ? [type << 5] : [0, type - 7];
  let extra: number[] = [];
  let sizeBits = size;
  if (size >= 65821) {
    sizeBits = 31;
    const n = size - 65821;
    extra = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  } else if (size >= 285) {
    sizeBits = 30;
    const n = size - 285;
    extra = [(n >> 8) & 255, n & 255];
  } else if (size >= 29) {
    sizeBits = 29;
    extra = [size - 29];
  }
  head[0] = (head[0] as number) | sizeBits;
  return [...head, ...extra];
}

function unsigned(value: bigint): number[] {
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 255n));
    value >>= 8n;
  }
  return bytes;
}

/** One value as the data and metadata sections write it. */
export function encode(value: Value): number[] {
  if (typeof value === "string") {
    const bytes = [...new TextEncoder().encode(value)];
    return [...control(2, bytes.length), ...bytes];
  }
  if (typeof value === "number" || typeof value === "bigint") {
    const big = BigInt(value);
    const bytes = unsigned(big);
    const type = big < 65536n ? 5 : big < 4294967296n ? 6 : 9;
    return [...control(type, bytes.length), ...bytes];
  }
  if (Array.isArray(value)) return [...control(11, value.length), ...value.flatMap(encode)];
  const entries = Object.entries(value);
  return [...control(7, entries.length), ...entries.flatMap(([k, v]) => [...encode(k), ...encode(v)])];
}

interface TreeNode {
  children: [TreeNode | number | null, TreeNode | number | null];
}

/** The bytes of an mmdb file mapping each CIDR to its record. */
export function writeMmdb(databaseType: string, networks: readonly [string, Value][]): Uint8Array {
  const data: number[] = [];
  const root: TreeNode = { children: [null, null] };
  for (const [cidr, record] of networks) {
    const offset = data.length;
    data.push(...encode(record));
    const [address, length] = ipaddr.parseCIDR(cidr);
    const bytes = address.kind() === "ipv4"
      ? [...new Array(12).fill(0), ...address.toByteArray()]
      : address.toByteArray();
    const bits = address.kind() === "ipv4" ? length + 96 : length;
    let node = root;
    for (let depth = 0; depth < bits; depth++) {
      const bit = ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1;
      if (depth === bits - 1) {
        node.children[bit] = -1 - offset; // data, resolved below
      } else {
        let next = node.children[bit];
        if (typeof next !== "object" || next === null) {
          next = { children: [null, null] };
          node.children[bit] = next;
        }
        node = next;
      }
    }
  }
  const nodes: TreeNode[] = [];
  const number = new Map<TreeNode, number>();
  const visit = (node: TreeNode) => {
    number.set(node, nodes.length);
    nodes.push(node);
    for (const child of node.children) if (typeof child === "object" && child !== null) visit(child);
  };
  visit(root);
  const nodeCount = nodes.length;
  const tree = new Uint8Array(nodeCount * 8);
  const view = new DataView(tree.buffer);
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const record = child === null
        ? nodeCount
        : typeof child === "number"
        ? nodeCount + 16 + (-1 - child)
        : number.get(child) as number;
      view.setUint32(i * 8 + side * 4, record);
    });
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 32,
    ip_version: 6,
    database_type: databaseType,
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_763_683_200n,
    description: { en: `${databaseType} written by conntrail's tests` },
  });
  const marker = [0xab, 0xcd, 0xef, ...new TextEncoder().encode("MaxMind.com")];
  return new Uint8Array([...tree, ...new Array(16).fill(0), ...data, ...marker, ...metadata]);
}
