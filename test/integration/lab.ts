// Shared pieces of the real-plugin tests: sandbox lifecycle hooks, config builders, assertions.

import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { NetnsSandbox, leftovers, links, removeStaleNamespaces, type DriverOp } from '../helpers/netns.js';

export const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * Registers hooks that dispose every sandbox a test created (even when it failed), and checks at
 * the end that no namespace of this process and no new link in the runner's namespace is left.
 * Call inside the `describe` block. Returns the sandbox factory.
 */
export function useSandboxes(): () => Promise<NetnsSandbox> {
  const live: NetnsSandbox[] = [];
  let baseline: string[] = [];
  beforeAll(async () => {
    await removeStaleNamespaces();
    baseline = (await links()).map((link) => link.ifname);
  });
  afterEach(async () => {
    const results = await Promise.allSettled(live.splice(0).map((sandbox) => sandbox.dispose()));
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0) throw new AggregateError(failed.map((result) => result.reason as unknown), 'sandbox cleanup failed');
  });
  afterAll(async () => {
    if (process.env['LIBCNI_IT_TIMINGS']) printTimings();
    expect(await leftovers(baseline)).toEqual({ namespaces: [], links: [] });
  });
  return async () => {
    const sandbox = await NetnsSandbox.create();
    live.push(sandbox);
    return sandbox;
  };
}

const timings = new Map<string, number[]>();

/** Notes how long an operation took inside the driver (printed when LIBCNI_IT_TIMINGS is set). */
export function recordTiming(label: string, op: DriverOp): void {
  const list = timings.get(label) ?? [];
  list.push(op.ms);
  timings.set(label, list);
}

function printTimings(): void {
  for (const [label, values] of timings) {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`[timing] ${label}: n=${sorted.length} median=${median.toFixed(1)}ms min=${sorted[0]!.toFixed(1)}ms max=${sorted.at(-1)!.toFixed(1)}ms`);
  }
}

/** The value of a successful driver op; fails the test with the library's error otherwise. */
export function ok(op: DriverOp | undefined, label?: string): unknown {
  if (!op) throw new Error('driver returned fewer ops than requested');
  if (label) recordTiming(label, op);
  if (!op.ok) throw new Error(`expected success, got ${op.error.code ?? op.error.name}: ${op.error.message}`);
  return op.value;
}

/** The error of a failed driver op; fails the test if the op succeeded. */
export function failed(op: DriverOp | undefined): Extract<DriverOp, { ok: false }>['error'] {
  if (!op) throw new Error('driver returned fewer ops than requested');
  if (op.ok) throw new Error(`expected a failure, got success: ${JSON.stringify(op.value)}`);
  return op.error;
}

export interface HostLocalRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
}

/** A bridge plugin object with host-local IPAM whose state lives in the sandbox. */
export function bridgePlugin(sandbox: NetnsSandbox, range: HostLocalRange, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'bridge',
    bridge: sandbox.bridge,
    isGateway: true,
    ...extra,
    ipam: {
      type: 'host-local',
      ranges: [[range]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: sandbox.ipamDir,
    },
  };
}

/** A `.conflist` text, pretty-printed with a trailing newline so that "exact bytes" means something. */
export function conflist(name: string, plugins: Record<string, unknown>[], cniVersion = '1.0.0'): string {
  return `${JSON.stringify({ cniVersion, name, plugins }, null, 2)}\n`;
}

/** The IPv4 addresses (`a.b.c.d/len`) of an interface in a namespace. */
export function ipv4Of(link: { addr_info?: { family: string; local: string; prefixlen: number }[] } | undefined): string[] {
  return (link?.addr_info ?? []).filter((info) => info.family === 'inet').map((info) => `${info.local}/${info.prefixlen}`);
}

/** Polls `probe` until it returns true, at most `attempts` times `delayMs` apart. */
export async function eventually(probe: () => Promise<boolean>, attempts = 40, delayMs = 50): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  return false;
}
