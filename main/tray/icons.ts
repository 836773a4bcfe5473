// Which tray icon file to show: the state from the model, the variant from the panel's colour.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrayIcon } from './model.js';

export const ICON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../resources/icons');

/**
 * Whether the panel behind the tray is dark. GNOME's and Unity's top bars are dark whatever the
 * theme; elsewhere the panel follows the theme.
 */
export function panelIsDark(desktop: string | undefined, darkTheme: boolean): boolean {
  const d = (desktop ?? '').toLowerCase();
  return darkTheme || d.includes('gnome') || d.includes('unity') || d.includes('ubuntu');
}

/** resources/icons/tray/STATE-on-dark.png (a light glyph) or STATE-on-light.png (a dark glyph). */
export function trayIconFile(icon: TrayIcon, darkPanel: boolean, dir = ICON_DIR): string {
  return path.join(dir, 'tray', `${icon}-on-${darkPanel ? 'dark' : 'light'}.png`);
}

/** The application icon. */
export function appIconFile(dir = ICON_DIR): string {
  return path.join(dir, 'app', '512x512.png');
}
