// Dashboard state, outside React. A pure reducer plus a tiny store with subscribe/getState, so
// the Ink tree can be unmounted (terminal hand-off) and mounted again without losing anything,
// and components re-render only when the slice they select changes (useSyncExternalStore).
import { parsePhaseMark, sanitizeForTerminal } from '../core/log-format.js';
import type { DestroyPlan, Phase, VmDetails, VmView, WorktreeChanges } from '../core/model.js';

export type AgentState = 'working' | 'waiting' | 'idle';
export interface AgentStatus {
  state: AgentState;
  at: string;
}

export type OpKind = 'spawn' | 'resume' | 'halt' | 'suspend' | 'destroy' | 'pr' | 'exec' | 'enter';
export interface OpState {
  kind: OpKind;
  phase: Phase | null;
  message: string;
  startedAt: number;
}

export type SortKey = 'state' | 'lastUsed' | 'name';
export const SORT_KEYS: readonly SortKey[] = ['state', 'lastUsed', 'name'];

export type Dialog =
  | { kind: 'help' }
  | { kind: 'destroy'; name: string; plan: DestroyPlan | null; error: string | null }
  | { kind: 'prompt'; purpose: 'spawn' | 'exec'; vm: string | null; value: string; completions: readonly string[]; choice: number };

export interface Message {
  text: string;
  level: 'info' | 'warn' | 'error';
  at: number;
}

export interface PhaseSummaryItem {
  phase: string;
  result: 'running' | 'ok' | 'failed' | 'skipped';
  ms: number | null;
  msg: string | null;
}

export interface LogState {
  vm: string | null;
  lines: readonly string[];
  /** Lines dropped from the front (ring buffer) or never read (tail of a big file). */
  truncated: boolean;
  follow: boolean;
  /** Index of the first visible line when not following. */
  offset: number;
  /** Lines appended while not following ("N new lines"). */
  unseen: number;
  search: string;
  searching: boolean;
  phases: readonly PhaseSummaryItem[];
  /** Lines tk itself added for this VM (exec output); kept when the file tail restarts. */
  notes: readonly string[];
}

export interface State {
  vms: readonly VmView[];
  /** Data known at least once (first poll done). */
  loaded: boolean;
  changes: Readonly<Record<string, WorktreeChanges | null>>;
  agents: Readonly<Record<string, AgentStatus>>;
  /** Cached static facts per VM (fetched once on selection). */
  details: Readonly<Record<string, VmDetails | null>>;
  ops: Readonly<Record<string, OpState>>;
  /** Last failure of an action, shown in the row until the next action on it. */
  failures: Readonly<Record<string, string>>;
  selected: string | null;
  filter: string;
  filtering: boolean;
  sort: SortKey;
  group: boolean;
  dialog: Dialog | null;
  logPane: boolean;
  log: LogState;
  message: Message | null;
  pollWarning: string | null;
  hostFreeDiskGb: number | null;
  /** Wall clock for relative times; ticks coarsely (see the runtime) so idle boards do not re-render. */
  now: number;
  /** Rows available for the VM list; set by the layout on resize. */
  pageSize: number;
  quit: boolean;
}

export const LOG_MAX_LINES = 5000;

export function initialState(now = Date.now()): State {
  return {
    vms: [],
    loaded: false,
    changes: {},
    agents: {},
    details: {},
    ops: {},
    failures: {},
    selected: null,
    filter: '',
    filtering: false,
    sort: 'state',
    group: false,
    dialog: null,
    logPane: false,
    log: { vm: null, lines: [], truncated: false, follow: true, offset: 0, unseen: 0, search: '', searching: false, phases: [], notes: [] },
    message: null,
    pollWarning: null,
    hostFreeDiskGb: null,
    now,
    pageSize: 10,
    quit: false,
  };
}

