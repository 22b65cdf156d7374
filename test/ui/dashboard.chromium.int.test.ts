/**
 * The dashboard in headless Chromium (Debian `chromium` + playwright-core)
 * against a real gateway: admin-only access, login through the form, a
 * published message's row, queue rates, the inbox section, retry of a failed
 * one, and a screenshot.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyWith } from '../helpers/sandbox.ts';
import { startUiHarness, unknownNihii, type UiHarness } from './gateway-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** A rendered dashboard page is tens of kB as PNG; an empty or failed capture is far smaller. */
const MIN_SCREENSHOT_BYTES = 10_000;

let h: UiHarness;
let context: BrowserContext;
let adminKey: string;
let published: string;
let failed: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehbox-ui-'));

async function post(recipient: object): Promise<string> {
  const res = await fetch(`${h.gw.apiUrl}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.gw.demo.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'UI test letter', document: { filename: 'l.txt', mimeType: 'text/plain', content: Buffer.from('fictitious').toString('base64') }, recipients: [recipient] }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function final(id: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const m = await h.gw.outbound.get(h.gw.demo.tenantId, id);
    const st = m.rows[0]!.state;
    if (['published', 'failed'].includes(st)) return st;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`message ${id} not final`);
}

beforeAll(async () => {
  h = await startUiHarness('ui-chromium', {}, ['resolve', 'deliver', 'cleanup']);
  adminKey = (await h.gw.tenancy.apiKeys.create(h.gw.demo.tenantId, { admin: true, label: 'ui test' })).apiKey;
  published = await post({ type: 'NIHII', id: partyWith(h.sandbox, 'DOCTOR').nihii!, quality: 'DOCTOR' });
  failed = await post({ type: 'NIHII', id: unknownNihii(h.sandbox), quality: 'DOCTOR' });
  expect(await final(published)).toBe('published');
  expect(await final(failed)).toBe('failed');
  // a fresh profile per run (playwright passes it to Chromium as --user-data-dir)
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('dashboard access', () => {
  it('answers the login form without a key, and refuses a non-admin key', async () => {
    const anon = await fetch(`${h.gw.apiUrl}/ui`);
    expect(anon.status).toBe(401);
    expect(await anon.text()).toContain('action="/ui/login"');
    const tenantKey = await fetch(`${h.gw.apiUrl}/ui`, { headers: { authorization: `Bearer ${h.gw.demo.apiKey}` } });
    expect(tenantKey.status).toBe(401);
    const admin = await fetch(`${h.gw.apiUrl}/ui`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(admin.status).toBe(200);
    const body = await admin.text();
    expect(body).toContain('<meta http-equiv="refresh" content="5">');
    expect(body).toContain(published);
    expect(body).not.toContain('UI test letter');
    expect(body).not.toContain('fictitious');
  });

  it('refuses a cross-origin retry post', async () => {
    const res = await fetch(`${h.gw.apiUrl}/ui/messages/${failed}/retry`, {
      method: 'POST', redirect: 'manual',
      headers: { authorization: `Bearer ${adminKey}`, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `tenant=${h.gw.demo.tenantId}`,
    });
    expect(res.status).toBe(403);
  });
});

describe('dashboard in Chromium', () => {
  it('logs in, shows the published message, retries the failed one and takes a screenshot', async () => {
    const page = await context.newPage();
    await page.goto(`${h.gw.apiUrl}/ui`);
    await page.fill('input[name="key"]', 'ehb_' + 'x'.repeat(43));
    await page.click('#login');
    expect(await page.textContent('#login-error')).toContain('not an admin key');
    await page.fill('input[name="key"]', adminKey);
    await page.click('#login');
    await page.waitForSelector('#messages');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'ehb_ui')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ui' });

    const row = page.locator('#messages tr', { has: page.locator(`[data-message-id="${published}"]`) });
    expect(await row.locator('.recipient [data-state]').getAttribute('data-state')).toBe('published');
    expect(await page.locator('#queues tbody tr').count()).toBeGreaterThanOrEqual(3);
    // both messages went through resolve and deliver within the last minute
    const completed = (await page.locator('#queues .rate-completed').allTextContents()).map(Number);
    const failedRates = (await page.locator('#queues .rate-failed').allTextContents()).map(Number);
    expect(completed.length).toBe(await page.locator('#queues tbody tr').count());
    expect(completed.every(Number.isInteger) && failedRates.every(Number.isInteger)).toBe(true);
    expect(completed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#queues thead')).toContain('completed/min');
    // no poll worker runs here: nothing has been received
    expect(await page.textContent('#inbox')).toContain('No message received yet.');
    expect(await page.textContent('#boxes')).toContain(h.sandbox.directory.party(h.gw.demo.hospital)!.boxes[0]!.id);
    expect(await page.locator('#sandbox-boxes tbody tr').count()).toBeGreaterThanOrEqual(1);

    const before = (await h.gw.outbound.get(h.gw.demo.tenantId, failed)).rows[0]!.updatedAt;
    await page.click(`button.retry[data-message-id="${failed}"]`);
    await page.waitForSelector('#flash');
    expect(await page.textContent('#flash')).toContain('put back in the queue');
    expect((await h.gw.outbound.get(h.gw.demo.tenantId, failed)).rows[0]!.updatedAt).not.toBe(before);

    const shot = path.join(tmp, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = fs.readFileSync(shot);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.length).toBeGreaterThan(MIN_SCREENSHOT_BYTES);
  }, 60_000);
});
