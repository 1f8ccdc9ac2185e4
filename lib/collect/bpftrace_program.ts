/**
 * conntrail's bpftrace program: TCP connects and accepts in the process that
 * made them, TCP closes, and UDP connects and the first `sendto()` of each UDP
 * flow. It uses tracepoints only (no kprobes: kernels built without
 * `CONFIG_KPROBES`, like the one these tests run on, still have them) and the
 * kernel's BTF for the socket structures. `lib/parse/bpftrace_trace.ts` reads
 * its output.
 *
 * - A connect is seen at `sock:inet_sock_set_state` → `SYN_SENT`, in the
 *   connecting process, before the kernel picks the source port; the process is
 *   kept per socket and the line printed when the socket leaves `SYN_SENT`
 *   (established, or `failed`), when both ports are known.
 * - An accept is seen when `accept()`/`accept4()` returns, in the accepting
 *   process: the new descriptor leads to the socket.
 * - A close is the socket entering `CLOSE`, whoever closed it (the kernel often
 *   does, in no process's context): it needs no pid.
 * - UDP: `connect()` returning 0 on a UDP socket, and `sendto()` with an
 *   address on an unconnected one, once per (socket, source port, destination)
 *   — the set of flows seen is emptied every 10 minutes to bound its memory.
 *
 * Like `ss`, it sees the network namespace conntrail runs in: sockets of other
 * namespaces (containers) are left out.
 *
 * The process name is the thread group leader's (what `ss -p` shows), printed
 * last with `%r` so that a name with a newline cannot end the line early.
 *
 * @module
 */

const LEADER = "buf(curtask->group_leader->comm, 16)";
const TIME = 'strftime("%s.%f", nsecs)';
const OPEN_FORMAT = '"%s %s %s %s %d %s %d %d %d %r\\n"';
const CLOSE_FORMAT = '"close %s TCP %s %d %s %d\\n"';

/** The same print for an IPv4 and an IPv6 socket read through `$sk` (a `struct sock *`). */
function printSock(kind: string, protocol: string, port: string): string {
  const common = "$sk->__sk_common";
  return `if ($family == 2) {
      printf(${OPEN_FORMAT}, "${kind}", ${TIME}, "${protocol}", ntop(${common}.skc_rcv_saddr), ${common}.skc_num,
        ntop(${common}.skc_daddr), ${port}, pid, uid, ${LEADER});
    } else if ($family == 10) {
      printf(${OPEN_FORMAT}, "${kind}", ${TIME}, "${protocol}", ntop(${common}.skc_v6_rcv_saddr.in6_u.u6_addr8),
        ${common}.skc_num, ntop(${common}.skc_v6_daddr.in6_u.u6_addr8), ${port}, pid, uid, ${LEADER});
    }`;
}

/** The socket behind a descriptor of the current process. */
function sockOf(fd: string): string {
  return `$file = *(curtask->files->fdt->fd + ${fd});
    $sk = ((struct socket *)$file->private_data)->sk;
    $family = $sk->__sk_common.skc_net.net->ns.inum == @netns ? $sk->__sk_common.skc_family : 0;`;
}

/**
 * The program's text, for `bpftrace -B none -e`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { BPFTRACE_PROGRAM } from "./bpftrace_program.ts";
 * deepStrictEqual(BPFTRACE_PROGRAM.includes("tracepoint:sock:inet_sock_set_state"), true);
 * ```
 */
