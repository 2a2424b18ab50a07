// `tart run --dir [name:]path[:options]` as Tart 2.35 parses it: the options (comma separated,
// `ro` and `tag=<TAG>`) come from the last `:` segment; the rest splits on the first `:` into name
// and path. Shares are grouped by tag (default com.apple.virtio-fs.automount): a single unnamed share
// is the folder itself; otherwise every share of the group must be named (subfolders).
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { otherError, validationError } from '../errors.js';
import type { Share } from './launch.js';

export const DEFAULT_TAG = 'com.apple.virtio-fs.automount';

export interface DirSpec {
  name: string | null;
  path: string;
  ro: boolean;
  tag: string;
}

export function parseDir(value: string): DirSpec {
  let rest = value;
  let ro = false;
  let tag = DEFAULT_TAG;
  const segs = value.split(':');
  const last = segs[segs.length - 1] ?? '';
  const opts = last.split(',');
  if (segs.length > 1 && opts.some((o) => o === 'ro' || o.startsWith('tag='))) {
    rest = segs.slice(0, -1).join(':');
    for (const o of opts) {
      if (o === 'ro') ro = true;
      else if (o.startsWith('tag=')) tag = o.slice(4);
    }
  }
  let name: string | null = null;
  let path = rest;
  const colon = rest.indexOf(':');
  if (colon >= 0 && !/^https?:\/\//.test(rest)) {
    name = rest.slice(0, colon);
    path = rest.slice(colon + 1);
  }
  return { name, path, ro, tag };
}

function expand(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return resolve(p);
}

/** Validate and group the --dir values into the shares the guest stages (throws SimExit). */
export function resolveShares(values: string[]): Share[] {
  const byTag = new Map<string, DirSpec[]>();
  for (const v of values) {
    const d = parseDir(v);
    if (/^https?:\/\//.test(d.path)) {
      throw otherError(`remote directory archives (${d.path}) are not supported by tart-sim; download and unpack it, then share the folder`);
    }
    const list = byTag.get(d.tag) ?? [];
    list.push(d);
    byTag.set(d.tag, list);
  }
  const shares: Share[] = [];
  for (const [tag, list] of byTag) {
    if (tag === '' || tag.includes('/') || tag === '.' || tag === '..') {
      throw otherError(`invalid virtiofs tag "${tag}": use a non-empty tag without "/"`);
    }
    if (list.length > 1 && list.some((d) => d.name === null)) {
      throw validationError('invalid --dir syntax: for multiple directory shares each one of them should be named', 'run', true);
    }
    const byName = new Map<string, DirSpec>();
    for (const d of list) byName.set(d.name ?? '', d); // reusing a name: the last one wins
    for (const [name, d] of byName) {
      if (name.includes('/') || name === '.' || name === '..') {
        throw otherError(`invalid directory share name "${name}": use a plain folder name`);
      }
      const path = expand(d.path);
      if (!existsSync(path) || !statSync(path).isDirectory()) {
        throw otherError(`the directory share "${d.path}" does not exist or is not a directory; create it or fix the --dir value`);
      }
      shares.push({ tag, name, path, ro: d.ro });
    }
  }
  return shares;
}
