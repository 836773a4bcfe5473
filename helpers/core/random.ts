// Random names for files Sandtray makes (an attach's environment file, a one-off run's folder),
// read from the kernel's generator. Not through node:crypto: loading it (some twenty modules of
// Node's own, with streams) cost `exec` more than everything else it does before it spawns.
import fs from 'node:fs';

/** `bytes` random bytes from /dev/urandom, as lowercase hex. */
export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < bytes; ) {
      const n = fs.readSync(fd, buf, got, bytes - got, null);
      if (n <= 0) throw new Error('/dev/urandom gave no bytes');
      got += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('hex');
}
