// The official @anthropic-ai/sdk client through the proxy (it sends the key as Authorization: Bearer).
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_KEY, startFakeApi, startTestProxy, type FakeApi, type TestProxy } from './helpers.js';

let api: FakeApi;
let p: TestProxy;
let token: string;
beforeAll(async () => {
  api = await startFakeApi();
  p = await startTestProxy({ credential_proxy_upstream: api.url });
  token = p.store.issue('tk-sdk-vm');
});
afterAll(async () => {
  await p.close();
  await api.close();
});

const params = { model: 'claude-test', max_tokens: 64, messages: [{ role: 'user' as const, content: 'say hi' }] };

function checkUpstream(): void {
  expect(api.requests.length).toBeGreaterThan(0);
  for (const r of api.requests) {
    expect(r.url).toBe('/v1/messages');
    expect(r.headers['x-api-key']).toBe(HOST_KEY);
    expect(r.headers['authorization']).toBeUndefined();
    expect(JSON.stringify(r.headers)).not.toContain(token);
  }
  api.requests.length = 0;
}

describe('@anthropic-ai/sdk through the proxy', () => {
  it('non-streaming create with the VM token as apiKey', async () => {
    const client = new Anthropic({ apiKey: token, baseURL: p.base, maxRetries: 0 });
    const msg = await client.messages.create(params);
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'hi from fake' });
    checkUpstream();
  });

  it('messages.stream() delivers the text events and the final message', async () => {
    const client = new Anthropic({ apiKey: null, authToken: token, baseURL: p.base, maxRetries: 0 });
    const texts: string[] = [];
    const s = client.messages.stream(params);
    s.on('text', (t) => texts.push(t));
    const final = await s.finalMessage();
    expect(texts.join('')).toBe('hi from fake');
    expect(final.stop_reason).toBe('end_turn');
    checkUpstream();
  });

  it('create({stream: true}) iterates raw events', async () => {
    const client = new Anthropic({ apiKey: token, baseURL: p.base, maxRetries: 0 });
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    checkUpstream();
  });

  it('a wrong token surfaces as an AuthenticationError from the SDK', async () => {
    const client = new Anthropic({ apiKey: 'sk-ant-wrong', baseURL: p.base, maxRetries: 0 });
    await expect(client.messages.create(params)).rejects.toMatchObject({ status: 401 });
    expect(api.requests).toHaveLength(0);
  });
});
