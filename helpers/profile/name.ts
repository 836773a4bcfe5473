// The one pattern for names, in a module of its own: what reads sandbox folders by name (runtime/dirs.ts)
// does not build the profile schema (schema.ts) to learn it.

/** DNS-label-like names: what hostnames, sandbox names and profile names may be. */
export const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