export const BPFTRACE_PROGRAM = `
BEGIN {
  @netns = curtask->nsproxy->net_ns->ns.inum;
  printf("conntrail-trace ready %s\\n", ${TIME});
}

tracepoint:sock:inet_sock_set_state / args->protocol == 6 / {
  $sk = args->skaddr;
  if (((struct sock *)$sk)->__sk_common.skc_net.net->ns.inum != @netns) { return; }
  if (args->newstate == 2) {
    @connect_pid[$sk] = pid;
    @connect_uid[$sk] = uid;
    @connect_comm[$sk] = ${LEADER};
  }
  if (args->oldstate == 2) {
    $p = @connect_pid[$sk];
    if ($p != 0) {
      $kind = args->newstate == 7 ? "failed" : "connect";
      if (args->family == 2) {
        printf(${OPEN_FORMAT}, $kind, ${TIME}, "TCP", ntop(args->saddr), args->sport, ntop(args->daddr),
          args->dport, $p, @connect_uid[$sk], @connect_comm[$sk]);
      } else {
        printf(${OPEN_FORMAT}, $kind, ${TIME}, "TCP", ntop(args->saddr_v6), args->sport, ntop(args->daddr_v6),
          args->dport, $p, @connect_uid[$sk], @connect_comm[$sk]);
      }
      delete(@connect_pid[$sk]);
      delete(@connect_uid[$sk]);
      delete(@connect_comm[$sk]);
    }
  }
  if (args->newstate == 7) {
    if (args->family == 2) {
      printf(${CLOSE_FORMAT}, ${TIME}, ntop(args->saddr), args->sport, ntop(args->daddr), args->dport);
    } else {
      printf(${CLOSE_FORMAT}, ${TIME}, ntop(args->saddr_v6), args->sport, ntop(args->daddr_v6), args->dport);
    }
  }
}

tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept / args->ret >= 0 / {
  ${sockOf("args->ret")}
  if ($sk->sk_protocol == 6) {
    ${printSock("accept", "TCP", "bswap($sk->__sk_common.skc_dport)")}
  }
}

tracepoint:syscalls:sys_enter_connect { @connect_fd[tid] = args->fd; }
tracepoint:syscalls:sys_exit_connect / @connect_fd[tid] / {
  $fd = @connect_fd[tid];
  delete(@connect_fd[tid]);
  if (args->ret == 0) {
    ${sockOf("$fd")}
    if ($sk->sk_protocol == 17) {
      ${printSock("udp", "UDP", "bswap($sk->__sk_common.skc_dport)")}
    }
  }
}

tracepoint:syscalls:sys_enter_sendto / args->addr != 0 / {
  @sendto_fd[tid] = args->fd;
  @sendto_addr[tid] = args->addr;
}
tracepoint:syscalls:sys_exit_sendto / @sendto_addr[tid] / {
  $fd = @sendto_fd[tid];
  $addr = @sendto_addr[tid];
  delete(@sendto_fd[tid]);
  delete(@sendto_addr[tid]);
  if (args->ret >= 0) {
    ${sockOf("$fd")}
    if ($sk->sk_protocol == 17 && $family != 0) {
      $sport = $sk->__sk_common.skc_num;
      $a4 = (struct sockaddr_in *)uptr($addr);
      if ($a4->sin_family == 2) {
        $ip = $a4->sin_addr.s_addr;
        $port = bswap($a4->sin_port);
        if (@udp_seen[$sk, $sport, (uint64)$ip, (uint64)0, $port] == 0) {
          @udp_seen[$sk, $sport, (uint64)$ip, (uint64)0, $port] = 1;
          printf(${OPEN_FORMAT}, "sendto", ${TIME}, "UDP", ntop($sk->__sk_common.skc_rcv_saddr), $sport, ntop($ip),
            $port, pid, uid, ${LEADER});
        }
      } else if ($a4->sin_family == 10) {
        $a6 = (struct sockaddr_in6 *)uptr($addr);
        $port = bswap($a6->sin6_port);
        $hi = ((uint64)$a6->sin6_addr.in6_u.u6_addr32[0] << 32) | $a6->sin6_addr.in6_u.u6_addr32[1];
        $lo = ((uint64)$a6->sin6_addr.in6_u.u6_addr32[2] << 32) | $a6->sin6_addr.in6_u.u6_addr32[3];
        if (@udp_seen[$sk, $sport, $hi, $lo, $port] == 0) {
          @udp_seen[$sk, $sport, $hi, $lo, $port] = 1;
          printf(${OPEN_FORMAT}, "sendto", ${TIME}, "UDP", ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8),
            $sport, ntop($a6->sin6_addr.in6_u.u6_addr8), $port, pid, uid, ${LEADER});
        }
      }
    }
  }
}

interval:s:600 { clear(@udp_seen); }

END {
  clear(@connect_pid); clear(@connect_uid); clear(@connect_comm); clear(@connect_fd);
  clear(@sendto_fd); clear(@sendto_addr); clear(@udp_seen); delete(@netns);
}
`;
