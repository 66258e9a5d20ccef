// Type-level checks: `npx tsc --noEmit` fails when the public types drift; vitest only runs them.
import { describe, expectTypeOf, it } from 'vitest';
import {
  CNI,
  TimeoutError,
  parseConfList,
  type CniError,
  type NetworkConfigList,
  type Result,
  type RuntimeConf,
  type VersionInfo,
} from '../src/index.js';

describe('public types', () => {
  it('types the CNI verbs', () => {
    expectTypeOf<CNI['addNetworkList']>().returns.toEqualTypeOf<Promise<Result>>();
    expectTypeOf<CNI['delNetworkList']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<CNI['getVersionInfo']>().returns.toEqualTypeOf<Promise<VersionInfo>>();
    expectTypeOf(parseConfList).returns.toEqualTypeOf<NetworkConfigList>();
  });

  it('gives error classes literal codes', () => {
    expectTypeOf<TimeoutError['code']>().toEqualTypeOf<'ERR_CNI_TIMEOUT'>();
    expectTypeOf<CniError['cniCode']>().toEqualTypeOf<number | undefined>();
  });

  it('requires containerId and ifName in a runtime config', () => {
    expectTypeOf<{ containerId: string; ifName: string }>().toExtend<RuntimeConf>();
    expectTypeOf<{ containerId: string }>().not.toExtend<RuntimeConf>();
  });
});
