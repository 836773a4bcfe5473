// The rules pid 1 of a started sandbox follows. Pid 1 is the enter step itself (confine/enter.ts,
// its `initloop` part): once it has confined itself it stays, as the sandbox's init, instead of
// executing a shell, so no program is executed between bwrap and ready.
//
// - It must install real handlers: the kernel drops signals to a pid namespace's init that has no
//   handler, even from the host, except SIGKILL. On TERM, INT or HUP it passes TERM to everything
//   else inside and exits once they are gone; the engine sends SIGKILL after its timeout.
// - Once the handlers are in place it says "r" on its stdin, where the launch gave it a socket to
//   the engine (runtime/launch-step.ts), and puts /dev/null there instead: the engine knows pid 1
//   is ready without polling it, and nothing inside keeps a descriptor of the host.
// - It reaps every orphan that lands on it. A child that never ends (as the shell's `sleep` was)
//   keeps its wait() waiting, so nothing else wakes it.
// - stopWhenIdle: pid 1 exits (and so the sandbox stops) once something has run inside and
//   nothing is left: no app, no shell, no command. It looks once a second: a process counts
//   unless it is pid 1 or a zombie. Something ran when a process was counted, or when the pid
//   namespace handed out a pid since the last look (ns_last_pid): so an app that came and went
//   between two looks counts too. A sandbox nothing has run in yet stays up; network set-up runs
//   outside its pid namespace and never counts.

export { INIT_NAME } from '../confine/enter.js';
