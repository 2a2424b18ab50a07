// TkService.details and branches on the engine (App) over the behaving fakes.
import { describe, expect, it } from 'vitest';
import { TkError } from '../../src/core/errors.js';
import { world } from './engine-fakes.js';

const NAME = 'tachikoma-app-feat';

describe('App.details', () => {
  it('gives image, OS, CPU, memory and the start time of a running VM from one tart get', async () => {
    const w = world({ base_image: 'ghcr.io/cirruslabs/ubuntu:latest' });
    const t0 = new Date(w.clock.now()).toISOString();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    w.tart.calls = [];
    const d = await w.app.details(NAME);
    expect(d).toEqual({ name: NAME, base_image: 'ghcr.io/cirruslabs/ubuntu:latest', os: 'linux', cpu: 4, memory_mb: 4096, started_at: expect.any(String) });
    expect(Date.parse(d.started_at ?? '')).toBeGreaterThanOrEqual(Date.parse(t0));
    // One tart call in all: no `tart list` to find the VM first (100 rows make that ~40 ms).
    expect(w.tart.calls.map((c) => c[0])).toEqual(['get']);
  });

  it('has no start time once the VM is halted, and a new one when it starts again', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    const first = (await w.app.details(NAME)).started_at;
    await w.app.halt(NAME);
    expect((await w.app.details(NAME)).started_at).toBeNull();
    expect(w.store.state.vms[0]?.started_at).toBeUndefined();
    await w.clock.sleep(5000);
    await w.app.resume(NAME);
    const again = (await w.app.details(NAME)).started_at;
    expect(again).not.toBeNull();
    expect(Date.parse(again ?? '')).toBeGreaterThan(Date.parse(first ?? ''));
  });

  it('works for a VM tk has no record of, and fails clearly for an unknown name', async () => {
    const w = world();
    await w.tart.clone('ghcr.io/cirruslabs/ubuntu:latest', 'tachikoma-other-x');
    expect(await w.app.details('tachikoma-other-x')).toEqual({ name: 'tachikoma-other-x', base_image: null, os: 'linux', cpu: 4, memory_mb: 4096, started_at: null });
    const e = await w.app.details('nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TkError);
    expect((e as TkError).message).toContain('No VM named "nope"');
  });

  it('shows a recorded VM that Tart no longer has (no details from Tart), and passes other tart failures on', async () => {
    const w = world();
    await w.app.spawn({ cwd: '/repos/app', branch: 'feat' });
    await w.tart.delete(NAME);
    expect(await w.app.details(NAME)).toMatchObject({ name: NAME, cpu: null, memory_mb: null, started_at: null });
    w.tart.get = () => Promise.reject(new TkError('tart', 'tart get timed out'));
    await expect(w.app.details(NAME)).rejects.toThrow('tart get timed out');
  });
});

describe('App.branches', () => {
  it('lists the branches of the repository at cwd', async () => {
    const w = world();
    expect(await w.app.branches('/repos/app')).toEqual(['main']);
  });
});
