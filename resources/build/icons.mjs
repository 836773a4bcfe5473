#!/usr/bin/env node
// Writes the tray and application icons as SVG and renders them to PNG with Chromium.
// Run by hand after changing a design: `node resources/build/icons.mjs` (the PNGs are committed).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../icons');

// The tray: a shallow tray seen at an angle, with a rim. 24x24 grid, 2px strokes.
const TRAY = 'M3.5 13.5 5.6 6.9A1.8 1.8 0 0 1 7.3 5.7h9.4a1.8 1.8 0 0 1 1.7 1.2l2.1 6.6V17.8a1.7 1.7 0 0 1-1.7 1.7H5.2a1.7 1.7 0 0 1-1.7-1.7Z';
const RIM = 'M3.5 13.5h4.6l1.5 2.4h4.8l1.5-2.4h4.6';
const BADGE = { running: { fill: '#2fb36b' }, 'vpn-down': { fill: '#e5484d' } };

function traySvg(state, glyph) {
  const badge = BADGE[state];
  const mask = badge
    ? `<mask id="m"><rect width="24" height="24" fill="#fff"/><circle cx="18.6" cy="6" r="5.6" fill="#000"/></mask>`
    : '';
  const mark = state === 'vpn-down'
    ? `<circle cx="18.6" cy="6" r="4.2" fill="${badge.fill}"/><path d="M18.6 3.9v2.6" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/><circle cx="18.6" cy="8.3" r="0.9" fill="#fff"/>`
    : badge
      ? `<circle cx="18.6" cy="6" r="4.2" fill="${badge.fill}"/>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">
  <defs>${mask}</defs>
  <g fill="none" stroke="${glyph}" stroke-width="1.9" stroke-linejoin="round" stroke-linecap="round"${badge ? ' mask="url(#m)"' : ''}>
    <path d="${TRAY}"/>
    <path d="${RIM}"/>
  </g>
  ${mark}
</svg>
`;
}

const APP = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#d9ae6c"/>
      <stop offset="1" stop-color="#a46d32"/>
    </linearGradient>
    <linearGradient id="shine" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#fff" stop-opacity="0.22"/>
      <stop offset="1" stop-color="#fff" stop-opacity="0"/>
    </linearGradient>
  </defs>
  <rect x="32" y="32" width="448" height="448" rx="104" fill="url(#bg)"/>
  <rect x="32" y="32" width="448" height="224" rx="104" fill="url(#shine)"/>
  <g transform="translate(64 72) scale(16)" fill="none" stroke="#fffaf2" stroke-width="1.45" stroke-linejoin="round" stroke-linecap="round">
    <path d="${TRAY}"/>
    <path d="${RIM}"/>
  </g>
  <circle cx="366" cy="160" r="30" fill="#2f6f73" stroke="#fffaf2" stroke-width="10"/>
</svg>
`;

const jobs = [];
for (const state of ['idle', 'running', 'vpn-down']) {
  for (const [variant, glyph] of [['on-dark', '#f3f3f3'], ['on-light', '#2b2b2b']]) {
    const base = path.join(dir, 'tray', `${state}-${variant}`);
    fs.writeFileSync(`${base}.svg`, traySvg(state, glyph));
    jobs.push({ svg: `${base}.svg`, png: `${base}.png`, size: 24 }, { svg: `${base}.svg`, png: `${base}@2x.png`, size: 48 });
  }
}
fs.writeFileSync(path.join(dir, 'app', 'sandtray.svg'), APP);
for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) jobs.push({ svg: path.join(dir, 'app', 'sandtray.svg'), png: path.join(dir, 'app', `${size}x${size}.png`), size });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu'] });
const page = await browser.newPage({ deviceScaleFactor: 1 });
for (const j of jobs) {
  const svg = fs.readFileSync(j.svg, 'utf8').replace(/width="\d+" height="\d+"/, `width="${j.size}" height="${j.size}"`);
  await page.setViewportSize({ width: j.size, height: j.size });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.screenshot({ path: j.png, omitBackground: true, clip: { x: 0, y: 0, width: j.size, height: j.size } });
}
await browser.close();
console.log(`wrote ${jobs.length} PNG files`);
