import { describe, expect, it } from 'vitest';
import { convertResult, isKnownResultVersion, type Result } from '../../src/index.js';

const r100: Result = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox: '/run/netns/a' }],
  ips: [
    { address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 0 },
    { address: 'fd00::5/64', interface: 0 },
    { address: '10.2.0.5/16', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '::/0' }],
  dns: { nameservers: ['10.1.0.1'], search: ['svc'] },
};

describe('convertResult', () => {
  it('returns the same object when the version already matches', () => {
    expect(convertResult(r100, '1.0.0')).toBe(r100);
  });

  it('adds ips[].version from the address family going to 0.4.0', () => {
    expect(convertResult(r100, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:00:05', sandbox: '/run/netns/a' }],
      ips: [
        { version: '4', address: '10.1.0.5/16', gateway: '10.1.0.1', interface: 0 },
        { version: '6', address: 'fd00::5/64', interface: 0 },
        { version: '4', address: '10.2.0.5/16', interface: 0 },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }, { dst: '::/0' }],
      dns: { nameservers: ['10.1.0.1'], search: ['svc'] },
    });
  });

  it('keeps the first address of each family and splits routes by family going to 0.2.0', () => {
    expect(convertResult(r100, '0.2.0')).toEqual({
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0' }] },
      dns: { nameservers: ['10.1.0.1'], search: ['svc'] },
    });
  });

  it('turns ip4/ip6 into ips without version going from 0.2.0 to 1.0.0, v4 routes first', () => {
    const legacy: Result = {
      cniVersion: '0.2.0',
      ip6: { ip: 'fd00::5/64', routes: [{ dst: '::/0' }] },
      ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] },
    };
    expect(convertResult(legacy, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1' }, { address: 'fd00::5/64' }],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
    });
  });

  it('drops ips[].version going from 0.3.1 to 1.0.0', () => {
    const old: Result = { cniVersion: '0.3.1', ips: [{ version: '4', address: '10.1.0.5/16' }] };
    expect(convertResult(old, '1.0.0')).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16' }] });
  });

  it('strips the 1.1.0 interface and route fields going to 1.0.0 and 0.4.0, keeps them within 1.1.0', () => {
    const r110: Result = {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', mtu: 9000, socketPath: '/run/vhost.sock', pciID: '0000:00:1f.0' }],
      routes: [{ dst: '10.0.0.0/8', gw: '10.1.0.1', mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0 }],
    };
    expect(convertResult(r110, '1.0.0')).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0' }],
      routes: [{ dst: '10.0.0.0/8', gw: '10.1.0.1' }],
    });
    expect(convertResult(r110, '0.4.0')).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0' }],
      routes: [{ dst: '10.0.0.0/8', gw: '10.1.0.1' }],
    });
    expect(convertResult({ ...r110, cniVersion: '1.0.0' }, '1.1.0')).toEqual(r110);
  });

  it('converts a result without addresses down to 0.2.0 without ip4/ip6 instead of failing', () => {
    const loopback: Result = { cniVersion: '0.3.1', interfaces: [{ name: 'lo', sandbox: '/var/run/netns/ns1' }], dns: {} };
    expect(convertResult(loopback, '0.2.0')).toEqual({ cniVersion: '0.2.0', dns: {} });
    expect(convertResult({ cniVersion: '1.0.0' }, '0.1.0')).toEqual({ cniVersion: '0.1.0' });
  });

  it.each(['0.5.0', '2.0.0', ''])('rejects the target version %j', (version) => {
    expect(() => convertResult(r100, version)).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_RESULT', message: `no converter for CNI result version 1.0.0 to ${version}` }),
    );
  });

  it('rejects a source result of an unknown version', () => {
    expect(() => convertResult({ cniVersion: '9.9.9' } as unknown as Result, '1.0.0')).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_RESULT', message: 'unsupported CNI result version "9.9.9"' }),
    );
  });
});

describe('isKnownResultVersion', () => {
  it.each([
    ['0.1.0', true],
    ['0.3.0', true],
    ['1.1.0', true],
    ['0.5.0', false],
    ['', false],
  ])('%j -> %j', (version, known) => {
    expect(isKnownResultVersion(version)).toBe(known);
  });
});
