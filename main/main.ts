// The Electron main process: tray, manager window, file hand-off and notifications around the
// in-process engine. Quitting closes the app only; sandboxes are separate processes and keep running.
import { spawnSync } from 'node:child_process';
import { BrowserWindow, Menu, Notification, app, dialog, nativeTheme } from 'electron';
import { asSandtrayError } from '../helpers/api/index.js';
import { createServices, type Services } from './app/services.js';
import { desktopUserData, startPlan } from './app/startup.js';
import { cliArgsFrom, filesFromArgv } from './files/argv.js';
import type { SandtrayEvent, View } from './ipc/contract.js';
import { registerIpc, sendEvent } from './ipc/electron-ipc.js';
import { connectEnginePrompt } from './secrets/engine-prompt.js';
import { engineKeyring } from './secrets/engine-keyring.js';
import { CLI_SCRIPT } from './system/cli.js';
import { hasStatusNotifierWatcher } from './system/tray-support.js';
import { TrayView } from './tray/electron-tray.js';
import { appIconFile, panelIsDark } from './tray/icons.js';
import { trayModel, type TrayAction } from './tray/model.js';
import { WindowTrust, windowSteps } from './window/lifecycle.js';
import { createManagerWindow, type ManagerWindow } from './window/manager.js';
import { rendererUrl } from './window/options.js';

const OWNER_TRAY = 0;

