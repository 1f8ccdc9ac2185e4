// Port numbers for the service names `ss` prints when run without -n; the
// common IANA names only (a full table would need /etc/services).
const SERVICE_PORTS: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  bootps: 67,
  bootpc: 68,
  tftp: 69,
  http: 80,
  kerberos: 88,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  "netbios-ns": 137,
  "netbios-dgm": 138,
  "netbios-ssn": 139,
  imap2: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  "microsoft-ds": 445,
  submission: 587,
  ipp: 631,
  ldaps: 636,
  rsync: 873,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  "ms-wbt-server": 3389,
  mdns: 5353,
  postgresql: 5432,
  "http-alt": 8080,
};

/** The port number for a numeric port or a known service name, or `null`. */
export function portNumber(text: string): number | null {
  const n = Number(text);
  if (text !== "" && Number.isInteger(n) && n >= 0 && n <= 65535) return n;
  return SERVICE_PORTS[text] ?? null;
}
