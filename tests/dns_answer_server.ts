/**
 * The `--sniff-dns` tests' DNS server (tests/fixtures/dns_answer_server.py)
 * on UDP port 53 of a loopback address of its own, 127.18.x.y picked at
 * random so that tests running at once do not clash, and the client that
 * asks it and connects (tests/fixtures/dns_connect.py).
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { type LineProcess, spawnLines } from "./line_process.ts";

const SERVER = fileURLToPath(new URL("./fixtures/dns_answer_server.py", import.meta.url));
export const DNS_CONNECT = fileURLToPath(new URL("./fixtures/dns_connect.py", import.meta.url));

/** A running DNS server. */
export interface DnsAnswerServer {
  address: string;
  stop(): Promise<void>;
}

/**
 * Start the server answering `names` (`name=ip[,ip][@cname]`) on a fresh
 * 127.18.x.y:53, through `exec` (a namespace's argv prefix, or none).
 */
export async function startDnsAnswerServer(
  names: readonly string[],
  exec: (command: readonly string[]) => string[] = (command) => [...command],
): Promise<DnsAnswerServer> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const address = `127.18.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    const server: LineProcess = spawnLines(exec(["python3", SERVER, address, ...names]));
    const first = await server.stdout.until(
      (line) => line === "ready" || line === "in use",
      "the DNS server",
    );
    if (first === "ready") return { address, stop: async () => void await server.stop() };
    await server.stop();
  }
  throw new Error("no free 127.18.x.y address for the DNS server");
}
