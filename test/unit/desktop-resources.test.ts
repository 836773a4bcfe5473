// resources/ checked with the real tools: desktop-file-validate, xmllint and update-mime-database,
// and electron-builder's own configuration validation (the AppArmor profile: apparmor.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import YAML from 'yaml';
import { trayIconFile } from '../../main/tray/icons.js';
import { ROOT } from '../lib/sandtray.js';

const RES = path.join(ROOT, 'resources');

function tool(name: string, pkg: string): string {
  for (const d of ['/usr/bin', '/usr/sbin', '/sbin', '/bin', '/usr/local/bin']) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  assert.fail(`${name} is missing: apt-get install ${pkg} (.ci/run installs it)`);
}

test('the .desktop entries pass desktop-file-validate', async () => {
  const validate = tool('desktop-file-validate', 'desktop-file-utils');
  for (const f of ['sandtray.desktop', 'sandtray-autostart.desktop']) {
    const r = await execa(validate, [path.join(RES, 'linux', f)], { reject: false });
    assert.equal(r.exitCode, 0, `${f}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout.trim(), '', `${f} has warnings: ${r.stdout}`);
  }
  const entry = fs.readFileSync(path.join(RES, 'linux', 'sandtray.desktop'), 'utf8');
  assert.match(entry, /^MimeType=.*application\/x-sandtray-profile;/m);
  assert.match(entry, /^MimeType=.*application\/x-openvpn-profile;/m);
  assert.match(entry, /^Exec=sandtray-desktop %F$/m, 'files are passed as paths, for the single-instance hand-off');
  // Autostart is opt-in: the entry ships in resources, nothing installs it into ~/.config/autostart.
  const autostart = fs.readFileSync(path.join(RES, 'linux', 'sandtray-autostart.desktop'), 'utf8');
  assert.match(autostart, /^NoDisplay=true$/m);
  assert.ok(!/autostart/.test(fs.readFileSync(path.join(RES, 'linux', 'after-install.sh'), 'utf8')));
});

test('the MIME XML is well formed and update-mime-database accepts it', async () => {
  const xmllint = tool('xmllint', 'libxml2-utils');
  const file = path.join(RES, 'linux', 'sandtray-mime.xml');
  const r = await execa(xmllint, ['--noout', file], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  const types = await execa(xmllint, ['--xpath', "//*[local-name()='mime-type']/@type", file]);
  assert.match(types.stdout, /application\/x-sandtray-profile/);

  const update = tool('update-mime-database', 'shared-mime-info');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-mime-'));
  try {
    fs.mkdirSync(path.join(dir, 'packages'));
    fs.copyFileSync(file, path.join(dir, 'packages', 'sandtray.xml'));
    const u = await execa(update, [dir], { reject: false, env: { XDG_DATA_DIRS: dir, PATH: process.env['PATH'] ?? '' } });
    assert.equal(u.exitCode, 0, u.stderr);
    assert.ok(!/error|invalid|unknown/i.test(u.stderr.replace(/Note that .*\n?[^]*$/m, '')), u.stderr);
    const globs = fs.readFileSync(path.join(dir, 'globs2'), 'utf8');
    assert.match(globs, /application\/x-sandtray-profile:\*\.sandtray/);
    assert.match(globs, /application\/x-openvpn-profile:\*\.ovpn/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a .conf file is a WireGuard configuration only when it is one (gio, with the MIME XML installed)', async () => {
  const update = tool('update-mime-database', 'shared-mime-info');
  const gio = tool('gio', 'libglib2.0-bin');
  const xml = fs.readFileSync(path.join(RES, 'linux', 'sandtray-mime.xml'), 'utf8');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandtray-gio-'));
  const files = path.join(root, 'files');
  fs.mkdirSync(files);
  const write = (name: string, text: string): string => {
    fs.writeFileSync(path.join(files, name), text);
    return path.join(files, name);
  };
  const wg = write('wg0.conf', '[Interface]\nPrivateKey = x\nAddress = 198.18.0.2/32\n');
  const commented = write('se-got-wg-001.conf', '# Mullvad WireGuard\n\n[Interface]\nAddress = 198.18.0.2/32\n');
  const nginx = write('nginx.conf', 'server {\n  listen 80;\n}\n');
  const fonts = write('fonts.conf', '<?xml version="1.0"?>\n<fontconfig></fontconfig>\n');
  const typeOf = async (data: string, file: string): Promise<string> => {
    const r = await execa(gio, ['info', '-a', 'standard::content-type', file], { env: { XDG_DATA_HOME: data, XDG_DATA_DIRS: '/usr/share', PATH: process.env['PATH'] ?? '' }, extendEnv: false });
    return /content-type: (\S+)/.exec(r.stdout)?.[1] ?? r.stdout;
  };
  const install = async (name: string, text: string): Promise<string> => {
    const data = path.join(root, name);
    fs.mkdirSync(path.join(data, 'mime', 'packages'), { recursive: true });
    fs.writeFileSync(path.join(data, 'mime', 'packages', 'sandtray.xml'), text);
    await execa(update, [path.join(data, 'mime')], { env: { XDG_DATA_DIRS: '/usr/share', PATH: process.env['PATH'] ?? '' } });
    return data;
  };
  try {
    // Control: claimed by name, every .conf becomes a WireGuard configuration.
    const byName = await install('by-name', xml.replace('<magic priority="80">', '<glob pattern="*.conf" weight="20"/>\n    <magic priority="80">'));
    assert.equal(await typeOf(byName, nginx), 'application/x-wireguard-profile');
    const data = await install('shipped', xml);
    assert.equal(await typeOf(data, wg), 'application/x-wireguard-profile');
    assert.equal(await typeOf(data, commented), 'application/x-wireguard-profile');
    assert.notEqual(await typeOf(data, nginx), 'application/x-wireguard-profile');
    assert.notEqual(await typeOf(data, fonts), 'application/x-wireguard-profile');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

// The AppArmor profile, its installer and the launcher: test/unit/apparmor.test.ts.

test("electron-builder's own schema accepts the configuration; the .deb depends on the engine's tools", async () => {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, l: unknown): Promise<void> };
  const logger = { isEnabled: false, add() {} };
  const config = YAML.parse(fs.readFileSync(path.join(RES, 'electron-builder.yml'), 'utf8')) as Record<string, any>;
  await validateConfiguration(config, logger);
  await assert.rejects(validateConfiguration({ ...config, linux: { ...config['linux'], notAnOption: true } }, logger), /configuration object that does not match/);

  assert.deepEqual(config['linux'].target, ['AppImage', 'deb']);
  // Each key of linux.desktop becomes one Key=Value line of the packaged entry: no nested objects.
  for (const [k, v] of Object.entries(config['linux'].desktop as Record<string, unknown>)) assert.equal(typeof v, 'string', `linux.desktop.${k} is a line of the entry`);
  // npm ci is quiet on the Node versions package.json names: no packaging tool asks for a newer one.
  const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; desktopName?: string; devDependencies: Record<string, string> };
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const floor = Number(/>=\s*(\d+)/.exec(pkgJson.engines.node)?.[1]);
  for (const [where, p] of Object.entries(lock.packages)) {
    const need = Array.isArray(p.engines) ? undefined : p.engines?.node;
    const m = need && /^>=\s*(\d+)(?:\.\d+)*\s*$/.exec(need);
    if (m) assert.ok(Number(m[1]) <= floor, `${where} needs node ${need}, beyond package.json's engines ${pkgJson.engines.node}`);
  }
  for (const dep of ['bubblewrap', 'uidmap', 'passt', 'openvpn', 'wireguard-tools']) assert.ok(config['deb'].depends.includes(dep), dep);
  for (const f of [config['deb'].afterInstall, config['deb'].afterRemove, config['linux'].icon]) assert.ok(fs.existsSync(path.join(ROOT, f)), f);
  assert.equal(config['asar'], false, 'the CLI runs the engine from real files through ELECTRON_RUN_AS_NODE');
  // Electron's desktopName names the entry the package installs, and that entry is the validated file.
  assert.equal(pkgJson.desktopName, `${config['linux'].executableName}.desktop`);
  assert.match(fs.readFileSync(path.join(RES, 'linux', 'after-install.sh'), 'utf8'), new RegExp(`install -D -m 644 \\$APP/linux/sandtray\\.desktop /usr/share/applications/${pkgJson.desktopName!.replace('.', '\\.')}`));
  // Electron is pinned to one version, below 43.3 (open tray regressions on GNOME and KDE from there).
  const electron = pkgJson.devDependencies['electron'] ?? '';
  assert.match(electron, /^\d+\.\d+\.\d+$/, `electron ${electron} is not pinned`);
  const [maj, min] = electron.split('.').map(Number) as [number, number];
  assert.ok(maj < 43 || (maj === 43 && min < 3), electron);
  // .conf is not claimed by name: WireGuard files are known by content (the MIME magic rule).
  assert.deepEqual(config['fileAssociations'].map((a: { ext: string }) => a.ext), ['sandtray', 'ovpn']);
  assert.ok(config['linux'].mimeTypes.includes('application/x-wireguard-profile'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/main/main.js');
});

test('the install scripts and the CLI wrapper are valid shell, and nothing is made setuid', async () => {
  for (const f of ['after-install.sh', 'after-remove.sh', 'sandtray-cli']) {
    const p = path.join(RES, 'linux', f);
    const r = await execa('/bin/sh', ['-n', p], { reject: false });
    assert.equal(r.exitCode, 0, `${f}: ${r.stderr}`);
    assert.ok(!/chmod\s+[0-7]*[4-7][0-7]{3}\b|chmod\s+[ug]\+s|setcap/.test(fs.readFileSync(p, 'utf8')), `${f} sets a setuid bit or capability`);
  }
  assert.match(fs.readFileSync(path.join(RES, 'linux', 'sandtray-cli'), 'utf8'), /ELECTRON_RUN_AS_NODE=1 exec .*bin\/sandtray\.js/);
});

function pngSize(file: string): [number, number] {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

test('tray icons exist for every state, for light and dark panels, at 1x and 2x', () => {
  for (const state of ['idle', 'running', 'vpn-down'] as const) {
    for (const dark of [false, true]) {
      const f = trayIconFile(state, dark);
      assert.deepEqual(pngSize(f), [24, 24], f);
      assert.deepEqual(pngSize(f.replace(/\.png$/, '@2x.png')), [48, 48]);
      assert.ok(fs.existsSync(f.replace(/\.png$/, '.svg')), 'the SVG source is kept');
    }
  }
  for (const s of [16, 32, 48, 64, 128, 256, 512]) assert.deepEqual(pngSize(path.join(RES, 'icons', 'app', `${s}x${s}.png`)), [s, s]);
  // The variants differ: the dark-panel glyph is light, the light-panel glyph is dark.
  assert.notDeepEqual(fs.readFileSync(trayIconFile('idle', true)), fs.readFileSync(trayIconFile('idle', false)));
});
