// Closing inherited file descriptors before anything enters a sandbox.
//
// Node (libuv) marks the descriptors it opens close-on-exec, but passes on any descriptor it
// inherited without that flag: a terminal emulator's, a desktop session's, a parent script's.
// Such a descriptor would reach pid 1 or an attached process inside the sandbox: a host file
// the sandbox was never meant to see. bwrap and nsenter do not close them, so every chain we
// spawn starts with this bash step (bash, unlike dash, can close descriptors above 9).

const SCRIPT = 'for f in /proc/self/fd/*; do f=${f##*/}; [ "$f" -gt "$1" ] 2>/dev/null && exec {f}>&-; done; shift; exec "$@"';

/** argv prefix that closes every descriptor above `keep`, then executes the rest of argv. */
export function closeFdsPrefix(keep = 2): string[] {
  // --norc: bash would read ~/.bashrc when its stdin is a socket, as Node's pipes are.
  return ['/bin/bash', '--norc', '--noprofile', '-c', SCRIPT, 'sandtray-closefds', String(keep)];
}
