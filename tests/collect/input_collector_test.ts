import { deepStrictEqual } from "node:assert/strict";
import { detectCaptureFormat } from "../../lib/collect/input_collector.ts";
import { fixture } from "../fixture.ts";

Deno.test("detectCaptureFormat() knows ss output with and without the Netid column and header", () => {
  deepStrictEqual(detectCaptureFormat(fixture("ss-tunapeiOH_iproute2-6.1_debian12.txt")), "ss");
  deepStrictEqual(detectCaptureFormat(fixture("ss-tni_iproute2-6.1_debian12.txt")), "ss");
  const noHeader = fixture("ss-tni_iproute2-6.1_debian12.txt").split("\n").slice(1).join("\n");
  deepStrictEqual(detectCaptureFormat(noHeader), "ss");
  deepStrictEqual(detectCaptureFormat(fixture("netstat-tunap_net-tools-2.10.txt")), "netstat");
  deepStrictEqual(detectCaptureFormat(fixture("netstat-anv-p-tcp_macos26.txt")), "netstat");
});
