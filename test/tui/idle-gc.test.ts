import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleGc, v8Collect } from '../../src/tui/idle-gc.js';

describe('idle GC', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('collects once, after the renders have been quiet for quietMs', () => {
    let n = 0;
    const gc = startIdleGc({ quietMs: 1000, minSlackBytes: 10, slackBytes: () => 100, usedBytes: () => 0, collect: () => n++ });
    gc.rendered();
    vi.advanceTimersByTime(600);
    gc.rendered(); // a burst keeps pushing the collection back
    vi.advanceTimersByTime(600);
    expect(n).toBe(0);
    vi.advanceTimersByTime(500);
    expect(n).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(n).toBe(1); // nothing rendered since: no more collections
    gc.rendered();
    vi.advanceTimersByTime(1000);
    expect(n).toBe(2);
    gc.stop();
  });

  it('skips the collection when the heap has little slack, and stop() cancels it', () => {
    let n = 0;
    let slack = 5;
    const gc = startIdleGc({ quietMs: 100, minSlackBytes: 10, slackBytes: () => slack, usedBytes: () => 0, collect: () => n++ });
    gc.rendered();
    vi.advanceTimersByTime(200);
    expect(n).toBe(0);
    slack = 50;
    gc.rendered();
    expect(vi.getTimerCount()).toBe(1);
    gc.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(200);
    expect(n).toBe(0);
  });

  it('also collects when the heap in use grew past the threshold since the last collection (garbage is not slack)', () => {
    let n = 0;
    let used = 30;
    const gc = startIdleGc({ quietMs: 100, minSlackBytes: 10, slackBytes: () => 0, usedBytes: () => used, collect: () => n++ });
    gc.rendered();
    vi.advanceTimersByTime(200);
    expect(n).toBe(1); // the first quiet moment: 30 in use, nothing collected before
    used = 35; // grew by 5 since then: not worth it
    gc.rendered();
    vi.advanceTimersByTime(200);
    expect(n).toBe(1);
    used = 45; // grew by 15
    gc.rendered();
    vi.advanceTimersByTime(200);
    expect(n).toBe(2);
    gc.stop();
  });

  it('does nothing without a collector', () => {
    const gc = startIdleGc({ quietMs: 10, collect: null });
    gc.rendered();
    expect(vi.getTimerCount()).toBe(0);
    gc.stop();
  });

  it('gets a working memory-reducing gc from V8', () => {
    vi.useRealTimers();
    const collect = v8Collect();
    expect(collect).toBeTypeOf('function');
    expect(() => collect?.()).not.toThrow();
  });
});
