// A session bus of the test's own (dbus-daemon), with small services on it written with
// python3-dbus: a notification server, a service outside any allow list, and a single-instance
// program that, like a browser, hands its URL to a running instance that owns a well-known name.
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { until } from './vpn-lab.js';

/**
 * org.freedesktop.Notifications, org.example.Secret and a stand-in for Flatpak's spawn portal
 * (org.freedesktop.portal.Flatpak, whose Spawn runs a command on the host); every call is written
 * to the log (argv[1]).
 */
export const SERVICES_PY = String.raw`
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
log = open(sys.argv[1], 'a', buffering=1)
bus = dbus.SessionBus()
class Notifications(dbus.service.Object):
    @dbus.service.method('org.freedesktop.Notifications', in_signature='susssasa{sv}i', out_signature='u')
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        log.write('notify %s\n' % summary)
        return 7
class Secret(dbus.service.Object):
    @dbus.service.method('org.example.Secret', out_signature='s')
    def Read(self):
        log.write('secret read\n')
        return 'the-secret'
class Spawn(dbus.service.Object):
    @dbus.service.method('org.freedesktop.portal.Flatpak', in_signature='ay', out_signature='u')
    def Spawn(self, cmd):
        log.write('spawn %s\n' % bytes(cmd).decode())
        return 1
n = dbus.service.BusName('org.freedesktop.Notifications', bus)
s = dbus.service.BusName('org.example.Secret', bus)
f = dbus.service.BusName('org.freedesktop.portal.Flatpak', bus)
Notifications(n, '/org/freedesktop/Notifications')
Secret(s, '/org/example/Secret')
Spawn(f, '/org/freedesktop/portal/Flatpak')
log.write('ready\n')
GLib.MainLoop().run()
`;

/**
 * A single-instance program: it first hands its URL (argv[1]) to the instance that owns
 * org.example.SandtrayBrowser, as Firefox does over D-Bus, and prints "handed over"; failing that
 * it becomes the instance ("own instance ..."). With a log file (argv[2]) it stays and serves,
 * writing each URL it opens there.
 */
export const SINGLE_PY = String.raw`
import sys, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
NAME = 'org.example.SandtrayBrowser'
url = sys.argv[1]
logfile = sys.argv[2] if len(sys.argv) > 2 else None
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
try:
    bus = dbus.SessionBus()
except dbus.exceptions.DBusException as e:
    print('own instance (no bus: %s)' % e.get_dbus_name()); sys.exit(0)
try:
    bus.get_object(NAME, '/org/example/Browser', introspect=False).Open(url, dbus_interface=NAME, timeout=10)
    print('handed over'); sys.exit(0)
except dbus.exceptions.DBusException as e:
    why = e.get_dbus_name()
try:
    r = bus.request_name(NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
except dbus.exceptions.DBusException as e:
    print('own instance (the bus refused the name: %s; no instance reached: %s)' % (e.get_dbus_name(), why)); sys.exit(0)
print('own instance (owner: %s; no instance reached: %s)' % (r == dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER, why))
sys.stdout.flush()
if not logfile: sys.exit(0)
out = open(logfile, 'a', buffering=1)
out.write('opened %s\n' % url)
class Browser(dbus.service.Object):
    @dbus.service.method(NAME, in_signature='s')
    def Open(self, u):
        out.write('opened %s\n' % u)
Browser(bus, '/org/example/Browser')
GLib.MainLoop().run()
`;

export interface BusLab {
  /** The bus's addresses: a socket path and an abstract socket. */
  pathAddress: string;
  abstractAddress: string;
  /** What the services wrote. */
  log: () => string;
  /** Runs a program on the host with the bus as its session bus. */
  onHost: (cmd: string, args: string[]) => Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Starts a program on the host in the background, with the bus. */
  spawn: (cmd: string, args: string[]) => ResultPromise;
  stop: () => Promise<void>;
}


/** Starts dbus-daemon on a path and an abstract socket in dir, and the services on it. */
export async function startBusLab(dir: string): Promise<BusLab> {
  const sock = path.join(dir, 'bus');
  const abstract = `/sandtray-test-bus-${process.pid}-${path.basename(dir)}`;
  const logFile = path.join(dir, 'services.log');
  fs.writeFileSync(logFile, '');
  const procs: ResultPromise[] = [];
  // --address takes one address: two listen elements need a configuration of the bus's own.
  const conf = path.join(dir, 'bus.conf');
  fs.writeFileSync(conf, [
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
    '<busconfig>',
    '  <type>session</type>',
    `  <listen>unix:path=${sock}</listen>`,
    `  <listen>unix:abstract=${abstract}</listen>`,
    '  <auth>EXTERNAL</auth>',
    '  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>',
    '</busconfig>',
    '',
  ].join('\n'));
  const daemon = execa('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--nopidfile'], { reject: false, cleanup: true, stdio: ['ignore', 'ignore', 'pipe'] });
  procs.push(daemon);
  await until(() => fs.existsSync(sock), 20_000, 'the session bus');
  const pathAddress = `unix:path=${sock}`;
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DBUS_SESSION_BUS_ADDRESS: pathAddress, HOME: dir };
  const spawn = (cmd: string, args: string[]): ResultPromise => {
    const p = execa(cmd, args, { env, extendEnv: false, reject: false, cleanup: true, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    return p;
  };
  spawn('python3', ['-c', SERVICES_PY, logFile]);
  await until(() => fs.readFileSync(logFile, 'utf8').includes('ready'), 20_000, 'the bus services');
  return {
    pathAddress,
    abstractAddress: `unix:abstract=${abstract}`,
    log: () => fs.readFileSync(logFile, 'utf8'),
    onHost: async (cmd, args) => {
      const r = await execa(cmd, args, { env, extendEnv: false, reject: false, timeout: 30_000 });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
    },
    spawn,
    stop: async () => {
      for (const p of procs.reverse()) p.kill('SIGTERM');
      await Promise.all(procs.map((p) => p.catch(() => undefined)));
    },
  };
}

/** gdbus arguments that send a notification with this summary. */
export const notifyArgs = (summary: string): string[] => ['call', '--session', '--timeout', '10', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications',
  '--method', 'org.freedesktop.Notifications.Notify', 'sandtray-test', '0', '', summary, 'body', '[]', '{}', '5000'];
/** gdbus arguments that call the stand-in spawn portal with this command. */
export const spawnArgs = (cmd: string): string[] => ['call', '--session', '--timeout', '10', '--dest', 'org.freedesktop.portal.Flatpak', '--object-path', '/org/freedesktop/portal/Flatpak',
  '--method', 'org.freedesktop.portal.Flatpak.Spawn', `b'${cmd}'`];
/** gdbus arguments that call the service no allow list names. */
export const secretArgs = ['call', '--session', '--timeout', '10', '--dest', 'org.example.Secret', '--object-path', '/org/example/Secret', '--method', 'org.example.Secret.Read'];
