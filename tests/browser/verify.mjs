// verify.mjs: the public verification page in a real browser (Debian's
// headless Chromium, driven by playwright-core). Run by
// tests/integration/t0500-browser.sh, which starts the server and makes the
// packages. Environment:
//   BASE       the server, e.g. http://127.0.0.1:PORT
//   FILES      a directory with valid.asice, tampered.asice, unknown.pdf,
//              archived.pdf (a data object of valid.asice)
//   QR_URL     the URL decoded from the record's QR code (zbarimg)
//   KHO_ARTIFACTS  where screenshots go (default ./artifacts)
// Prints "ok"/"FAIL" per check and the closing "N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.BASE;
const FILES = process.env.FILES;
const QR_URL = process.env.QR_URL;
const ART = process.env.KHO_ARTIFACTS || './artifacts';
fs.mkdirSync(ART, { recursive: true });

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-chromium-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});

// Every request the page makes must go to our server: no CDN, fonts or scripts.
const foreign = [];
browser.on('request', (req) => {
  const u = req.url();
  if (!u.startsWith(BASE) && !u.startsWith('data:')) foreign.push(u);
});

async function shot(page, name) {
  await page.screenshot({ path: path.join(ART, `${name}.png`), fullPage: true });
}

async function verdict(page) {
  const el = page.locator('section.verdict');
  return { answer: await el.getAttribute('data-answer'), text: (await el.innerText()).trim() };
}

async function upload(page, file, lang) {
  await page.goto(`${BASE}/verify${lang === 'en' ? '?lang=en' : ''}`);
  // The label names the input (accessibility): find it by its label text.
  const input = page.getByLabel(lang === 'en' ? /Choose a sealed package/ : /Chọn gói niêm phong/);
  await input.setInputFiles(path.join(FILES, file));
  await Promise.all([page.waitForLoadState('load'), page.locator('button[type=submit]').click()]);
  await page.waitForSelector('section.verdict');
}

