/** One record of a DNS answer, as a sniffer read it. */
export interface DnsRecord {
  /** The owner name, lower case, without the final dot. */
  name: string;
  /** Seconds, or null when the capture did not show it. */
  ttl: number | null;
  /** `A`, `AAAA`, `CNAME`. */
  type: "A" | "AAAA" | "CNAME";
  /** An address (canonical text) for A and AAAA, the target name for CNAME. */
  data: string;
}

/** A DNS response seen on the wire: the name that was asked and what came back. */
export interface DnsAnswer {
  /** The name asked, lower case, without the final dot. */
  question: string;
  /** The type asked: `A`, `AAAA`, `HTTPS`, … */
  qtype: string;
  records: DnsRecord[];
  /** The server set TC, or the capture was cut: the records are the complete ones before the cut. */
  truncated: boolean;
}
