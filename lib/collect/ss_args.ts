/** The arguments conntrail runs `ss` with for its text readings (the TCP dump's are in `ss_tcp_dump.ts`). */

/** `ss` arguments: TCP and UDP, all states, numeric, no header, extended (uid, inode), and processes. */
export const SS_ARGS_WITH_OWNERS = ["-tunapeH"] as const;
/** The same without `-p`: no walk over /proc/*\/fd, several times cheaper. */
export const SS_ARGS_WITHOUT_OWNERS = ["-tunaeH"] as const;
/**
 * `--traffic`'s fallback when `ss -D` cannot be used: the same one text run
 * per tick with `-i` (counters) and `-O` (one line per socket, iproute2 5.2
 * on; an older ss gets the arguments without `-O`).
 */
export const SS_TRAFFIC_ARGS = { withOwners: ["-tunapeiOH"], withoutOwners: ["-tunaeiOH"] } as const;
