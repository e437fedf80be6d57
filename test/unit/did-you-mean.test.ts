import { describe, expect, it } from 'vitest';
import { closest, typoThreshold } from '../../src/util/did-you-mean.js';

describe('closest', () => {
  it('suggests near misses, case-insensitively', () => {
    expect(closest('identites', ['users', 'identities', 'sessions'])).toBe('identities');
    expect(closest('emial', ['id', 'email', 'name'])).toBe('email');
    expect(closest('USERS', ['users', 'user_roles'])).toBe('users');
  });

  it('suggests nothing when no candidate is near enough to be a typo', () => {
    expect(closest('xy', ['id', 'email'])).toBeUndefined();
    expect(closest('payments', ['actor', 'film'])).toBeUndefined();
    expect(closest('anything', [])).toBeUndefined();
  });

  it('breaks ties by name so the answer is stable', () => {
    expect(closest('cat', ['cot', 'bat'])).toBe('bat');
    expect(closest('cat', ['bat', 'cot'])).toBe('bat');
  });

  it('allows more edits for longer names', () => {
    expect(typoThreshold(3)).toBe(1);
    expect(typoThreshold(5)).toBe(2);
    expect(typoThreshold(12)).toBe(4);
  });
});