export type Action =
  | { type: 'listLoaded'; vms: readonly VmView[] }
  | { type: 'pollWarning'; message: string | null }
  | { type: 'hostDisk'; freeGb: number | null }
  | { type: 'changes'; name: string; changes: WorktreeChanges | null }
  | { type: 'agent'; name: string; status: AgentStatus | null }
  | { type: 'details'; name: string; details: VmDetails | null }
  | { type: 'tick'; now: number }
  | { type: 'pageSize'; rows: number }
  | { type: 'move'; delta: number }
  | { type: 'moveTo'; where: 'top' | 'bottom' }
  | { type: 'page'; dir: 1 | -1 }
  | { type: 'select'; name: string }
  | { type: 'nextWaiting' }
  | { type: 'filterStart' }
  | { type: 'filterInput'; text: string }
  | { type: 'filterBackspace' }
  | { type: 'filterCommit' }
  | { type: 'filterCancel' }
  | { type: 'cycleSort' }
  | { type: 'toggleGroup' }
  | { type: 'openDialog'; dialog: Dialog }
  | { type: 'closeDialog' }
  | { type: 'destroyPlan'; name: string; plan: DestroyPlan | null; error: string | null }
  | { type: 'promptInput'; text: string }
  | { type: 'promptBackspace' }
  | { type: 'promptChoice'; delta: number }
  | { type: 'promptComplete' }
  | { type: 'opStart'; name: string; kind: OpKind; now: number; message?: string }
  | { type: 'opProgress'; name: string; phase: Phase; message: string }
  | { type: 'opEnd'; name: string; ok: boolean; message: string; now: number }
  | { type: 'message'; text: string; level: Message['level']; now: number }
  | { type: 'clearMessage' }
  | { type: 'toggleLogPane' }
  | { type: 'logReset'; vm: string | null; lines: readonly string[]; truncated: boolean }
  | { type: 'logAppend'; vm: string; lines: readonly string[] }
  | { type: 'logNote'; vm: string; lines: readonly string[] }
  | { type: 'logScroll'; delta: number }
  | { type: 'logFollow' }
  | { type: 'logSearchStart' }
  | { type: 'logSearchInput'; text: string }
  | { type: 'logSearchBackspace' }
  | { type: 'logSearchEnd'; keep: boolean }
  | { type: 'logSearchNext'; dir: 1 | -1 }
  | { type: 'quit' };

// ---------- derived data (pure, memoized on input identity) ----------

const STATE_RANK: Record<VmView['status'], number> = { running: 0, suspended: 1, stopped: 2, missing: 3 };

export function agentLabel(s: State, vm: VmView): AgentState | 'not running' {
  if (vm.status !== 'running') return 'not running';
  return s.agents[vm.name]?.state ?? 'not running';
}

