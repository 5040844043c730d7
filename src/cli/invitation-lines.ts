import type { IssuedInvitation } from '../agents/index.js';

export function invitationLines(invitations: readonly IssuedInvitation[], publicUrl: string): string[] {
  return invitations.map((inv) => `    ${inv.email.padEnd(32)} ${inv.role.padEnd(17)} ${publicUrl}/invite#${inv.token}`);
}

export function invitationJson(invitations: readonly IssuedInvitation[], publicUrl: string): object[] {
  return invitations.map((inv) => ({
    email: inv.email,
    role: inv.role,
    url: `${publicUrl}/invite#${inv.token}`,
    token: inv.token,
    expiresAt: inv.expiresAt.toISOString(),
  }));
}