try {
  // ---- desktop ----
  const page = await browser.newPage();
  const resp = await page.goto(`${BASE}/verify`);
  check('GET /verify answers 200', resp.status() === 200, String(resp.status()));
  check('the page is Vietnamese by default (html lang="vi")',
        (await page.getAttribute('html', 'lang')) === 'vi');
  check('the heading is in Vietnamese',
        /Kiểm tra kết quả/.test(await page.locator('h1').innerText()));
  check('the file input has a label',
        (await page.getByLabel(/Chọn gói niêm phong/).count()) === 1);
  check('the form posts multipart to /verify',
        (await page.getAttribute('form', 'enctype')) === 'multipart/form-data' &&
        (await page.getAttribute('form', 'method')) === 'post');
  await shot(page, 'desktop-1-form-vi');

  // keyboard: Tab reaches the language switch, the file input and the button
  const reached = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement &&
      (document.activeElement.id || document.activeElement.tagName)));
  }
  check('keyboard: Tab reaches the file input and the button',
        reached.includes('file') && reached.includes('BUTTON'), reached.join(','));

  await upload(page, 'valid.asice', 'vi');
  let v = await verdict(page);
  check('a valid package shows Hợp lệ', v.answer === 'valid' && /Hợp lệ/.test(v.text), v.text);
  const body = await page.locator('main').innerText();
  check('  ... with the signer and the agency', /UBND xã Tân Phong/.test(body) && /000\.31\.20\.H55/.test(body));
  check('  ... with the signing time and the timestamp time',
        /Thời điểm ký/.test(body) && /Dấu thời gian/.test(body) && /UTC\+7/.test(body));
  check('  ... with the files the seal covers', /ketqua\.pdf/.test(body) && /record\.xml/.test(body));
  check('  ... with the validity status today', /Còn hiệu lực/.test(body));
  check('  ... the name only masked', /Trần T\*\* B\*\* N\*\*\*/.test(body) && !/Bảo Ngọc/.test(body));
  check('  ... no personal number', !/055225001234/.test(await page.content()));
  check('  ... technical details fold (closed)',
        (await page.locator('details').count()) === 1 &&
        (await page.locator('details').getAttribute('open')) === null);
  check('  ... XML and JSON report downloads',
        (await page.locator('a[download$=".xml"]').count()) === 1 &&
        (await page.locator('a[download$=".json"]').count()) === 1);
  await shot(page, 'desktop-2-valid-vi');
  await page.locator('details summary').click();
  await shot(page, 'desktop-3-valid-details-open');

  await upload(page, 'tampered.asice', 'vi');
  v = await verdict(page);
  check('a tampered package shows Không hợp lệ', v.answer === 'invalid' && /Không hợp lệ/.test(v.text), v.text);
  check('  ... and says a file was changed', /bị thay đổi/.test(v.text), v.text);
  await shot(page, 'desktop-4-tampered-vi');

  await upload(page, 'unknown.pdf', 'en');
  v = await verdict(page);
  check('an unknown file says "not archived"', v.answer === 'not-archived' && /Not archived/.test(v.text), v.text);
  await shot(page, 'desktop-5-unknown-file-en');

  await upload(page, 'archived.pdf', 'vi');
  v = await verdict(page);
  check('an archived single file is found, with the package verification',
        v.answer === 'valid' && (await page.locator('[data-file-archived="1"]').count()) === 1, v.text);
  await shot(page, 'desktop-6-archived-file-vi');

  // English switch
  await page.goto(`${BASE}/verify`);
  await page.getByRole('link', { name: 'English' }).click();
  check('the English switch works', (await page.getAttribute('html', 'lang')) === 'en' &&
        /Check a result/.test(await page.locator('h1').innerText()));

  // QR path
  const qr = await page.goto(QR_URL);
  v = await verdict(page);
  check('the QR URL shows the archived record', qr.status() === 200 && v.answer === 'valid', v.text);
  check('  ... with its validity status today', /Còn hiệu lực/.test(await page.locator('main').innerText()));
  await shot(page, 'desktop-7-qr-vi');
  const wrong = await page.goto(QR_URL.replace(/k=[^&]+/, 'k=AAAAAAAAAAAAAAAAAAAAAA'));
  check('a wrong key answers 404 "not found"', wrong.status() === 404 &&
        /Không tìm thấy/.test(await page.locator('h1').innerText()));
  await shot(page, 'desktop-8-qr-wrong-key');
  await page.close();

} catch (e) {
  check('browser run', false, e && e.stack ? e.stack : String(e));
}

// A separate browser without JavaScript, with a phone's viewport.
const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'kho-chromium-nojs-'));
try {
  const nojs = await chromium.launchPersistentContext(dir2, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    javaScriptEnabled: false,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  nojs.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(BASE) && !u.startsWith('data:')) foreign.push(u);
  });
  const p = await nojs.newPage();
  await p.goto(`${BASE}/verify`);
  check('phone, no JavaScript: the form loads', (await p.locator('input[type=file]').count()) === 1);
  await shot(p, 'phone-1-form-nojs');
  await upload(p, 'valid.asice', 'vi');
  let v = await verdict(p);
  check('phone, no JavaScript: a valid package shows Hợp lệ', v.answer === 'valid', v.text);
  const wide = await p.evaluate(() => document.documentElement.scrollWidth);
  check('phone: no horizontal scrolling', wide <= 390, String(wide));
  await shot(p, 'phone-2-valid-nojs');
  await upload(p, 'tampered.asice', 'vi');
  v = await verdict(p);
  check('phone, no JavaScript: a tampered package shows Không hợp lệ', v.answer === 'invalid', v.text);
  await shot(p, 'phone-3-tampered-nojs');
  await p.goto(QR_URL);
  v = await verdict(p);
  check('phone, no JavaScript: the QR path works', v.answer === 'valid', v.text);
  await shot(p, 'phone-4-qr-nojs');
  await nojs.close();
} catch (e) {
  check('browser run without JavaScript', false, e && e.stack ? e.stack : String(e));
}

check('no request left the server (no external resources)', foreign.length === 0, foreign.join(' '));
await browser.close();
// The profiles are scratch: leave nothing behind in the temporary directory.
for (const d of [userDataDir, dir2]) fs.rmSync(d, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