function matches(vm: VmView, s: State, needle: string): boolean {
  if (!needle) return true;
  const hay = [vm.name, vm.branch ?? '', vm.repo ?? '', vm.status, vm.ip ?? '', agentLabel(s, vm), vm.tracked ? '' : 'untracked']
    .join(' ')
    .toLowerCase();
  return needle
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

function compare(sort: SortKey, a: VmView, b: VmView): number {
  if (sort === 'state') {
    const d = STATE_RANK[a.status] - STATE_RANK[b.status];
    if (d !== 0) return d;
  } else if (sort === 'lastUsed') {
    const la = a.last_used ?? '';
    const lb = b.last_used ?? '';
    if (la !== lb) return la < lb ? 1 : -1;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface Listing {
  /** VM names in display order (navigation follows this). */
  names: readonly string[];
  byName: ReadonlyMap<string, VmView>;
  /** Group headings: index in `names` where each repository group starts (only when grouping). */
  groups: readonly { repo: string; start: number; count: number }[];
}

let memoKey: unknown[] = [];
let memoVal: Listing | null = null;

/** Filtered, sorted (and grouped) VMs. Same object back while its inputs are unchanged. */
export function listing(s: State): Listing {
  const key = [s.vms, s.filter, s.sort, s.group, s.agents];
  if (memoVal && key.every((k, i) => k === memoKey[i])) return memoVal;
  const rows = s.vms.filter((v) => matches(v, s, s.filter)).sort((a, b) => compare(s.sort, a, b));
  const groups: { repo: string; start: number; count: number }[] = [];
  let ordered = rows;
  if (s.group) {
    const by = new Map<string, VmView[]>();
    for (const v of rows) {
      const repo = v.repo ?? (v.tracked ? '(no repository)' : '(untracked)');
      const list = by.get(repo) ?? [];
      list.push(v);
      by.set(repo, list);
    }
    const repos = [...by.keys()].sort((a, b) => (a.startsWith('(') === b.startsWith('(') ? a.localeCompare(b) : a.startsWith('(') ? 1 : -1));
    ordered = [];
    for (const repo of repos) {
      const list = by.get(repo) ?? [];
      groups.push({ repo, start: ordered.length, count: list.length });
      ordered.push(...list);
    }
  }
  memoKey = key;
  memoVal = { names: ordered.map((v) => v.name), byName: new Map(ordered.map((v) => [v.name, v])), groups };
  return memoVal;
}

export function selectedVm(s: State): VmView | null {
  if (!s.selected) return null;
  return s.vms.find((v) => v.name === s.selected) ?? null;
}

/** Anything moving? Drives the adaptive poll interval and the spinner. */
export function isBusy(s: State): boolean {
  if (Object.keys(s.ops).length > 0) return true;
  return s.vms.some((v) => v.provision_result === 'running' || (v.phase !== null && v.phase !== 'ready' && v.phase !== 'failed' && v.provision_result !== 'ok' && v.provision_result !== 'failed'));
}

// ---------- helpers ----------

function sameVm(a: VmView, b: VmView): boolean {
  for (const k of Object.keys(a) as (keyof VmView)[]) if (a[k] !== b[k]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}

function sameChanges(a: WorktreeChanges | null | undefined, b: WorktreeChanges | null): boolean {
  if (a === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.changed === b.changed && a.ahead === b.ahead && a.behind === b.behind;
}

function keepSelection(s: State, next: State): State {
  const l = listing(next);
  if (next.selected && l.byName.has(next.selected)) return next;
  // Selected VM disappeared (destroyed, filtered out): keep the cursor near where it was.
  const old = listing(s).names;
  const oldIdx = s.selected ? old.indexOf(s.selected) : 0;
  const idx = Math.max(0, Math.min(l.names.length - 1, oldIdx));
  const selected = l.names[idx] ?? null;
  return selected === next.selected ? next : { ...next, selected };
}

function moveBy(s: State, delta: number): State {
  const names = listing(s).names;
  if (names.length === 0) return s;
  const cur = s.selected ? names.indexOf(s.selected) : -1;
  const idx = Math.max(0, Math.min(names.length - 1, (cur < 0 ? 0 : cur) + delta));
  const selected = names[idx] ?? null;
  return selected === s.selected ? s : { ...s, selected };
}

function without<T>(rec: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!(key in rec)) return rec;
  const copy = { ...rec };
  delete copy[key];
  return copy;
}

function logMatches(lines: readonly string[], search: string): number[] {
  if (!search) return [];
  const n = search.toLowerCase();
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (l.toLowerCase().includes(n)) out.push(i);
  });
  return out;
}

// ---------- phase markers (contracts.md "Log file format") ----------

export interface PhaseMarker {
  phase: string;
  event: 'start' | 'end';
  result: 'ok' | 'failed' | 'skipped' | null;
  ms: number | null;
  msg: string | null;
}

export function parseMarker(line: string): PhaseMarker | null {
  const m = parsePhaseMark(line);
  return m && { phase: m.phase, event: m.event, result: m.result, ms: m.ms, msg: m.msg };
}

/**
 * Log and exec output come from the guest: strip terminal control sequences before they reach the
 * screen (a guest could otherwise set the title, write the clipboard or break the layout).
 * Phase markers are kept verbatim for the summary; the pane renders them readably.
 */
function cleanLogLine(line: string): string {
  return parsePhaseMark(line) ? line : sanitizeForTerminal(line);
}

/** Summary of the phases of the latest run in `lines` (a new `worktree`/`clone`/`boot` start after an end begins a new run). */
export function phaseSummary(prev: readonly PhaseSummaryItem[], lines: readonly string[]): PhaseSummaryItem[] {
  let items = [...prev];
  for (const line of lines) {
    if (!line.startsWith('@@tk ')) continue;
    const m = parseMarker(line);
    if (!m) continue;
    const idx = items.findIndex((i) => i.phase === m.phase);
    if (m.event === 'start') {
      if (idx >= 0 && items[idx]?.result !== 'running') items = []; // phase seen again: a new run
      const at = items.findIndex((i) => i.phase === m.phase);
      const item: PhaseSummaryItem = { phase: m.phase, result: 'running', ms: null, msg: m.msg };
      if (at >= 0) items[at] = item;
      else items.push(item);
    } else {
      const item: PhaseSummaryItem = { phase: m.phase, result: m.result ?? 'ok', ms: m.ms, msg: m.msg };
      if (idx >= 0) items[idx] = item;
      else items.push(item);
    }
  }
  return items;
}

// ---------- reducer ----------

export function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'listLoaded': {
      const old = new Map(s.vms.map((v) => [v.name, v]));
      let changed = a.vms.length !== s.vms.length;
      const vms = a.vms.map((raw, i) => {
        // A provisioning error can quote guest output: no control sequences on the screen.
        const v = raw.provision_error ? { ...raw, provision_error: sanitizeForTerminal(raw.provision_error) } : raw;
        const prev = old.get(v.name);
        if (prev && sameVm(prev, v)) {
          if (s.vms[i] !== prev) changed = true;
          return prev;
        }
        changed = true;
        return v;
      });
      let next: State = s;
      if (changed) next = { ...next, vms };
      if (!s.loaded) next = { ...next, loaded: true };
      if (s.pollWarning !== null) next = { ...next, pollWarning: null };
      if (next === s) return s;
      if (next.selected === null && !s.loaded) next = { ...next, selected: listing(next).names[0] ?? null };
      return keepSelection(s, next);
    }
    case 'pollWarning':
      return s.pollWarning === a.message ? s : { ...s, pollWarning: a.message };
    case 'hostDisk':
      return s.hostFreeDiskGb === a.freeGb ? s : { ...s, hostFreeDiskGb: a.freeGb };
    case 'changes':
      return sameChanges(s.changes[a.name], a.changes) ? s : { ...s, changes: { ...s.changes, [a.name]: a.changes } };
    case 'agent': {
      const cur = s.agents[a.name];
      if (a.status === null) return cur ? { ...s, agents: without(s.agents, a.name) } : s;
      if (cur && cur.state === a.status.state && cur.at === a.status.at) return s;
      return { ...s, agents: { ...s.agents, [a.name]: a.status } };
    }
    case 'details':
      return s.details[a.name] === a.details ? s : { ...s, details: { ...s.details, [a.name]: a.details } };
    case 'tick':
      return a.now === s.now ? s : { ...s, now: a.now };
    case 'pageSize': {
      const rows = Math.max(1, a.rows);
      return rows === s.pageSize ? s : { ...s, pageSize: rows };
    }
    case 'move':
      return moveBy(s, a.delta);
    case 'moveTo': {
      const names = listing(s).names;
      const selected = (a.where === 'top' ? names[0] : names[names.length - 1]) ?? null;
      return selected === s.selected ? s : { ...s, selected };
    }
    case 'page':
      return moveBy(s, a.dir * Math.max(1, s.pageSize - 1));
    case 'select':
      return listing(s).byName.has(a.name) && s.selected !== a.name ? { ...s, selected: a.name } : s;
    case 'nextWaiting': {
      const names = listing(s).names;
      const l = listing(s);
      const waiting = names.filter((n) => {
        const vm = l.byName.get(n);
        return vm !== undefined && agentLabel(s, vm) === 'waiting';
      });
      if (waiting.length === 0) return { ...s, message: { text: 'No VM is waiting for input.', level: 'info', at: s.now } };
      const cur = s.selected ? names.indexOf(s.selected) : -1;
      const next = waiting.find((n) => names.indexOf(n) > cur) ?? waiting[0] ?? null;
      return next === s.selected ? s : { ...s, selected: next };
    }
    case 'filterStart':
      return { ...s, filtering: true };
    case 'filterInput':
      return keepSelection(s, { ...s, filter: s.filter + a.text });
    case 'filterBackspace':
      return keepSelection(s, { ...s, filter: [...s.filter].slice(0, -1).join('') });
    case 'filterCommit':
      return { ...s, filtering: false };
    case 'filterCancel':
      return keepSelection(s, { ...s, filtering: false, filter: '' });
    case 'cycleSort': {
      const sort = SORT_KEYS[(SORT_KEYS.indexOf(s.sort) + 1) % SORT_KEYS.length] as SortKey;
      return { ...s, sort, message: { text: `Sorted by ${sort === 'lastUsed' ? 'last used' : sort}.`, level: 'info', at: s.now } };
    }
    case 'toggleGroup':
      return { ...s, group: !s.group };
    case 'openDialog':
      return { ...s, dialog: a.dialog };
    case 'closeDialog':
      return s.dialog === null ? s : { ...s, dialog: null };
    case 'destroyPlan':
      if (s.dialog?.kind !== 'destroy' || s.dialog.name !== a.name) return s;
      return { ...s, dialog: { ...s.dialog, plan: a.plan, error: a.error } };
    case 'promptInput':
    case 'promptBackspace':
    case 'promptChoice':
    case 'promptComplete': {
      const d = s.dialog;
      if (d?.kind !== 'prompt') return s;
      if (a.type === 'promptChoice') {
        const list = promptMatches(d);
        if (list.length === 0) return s;
        return { ...s, dialog: { ...d, choice: (d.choice + a.delta + list.length) % list.length } };
      }
      if (a.type === 'promptComplete') {
        const list = promptMatches(d);
        const pick = list[Math.min(d.choice, list.length - 1)];
        return pick === undefined ? s : { ...s, dialog: { ...d, value: pick, choice: 0 } };
      }
      const value = a.type === 'promptInput' ? d.value + a.text : [...d.value].slice(0, -1).join('');
      return { ...s, dialog: { ...d, value, choice: 0 } };
    }
    case 'opStart':
      return {
        ...s,
        ops: { ...s.ops, [a.name]: { kind: a.kind, phase: null, message: a.message ?? `${a.kind}…`, startedAt: a.now } },
        failures: without(s.failures, a.name),
      };
    case 'opProgress': {
      const op = s.ops[a.name];
      if (!op || (op.phase === a.phase && op.message === a.message)) return s;
      return { ...s, ops: { ...s.ops, [a.name]: { ...op, phase: a.phase, message: a.message } } };
    }
    case 'opEnd': {
      // The row says which action failed; the message line (and `tk logs`) has the whole story.
      const kind = s.ops[a.name]?.kind ?? 'action';
      const next: State = {
        ...s,
        ops: without(s.ops, a.name),
        failures: a.ok ? without(s.failures, a.name) : { ...s.failures, [a.name]: `${kind} failed` },
        message: { text: a.message, level: a.ok ? 'info' : 'error', at: a.now },
      };
      return next;
    }
    case 'message':
      return { ...s, message: { text: sanitizeForTerminal(a.text), level: a.level, at: a.now } };
    case 'clearMessage':
      return s.message === null ? s : { ...s, message: null };
    case 'toggleLogPane':
      return { ...s, logPane: !s.logPane };
    case 'logNote': {
      if (s.log.vm !== a.vm) {
        const notes = a.lines.slice(-LOG_MAX_LINES).map(cleanLogLine);
        return { ...s, log: { ...initialState().log, vm: a.vm, lines: notes, notes } };
      }
      const notes = [...s.log.notes, ...a.lines.map(cleanLogLine)].slice(-LOG_MAX_LINES);
      return reducer({ ...s, log: { ...s.log, notes } }, { type: 'logAppend', vm: a.vm, lines: a.lines });
    }
    case 'logReset': {
      const notes = s.log.vm === a.vm ? s.log.notes : [];
      const fresh = a.lines.map(cleanLogLine);
      const all = notes.length ? [...fresh, ...notes] : fresh;
      const lines = all.length > LOG_MAX_LINES ? all.slice(-LOG_MAX_LINES) : all;
      return {
        ...s,
        log: {
          ...s.log,
          vm: a.vm,
          lines,
          truncated: a.truncated || all.length > LOG_MAX_LINES,
          follow: true,
          offset: 0,
          unseen: 0,
          phases: phaseSummary([], a.lines),
          notes,
        },
      };
    }
    case 'logAppend': {
      if (s.log.vm !== a.vm || a.lines.length === 0) return s;
      let lines = [...s.log.lines, ...a.lines.map(cleanLogLine)];
      let { offset } = s.log;
      let truncated = s.log.truncated;
      if (lines.length > LOG_MAX_LINES) {
        const drop = lines.length - LOG_MAX_LINES;
        lines = lines.slice(drop);
        offset = Math.max(0, offset - drop);
        truncated = true;
      }
      return {
        ...s,
        log: {
          ...s.log,
          lines,
          offset,
          truncated,
          unseen: s.log.follow ? 0 : s.log.unseen + a.lines.length,
          phases: phaseSummary(s.log.phases, a.lines),
        },
      };
    }
    case 'logScroll': {
      const total = s.log.lines.length;
      const page = Math.max(1, s.pageSize);
      const base = s.log.follow ? Math.max(0, total - page) : s.log.offset;
      const offset = Math.max(0, Math.min(Math.max(0, total - page), base + a.delta));
      const follow = offset >= total - page && a.delta > 0;
      return { ...s, log: { ...s.log, offset, follow, unseen: follow ? 0 : s.log.unseen } };
    }
    case 'logFollow':
      return { ...s, log: { ...s.log, follow: true, unseen: 0 } };
    case 'logSearchStart':
      return { ...s, log: { ...s.log, searching: true, search: '' } };
    case 'logSearchInput':
      return { ...s, log: { ...s.log, search: s.log.search + a.text } };
    case 'logSearchBackspace':
      return { ...s, log: { ...s.log, search: [...s.log.search].slice(0, -1).join('') } };
    case 'logSearchEnd': {
      const log = { ...s.log, searching: false, search: a.keep ? s.log.search : '' };
      if (!a.keep || !log.search) return { ...s, log };
      return reducer({ ...s, log }, { type: 'logSearchNext', dir: -1 });
    }
    case 'logSearchNext': {
      const hits = logMatches(s.log.lines, s.log.search);
      if (hits.length === 0) return { ...s, message: { text: `No log line matches "${s.log.search}".`, level: 'info', at: s.now } };
      const page = Math.max(1, s.pageSize);
      const total = s.log.lines.length;
      const top = s.log.follow ? Math.max(0, total - page) : s.log.offset;
      const cur = top; // the match is shown on the first visible line
      const target = a.dir > 0 ? (hits.find((h) => h > cur) ?? hits[0]) : ([...hits].reverse().find((h) => h < cur) ?? hits[hits.length - 1]);
      const offset = Math.max(0, Math.min(Math.max(0, total - 1), target ?? 0));
      return { ...s, log: { ...s.log, follow: false, offset } };
    }
    case 'quit':
      return { ...s, quit: true };
  }
}

