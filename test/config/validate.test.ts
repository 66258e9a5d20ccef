import { describe, expect, it } from 'vitest';
import { validateContainerId, validateInterfaceName, validateNetworkName } from '../../src/index.js';

describe('validateContainerId', () => {
  it('accepts letters, digits, _ . and - after a leading letter or digit', () => {
    expect(() => validateContainerId('a.b_c-1')).not.toThrow();
    expect(() => validateContainerId('0abc')).not.toThrow();
  });

  it('rejects an empty ID with cniCode 3', () => {
    expect(() => validateContainerId('')).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', cniCode: 3, message: 'missing containerID' }),
    );
  });

  it.each(['-abc', '_abc', '.abc', 'a/b', 'a b', '../etc', 'a:b'])('rejects %j with cniCode 4', (id) => {
    expect(() => validateContainerId(id)).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 }));
  });
});

describe('validateNetworkName', () => {
  it('accepts a name like net-1.a_b', () => {
    expect(() => validateNetworkName('net-1.a_b')).not.toThrow();
  });

  it.each(['', '_net', 'a/b', '..', 'net work'])('rejects %j with cniCode 7', (name) => {
    expect(() => validateNetworkName(name)).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', cniCode: 7 }));
  });
});

describe('validateInterfaceName', () => {
  it('accepts a 15-byte name', () => {
    expect(() => validateInterfaceName('a'.repeat(15))).not.toThrow();
    expect(() => validateInterfaceName('eth0')).not.toThrow();
  });

  it.each([
    ['empty', ''],
    ['16 bytes', 'a'.repeat(16)],
    ['15 characters but 16 bytes', `${'a'.repeat(14)}é`],
    ['.', '.'],
    ['..', '..'],
    ['with /', 'eth/0'],
    ['with :', 'eth0:1'],
    ['with a space', 'eth 0'],
    ['with a tab', 'eth\t0'],
    ['with a no-break space', 'eth\u00a00'],
  ])('rejects a name %s with cniCode 4', (_, name) => {
    expect(() => validateInterfaceName(name)).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', cniCode: 4 }));
  });
});
