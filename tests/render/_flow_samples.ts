/** Events of every shape the ECS and OCSF records must handle, for their tests. */
import type { AddressInfo } from "../../lib/model/address_info.ts";
import type { Connection } from "../../lib/model/connection.ts";
import type { FlowEvent, RecordContext } from "../../lib/render/_flow_event.ts";

/** A host with a name, and one whose name could not be read. */
export const CONTEXT: RecordContext = {
  host: { hostname: "ws1.example.org", os: "linux", arch: "x86_64" },
  product: { name: "conntrail", version: "0.1.0" },
};
export const NAMELESS_CONTEXT: RecordContext = {
  host: { hostname: null, os: "darwin", arch: "aarch64" },
  product: { name: "conntrail", version: "0.1.0" },
};

/** An outgoing TCP connection from firefox to 8.8.8.8:443. */
export const OUTGOING: Connection = {
  timestamp: "2026-11-21T14:30:16.250+01:00",
  protocol: "TCP",
  family: 4,
  local_ip: "10.0.0.2",
  local_port: 50000,
  remote_ip: "8.8.8.8",
  remote_port: 443,
  status: "ESTABLISHED",
  direction: "outgoing",
  pid: 4211,
  process_name: "firefox",
  process_path: "/usr/lib/firefox/firefox",
  user: "ana",
};

export const INCOMING: Connection = {
  ...OUTGOING,
  protocol: "TCP",
  family: 6,
  local_ip: "2001:db8::2",
  local_port: 22,
  remote_ip: "2001:db8:ff::7",
  remote_port: 50123,
  direction: "incoming",
  pid: 812,
  process_name: "sshd",
  process_path: "/usr/sbin/sshd",
  user: "root",
};

export const LISTENING: Connection = {
  ...OUTGOING,
  protocol: "UDP",
  local_ip: "0.0.0.0",
  local_port: 53,
  remote_ip: null,
  remote_port: null,
  status: "UNCONNECTED",
  direction: "listening",
  pid: null,
  process_name: null,
  process_path: null,
  user: null,
};

export const LOOPBACK: Connection = {
  ...OUTGOING,
  local_ip: "127.0.0.1",
  remote_ip: "127.0.0.1",
  remote_port: 8377,
  pid: null,
  process_name: "python3",
  process_path: null,
};

/** What enrichment knows about 8.8.8.8. */
export const GOOGLE: AddressInfo = {
  hostname: "dns.google",
  country: "US",
  asn: 15169,
  as_org: "Google LLC",
};

/** Every event shape, each with the address information its remote end has. */
export const SAMPLES: { name: string; event: FlowEvent; info: AddressInfo }[] = [
  { name: "NEW outgoing", event: { event: "NEW", connection: OUTGOING }, info: GOOGLE },
  { name: "NEW listening", event: { event: "NEW", connection: LISTENING }, info: {} },
  { name: "CLOSED incoming IPv6", event: { event: "CLOSED", connection: INCOMING }, info: { country: null } },
  {
    name: "STATE",
    event: {
      event: "STATE",
      connection: { ...OUTGOING, status: "CLOSE_WAIT" },
      previous_status: "ESTABLISHED",
    },
    info: GOOGLE,
  },
  { name: "NEW loopback, no pid", event: { event: "NEW", connection: LOOPBACK }, info: {} },
  {
    name: "ALERT blocklist",
    event: {
      event: "ALERT",
      connection: { ...OUTGOING, remote_ip: "203.0.113.7" },
      reason: "blocklist ips.txt:12 203.0.113.0/24",
      severity: "error",
      details: { blocklist: "ips.txt:12 203.0.113.0/24" },
    },
    info: { country: null, asn: null },
  },
  {
    name: "ALERT reputation on an incoming connection",
    event: {
      event: "ALERT",
      connection: INCOMING,
      reason: "reputation SUSPICIOUS (AbuseIPDB score 30)",
      severity: "warning",
      details: { risk_level: "SUSPICIOUS", abuse_score: 30 },
    },
    info: {},
  },
  {
    name: "ALERT unexpected",
    event: {
      event: "ALERT",
      connection: OUTGOING,
      reason: "UNEXPECTED destination (not in allowed.txt)",
      severity: "warning",
      details: {},
    },
    info: GOOGLE,
  },
  { name: "SNAPSHOT connection", event: { event: "SNAPSHOT", connection: OUTGOING }, info: {} },
  { name: "SNAPSHOT listener", event: { event: "SNAPSHOT", connection: LISTENING }, info: {} },
  {
    name: "CLOSED with domain and byte counters",
    event: {
      event: "CLOSED",
      connection: {
        ...OUTGOING,
        domain: "dns.google",
        bytes_sent: 1200,
        bytes_received: 53000,
      } as Connection,
      duration_s: 2.5,
    },
    info: GOOGLE,
  },
];
