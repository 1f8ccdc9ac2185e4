import { isSystemError } from "../model/errors.ts";
import { parseDnsServer, type PtrResolver, ptrResolver, ReverseDns } from "../enrich/reverse_dns.ts";
import type { Network } from "../platform/platform.ts";

/** The flags that turn reverse DNS on and choose the server. */
export interface NameFlags {
  resolveNames: boolean;
  dnsServer?: string;
}

/** Where answers and problems go. */
export interface NamesIo {
  /** One line for the user: said once, for the first failure. */
  note: (line: string) => void;
  /** A name arrived: redraw what shows it. */
  onAnswer: () => void;
  /** The network whose DNS answers PTR lookups. */
  network: Pick<Network, "resolveDns">;
  /** PTR lookups instead of the network's (tests). */
  resolver?: PtrResolver;
}

/**
 * Reverse DNS for a run (`--resolve-names`, `--dns-server`), or null when it
 * is off. The first failure is reported in one line: DNS not allowed (with the
 * flag to add), or lookups failing (addresses are shown instead).
 */
export function openNames(flags: NameFlags, io: NamesIo): ReverseDns | null {
  if (!flags.resolveNames) return null;
  const server = flags.dnsServer === undefined ? undefined : parseDnsServer(flags.dnsServer) ?? undefined;
  let warned = false;
  return new ReverseDns(io.resolver ?? ptrResolver(io.network, server), {
    onAnswer: io.onAnswer,
    onError: (error) => {
      if (warned) return;
      warned = true;
      const flag = server === undefined ? "--allow-net" : `--allow-net=${flags.dnsServer}`;
      io.note(
        isSystemError(error, "NotCapable")
          ? `note: names are not resolved: DNS is not allowed; run with ${flag}`
          : `note: some name lookups failed (${
            error instanceof Error ? error.message : error
          }); addresses are shown instead`,
      );
    },
  });
}
