// The sandbox's pid 1: a few lines of POSIX sh, so no Node process stays behind per sandbox.
//
// It must install real handlers: the kernel drops signals to a pid namespace's init that has
// no handler, even from the host, except SIGKILL. On TERM it passes TERM to everything else
// inside and exits once they are gone; the engine sends SIGKILL after its timeout. Waiting
// with `wait` (no operand) also reaps orphans that re-parent to pid 1.
//
// Once the handlers are in place it says "r" on its stdin, where the launch gave it a socket to the
// engine (runtime/launch-step.ts), and puts /dev/null there instead: the engine knows pid 1 is ready
// without polling it, and nothing inside keeps a descriptor of the host. Where stdin is /dev/null
// (opened for reading) the printf fails quietly and the engine falls back to looking.
const PRELUDE = [
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
  // SIGPIPE ignored for the one write: an engine that stopped listening must not end pid 1.
  'trap "" PIPE',
  '{ printf "r\\n" >&0; } 2>/dev/null',
  'trap - PIPE',
  'exec </dev/null',
];

export const INIT_SCRIPT = [...PRELUDE, 'while :; do sleep 2147483647 & wait; done'].join('\n');

/**
 * stopWhenIdle: the same, but pid 1 exits (and so the sandbox stops) once something has run inside
 * and nothing is left: no app, no shell, no command. It looks once a second, without forking
 * anything but its own sleep: a process counts unless it is pid 1, that sleep or a zombie. Something
 * ran when a process was counted, or when the pid namespace handed out a pid that was not the
 * sleep's (ns_last_pid): so an app that came and went between two looks counts too. A sandbox
 * nothing has run in yet stays up; network set-up runs outside its pid namespace and never counts.
 */
export const IDLE_INIT_SCRIPT = [
  ...PRELUDE,
  'seen=',
  'while :; do',
  '  sleep 1 & sl=$!',
  '  wait $sl',
  '  n=0',
  '  for p in /proc/[0-9]*; do',
  '    case ${p#/proc/} in 1|$sl) continue;; esac',
  '    st=; read -r st 2>/dev/null < $p/stat || continue',
  '    st=${st##*)}',
  '    case $st in " Z"*|" X"*) continue;; esac',
  '    n=$((n+1))',
  '  done',
  '  last=; read -r last 2>/dev/null < /proc/sys/kernel/ns_last_pid',
  '  if [ "$n" -gt 0 ] || { [ -n "$last" ] && [ "$last" != "$sl" ]; }; then seen=1; fi',
  '  [ -n "$seen" ] && [ "$n" -eq 0 ] && exit 0',
  'done',
].join('\n');

/** Name that `ps` shows for the init ($0 of the script). */
export const INIT_NAME = 'sandtray-init';
