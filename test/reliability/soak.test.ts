// A small version of `npm run soak`: concurrent ADD/DEL cycles on distinct containers with fake
// plugins and with the real bridge + host-local, then nothing may be left behind.

import { describe, expect, it } from 'vitest';
import { realSoakProblem, runSoak } from '../../bench/soak.js';
import { builtLibrary } from './support.js';

const realProblem = realSoakProblem();

describe('soak (small)', () => {
  it('50 concurrent cycles with fake plugins leave nothing behind', { timeout: 120_000 }, async () => {
    const report = await runSoak({ fake: 50, real: 0, library: (await builtLibrary()).index });
    expect(report.phases).toHaveLength(1);
    expect(report.phases[0]).toMatchObject({ phase: 'fake', cycles: 50, failed: 0 });
    expect(report.problems).toEqual([]);
  });

  it.skipIf(realProblem !== undefined)('10 concurrent cycles with bridge + host-local leave nothing behind', { timeout: 120_000 }, async () => {
    const report = await runSoak({ fake: 0, real: 10, library: (await builtLibrary()).index });
    expect(report.phases).toHaveLength(1);
    expect(report.phases[0]).toMatchObject({ phase: 'real', cycles: 10, failed: 0, addresses: 10 });
    expect(report.phases[0]!.left).toEqual({ cacheFiles: [], lockFiles: [], reservations: [], processes: [], namespaces: [], links: [] });
    expect(report.problems).toEqual([]);
  });
});
