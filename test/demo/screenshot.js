'use strict';
// Screenshot of the running demo (npm run demo in another terminal) for the README:
// n8n's execution view of "Kadoa price watch" (the Kadoa Trigger workflow) with a recent
// laptop-price execution opened and its logs panel showing "Describe each change": the
// Kadoa Trigger's items (one per difference) as input, the readable messages as output.
//
//   node test/demo/screenshot.js [--out test/demo/screenshot.png] [--url http://127.0.0.1:5678]
//
// Uses Debian's chromium (apt-get install -y chromium) through playwright-core (a
// devDependency), headless, with a fresh user-data-dir that is removed afterwards.
// Env: KADOA_DEMO_URL, CHROMIUM_PATH (default /usr/bin/chromium).

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
};
const BASE = arg('--url', process.env.KADOA_DEMO_URL || 'http://127.0.0.1:5678').replace(/\/$/, '');
const OUT = path.resolve(arg('--out', path.join(__dirname, 'screenshot.png')));
const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LOGIN = { emailOrLdapLoginId: 'demo@example.com', password: 'Kadoa-Demo-2025' };
const WORKFLOW_ID = 'KadoaPriceWatch1';
const LAPTOP_FEED = 'shop.example/laptops'; // the price-watch stream of the demo simulator

const say = (msg) => console.log(`[screenshot] ${msg}`);

/** The newest successful execution of a laptop-price change (else the newest one). */
async function pickExecution(request) {
  const filter = encodeURIComponent(JSON.stringify({ workflowId: WORKFLOW_ID, status: ['success'] }));
  const list = await request.get(`${BASE}/rest/executions?filter=${filter}&limit=30`);
  if (!list.ok()) throw new Error(`GET /rest/executions → ${list.status()}: ${(await list.text()).slice(0, 200)}`);
  const results = (await list.json()).data.results || [];
  if (!results.length) throw new Error('no successful execution yet: wait for the first Kadoa event, then run again');
  let fallback;
  for (const e of results) {
    const r = await request.get(`${BASE}/rest/executions/${e.id}`);
    if (!r.ok()) continue;
    if (JSON.stringify((await r.json()).data).includes(LAPTOP_FEED)) return e.id;
    fallback ??= e.id;
  }
  return fallback;
}

async function main() {
  if (!fs.existsSync(EXECUTABLE)) throw new Error(`${EXECUTABLE} not found: apt-get install -y chromium`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadoa-shot-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLE,
      headless: true,
      viewport: { width: 1760, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(20000);

    // Log in through the REST API: the session cookie lands in the browser context.
    const login = await page.request.post(`${BASE}/rest/login`, { data: LOGIN });
    if (!login.ok()) throw new Error(`login at ${BASE} → ${login.status()} (is npm run demo running?)`);
    const executionId = await pickExecution(page.request);
    say(`execution ${executionId}`);

    await page.goto(`${BASE}/workflow/${WORKFLOW_ID}/executions/${executionId}`, { waitUntil: 'networkidle' });
    await page.locator('[data-test-id="canvas-node"][data-node-name="Kadoa Trigger"]').waitFor();
    // A first-visit "Production Checklist" popover may cover the executions list.
    const checklist = page.getByText('Production Checklist', { exact: true });
    if (await checklist.isVisible().catch(() => false)) {
      await page.keyboard.press('Escape');
      await page.mouse.click(1000, 300);
    }
    // Logs panel: "Describe each change" with its input (the Kadoa items) and output (messages).
    await page.getByText('Logs', { exact: true }).first().click();
    await page.getByText('Describe each change', { exact: true }).last().click();
    const input = page.getByRole('button', { name: 'Input', exact: true });
    await input.waitFor();
    await input.click();
    await page.getByText('INPUT', { exact: true }).first().waitFor().catch(() => {});
    // A taller logs panel (drag its top edge up), then fit the canvas into what is left.
    const panel = await page.locator('[data-test-id="logs-panel"]').boundingBox();
    if (panel) {
      const x = panel.x + panel.width / 2;
      await page.mouse.move(x, panel.y + 1);
      await page.mouse.down();
      await page.mouse.move(x, panel.y - 200, { steps: 12 });
      await page.mouse.up();
      await page.waitForTimeout(500);
    }
    // The input as JSON (the Kadoa items exactly as the trigger emitted them), in a narrower
    // pane, so the output table with the messages gets the room.
    await page.locator('[data-test-id="log-details-input"] [data-test-id="radio-button-json"]').click().catch(() => {});
    const handle = page.locator('[data-test-id="logs-details-body"] [data-test-id="resize-handle"]').first();
    const split = await handle.boundingBox();
    if (split) {
      const x = split.x + split.width / 2;
      const y = split.y + split.height / 2;
      await handle.hover();
      await page.mouse.down();
      await page.mouse.move(x - 120, y, { steps: 10 });
      await page.mouse.up();
      await page.evaluate(() => window.getSelection() && window.getSelection().removeAllRanges());
    }
    await page.locator('[data-test-id="zoom-to-fit"]').click().catch(() => {});
    await page.locator('[data-test-id="zoom-out-button"]').click().catch(() => {});
    await page.mouse.move(1590, 80); // no hover effects on the canvas
    await page.waitForTimeout(1000);
    await page.screenshot({ path: OUT });
    say(`saved ${path.relative(process.cwd(), OUT) || OUT}`);
  } finally {
    if (context) await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`[screenshot] FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
