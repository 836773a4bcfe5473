// The shapes of id ranges and id maps, shared by the id map allocator (idmap/) and the planner
// (plan/), which only carries them: the types live below both.

/** A run of `size` consecutive ids starting at `start`. */
export interface IdRange {
  start: number;
  size: number;
}

/** One line of /proc/PID/uid_map: `count` ids from `inside` map to `outside` on the host. */
export interface MapLine {
  inside: number;
  outside: number;
  count: number;
}

/** The uid and gid maps of one user namespace. */
export interface IdMap {
  uid: MapLine[];
  gid: MapLine[];
}
