// What the planner needs to know about the host: its shape and the host files it looks for. The
// host layer (host/facts.ts) reads them; the planner only gets them passed in.

export interface HostFacts {
  uid: number;
  gid: number;
  user: string;
  /** /bin, /lib... are symlinks into /usr (merged /usr). */
  mergedUsr: Record<string, boolean>;
  /** Top-level entries that exist on the host among those we may bind. */
  exists: Record<string, boolean>;
  /**
   * What each present HOST_ETC_FILES entry is: 'file' (regular), 'link:TEXT' (a link whose target
   * lies in /usr, TEXT as written), or 'other' (folders, other links). Absent: bound as before.
   */
  etcKinds?: Record<string, string>;
}

export const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/** The host /etc files a shell and common tools need, bound read-only when present. */
export const HOST_ETC_FILES = [
  'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'timezone', 'locale.alias',
  'locale.conf', 'default/locale', 'inputrc', 'terminfo', 'ssl', 'ca-certificates', 'ca-certificates.conf',
  'services', 'protocols', 'mime.types', 'login.defs', 'shells', 'debian_version', 'os-release', 'lsb-release',
  'gai.conf', 'host.conf', 'profile.d', 'bash_completion', 'bash_completion.d', 'nanorc', 'vim', 'magic',
  'magic.mime', 'manpath.config', 'environment',
] as const;
