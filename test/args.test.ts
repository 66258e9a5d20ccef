import { describe, expect, it } from 'vitest';
import { formatCniArgs, normalizeCniArgs, parseCniArgs, withIgnoreUnknown } from '../src/index.js';

describe('normalizeCniArgs', () => {
  it('keeps pairs in the order given', () => {
    expect(normalizeCniArgs([['B', '2'], ['A', '1'], ['B', '3']])).toEqual([['B', '2'], ['A', '1'], ['B', '3']]);
  });

  it('turns an object into pairs in key order', () => {
    expect(normalizeCniArgs({ K8S_POD_NAME: 'web', IgnoreUnknown: '1' })).toEqual([
      ['K8S_POD_NAME', 'web'],
      ['IgnoreUnknown', '1'],
    ]);
  });

  it('gives no pairs for undefined, and allows an empty value', () => {
    expect(normalizeCniArgs(undefined)).toEqual([]);
    expect(normalizeCniArgs([['EMPTY', '']])).toEqual([['EMPTY', '']]);
  });

  it.each([
    ['an empty key', [['', 'v']]],
    ['a key with =', [['a=b', 'v']]],
    ['a key with ;', [['a;b', 'v']]],
    ['a value with ;', [['k', 'v;X=1']]],
    ['a value with =', [['k', 'a=b']]],
    ['a value that is not a string', [['k', 1]]],
    ['a pair with one element', [['k']]],
  ])('rejects %s', (_, pairs) => {
    expect(() => normalizeCniArgs(pairs as never)).toThrow(expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG' }));
  });
});

describe('formatCniArgs', () => {
  it('joins pairs as K=V;K2=V2', () => {
    expect(formatCniArgs([['FOO', 'BAR'], ['ABC', '123']])).toBe('FOO=BAR;ABC=123');
    expect(formatCniArgs([])).toBe('');
  });
});

describe('parseCniArgs', () => {
  it('splits K=V;K2=V2 into ordered pairs', () => {
    expect(parseCniArgs('FOO=BAR;ABC=123')).toEqual([['FOO', 'BAR'], ['ABC', '123']]);
  });

  it('reads the empty string as no pairs', () => {
    expect(parseCniArgs('')).toEqual([]);
  });

  it.each(['FOO', 'FOO=', '=BAR', 'A=B=C', 'A=B;;C=D', 'A=B;'])('rejects %j', (text) => {
    expect(() => parseCniArgs(text)).toThrow(
      expect.objectContaining({ code: 'ERR_CNI_INVALID_ARG', name: 'InvalidArgumentError' }),
    );
  });
});

describe('withIgnoreUnknown', () => {
  it('puts IgnoreUnknown=1 first', () => {
    expect(withIgnoreUnknown([['K8S_POD_NAME', 'web']])).toEqual([
      ['IgnoreUnknown', '1'],
      ['K8S_POD_NAME', 'web'],
    ]);
  });

  it('leaves pairs that already have IgnoreUnknown alone, and does not touch its input', () => {
    const input: [string, string][] = [['A', '1'], ['IgnoreUnknown', 'true']];
    const output = withIgnoreUnknown(input);
    expect(output).toEqual([['A', '1'], ['IgnoreUnknown', 'true']]);
    expect(output).not.toBe(input);
  });
});
