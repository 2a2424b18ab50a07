// The connected root of the dashboard: reads the store through selectors, lays out the panes
// from the terminal size, and turns keys into store actions or controller calls.
import { Box, useInput, useWindowSize, type Key } from 'ink';
import { useEffect, useMemo } from 'react';
import type { VmView } from '../core/model.js';
import { DestroyDialog } from '../../components/DestroyDialog.js';
import { DetailsPane } from '../../components/DetailsPane.js';
import { Footer } from '../../components/Footer.js';
import { Header } from '../../components/Header.js';
import { HelpOverlay } from '../../components/HelpOverlay.js';
import { LogPane } from '../../components/LogPane.js';
import { MessageLine } from '../../components/MessageLine.js';
import { Prompt } from '../../components/Prompt.js';
import { TooSmall } from '../../components/TooSmall.js';
import type { VmTableRow } from '../../components/VmTable.js';
import { VmTable } from '../../components/VmTable.js';
import { useSelector, useStore } from '../../hooks/useStore.js';
import type { DashboardConfig, KeyAction } from './config.js';
import { KEY_ACTIONS, KEY_HELP } from './config.js';
import type { Controller } from './controller.js';
import { layoutColumns } from './format.js';
import { actionFor, keyName, prettyKeys } from './keymap.js';
import type { OpState, State } from './store.js';
import { agentLabel, listing, promptMatches } from './store.js';

export const MIN_COLUMNS = 60;
export const MIN_ROWS = 12;

export interface AppProps {
  controller: Controller;
  config: DashboardConfig;
}

function opFor(s: State, vm: VmView): OpState | undefined {
  return s.ops[vm.name] ?? (vm.branch ? s.ops[`spawn:${vm.branch}`] : undefined);
}

/** Spawns whose VM is not in the list yet, shown as placeholder rows so their phases are visible. */
function pendingSpawns(s: State): VmView[] {
  const branches = new Set(s.vms.map((v) => v.branch));
  return Object.keys(s.ops)
    .filter((k) => k.startsWith('spawn:') && !branches.has(k.slice(6)))
    .map((k) => ({
      name: k,
      repo: null,
      branch: k.slice(6),
      status: 'stopped',
      tracked: true,
      ip: null,
      worktree: null,
      last_used: null,
      created_at: null,
      disk_gb: null,
      size_gb: null,
      phase: null,
      provision_result: null,
      provision_error: null,
    }));
}

function useLayout() {
  const { columns, rows } = useWindowSize();
  const logPane = useSelector((s) => s.logPane);
  const warning = useSelector((s) => s.pollWarning !== null);
  const header = 1 + (warning ? 1 : 0);
  const chrome = header + 1 /* table head */ + 1 /* message */ + 1; /* footer */
  const free = rows - chrome;
  const logHeight = logPane ? Math.max(6, Math.floor(free * 0.55)) : 0;
  const detailsHeight = logPane ? 0 : rows >= 24 ? (columns >= 100 ? 6 : 10) : 0;
  const listHeight = Math.max(1, free - logHeight - detailsHeight);
  return { columns, rows, header, logHeight, detailsHeight, listHeight, tooSmall: columns < MIN_COLUMNS || rows < MIN_ROWS };
}

function Board({ listHeight, width }: { listHeight: number; width: number }) {
  const rowsModel = useSelector(
    (s) => {
      const l = listing(s);
      const pending = pendingSpawns(s);
      const all: VmView[] = [...pending, ...l.names.map((n) => l.byName.get(n) as VmView)];
      const selIdx = Math.max(
        0,
        all.findIndex((v) => v.name === s.selected),
      );
      // Headings take lines too: budget them so the selected row is always visible.
      const headingAt = new Map<number, string>();
      for (const g of l.groups) headingAt.set(g.start + pending.length, g.repo);
      const start = Math.max(0, Math.min(selIdx - Math.floor(listHeight / 2), all.length - listHeight));
      const out: VmTableRow[] = [];
      let used = 0;
      for (let i = start; i < all.length && used < listHeight; i++) {
        const vm = all[i] as VmView;
        const heading = headingAt.get(i);
        if (heading !== undefined && used + 2 > listHeight) break;
        used += heading !== undefined ? 2 : 1;
        out.push({
          vm,
          heading,
          changes: s.changes[vm.name],
          agent: agentLabel(s, vm),
          op: opFor(s, vm),
          failure: s.failures[vm.name],
          selected: vm.name === s.selected,
          now: s.now,
        });
      }
      return { rows: out, empty: s.loaded ? (s.filter ? `No VM matches "${s.filter}". Esc clears the filter.` : 'No VMs yet. Press n to spawn one for a branch.') : 'Loading…' };
    },
    (a, b) => a.empty === b.empty && a.rows.length === b.rows.length && a.rows.every((r, i) => rowEqual(r, b.rows[i] as VmTableRow)),
  );
  const cols = useMemo(() => layoutColumns(width), [width]);
  return <VmTable columns={cols} rows={rowsModel.rows} height={listHeight} empty={rowsModel.empty} />;
}

