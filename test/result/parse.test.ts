import { describe, expect, it } from 'vitest';
import { parseResult } from '../../src/index.js';

describe('parseResult', () => {
  it.each([
    ['0.1.0', { cniVersion: '0.1.0', ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1' } }],
    ['0.2.0', { cniVersion: '0.2.0', ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0' }] }, dns: { nameservers: ['10.1.0.1'] } }],
    ['0.3.1', { cniVersion: '0.3.1', interfaces: [{ name: 'eth0', sandbox: '/run/netns/a' }], ips: [{ version: '4', address: '10.1.0.5/16', interface: 0 }] }],
    ['0.4.0', { cniVersion: '0.4.0', ips: [{ version: '6', address: 'fd00::5/64', gateway: 'fd00::1' }], routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] }],
    ['1.0.0', { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05' }], ips: [{ address: '10.1.0.5/16', interface: 0 }] }],
    ['1.1.0', { cniVersion: '1.1.0', interfaces: [{ name: 'eth0', mtu: 1400, socketPath: '/run/x.sock' }], routes: [{ dst: '10.0.0.0/8', table: 0, scope: 253 }] }],
  ])('reads a %s result unchanged', (_, result) => {
    expect(parseResult(result, '1.0.0')).toEqual(result);
  });

  it('keeps fields it does not know', () => {
    expect(parseResult({ cniVersion: '1.0.0', extra: { a: 1 } }, '1.0.0')).toEqual({ cniVersion: '1.0.0', extra: { a: 1 } });
  });

  it.each([
    ['missing', {}],
    ['empty', { cniVersion: '' }],
    ['not a string', { cniVersion: 4 }],
  ])('reads a result whose cniVersion is %s in the config version', (_, extra) => {
    const result = parseResult({ ...extra, ips: [{ address: '10.88.0.14/16', interface: 0 }] }, '1.0.0');
    expect(result).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.88.0.14/16', interface: 0 }] });
  });

  it('reads null as an empty result of the config version', () => {
    expect(parseResult(null, '0.4.0')).toEqual({ cniVersion: '0.4.0' });
  });

  it('reads a result without version for a config without version as 0.1.0', () => {
    expect(parseResult({ ip4: { ip: '10.0.0.2/24' } }, '')).toEqual({ cniVersion: '0.1.0', ip4: { ip: '10.0.0.2/24' } });
  });

  it.each(['5.0.0', '0.5.0', '2'])('rejects the unknown result version %j with ERR_CNI_RESULT', (cniVersion) => {
    expect(() => parseResult({ cniVersion }, '1.0.0')).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_RESULT', message: `unsupported CNI result version "${cniVersion}"` }),
    );
  });

  it.each([
    ['an array', [], 'expected a result object, got an array'],
    ['a string', 'ok', 'expected a result object, got string'],
    ['a 0.4.0 ip without version', { cniVersion: '0.4.0', ips: [{ address: '10.0.0.2/24' }] }, 'at ips.0.version'],
    ['an address without prefix', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2' }] }, 'expected an address in CIDR notation at ips.0.address'],
    ['a bad gateway', { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24', gateway: 'x' }] }, 'expected an IP address at ips.0.gateway'],
    ['a prefix too long', { cniVersion: '0.2.0', ip4: { ip: '10.0.0.2/33' } }, 'at ip4.ip'],
    ['an interface without name', { cniVersion: '1.1.0', interfaces: [{ mac: 'x' }] }, 'at interfaces.0.name'],
  ])('rejects %s', (_, value, text) => {
    expect(() => parseResult(value, '1.0.0')).toThrow(expect.objectContaining({ code: 'ERR_CNI_RESULT' }));
    expect(() => parseResult(value, '1.0.0')).toThrow(text);
  });
});
