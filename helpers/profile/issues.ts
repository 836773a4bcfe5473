// Turns zod issues into "mounts[2].source: what is wrong" lines.
import type { z } from 'zod';

/** Renders a zod issue path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** One readable line per issue, naming the key and the problem. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const where = i.path.length ? `${formatPath(i.path)}: ` : '';
      return `${where}unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    if (i.code === 'invalid_type') {
      // zod reports what it got only in the message ("expected string, received number").
      const got = i.input === undefined ? /received (\w+)/.exec(i.message)?.[1] : i.input === null ? 'null' : typeof i.input;
      if (got === undefined || got === 'undefined') return `${formatPath(i.path)}: is required`;
      const a = (t: string): string => (t === 'null' ? 'nothing (null)' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`);
      const quote = i.expected === 'string' && ['number', 'boolean', 'null'].includes(got) ? '; quote it' : '';
      return `${formatPath(i.path)}: expected ${a(String(i.expected))}, got ${a(got)}${quote}`;
    }
    return `${formatPath(i.path)}: ${i.message}`;
  });
}
