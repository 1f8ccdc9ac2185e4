/**
 * A host whose sockets change from poll to poll as a loaded machine's do, answering the monitor's `ss` runs
 * as the real ss would (the UDP text with its summary, the TCP dump as netlink messages with `tcp_info`, the
 * owner walk's `ss -tunapeH`): a farm of idle connections, some that move bytes, and churn: connections that
 * open and close each poll, some through CLOSE_WAIT/FIN_WAIT2, closed ones lingering in TIME_WAIT (whose
 * four-tuple a new connection sometimes takes), some whose owner a walk learns only later, a few never owned.
 * Deterministic (a seeded generator): the same script gives the same runs, for benches and differential tests.
 *
 * @module
 */
import type { RunTool, RunToolOptions, ToolOutput } from "../../lib/collect/run_tool.ts";
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import { isNaming, isProcessListing, processWalkAnswer } from "../collect/_process_walk.ts";

/** One socket of the host. */
interface HostSocket {
  protocol: "TCP" | "UDP";
  /** ss's text word (ESTAB, LISTEN, TIME-WAIT, CLOSE-WAIT, FIN-WAIT-2). */
  state: "ESTAB" | "LISTEN" | "TIME-WAIT" | "CLOSE-WAIT" | "FIN-WAIT-2";
  localPort: number;
  remoteIp: string;
  remotePort: number;
  /** 0 in TIME_WAIT. */
  inode: number;
  /** The kernel's cookie of the socket (its TIME_WAIT socket has one of its own). */
  cookie: number;
  pid: number | null;
  name: string;
  uid: number;
  sent: number;
  received: number;
  /** Owner walks that list it without its process before one names it. */
  unnamedWalks: number;
  /** The poll it closes at (churn), or Infinity. */
  closesAt: number;
  /** The poll a TIME_WAIT socket leaves at. */
  goneAt: number;
  /** Whether its counters move each poll. */
  busy: boolean;
  /** Whether its close goes through FIN_WAIT2 (the side that closes) and CLOSE_WAIT (the other) for a poll. */
  halfClose: boolean;
}

/** How the host behaves. */
export interface HostScript {
  /** Idle connections of the farm (each two sockets), and UDP sockets. */
  connections: number;
  udp: number;
  /** Connections opened (and as many closed) per poll. */
  churn: number;
  /** Polls a churned connection lives. */
  lifetime?: number;
  /** Polls a closed connection's socket stays in TIME_WAIT. */
  timeWaitPolls?: number;
  /** Share of the farm's connections whose counters move. */
  busyShare?: number;
  /**
   * A socket entering TIME_WAIT takes the cookie of the last one that left it (a kernel whose cookies repeat):
   * a cookie then finds a socket of another four-tuple.
   */
  reuseCookies?: boolean;
  /** Give sockets their cookies (default); without, the dump's reader remembers no TIME_WAIT socket. */
  cookies?: boolean;
  /**
   * Report churned connections' opens (with their process) and closes as a tracer (`--trace`) does, a moment
   * before the poll that first lists them or no longer does ({@linkcode ScriptedHost.traced}).
   */
  trace?: boolean;
  seed?: number;
}

const HOST_IP = "127.0.0.1";

