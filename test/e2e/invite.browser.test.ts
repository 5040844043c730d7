/**
 * The invitation page and the API docs page in a real browser (Debian's Chromium through
 * playwright-core), against the real server started as `custodia serve --demo`: the page shows
 * what the invitation is for, scrubs the token from the address bar, says plainly that account
 * setup is not available yet, and runs under its strict CSP without a single violation.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer, stopServer } from './demo-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PAGE_CSP =
  "default-src 'none';script-src 'self';style-src 'self';connect-src 'self';img-src 'self';base-uri 'none';form-action 'none';frame-ancestors 'none'";

/** Everything the page reports as wrong: console errors, uncaught exceptions, CSP violations. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console.${message.type()}: ${message.text()} [${message.location().url}]`);
    }
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? '?'})`));
  return problems;
}

/**
 * Reports CSP violations from inside the page: an init script runs before the page's own scripts
 * and is not subject to its CSP. (A string, as this project's TypeScript has no DOM types.)
 */
const REPORT_CSP_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (event) => {
  console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI + ' from ' + event.sourceFile);
});`;

/** Chromium asks every page for /favicon.ico on its own; the server has none (not the page's doing). */
const FAVICON_404 = /^console\.error: Failed to load resource: the server responded with a status of 404 \(Not Found\) \[http:\/\/[^\]]+\/favicon\.ico\]$/;

/** Chromium logs every failed HTTP response; on a tampered link the lookup's 404 is the expected answer. */
const LOOKUP_404 = /^console\.error: Failed to load resource: the server responded with a status of 404 \(Not Found\) \[http:\/\/[^\]]+\/v1\/invitations\/lookup\]$/;

function unexpected(problems: readonly string[], allowed: readonly RegExp[] = []): string[] {
  return problems.filter((p) => ![FAVICON_404, ...allowed].some((re) => re.test(p)));
}

describe('invitation page and API docs in Chromium', () => {
  let dataDir: string;
  let server: DemoServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}, so the browser suite cannot run. Install Debian's package: apt-get update && apt-get install -y chromium`,
      );
    }
    if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('the server is not built; run `npm run build` (npm run test:e2e does)');
    dataDir = mkdtempSync(path.join(tmpdir(), 'custodia-e2e-'));
    server = await startDemoServer(dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await stopServer(server.child);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    if (browser === undefined) throw new Error('browser not started');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript({ content: REPORT_CSP_VIOLATIONS });
    return { page, problems: watchProblems(page) };
  }

  it('shows what a valid invitation is for and scrubs the token from the address bar', async () => {
    const invitation = server?.invitations.find((i) => i.role === 'tenant_admin');
    if (invitation === undefined) throw new Error(`no tenant_admin invitation printed\n${server?.output()}`);
    const token = invitation.url.split('#')[1] as string;
    const { page, problems } = await newPage();

    const response = await page.goto(invitation.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(PAGE_CSP);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');

    await page.locator('#invitation').waitFor({ state: 'visible' });
    expect(await page.locator('#tenant-name').textContent()).toBe('Demo Contact Center');
    expect(await page.locator('#role').textContent()).toBe('Tenant administrator');
    const hint = (await page.locator('#email-hint').textContent()) ?? '';
    expect(hint).toMatch(/^a\*\*\*@d\*+\.test$/);
    expect(hint).not.toContain(invitation.email);
    expect(await page.locator('#expires-at').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator('#setup-notice').textContent()).toMatch(/Account setup .* is not available in\s+this version of Custodia yet/);
    // No pretend account setup: nothing to type into, nothing to submit.
    expect(await page.locator('form, input, textarea, button').count()).toBe(0);
    await expect.poll(() => page.locator('#invalid').isVisible()).toBe(false);

    // The token is gone from the address bar and from the current history entry.
    expect(page.url()).toBe(`${server?.url}/invite`);
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate<string>('location.href')).not.toContain('cinv_');

    expect(unexpected(problems)).toEqual([]);
    await page.context().close();
  });

  it('says a tampered link is not valid', async () => {
    const invitation = server?.invitations[0];
    if (invitation === undefined) throw new Error('no invitation printed');
    // Flip the last character of the secret: same tenant part, different hash.
    const last = invitation.url.slice(-1);
    const tampered = invitation.url.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    const { page, problems } = await newPage();

    const lookup = page.waitForResponse((r) => r.url().endsWith('/v1/invitations/lookup'));
    await page.goto(tampered);
    expect((await lookup).status()).toBe(404);
    await page.locator('#invalid').waitFor({ state: 'visible' });
    expect(await page.locator('#invalid-message').textContent()).toBe('This invitation link is not valid');
    expect(await page.locator('#invitation').isVisible()).toBe(false);
    expect(await page.locator('#tenant-name').textContent()).toBe('');
    expect(page.url()).not.toContain('cinv_');

    expect(unexpected(problems, [LOOKUP_404])).toEqual([]);
    await page.context().close();
  });

  it('checks another link opened in the same tab (only the fragment changes, no reload)', async () => {
    const first = server?.invitations.find((i) => i.role === 'tenant_admin');
    const second = server?.invitations.find((i) => i.role === 'security_officer');
    if (first === undefined || second === undefined) throw new Error(`no tenant_admin or security_officer invitation printed\n${server?.output()}`);
    const { page, problems } = await newPage();
    await page.goto(first.url);
    await page.locator('#invitation').waitFor({ state: 'visible' });
    expect(await page.locator('#role').textContent()).toBe('Tenant administrator');

    const tampered = second.url.slice(0, -1) + (second.url.endsWith('A') ? 'B' : 'A');
    await page.goto(tampered);
    await page.locator('#invalid').waitFor({ state: 'visible' });
    expect(await page.locator('#invitation').isVisible()).toBe(false);
    expect(page.url()).not.toContain('cinv_');

    await page.goto(second.url);
    await page.locator('#invitation').waitFor({ state: 'visible' });
    expect(await page.locator('#role').textContent()).toBe('Security officer');
    expect(await page.locator('#invalid').isVisible()).toBe(false);
    expect(page.url()).not.toContain('cinv_');
    expect(unexpected(problems, [LOOKUP_404])).toEqual([]);
    await page.context().close();
  });

  it('says a link without a token is not valid, without asking the server', async () => {
    const { page, problems } = await newPage();
    let lookups = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/invitations/lookup')) lookups += 1;
    });
    await page.goto(`${server?.url}/invite`);
    await page.locator('#invalid').waitFor({ state: 'visible' });
    expect(lookups).toBe(0);
    expect(unexpected(problems)).toEqual([]);
    await page.context().close();
  });

  it('renders the API docs (Swagger UI) under their CSP', async () => {
    const { page, problems } = await newPage();
    const response = await page.goto(`${server?.url}/docs`);
    expect(response?.status()).toBe(200);
    const title = page.locator('.swagger-ui .info .title');
    await title.waitFor({ state: 'visible' });
    expect(await title.textContent()).toContain('Custodia API');
    // The operations rendered too (the spec was fetched and parsed).
    await page.locator('.opblock').first().waitFor({ state: 'visible' });
    expect(unexpected(problems)).toEqual([]);
    await page.context().close();
  });
});
