// The sandbox's pid 1: a few lines of POSIX sh, so no Node process stays behind per sandbox.
//
// It must install real handlers: the kernel drops signals to a pid namespace's init that has
// no handler, even from the host, except SIGKILL. On TERM it passes TERM to everything else
// inside and exits once they are gone; the engine sends SIGKILL after its timeout. Waiting
// with `wait` (no operand) also reaps orphans that re-parent to pid 1.
export const INIT_SCRIPT = [
  'unset SANDTRAY_INIT',
  'stop() {',
  '  kill -TERM -1 2>/dev/null',
  '  while :; do',
  '    wait',
  '    n=0',
  '    for p in /proc/[0-9]*; do case ${p#/proc/} in 1) ;; *) n=$((n+1));; esac; done',
  '    [ "$n" -eq 0 ] && exit 0',
  '    sleep 0.1',
  '  done',
  '}',
  'trap stop TERM INT HUP',
  'while :; do sleep 2147483647 & wait; done',
].join('\n');

/** Name that `ps` shows for the init ($0 of the script). */
export const INIT_NAME = 'sandtray-init';
