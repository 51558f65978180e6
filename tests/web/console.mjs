// The web console in headless Chromium (Debian's, driven by playwright-core):
// login, the lists and their actions, the GraphQL editor, and the live chart
// fed by real readings through brink's TCP ingest. Screenshots go to OUT_DIR.
//
// env: BRINK_URL, TENANT, PASSWORD, INGEST_PORT, THING, THING_KEY, OUT_DIR
import { chromium } from 'playwright-core';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = process.env;
const url = env.BRINK_URL;
const out = env.OUT_DIR;
fs.mkdirSync(out, { recursive: true });
let passed = 0, failed = 0;
function check(name, ok, detail = '') {
  if (ok) { passed++; console.log(`ok   console: ${name}`); }
  else { failed++; console.log(`FAIL console: ${name} ${detail}`); }
}
async function attempt(name, fn) {
  try { check(name, await fn()); } catch (e) { check(name, false, e.message.split('\n')[0]); }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brink-chromium-'));
// a fresh profile (playwright passes it as --user-data-dir)
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = browser.pages()[0] || await browser.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
page.on('console', (m) => {
  // the refusals the test provokes (wrong password, a bad query, after
  // logout) are logged by Chromium as failed loads
  if (m.type() === 'error' && !/status of (400|401)/.test(m.text())) problems.push(m.text());
});
const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
const rowOf = (table, text) => page.locator(`${table} tbody tr`, { hasText: text });

try {
  await page.goto(url);
  await attempt('the login form shows without a session', async () => {
    await page.waitForSelector('#login-view:not(.hidden)', { timeout: 10000 });
    return true;
  });
  await shot('01-login');

  await page.fill('#login-name', env.TENANT);
  await page.fill('#login-password', 'wrong-password');
  await page.click('#login-submit');
  await attempt('a wrong password is refused with a message', async () => {
    await page.waitForSelector('#login-error:not(:empty)', { timeout: 10000 });
    return (await page.locator('#login-error').textContent()) === 'wrong name or password';
  });

  await page.fill('#login-password', env.PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#app-view:not(.hidden)', { timeout: 10000 });
  await attempt('after login the console names the tenant', async () =>
    (await page.locator('#who').textContent()) === env.TENANT);
  await attempt('the session cookie is HttpOnly (scripts cannot read it)', async () =>
    !(await page.evaluate(() => document.cookie)).includes('brink_session'));
  await page.waitForSelector('#services tbody tr', { timeout: 10000 });
  await attempt('the services list shows the running service', async () =>
    (await page.locator('#services tbody tr td.state').first().textContent()) === 'running');
  await shot('02-services');

  // the live chart: open the stream, then send readings as the thing
  const service = await page.locator('#services tbody tr').first().getAttribute('data-id');
  await page.click(`#services tbody tr[data-id="${service}"] button[data-action="chart"]`);
  await page.waitForTimeout(500);
  const sock = net.connect(Number(env.INGEST_PORT), '127.0.0.1');
  await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
  sock.write(`${JSON.stringify({ thing: env.THING, key: env.THING_KEY })}\n`);
  for (let i = 0; i < 20; i++) {
    sock.write(`${JSON.stringify({ temp: 20 + 5 * Math.sin(i / 3), hum: String(40 + i) })}\n`);
    await new Promise((r) => setTimeout(r, 60));
  }
  await attempt('the live chart plots the readings as they arrive', async () => {
    await page.waitForFunction(() => Number(document.querySelector('#chart').dataset.points || 0) >= 30, null, { timeout: 10000 });
    return true;
  });
  await attempt('the legend names the thing\'s fields', async () => {
    const legend = await page.locator('#chart-legend').textContent();
    return legend.includes(`${env.THING} temp`) && legend.includes(`${env.THING} hum: 59`);
  });
  sock.end();
  await shot('03-chart');

  await page.click(`#services tbody tr[data-id="${service}"] button[data-action="stop"]`);
  await attempt('stop: the service shows stopped', async () => {
    await page.waitForSelector(`#services tbody tr[data-id="${service}"] td.state:text-is("stopped")`, { timeout: 10000 });
    return true;
  });
  await page.click(`#services tbody tr[data-id="${service}"] button[data-action="start"]`);
  await attempt('start: running again', async () => {
    await page.waitForSelector(`#services tbody tr[data-id="${service}"] td.state:text-is("running")`, { timeout: 10000 });
    return true;
  });

  await page.click('#tabs button[data-tab="things"]');
  await page.fill('#thing-name', 'console-thing');
  await page.fill('#thing-info', 'made in the browser');
  await page.click('#thing-form button[type=submit]');
  await attempt('a new thing shows its key once', async () => {
    await page.waitForSelector('#thing-key:not(:empty)', { timeout: 10000 });
    return /console-thing \(shown once\): [A-Za-z0-9_-]{32}$/.test(await page.locator('#thing-key').textContent());
  });
  await attempt('... and is listed', async () => (await rowOf('#things', 'console-thing').count()) === 1);
  await shot('04-things');
  await rowOf('#things', 'console-thing').locator('button[data-action="delete"]').click();
  await attempt('delete a thing', async () => {
    await rowOf('#things', 'console-thing').waitFor({ state: 'detached', timeout: 10000 });
    return true;
  });

  await page.click('#tabs button[data-tab="vms"]');
  await attempt('the VMs tab shows its table', () => page.locator('#vms').isVisible());
  await shot('05-vms');
  await page.click('#tabs button[data-tab="usb"]');
  await attempt('the USB devices tab shows its table', () => page.locator('#usb').isVisible());
  await shot('06-usb');

  await page.click('#tabs button[data-tab="graphql"]');
  await page.fill('#gql-query', 'query ($n: String!) { me { name } __type(name: $n) { name } }');
  await page.fill('#gql-vars', '{"n": "Vm"}');
  await page.click('#gql-run');
  await attempt('the GraphQL editor runs a query with variables', async () => {
    await page.waitForSelector('#gql-result:not(:empty)', { timeout: 10000 });
    const r = JSON.parse(await page.locator('#gql-result').textContent());
    return r.data.me.name === env.TENANT && r.data.__type.name === 'Vm';
  });
  await page.fill('#gql-query', '{ me { nope } }');
  await page.press('#gql-query', 'Control+Enter');
  await attempt('... and shows GraphQL errors', async () => {
    await page.waitForFunction(() => document.querySelector('#gql-result').textContent.includes('nope'), null, { timeout: 10000 });
    const r = JSON.parse(await page.locator('#gql-result').textContent());
    return r.errors[0].message === 'Cannot query field "nope" on type "User".';
  });
  await shot('07-graphql');

  await page.click('#logout');
  await attempt('log out: back to the login form', async () => {
    await page.waitForSelector('#login-view:not(.hidden)', { timeout: 10000 });
    return true;
  });
  await attempt('after logout the page\'s requests are refused', async () =>
    (await page.evaluate(async () => (await fetch('/graphql', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ me { id } }"}',
    })).status)) === 401);
  await attempt('the page broke no Content-Security-Policy and threw no error', async () =>
    problems.length === 0 || (console.log(problems.join('\n')), false));
} catch (e) {
  check('the console test ran to its end', false, e.stack);
  await shot('99-failure').catch(() => {});
} finally {
  await browser.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(`console: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