function rowEqual(a: VmTableRow, b: VmTableRow): boolean {
  return a.vm === b.vm && a.heading === b.heading && a.changes === b.changes && a.agent === b.agent && a.op === b.op && a.failure === b.failure && a.selected === b.selected && a.now === b.now;
}

function HeaderContainer({ width }: { width: number }) {
  const p = useSelector((s) => {
    const counts = { running: 0, suspended: 0, stopped: 0, missing: 0, untracked: 0, waiting: 0, total: s.vms.length };
    for (const v of s.vms) {
      counts[v.status]++;
      if (!v.tracked) counts.untracked++;
      if (agentLabel(s, v) === 'waiting') counts.waiting++;
    }
    return { ...counts, freeDiskGb: s.hostFreeDiskGb, sort: s.sort === 'lastUsed' ? 'last used' : s.sort, filter: s.filter, filtering: s.filtering, group: s.group, warning: s.pollWarning };
  });
  const { freeDiskGb, sort, filter, filtering, group, warning, ...counts } = p;
  return <Header counts={counts} freeDiskGb={freeDiskGb} sort={sort} filter={filter} filtering={filtering} group={group} warning={warning} width={width} />;
}

function DetailsContainer({ height, width }: { height: number; width: number }) {
  const p = useSelector((s) => {
    const vm = s.vms.find((v) => v.name === s.selected) ?? null;
    return { vm, details: vm ? (s.details[vm.name] ?? null) : null, changes: vm ? s.changes[vm.name] : undefined, agent: vm ? agentLabel(s, vm) : '-', now: s.now };
  });
  return <DetailsPane {...p} height={height} width={width} />;
}

function LogContainer({ height, width }: { height: number; width: number }) {
  const log = useSelector((s) => s.log);
  const sel = useSelector((s) => s.selected);
  return <LogPane log={log} height={height} width={width} title={sel ? `log ${sel}` : 'log'} />;
}

function Overlay({ width, height, config }: { width: number; height: number; config: DashboardConfig }) {
  const dialog = useSelector((s) => s.dialog);
  if (!dialog) return null;
  if (dialog.kind === 'help') {
    const entries = KEY_ACTIONS.map((a) => [prettyKeys(config.keys, a), KEY_HELP[a]] as const);
    return <HelpOverlay entries={[...entries, ['Ctrl+C', 'close a dialog / quit'] as const, ['in log', '↑↓ scroll, End follow, / search, n/N next'] as const]} height={height} width={width} />;
  }
  if (dialog.kind === 'destroy') return <DestroyDialog name={dialog.name} plan={dialog.plan} error={dialog.error} width={width} />;
  const matches = promptMatches(dialog);
  return (
    <Prompt
      title={dialog.purpose === 'spawn' ? 'Spawn a VM for branch (new or existing):' : `Run in ${dialog.vm ?? '?'} (output in the log pane):`}
      value={dialog.value}
      matches={dialog.purpose === 'spawn' ? matches : []}
      choice={dialog.choice}
      hint={dialog.purpose === 'spawn' ? 'Enter spawn · Tab complete · ↑↓ choose · Esc cancel' : 'Enter run · Esc cancel'}
      width={width}
    />
  );
}

// Help and quit first: whatever the width, the way to every other key stays visible.
const FOOTER_ORDER: KeyAction[] = ['help', 'quit', 'enter', 'enterAgent', 'spawn', 'resume', 'halt', 'suspend', 'destroy', 'nextWaiting', 'logs', 'filter', 'pr', 'exec', 'sort', 'group'];
const SHORT: Partial<Record<KeyAction, string>> = {
  enter: 'enter',
  enterAgent: 'agent',
  spawn: 'spawn',
  resume: 'start',
  halt: 'halt',
  suspend: 'suspend',
  destroy: 'destroy',
  pr: 'PR',
  exec: 'exec',
  logs: 'log',
  filter: 'filter',
  nextWaiting: 'next waiting',
  sort: 'sort',
  group: 'group',
  help: 'help',
  quit: 'quit',
};