/** An IPv4 address as /proc/net prints it: one 32-bit word in the host's (little-endian) order, in hex. */
function procIpv4(ip: string): string {
  return ip.split(".").reverse().map((b) => Number(b).toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** A port as /proc/net prints it: 4 hex digits. */
function procPort(port: number): string {
  return port.toString(16).padStart(4, "0").toUpperCase();
}
const FARM_PORT = 43755;
const CHURN_PORT = 40000;

/** A small seeded generator (mulberry32). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ss's TCP state code of a word. */
const STATE_CODE = { "ESTAB": 1, "FIN-WAIT-2": 5, "TIME-WAIT": 6, "CLOSE-WAIT": 8, "LISTEN": 10 } as const;

/** The host: `step()` moves it to the next poll; `run` answers the collector's commands for the current one. */
export class ScriptedHost {
  readonly #script: Required<HostScript>;
  readonly #random: () => number;
  #sockets: HostSocket[] = [];
  #poll = 0;
  #nextInode = 5000;
  #nextPort = 32768;
  #opened = 0;
  /** Commands run, in order (`ss -uaneH -s`, ...). */
  readonly calls: string[] = [];
  /** What a tracer reported, oldest first, not drained yet. */
  readonly #traced: TraceEvent[] = [];
  /** When the current poll's changes happened (ms), for the tracer's reports. */
  #at = 0;
  /** The current poll's outputs, made when first asked for (a bench does not time the host's own work). */
  #made = new Map<string, string | Uint8Array>();

  constructor(script: HostScript) {
    this.#script = {
      lifetime: 2,
      timeWaitPolls: 60,
      busyShare: 0.05,
      reuseCookies: false,
      cookies: true,
      trace: false,
      seed: 1,
      ...script,
    };
    this.#random = generator(this.#script.seed);
    const farm = 1000;
    this.#sockets.push(this.#socket("TCP", "LISTEN", FARM_PORT, "0.0.0.0", 0, farm, "python3"));
    this.#sockets.push(this.#socket("TCP", "LISTEN", CHURN_PORT, "0.0.0.0", 0, 2000, "churn"));
    for (let i = 0; i < this.#script.connections; i++) {
      const port = this.#port();
      const busy = this.#random() < this.#script.busyShare;
      this.#sockets.push({
        ...this.#socket("TCP", "ESTAB", port, HOST_IP, FARM_PORT, farm, "python3"),
        busy,
      });
      this.#sockets.push({
        ...this.#socket("TCP", "ESTAB", FARM_PORT, HOST_IP, port, farm, "python3"),
        busy,
      });
    }
    for (let i = 0; i < this.#script.udp; i++) {
      this.#sockets.push(this.#socket("UDP", "ESTAB", this.#port(), HOST_IP, 53, farm, "python3"));
    }
    // Never owned: another namespace's, or torn down while walked.
    for (let i = 0; i < 3; i++) {
      this.#sockets.push({
        ...this.#socket("TCP", "ESTAB", this.#port(), "198.51.100.9", 443, null, ""),
        uid: 0,
      });
    }
  }

  #port(): number {
    this.#nextPort = this.#nextPort >= 60999 ? 32768 : this.#nextPort + 1;
    return this.#nextPort;
  }

  #socket(
    protocol: "TCP" | "UDP",
    state: HostSocket["state"],
    localPort: number,
    remoteIp: string,
    remotePort: number,
    pid: number | null,
    name: string,
  ): HostSocket {
    return {
      protocol,
      state,
      localPort,
      remoteIp,
      remotePort,
      inode: this.#nextInode,
      cookie: this.#nextInode++,
      pid,
      name,
      uid: 1000,
      sent: 0,
      received: 0,
      unnamedWalks: 0,
      closesAt: Infinity,
      goneAt: Infinity,
      busy: false,
      halfClose: false,
    };
  }

  /** The next poll: bytes move, churned connections open, change state, close, and TIME_WAIT ones leave. */
  step(at = 0): void {
    this.#at = at;
    this.#made.clear();
    const poll = ++this.#poll;
    const s = this.#script;
    const kept: HostSocket[] = [];
    let leftCookie = 0;
    // Every 10th poll one of the farm's clients is connected elsewhere (connect(AF_UNSPEC), then connect): the
    // same inode, another four-tuple.
    // Every 3rd poll one of the farm's connections, open since the start, closes over two polls.
    if (poll % 3 === 0) {
      const client = this.#sockets.find((x) => x.remotePort === FARM_PORT && x.closesAt === Infinity);
      const server = this.#sockets.find((x) =>
        x.localPort === FARM_PORT && x.remotePort === client?.localPort
      );
      for (const x of client === undefined || server === undefined ? [] : [client, server]) {
        x.closesAt = poll + 2;
        x.halfClose = true;
      }
    }
    if (poll % 10 === 0) {
      const client = this.#sockets.find((x) => x.remotePort === FARM_PORT && x.state === "ESTAB");
      if (client !== undefined) {
        client.remoteIp = "198.51.100.20";
        client.remotePort = 8000 + poll;
      }
    }
    for (const socket of this.#sockets) {
      if (socket.state === "TIME-WAIT" && poll >= socket.goneAt) {
        leftCookie = socket.cookie;
        continue;
      }
      if (socket.busy) {
        socket.sent += 1 + Math.floor(this.#random() * 5000);
        socket.received += Math.floor(this.#random() * 500);
      }
      if (poll === socket.closesAt - 1 && socket.halfClose) {
        // A close seen half-way: the side that closed first in FIN_WAIT2, the other in CLOSE_WAIT.
        const accepted = socket.localPort === CHURN_PORT || socket.localPort === FARM_PORT;
        socket.state = accepted ? "CLOSE-WAIT" : "FIN-WAIT-2";
      }
      if (poll >= socket.closesAt) {
        this.#trace("close", socket);
        // The accepting side goes at once.
        if (socket.localPort === CHURN_PORT || socket.localPort === FARM_PORT) continue;
        socket.state = "TIME-WAIT";
        socket.inode = 0;
        socket.cookie = s.reuseCookies && leftCookie !== 0 ? leftCookie : socket.cookie + (1 << 24);
        leftCookie = 0;
        socket.pid = null;
        socket.uid = 0;
        socket.closesAt = Infinity;
        socket.goneAt = poll + s.timeWaitPolls;
      }
      kept.push(socket);
    }
    this.#sockets = kept;
    for (let i = 0; i < s.churn; i++) this.#open(poll);
  }

  /** A churned connection opens: its client side, its accepted side. */
  #open(poll: number): void {
    const n = this.#opened++;
    let port = this.#port();
    // Every 11th takes the four-tuple of a connection in TIME_WAIT (loopback's tcp_tw_reuse).
    if (n % 11 === 10) {
      const waiting = this.#sockets.findIndex((x) => x.state === "TIME-WAIT" && x.remotePort === CHURN_PORT);
      if (waiting >= 0) {
        port = this.#sockets[waiting]!.localPort;
        this.#sockets.splice(waiting, 1);
      }
    }
    // Every 7th is named only by the second walk after it opened (ss listed it before its owner), and lives
    // long enough to be reported without its owner first.
    const unnamedWalks = n % 7 === 3 ? 1 : 0;
    const closesAt = poll + (unnamedWalks > 0 ? 5 * this.#script.lifetime : this.#script.lifetime);
    const client = this.#socket("TCP", "ESTAB", port, HOST_IP, CHURN_PORT, 2000, "churn");
    const server = this.#socket("TCP", "ESTAB", CHURN_PORT, HOST_IP, port, 2000, "churn");
    for (const socket of [client, server]) {
      this.#trace("open", socket);
      socket.closesAt = closesAt;
      socket.unnamedWalks = unnamedWalks;
      socket.busy = n % 3 === 0;
      socket.halfClose = n % 5 === 0;
      this.#sockets.push(socket);
    }
  }

  /** A tracer's report of a churned socket's open or close, 20 ms before the poll. */
  #trace(kind: "open" | "close", x: HostSocket): void {
    if (!this.#script.trace) return;
    this.#traced.push({
      kind,
      at: this.#at - 20,
      socket: {
        protocol: "TCP",
        family: 4,
        local_ip: HOST_IP,
        local_port: x.localPort,
        remote_ip: x.remoteIp,
        remote_port: x.remotePort,
        status: kind === "open" ? "ESTABLISHED" : "CLOSE",
        pid: x.pid,
        process_name: x.name,
        process_path: null,
        user: null,
        inode: null,
      },
      direction: x.localPort === CHURN_PORT ? "incoming" : "outgoing",
    });
  }

  /** The tracer's reports before `before` (ms), oldest first; later ones wait. */
  traced(before: number): TraceEvent[] {
    let n = 0;
    while (n < this.#traced.length && this.#traced[n]!.at < before) n++;
    return this.#traced.splice(0, n);
  }

  /** The summary `ss -s` prints before the UDP listing. */
  #summary(): string {
    const tcp = this.#sockets.filter((x) => x.protocol === "TCP");
    const timeWait = tcp.filter((x) => x.state === "TIME-WAIT").length;
    const open = tcp.length - timeWait;
    const udp = this.#sockets.length - tcp.length;
    return `Total: ${this.#sockets.length}\n` +
      `TCP:   ${tcp.length} (estab ${open}, closed ${timeWait}, orphaned 0, timewait ${timeWait})\n\n` +
      `Transport Total     IP        IPv6\nRAW\t  0         0         0        \n` +
      `UDP\t  ${udp}       ${udp}       0        \nTCP\t  ${open}      ${open}      0        \n` +
      `INET\t  ${open + udp}      ${open + udp}      0        \nFRAG\t  0         0         0        \n\n`;
  }

  /**
   * What `cat /proc/net/sockstat /proc/net/sockstat6 /proc/net/udp /proc/net/udp6` prints (see
   * `lib/collect/udp_listing.ts`): the TCP counts per family, then UDP's rows (all on 127.0.0.1, connected).
   */
  #procNetUdp(): string {
    const tcp = this.#sockets.filter((x) => x.protocol === "TCP");
    const timeWait = tcp.filter((x) => x.state === "TIME-WAIT").length;
    const udp = this.#sockets.filter((x) => x.protocol === "UDP");
    const rows = udp.map((x, i) =>
      `${String(i).padStart(5)}: ${procIpv4(HOST_IP)}:${procPort(x.localPort)} ${procIpv4(x.remoteIp)}:` +
      `${procPort(x.remotePort)} 01 00000000:00000000 00:00000000 00000000 ${
        String(x.uid).padStart(5)
      }        0 ` +
      `${x.inode} 2 0000000000000000 0`
    );
    return `sockets: used ${this.#sockets.length}
TCP: inuse ${tcp.length - timeWait} orphan 0 tw ${timeWait} ` +
      `alloc ${tcp.length} mem 0
UDP: inuse ${udp.length} mem 0
TCP6: inuse 0
UDP6: inuse 0
` +
      `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref ` +
      `pointer drops
${
        rows.map((row) =>
          `${row}
