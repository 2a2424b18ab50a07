// Maps one Ink key event to a key name and, through the (remappable) key table, to an action.
import type { KeyAction, KeyMap } from './config.js';
import { KEY_ACTIONS } from './config.js';

/** The subset of Ink's Key this needs (so tests can build one). */
export interface KeyLike {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
}

export function keyName(input: string, key: KeyLike): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'escape';
  if (key.tab) return 'tab';
  if (key.ctrl || key.meta) return null;
  if (input === ' ') return 'space';
  if ([...input].length === 1) return input;
  return null;
}

export function actionFor(keys: KeyMap, name: string | null): KeyAction | null {
  if (name === null) return null;
  for (const a of KEY_ACTIONS) if (keys[a].includes(name)) return a;
  return null;
}

const PRETTY: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  tab: 'Tab',
  escape: 'Esc',
  space: 'Space',
};

export function prettyKey(k: string): string {
  return PRETTY[k] ?? k;
}

export function prettyKeys(keys: KeyMap, a: KeyAction): string {
  return keys[a].map(prettyKey).join('/');
}
