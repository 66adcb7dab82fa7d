// Opens each page in Debian's chromium (headless, driven by playwright-core) and prints what each page
// itself found out, as one JSON array on stdout:
//   node run_pages.mjs '[{"name": "...", "url": "http://127.0.0.1:PORT/page.html?endpoint=..."}]'
// Each page sets window.sdksignResult when its fetch() has settled; the console lines (where chromium
// explains a CORS refusal) come along.
import { chromium } from 'playwright-core';

const pages = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.SDKSIGN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  timeout: 60000,
  // As root in a container there is no sandbox; the rest keeps chromium off the (closed) network.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const results = [];
try {
  for (const { name, url } of pages) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleLines = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    try {
      await page.goto(url, { timeout: 15000 });
      await page.waitForFunction(() => window.sdksignResult !== undefined, null, { timeout: 15000 });
      const result = await page.evaluate(() => window.sdksignResult);
      results.push({ name, result, console: consoleLines });
    } catch (error) {
      results.push({ name, result: null, failure: String(error), console: consoleLines });
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results) + '\n');
