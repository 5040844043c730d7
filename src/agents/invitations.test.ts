import { describe, expect, it } from 'vitest';
import { newId } from '../platform/ids.js';
import { makeInvitationToken, maskEmail, tenantOfInvitationToken } from './invitations.js';

describe('invitation tokens', () => {
  it('carry the tenant id and 32 random bytes', () => {
    const tenantId = newId();
    const a = makeInvitationToken(tenantId);
    const b = makeInvitationToken(tenantId);
    expect(a).toMatch(/^cinv_[A-Za-z0-9_-]{64}$/);
    expect(a).not.toBe(b);
    expect(tenantOfInvitationToken(a)).toBe(tenantId);
  });

  it('reject malformed tokens before any database work', () => {
    for (const bad of ['', 'cinv_', 'cpa_abc', `cinv_${'A'.repeat(63)}`, `cinv_${'A'.repeat(65)}`, `cinv_${'!'.repeat(64)}`]) {
      expect(tenantOfInvitationToken(bad)).toBeUndefined();
    }
  });
});

describe('maskEmail', () => {
  it('keeps the first letters and the top-level domain only', () => {
    expect(maskEmail('jane@example.com')).toBe('j***@e******.com');
    expect(maskEmail('a@b.io')).toBe('a***@b*.io');
    expect(maskEmail('broken')).toBe('***');
  });
});
