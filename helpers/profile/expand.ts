// Layers profiles like LXD: later layers win key by key; the result remembers where each value came from.
import { DEFAULT_IDMAP_SIZE, DEFAULT_PORT_ADDRESS, portKey, type Layer, type Profile } from './schema.js';

export interface LayerSource {
  /** Where the layer came from, e.g. `profile dev (/home/u/.config/sandtray/profiles/dev.sandtray)`. */
  origin: string;
  layer: Layer;
}

export interface Expanded {
  profile: Profile;
  /** Dotted key -> origin of its value, e.g. `network.mode` -> `sandbox overrides`. */
  origins: Record<string, string>;
}

export const DEFAULT_ORIGIN = 'default';

/** Merges layers in order over the built-in defaults. */
export function expandLayers(sandboxName: string, layers: readonly LayerSource[]): Expanded {
  const p: Profile = {
    description: '',
    hostname: sandboxName,
    command: null,
    env: {},
    workdir: null,
    home: 'private',
    shell: null,
    mounts: [],
    network: { mode: 'none', allowHostLoopback: false, vpn: null, ports: [] },
    idmap: { mode: 'shared', size: DEFAULT_IDMAP_SIZE },
    nesting: false,
    capabilities: [],
    display: { wayland: false, x11: false },
    audio: false,
    gpu: false,
    dbus: { mode: 'none', talk: [] },
    apps: [],
    stopWhenIdle: false,
  };
  const origins: Record<string, string> = {};
  for (const key of ['description', 'hostname', 'command', 'workdir', 'home', 'shell', 'network.mode', 'network.allowHostLoopback', 'idmap.mode', 'idmap.size', 'nesting', 'capabilities', 'display.wayland', 'display.x11', 'audio', 'gpu', 'dbus.mode', 'dbus.talk', 'stopWhenIdle']) {
    origins[key] = DEFAULT_ORIGIN;
  }
  const mountIndex = new Map<string, number>();
  const appIndex = new Map<string, number>();
  const portIndex = new Map<string, number>();

  for (const { origin, layer } of layers) {
    const set = <K extends keyof Profile>(key: K, value: Profile[K] | undefined): void => {
      if (value === undefined) return;
      p[key] = value;
      origins[key] = origin;
    };
    set('description', layer.description);
    set('hostname', layer.hostname);
    set('command', layer.command ? [...layer.command] : undefined);
    set('workdir', layer.workdir);
    set('home', layer.home);
    set('shell', layer.shell);
    set('nesting', layer.nesting);
    if (layer.capabilities !== undefined) set('capabilities', [...new Set(layer.capabilities)]);
    for (const [k, v] of Object.entries(layer.env ?? {})) {
      p.env[k] = v;
      origins[`env.${k}`] = origin;
    }
    if (layer.network?.mode !== undefined) {
      p.network.mode = layer.network.mode;
      origins['network.mode'] = origin;
    }
    if (layer.network?.allowHostLoopback !== undefined) {
      p.network.allowHostLoopback = layer.network.allowHostLoopback;
      origins['network.allowHostLoopback'] = origin;
    }
    if (layer.network?.vpn !== undefined) {
      p.network.vpn = { ...layer.network.vpn };
      origins['network.vpn'] = origin;
    }
    // Forwarded ports are keyed by host port and protocol: a later layer replaces the same one.
    for (const f of layer.network?.ports ?? []) {
      const entry = { host: f.host, sandbox: f.sandbox ?? f.host, proto: f.proto ?? 'tcp', address: f.address ?? DEFAULT_PORT_ADDRESS } as const;
      const k = portKey(entry);
      const at = portIndex.get(k);
      if (at === undefined) {
        portIndex.set(k, p.network.ports.length);
        p.network.ports.push({ ...entry });
      } else {
        p.network.ports[at] = { ...entry };
      }
      origins[`network.ports[${k}]`] = origin;
    }
    if (layer.idmap?.mode !== undefined) {
      p.idmap.mode = layer.idmap.mode;
      origins['idmap.mode'] = origin;
    }
    if (layer.idmap?.size !== undefined) {
      p.idmap.size = layer.idmap.size;
      origins['idmap.size'] = origin;
    }
    set('audio', layer.audio);
    set('gpu', layer.gpu);
    set('stopWhenIdle', layer.stopWhenIdle);
    for (const k of ['wayland', 'x11'] as const) {
      const v = layer.display?.[k];
      if (v === undefined) continue;
      p.display[k] = v;
      origins[`display.${k}`] = origin;
    }
    if (layer.dbus !== undefined) {
      const d = typeof layer.dbus === 'string' ? { mode: layer.dbus } : layer.dbus;
      p.dbus.mode = d.mode;
      origins['dbus.mode'] = origin;
      if ('talk' in d && d.talk !== undefined) {
        p.dbus.talk = [...new Set(d.talk)];
        origins['dbus.talk'] = origin;
      }
    }
    // Apps are keyed by name, as mounts by target: a later layer replaces the app of the same name.
    for (const a of layer.apps ?? []) {
      const entry = { name: a.name, command: [...a.command], title: a.title ?? null, icon: a.icon ?? null };
      const at = appIndex.get(a.name);
      if (at === undefined) {
        appIndex.set(a.name, p.apps.length);
        p.apps.push(entry);
      } else {
        p.apps[at] = entry;
      }
      origins[`apps[${a.name}]`] = origin;
    }
    // Mounts are keyed by target, as LXD keys devices by name: a later layer replaces the same target.
    for (const m of layer.mounts ?? []) {
      const entry = { source: m.source, target: m.target, readOnly: m.readOnly ?? true, optional: m.optional ?? false };
      const at = mountIndex.get(m.target);
      if (at === undefined) {
        mountIndex.set(m.target, p.mounts.length);
        p.mounts.push(entry);
      } else {
        p.mounts[at] = entry;
      }
      origins[`mounts[${m.target}]`] = origin;
    }
  }
  return { profile: p, origins };
}