`
        ).join("")
      }` +
      `  sl  local_address                         remote_address                        st tx_queue rx_queue ` +
      `tr tm->when retrnsmt   uid  timeout inode ref pointer drops
`;
  }

  /** What `cat /proc/net/tcp /proc/net/tcp6` prints after UDP's tables: TCP's rows (all IPv4). */
  #procNetTcp(): string {
    const tcp = this.#sockets.filter((x) => x.protocol === "TCP");
    const rows = tcp.map((x, i) => {
      const peer = x.state === "LISTEN"
        ? "00000000:0000"
        : `${procIpv4(x.remoteIp)}:${procPort(x.remotePort)}`;
      const state = STATE_CODE[x.state].toString(16).padStart(2, "0").toUpperCase();
      return `${String(i).padStart(4)}: ${procIpv4(HOST_IP)}:${procPort(x.localPort)} ${peer} ${state} ` +
        `00000000:00000000 00:00000000 00000000 ${String(x.uid).padStart(5)}        0 ${x.inode} 1 ` +
        "0000000000000000 100 0 0 10 0";
    });
    return `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n` +
      rows.map((row) => `${row}\n`).join("") +
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr " +
      "tm->when retrnsmt   uid  timeout inode\n";
  }

  /** One socket's line in ss's text (`owners`: as `-p` prints it; a walk that does not name it yet leaves it). */
  #line(x: HostSocket, netid: boolean, owners: boolean, extended = true): string {
    const local = `${HOST_IP}:${x.localPort}`;
    const peer = x.state === "LISTEN" ? "0.0.0.0:*" : `${x.remoteIp}:${x.remotePort}`;
    const users = owners && x.pid !== null && x.unnamedWalks === 0
      ? `users:(("${x.name}",pid=${x.pid},fd=${3 + (x.inode % 1000)})) `
      : "";
    const uid = x.uid === 0 ? "" : `uid:${x.uid} `;
    const head = netid ? `${x.protocol === "TCP" ? "tcp" : "udp"} ` : "";
    // Without -e (`ss -uanH`): no uid, inode or socket address.
    if (!extended) return `${head}${x.state} 0      0      ${local} ${peer}`;
    return `${head}${x.state} 0      0      ${local} ${peer} ${users}${uid}ino:${x.inode} sk:1 <->`;
  }

  /** The TCP dump (`ss -taiD -`, `-taD -`; `listeners`: `-tlD -`): netlink messages, then NLMSG_DONE. */
  #dump(counters: boolean, listeners = false): Uint8Array {
    const tcp = this.#sockets.filter((x) => x.protocol === "TCP" && (!listeners || x.state === "LISTEN"));
    const info = counters ? 4 + 232 : 0;
    const length = 16 + 72 + info;
    const bytes = new Uint8Array(length * tcp.length + 16);
    const view = new DataView(bytes.buffer);
    tcp.forEach((x, i) => {
      const at = i * length;
      view.setUint32(at, length, true);
      view.setUint16(at + 4, 20, true); // SOCK_DIAG_BY_FAMILY
      const msg = at + 16;
      bytes[msg] = 2; // AF_INET
      bytes[msg + 1] = STATE_CODE[x.state];
      view.setUint16(msg + 4, x.localPort);
      view.setUint16(msg + 6, x.state === "LISTEN" ? 0 : x.remotePort);
      bytes.set([127, 0, 0, 1], msg + 8);
      if (x.state !== "LISTEN") bytes.set(x.remoteIp.split(".").map(Number), msg + 24);
      if (this.#script.cookies) view.setUint32(msg + 44, x.cookie, true);
      view.setUint32(msg + 64, x.uid, true);
      view.setUint32(msg + 68, x.inode, true);
      if (counters && x.state !== "TIME-WAIT") {
        const attr = msg + 72;
        view.setUint16(attr, info, true);
        view.setUint16(attr + 2, 2, true); // INET_DIAG_INFO
        const tcpi = attr + 4;
        view.setUint32(tcpi + 120, x.sent + 1, true); // bytes_acked
        view.setUint32(tcpi + 128, x.received, true);
        view.setUint32(tcpi + 200, x.sent, true);
      } else if (counters) {
        view.setUint32(at, 16 + 72, true); // no tcp_info in TIME_WAIT: a shorter message, padded
      }
    });
    view.setUint32(length * tcp.length, 16, true);
    view.setUint16(length * tcp.length + 4, 3, true); // NLMSG_DONE
    // Messages of TIME_WAIT sockets are shorter: rebuild without the padding gaps.
    if (!counters) return bytes;
    const parts: Uint8Array[] = [];
    let size = 0;
    tcp.forEach((x, i) => {
      const part = bytes.subarray(i * length, i * length + (x.state === "TIME-WAIT" ? 16 + 72 : length));
      parts.push(part);
      size += part.length;
    });
    parts.push(bytes.subarray(length * tcp.length));
    const whole = new Uint8Array(size + 16);
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    return whole.subarray(0, at);
  }

  /** Make the current poll's outputs now (not while a bench times the collector reading them). */
  prepare(): void {
    this.#output("cat");
    this.#output("cat-tcp");
    this.#output("-uaneH");
    this.#output("-uanH");
    this.#output("-taiD");
    this.#output("-taD");
  }

  #output(flags: string): string | Uint8Array {
    let made = this.#made.get(flags);
    if (made !== undefined) return made;
    if (flags === "cat") made = this.#procNetUdp();
    else if (flags === "cat-tcp") made = this.#procNetUdp() + this.#procNetTcp();
    else if (flags === "-uaneH" || flags === "-uanH") {
      const udp = this.#sockets.filter((x) => x.protocol === "UDP")
        .map((x) => this.#line(x, false, false, flags === "-uaneH"));
      made = this.#summary() + udp.join("\n") + "\n";
    } else made = this.#dump(flags === "-taiD", flags === "-tlD");
    this.#made.set(flags, made);
    return made;
  }

  /** Answers the collector's commands for the current poll. */
  readonly run: RunTool = (command: string, args: readonly string[], options?: RunToolOptions) => {
    if (command === "stdbuf") {
      const at = args.indexOf("ss");
      return this.run("ss", args.slice(at + 1), options);
    }
    this.calls.push([command, ...args].join(" "));
    // The walk's listing of the processes (find /proc) and their names after it (cat /proc/<pid>/stat).
    if (isProcessListing(command, args) || isNaming(command, args)) {
      const processes = new Map<number, string>([[1, "init"]]);
      for (const x of this.#sockets) if (x.pid !== null) processes.set(x.pid, x.name);
      return Promise.resolve(processWalkAnswer(command, args, processes)!);
    }
    if (command === "find") {
      // The descriptor walk (`findSocketsArgs`): each process's folder, then its sockets' inodes.
      const byPid = new Map<number, number[]>();
      for (const x of this.#sockets) {
        if (x.pid === null || x.inode === 0) continue;
        if (x.unnamedWalks > 0) {
          x.unnamedWalks--;
          continue;
        }
        let inodes = byPid.get(x.pid);
        if (inodes === undefined) byPid.set(x.pid, inodes = []);
        inodes.push(x.inode);
      }
      const text = [...byPid].map(([pid, inodes]) => `/proc/${pid}/fd\n${inodes.join("\n")}\n`).join("");
      return Promise.resolve({ stdout: text, stderr: "", code: 0 });
    }
    if (command === "cat") {
      const text = this.#output(args.includes("/proc/net/tcp") ? "cat-tcp" : "cat") as string;
      return Promise.resolve({ stdout: text, stderr: "", code: 0 });
    }
    if (command !== "ss") return Promise.resolve({ stdout: "", stderr: `${command}: not scripted`, code: 1 });
    const flags = args[0] ?? "";
    if (flags === "-uaneH" || flags === "-uanH") {
      return Promise.resolve({ stdout: this.#output(flags) as string, stderr: "", code: 0 });
    }
    if (flags === "-taiD" || flags === "-taD" || flags === "-tlD") {
      const bytes = this.#output(flags) as Uint8Array;
      // In chunks, as a pipe gives it (a message may straddle two).
      for (let at = 0; at < bytes.length; at += 65536) options?.onChunk?.(bytes.subarray(at, at + 65536));
      return Promise.resolve({ stdout: "", stderr: "", code: 0 } satisfies ToolOutput);
    }
    if (flags === "-tunapeH" || flags === "-tunaeH") {
      const owners = flags === "-tunapeH";
      const text = this.#sockets.map((x) => this.#line(x, true, owners)).join("\n") + "\n";
      if (owners) { for (const x of this.#sockets) if (x.unnamedWalks > 0) x.unnamedWalks--; }
      return Promise.resolve({ stdout: text, stderr: "", code: 0 });
    }
    return Promise.resolve({ stdout: "", stderr: `ss ${flags}: not scripted`, code: 1 });
  };
}
