/** The machine conntrail runs on, as ECS `host.*`, OCSF `device` and the syslog header name it. */
export interface HostIdentity {
  /** The host name, or null when it could not be read (no `--allow-sys=hostname`). */
  hostname: string | null;
  /** `Deno.build.os`: `linux`, `darwin`, `windows`, … */
  os: string;
  /** `Deno.build.arch`: `x86_64`, `aarch64`. */
  arch: string;
}

/** The product that writes the records. */
export interface ProductIdentity {
  name: string;
  version: string;
}