export function promptMatches(d: Extract<Dialog, { kind: 'prompt' }>): string[] {
  const v = d.value.toLowerCase();
  const starts = d.completions.filter((c) => c.toLowerCase().startsWith(v));
  const contains = d.completions.filter((c) => !c.toLowerCase().startsWith(v) && c.toLowerCase().includes(v));
  return [...starts, ...contains].slice(0, 8);
}

// ---------- store ----------

export interface Store {
  getState(): State;
  /** Applies the action; subscribers hear about it on the next turn of the event loop. */
  dispatch(a: Action): void;
  /** For background data (polls, git, watchers): subscribers hear about it within BACKGROUND_COALESCE_MS. */
  dispatchBackground(a: Action): void;
  subscribe(fn: () => void): () => void;
}

/** Background updates are grouped in windows this long, so a burst costs one frame. */
export const BACKGROUND_COALESCE_MS = 40;

export function createStore(init: State = initialState(), opts: { batch?: boolean } = {}): Store {
  let state = init;
  const subs = new Set<() => void>();
  let immediate: NodeJS.Immediate | null = null;
  let timer: NodeJS.Timeout | null = null;
  const notify = () => {
    if (immediate) clearImmediate(immediate);
    if (timer) clearTimeout(timer);
    immediate = null;
    timer = null;
    for (const fn of [...subs]) fn();
  };
  const apply = (a: Action): boolean => {
    const next = reducer(state, a);
    if (next === state) return false;
    state = next;
    return true;
  };
  return {
    getState: () => state,
    dispatch(a) {
      if (!apply(a)) return;
      if (opts.batch === false) return notify();
      // Coalesce what happens in one turn (a key and its effects) into one notification.
      if (!immediate) immediate = setImmediate(notify);
    },
    dispatchBackground(a) {
      if (!apply(a)) return;
      if (opts.batch === false) return notify();
      if (!immediate && !timer) timer = setTimeout(notify, BACKGROUND_COALESCE_MS);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}
