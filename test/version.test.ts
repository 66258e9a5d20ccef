import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion } from '../src/index.js';

describe('parseVersion', () => {
  it.each([
    ['', [0, 1, 0]],
    ['1', [1, 0, 0]],
    ['0.4', [0, 4, 0]],
    ['1.1.0', [1, 1, 0]],
    ['10.20.30', [10, 20, 30]],
  ])('reads %j as %j', (text, expected) => {
    expect(parseVersion(text)).toEqual(expected);
  });

  it.each(['1.x', '1.0.0.0', 'v1.0.0', '1..0', '1.0.0-rc1'])('rejects %j with ERR_CNI_VERSION', (text) => {
    expect(() => parseVersion(text)).toThrow(expect.objectContaining({ code: 'ERR_CNI_VERSION' }));
  });
});

describe('compareVersions', () => {
  it.each([
    ['0.3.1', '0.4.0', -1],
    ['1.0.0', '1', 0],
    ['0.10.0', '0.9.0', 1],
    ['', '0.1.0', 0],
  ])('orders %j against %j numerically', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
