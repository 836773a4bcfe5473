// Renders the tray model with Electron. Nothing here decides anything: labels, enabled states and
// the icon all come from the pure model.
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions } from 'electron';
import type { MenuItem, TrayAction, TrayModel } from './model.js';
import { trayIconFile } from './icons.js';

/**
 * Electron's menu template for the model. A `&` in a label would start a mnemonic, so it is doubled;
 * the model's own mnemonic letter gets the one `&`.
 */
export function menuTemplate(items: readonly MenuItem[], run: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  const label = (s: string, mnemonic?: string): string => {
    const escaped = s.replace(/&/g, '&&');
    const at = mnemonic ? escaped.indexOf(mnemonic) : -1;
    return at < 0 ? escaped : `${escaped.slice(0, at)}&${escaped.slice(at)}`;
  };
  return items.map((it): MenuItemConstructorOptions => {
    switch (it.kind) {
      case 'separator':
        return { type: 'separator', id: it.id };
      case 'label':
        return { id: it.id, label: label(it.label), enabled: false };
      case 'submenu':
        return { id: it.id, label: label(it.label, it.mnemonic), submenu: menuTemplate(it.items, run) };
      case 'action':
        return { id: it.id, label: label(it.label, it.mnemonic), enabled: it.enabled, click: () => run(it.action) };
    }
  });
}

export class TrayView {
  private readonly tray: Tray;
  private lastIcon = '';

  constructor(private readonly run: (a: TrayAction) => void, private readonly darkPanel: () => boolean) {
    this.tray = new Tray(nativeImage.createFromPath(trayIconFile('idle', darkPanel())));
    // Left click opens the menu on most panels; where it is a separate event, open the window.
    this.tray.on('click', () => run({ type: 'open-window' }));
  }

  render(model: TrayModel): void {
    const file = trayIconFile(model.icon, this.darkPanel());
    if (file !== this.lastIcon) {
      this.tray.setImage(nativeImage.createFromPath(file));
      this.lastIcon = file;
    }
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(menuTemplate(model.items, this.run)));
  }

  destroy(): void {
    this.tray.destroy();
  }
}