/** `sandtray-desktop --cli ARGS`: the command-line tool on Electron's bundled Node. */
function runCli(args: string[]): never {
  const res = spawnSync(process.execPath, [CLI_SCRIPT, ...args], { stdio: 'inherit', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  app.exit(res.status ?? 1);
  process.exit(res.status ?? 1);
}

const cliArgs = cliArgsFrom(process.argv.slice(1));
if (cliArgs) runCli(cliArgs);

const initialFiles = filesFromArgv(process.argv.slice(1), process.cwd());
// A second launch (a double-click while we run) hands its files to the first instance and exits.
if (!app.requestSingleInstanceLock({ files: initialFiles })) {
  app.quit();
} else {
  app.setName('Sandtray');
  // Electron's caches and storage, not beside the user's profiles in ~/.config/sandtray.
  app.setPath('userData', desktopUserData(app.getPath('appData')));
  // Packaged builds have no application menu: Electron's default one offers Reload and DevTools.
  if (app.isPackaged) Menu.setApplicationMenu(null);
  void app.whenReady().then(start);
}

function start(): void {
  let manager: ManagerWindow | null = null;
  let tray: TrayView | null = null;
  const trusted = new WindowTrust(rendererUrl());
  const busy = new Set<string>();

  const broadcast = (event: SandtrayEvent): void => {
    if (event.type === 'secret-prompt' || event.type === 'file-opened') showWindow();
    for (const w of BrowserWindow.getAllWindows()) {
      if (trusted.webContentsIds.has(w.webContents.id)) sendEvent(w.webContents, event);
    }
  };

  const notify = (title: string, body: string, then?: () => void): void => {
    if (!Notification.isSupported()) return;
    const n = new Notification({ title, body, icon: appIconFile() });
    if (then) n.on('click', then);
    n.show();
  };

  const services: Services = createServices({
    emit: broadcast,
    notify: (n) => notify(n.title, n.body, () => showWindow()),
    onSandboxes: () => renderTray(),
    keyring: engineKeyring(),
    pickVpnFile,
  });

  function showWindow(view?: View, name?: string): void {
    if (!manager) {
      let pending = view ? { view, name: name ?? null } : null;
      manager = createManagerWindow({
        icon: appIconFile(),
        steps: windowSteps(trusted, {
          onLoaded: () => {
            services.secrets.replay();
            if (pending) broadcast({ type: 'navigate', ...pending });
            pending = null;
          },
          release: (id) => services.releaseOwner(id),
          onClosed: () => {
            manager = null;
            // Without a tray there is nothing left to click: closing the window quits the app.
            if (!tray) app.quit();
          },
        }),
        onCrash: (reason) => notify('The Sandtray window stopped', `Its page ended (${reason}) and was opened again. Shells open in it were closed; sandboxes keep running.`),
      });
      return;
    }
    manager.reveal();
    if (view) broadcast({ type: 'navigate', view, name: name ?? null });
  }

  function renderTray(): void {
    tray?.render(trayModel({ sandboxes: services.feed.sandboxes, busy }));
  }

  async function lifecycle(type: 'start' | 'stop' | 'restart', name: string): Promise<void> {
    busy.add(name);
    renderTray();
    try {
      const ctx = { senderId: OWNER_TRAY };
      if (type === 'start') await services.handlers.start({ name }, ctx);
      else if (type === 'stop') await services.handlers.stop({ name }, ctx);
      else await services.handlers.restart({ name }, ctx);
    } catch (err) {
      const e = asSandtrayError(err);
      if (e.code === 'PROFILE_CHANGED') {
        // Applied only once the owner accepts it, in the window (the sandbox page asks).
        notify(`${name} was not ${type === 'start' ? 'started' : 'restarted'}: its profile changed`, `${e.message.split('\n')[0]}\nOpen Sandtray to review it and ${type}.`, () => showWindow('overview', name));
        return;
      }
      notify(`Could not ${type} ${name}`, `${e.message.split('\n')[0]}${e.hint ? `\n${e.hint}` : ''}`, () => showWindow('logs', name));
    } finally {
      busy.delete(name);
      renderTray();
    }
  }

  function openFiles(files: readonly string[]): void {
    for (const f of files) {
      try {
        broadcast({ type: 'file-opened', file: services.files.add(f) });
      } catch (err) {
        const e = asSandtrayError(err);
        notify('Cannot open file', `${e.message}${e.hint ? `\n${e.hint}` : ''}`);
      }
    }
  }

  async function pickVpnFile(): Promise<string | null> {
    const opts: Electron.OpenDialogOptions = {
      title: 'Import VPN configuration',
      properties: ['openFile'],
      filters: [{ name: 'VPN configurations', extensions: ['ovpn', 'conf'] }],
    };
    const res = manager ? await dialog.showOpenDialog(manager.window, opts) : await dialog.showOpenDialog(opts);
    return res.canceled ? null : (res.filePaths[0] ?? null);
  }

  async function importVpn(): Promise<void> {
    const file = await pickVpnFile();
    if (file) openFiles([file]);
  }

  const run = (a: TrayAction): void => {
    switch (a.type) {
      case 'start':
      case 'stop':
      case 'restart':
        void lifecycle(a.type, a.name);
        break;
      case 'open-shell':
        showWindow('terminal', a.name);
        break;
      case 'open-system-terminal':
        try {
          services.handlers['open-system-terminal']({ name: a.name }, { senderId: OWNER_TRAY });
        } catch (err) {
          const e = asSandtrayError(err);
          notify('Cannot open a terminal', `${e.message}${e.hint ? `\n${e.hint}` : ''}`);
        }
        break;
      case 'show-details':
        showWindow('overview', a.name);
        break;
      case 'show-logs':
        showWindow('logs', a.name);
        break;
      case 'check-leaks':
        showWindow('leaks', a.name);
        break;
      case 'open-app':
        void Promise.resolve(services.handlers['open-app']({ name: a.name, app: a.app }, { senderId: OWNER_TRAY })).catch((err: unknown) => {
          const e = asSandtrayError(err);
          notify(`Could not open ${a.app} in ${a.name}`, `${e.message.split('\n')[0]}${e.hint ? `\n${e.hint}` : ''}`, () => showWindow('logs', a.name));
        });
        break;
      case 'new-sandbox':
        showWindow('new');
        break;
      case 'import-vpn':
        void importVpn();
        break;
      case 'open-window':
        showWindow();
        break;
      case 'quit':
        app.quit();
        break;
      default: {
        // Every action of the model is handled: a new one is a type error here.
        const unhandled: never = a;
        void unhandled;
      }
    }
  };

  registerIpc(services.handlers, trusted);
  // A VPN start that needs a password asks through the window's dialog.
  connectEnginePrompt(services.secrets);
  services.feed.start();

  const plan = startPlan({ statusNotifierWatcher: hasStatusNotifierWatcher(), files: initialFiles, argv: process.argv.slice(1) });
  if (plan.tray) {
    tray = new TrayView(run, () => panelIsDark(process.env['XDG_CURRENT_DESKTOP'], nativeTheme.shouldUseDarkColors));
    renderTray();
    nativeTheme.on('updated', renderTray);
    // Uptimes in the menu age; the states themselves arrive as events.
    setInterval(renderTray, 60_000).unref();
  }
  if (!tray || plan.showWindow) showWindow();
  openFiles(initialFiles);

  app.on('second-instance', (_e, argv, cwd, data) => {
    const handed = (data as { files?: unknown } | null)?.files;
    const files = Array.isArray(handed) && handed.every((f) => typeof f === 'string') ? (handed as string[]) : filesFromArgv(argv.slice(1), cwd);
    if (files.length) openFiles(files);
    else showWindow();
  });
  // With a tray, closing the window keeps the app in the tray.
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.on('before-quit', () => {
    services.close();
    tray?.destroy();
  });
}
