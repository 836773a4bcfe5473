// Growing this process's descriptor table ahead of a launch, on another thread.
//
// The kernel gives a process room for 64 descriptors and grows the table when one more is
// needed; in a process with threads (Node has several) growing it waits for an RCU grace
// period, 10 to 20 ms in which the thread does nothing. A launch holds Node's own descriptors,
// one for each bind source and its pipes at the same time, past 64: every `run` and `start` from
// the command line paid that wait in the middle of the launch. Here the table is filled to 64
// with /dev/null and the descriptor that needs the 65th slot is opened on libuv's thread pool:
// that thread waits out the grace period while this one loads the engine and plans. The
// placeholders are closed as soon as it is done. Nothing else changes: descriptors are numbered
// by the kernel as before, all of them close-on-exec.
import fs from 'node:fs';

/** The size of a process's first descriptor table (BITS_PER_LONG on 64-bit Linux). */
const FIRST_TABLE = 64;

/** Starts growing the table in the background; resolves once it has grown (or there was nothing to do). */
export function growFdTable(): Promise<void> {
  const held: number[] = [];
  const release = (): void => {
    for (const fd of held.splice(0)) {
      try {
        fs.closeSync(fd);
      } catch {
        // closed already
      }
    }
  };
  try {
    // The kernel hands out the lowest free number: once it hands out 63, 0 to 63 are all taken.
    for (let i = 0; i < FIRST_TABLE; i++) {
      const fd = fs.openSync('/dev/null', 'r');
      held.push(fd);
      if (fd >= FIRST_TABLE - 1) break;
    }
  } catch {
    release();
    return Promise.resolve();
  }
  if (held.at(-1) !== FIRST_TABLE - 1) {
    // Grown already (a number above 63 came out), or something odd: nothing to wait for.
    release();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    fs.open('/dev/null', 'r', (err, fd) => {
      if (!err) held.push(fd);
      release();
      resolve();
    });
  });
}