function MessageContainer({ width }: { width: number }) {
  const m = useSelector((s) => s.message);
  return <MessageLine text={m?.text ?? null} level={m?.level ?? 'info'} width={width} />;
}

export function App({ controller, config }: AppProps) {
  const store = useStore();
  const layout = useLayout();
  const hasDialog = useSelector((s) => s.dialog !== null);
  const logPane = useSelector((s) => s.logPane);

  useEffect(() => {
    store.dispatch({ type: 'pageSize', rows: logPane ? layout.logHeight - 3 : layout.listHeight });
  }, [store, layout.listHeight, layout.logHeight, logPane]);

  // Keys typed quickly (or type-ahead after a hand-off) can arrive as one chunk: handle each
  // character as its own key press so none is lost.
  useInput((input, key) => {
    const chars = [...input];
    const plain = !key.ctrl && !key.meta && !key.return && !key.escape && !key.tab && !key.backspace && !key.delete;
    if (plain && chars.length > 1) {
      for (const ch of chars) {
        if (ch === '\r' || ch === '\n') handleKey('', { ...key, return: true });
        else if (ch !== '\x1b') handleKey(ch, key);
      }
      return;
    }
    handleKey(input, key);
  });

  function handleKey(input: string, key: Key): void {
    const s = store.getState();
    const d = (a: Parameters<typeof store.dispatch>[0]) => store.dispatch(a);
    if (key.ctrl && input === 'c') {
      if (s.dialog) d({ type: 'closeDialog' });
      else if (s.filtering) d({ type: 'filterCancel' });
      else controller.quit();
      return;
    }
    if (layout.tooSmall) {
      if (input === 'q' || key.escape) controller.quit();
      return;
    }
    const dialog = s.dialog;
    if (dialog?.kind === 'help') {
      if (key.escape || input === '?' || input === 'q' || key.return) d({ type: 'closeDialog' });
      return;
    }
    if (dialog?.kind === 'destroy') {
      if (input === 'y' || input === 'Y') {
        if (!dialog.plan) return;
        const risky = dialog.plan.uncommittedChanges > 0 || dialog.plan.unpushedCommits > 0;
        controller.destroy(dialog.name, risky);
      } else if (input === 'n' || input === 'N' || key.escape || input === 'q') d({ type: 'closeDialog' });
      return;
    }
    if (dialog?.kind === 'prompt') {
      if (key.escape) d({ type: 'closeDialog' });
      else if (key.return) {
        const matches = promptMatches(dialog);
        const value = dialog.purpose === 'spawn' && dialog.value === '' && matches.length ? (matches[dialog.choice] ?? '') : dialog.value;
        d({ type: 'closeDialog' });
        if (dialog.purpose === 'spawn') controller.spawn(value);
        else if (dialog.vm) controller.exec(dialog.vm, value);
      } else if (key.tab) d({ type: 'promptComplete' });
      else if (key.upArrow) d({ type: 'promptChoice', delta: -1 });
      else if (key.downArrow) d({ type: 'promptChoice', delta: 1 });
      else if (key.backspace || key.delete) d({ type: 'promptBackspace' });
      else if (input && !key.ctrl && !key.meta) d({ type: 'promptInput', text: input.replace(/[\r\n\t]/g, '') });
      return;
    }
    if (s.filtering) {
      if (key.escape) d({ type: 'filterCancel' });
      else if (key.return) d({ type: 'filterCommit' });
      else if (key.backspace || key.delete) d({ type: 'filterBackspace' });
      else if (key.upArrow) d({ type: 'move', delta: -1 });
      else if (key.downArrow) d({ type: 'move', delta: 1 });
      else if (input && !key.ctrl && !key.meta) d({ type: 'filterInput', text: input.replace(/[\r\n\t]/g, '') });
      return;
    }
    if (s.logPane && s.log.searching) {
      if (key.escape) d({ type: 'logSearchEnd', keep: false });
      else if (key.return) d({ type: 'logSearchEnd', keep: true });
      else if (key.backspace || key.delete) d({ type: 'logSearchBackspace' });
      else if (input && !key.ctrl && !key.meta) d({ type: 'logSearchInput', text: input });
      return;
    }
    const name = keyName(input, key);
    const action = actionFor(config.keys, name);
    if (s.logPane) {
      // The log pane takes the movement keys; every other action still works.
      const page = Math.max(1, s.pageSize - 1);
      if (action === 'up') return d({ type: 'logScroll', delta: -1 });
      if (action === 'down') return d({ type: 'logScroll', delta: 1 });
      if (action === 'pageUp') return d({ type: 'logScroll', delta: -page });
      if (action === 'pageDown') return d({ type: 'logScroll', delta: page });
      if (action === 'top') return d({ type: 'logScroll', delta: -1e9 });
      if (action === 'bottom' || name === 'end') return d({ type: 'logFollow' });
      if (action === 'filter') return d({ type: 'logSearchStart' });
      if (name === 'escape') return d({ type: 'toggleLogPane' });
      // With a search active, n/N step through matches (spawn is one Esc away).
      if (s.log.search && (name === 'n' || name === 'N')) return d({ type: 'logSearchNext', dir: name === 'n' ? 1 : -1 });
    }
    if (name === 'escape') {
      if (s.filter) d({ type: 'filterCancel' });
      else if (s.message) d({ type: 'clearMessage' });
      return;
    }
    if (!action) return;
    const sel = s.selected;
    const needVm = (fn: (n: string) => void) => {
      if (!sel || sel.startsWith('spawn:')) d({ type: 'message', text: 'No VM selected.', level: 'info', now: Date.now() });
      else fn(sel);
    };
    switch (action) {
      case 'up':
        return d({ type: 'move', delta: -1 });
      case 'down':
        return d({ type: 'move', delta: 1 });
      case 'top':
        return d({ type: 'moveTo', where: 'top' });
      case 'bottom':
        return d({ type: 'moveTo', where: 'bottom' });
      case 'pageUp':
        return d({ type: 'page', dir: -1 });
      case 'pageDown':
        return d({ type: 'page', dir: 1 });
      case 'nextWaiting':
        return d({ type: 'nextWaiting' });
      case 'filter':
        return d({ type: 'filterStart' });
      case 'sort':
        return d({ type: 'cycleSort' });
      case 'group':
        return d({ type: 'toggleGroup' });
      case 'help':
        return d({ type: 'openDialog', dialog: { kind: 'help' } });
      case 'logs':
        return d({ type: 'toggleLogPane' });
      case 'quit':
        return controller.quit();
      case 'spawn':
        return controller.openSpawnPrompt();
      case 'enter':
        return needVm((n) => controller.enter(n, false));
      case 'enterAgent':
        return needVm((n) => controller.enter(n, true));
      case 'suspend':
        return needVm((n) => controller.suspend(n));
      case 'halt':
        return needVm((n) => controller.halt(n));
      case 'resume':
        return needVm((n) => controller.resume(n));
      case 'destroy':
        return needVm((n) => controller.openDestroy(n));
      case 'pr':
        return needVm((n) => controller.pr(n));
      case 'exec':
        return needVm((n) => controller.openExecPrompt(n));
    }
  }

  const hints = useMemo(() => FOOTER_ORDER.map((a) => [prettyKeys(config.keys, a), SHORT[a] ?? a] as const), [config.keys]);

  if (layout.tooSmall) return <TooSmall columns={layout.columns} rows={layout.rows} minColumns={MIN_COLUMNS} minRows={MIN_ROWS} />;
  const bodyHeight = layout.listHeight + 1 + layout.logHeight + layout.detailsHeight;
  return (
    <Box flexDirection="column" width={layout.columns} height={layout.rows} overflow="hidden">
      <HeaderContainer width={layout.columns} />
      {hasDialog ? (
        <Box height={bodyHeight} flexDirection="column" alignItems="center" justifyContent="center" overflow="hidden">
          <Overlay width={layout.columns} height={bodyHeight} config={config} />
        </Box>
      ) : (
        <Box flexDirection="column" height={bodyHeight} overflow="hidden">
          <Board listHeight={layout.listHeight} width={layout.columns} />
          {layout.logHeight > 0 && <LogContainer height={layout.logHeight} width={layout.columns} />}
          {layout.detailsHeight > 0 && <DetailsContainer height={layout.detailsHeight} width={layout.columns} />}
        </Box>
      )}
      <MessageContainer width={layout.columns} />
      <Footer hints={hints} width={layout.columns} />
    </Box>
  );
}
