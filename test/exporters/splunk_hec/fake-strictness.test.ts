import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startSplunkHec, type SplunkHecFake } from '../../fakes/splunk-hec.js';

/** The HEC fake refuses what Splunk refuses, with HEC's codes, so passing it means something. */

const TOKEN = '00000000-1111-2222-3333-444444444444';
const CHANNEL = '2cb5a5d1-7a2e-4f0c-9a5d-0f4a3c1b2e11';

let hec: SplunkHecFake | undefined;
afterEach(async () => {
  await hec?.close();
  hec = undefined;
});

async function postTo(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Splunk ${TOKEN}`, ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const ev = (e: Record<string, unknown>) => JSON.stringify(e);

describe('Splunk HEC fake: strictness', () => {
  it('answers missing, malformed and wrong tokens with HEC codes 2, 3 and 4', async () => {
    hec = await startSplunkHec({ token: TOKEN });
    expect(await postTo(hec.url, ev({ event: 'x' }), { Authorization: '' })).toMatchObject({ status: 401, body: { code: 2 } });
    expect(await postTo(hec.url, ev({ event: 'x' }), { Authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 401, body: { code: 3 } });
    expect(await postTo(hec.url, ev({ event: 'x' }), { Authorization: 'Splunk wrong-token' })).toMatchObject({ status: 403, body: { code: 4 } });
    expect(hec.events).toEqual([]);
  });

  it('indexes concatenated events, gzip or not, and refuses a whole request at its first bad event', async () => {
    hec = await startSplunkHec({ token: TOKEN, indexes: ['main', 'make'] });
    expect(await postTo(hec.url, `${ev({ event: 'a', time: 1.5 })}\n${ev({ event: { k: 1 }, index: 'make' })}`)).toMatchObject({ status: 200, body: { code: 0 } });
    expect((await postTo(hec.url, gzipSync(ev({ event: 'b' })), { 'Content-Encoding': 'gzip' })).status).toBe(200);
    expect(hec.events.map((e) => e.event)).toEqual(['a', { k: 1 }, 'b']);

    expect(await postTo(hec.url, ev({ event: 'ok' }) + ev({ noevent: 1 }))).toMatchObject({ status: 400, body: { code: 12, 'invalid-event-number': 1 } });
    expect(await postTo(hec.url, ev({ event: '' }))).toMatchObject({ status: 400, body: { code: 13, 'invalid-event-number': 0 } });
    expect(await postTo(hec.url, ev({ event: 'x', index: 'secret' }))).toMatchObject({ status: 400, body: { code: 7 } });
    expect(await postTo(hec.url, ev({ event: 'x', fields: { nested: { a: 1 } } }))).toMatchObject({ status: 400, body: { code: 15 } });
    expect(await postTo(hec.url, ev({ event: 'x', time: 'yesterday' }))).toMatchObject({ status: 400, body: { code: 6 } });
    expect(await postTo(hec.url, ev({ event: 'x' }) + '{broken')).toMatchObject({ status: 400, body: { code: 6, 'invalid-event-number': 1 } });
    expect(await postTo(hec.url, '')).toMatchObject({ status: 400, body: { code: 5 } });
    expect(hec.events).toHaveLength(3);
  });

  it('refuses bodies above the content length limit with 413 and answers busy with 503 code 9', async () => {
    hec = await startSplunkHec({ token: TOKEN, maxContentLength: 1000 });
    expect((await postTo(hec.url, ev({ event: 'x'.repeat(2000) }))).status).toBe(413);
    hec.busyNext(1);
    expect(await postTo(hec.url, ev({ event: 'x' }))).toMatchObject({ status: 503, body: { code: 9 } });
    expect(hec.events).toEqual([]);
  });

  it('with acknowledgment: needs a GUID channel, hands out ackIds and reports each ack once', async () => {
    hec = await startSplunkHec({ token: TOKEN, ack: true });
    expect(await postTo(hec.url, ev({ event: 'x' }))).toMatchObject({ status: 400, body: { code: 10 } });
    expect(await postTo(hec.url, ev({ event: 'x' }), { 'X-Splunk-Request-Channel': 'not-a-guid' })).toMatchObject({ status: 400, body: { code: 11 } });
    const first = await postTo(hec.url, ev({ event: 'a' }), { 'X-Splunk-Request-Channel': CHANNEL });
    hec.loseAcks(1);
    const second = await postTo(hec.url, ev({ event: 'b' }), { 'X-Splunk-Request-Channel': CHANNEL });
    expect([first.body.ackId, second.body.ackId]).toEqual([0, 1]);
    const ackUrl = hec.url + '/ack';
    expect((await postTo(ackUrl, JSON.stringify({ acks: [0, 1] }), { 'X-Splunk-Request-Channel': CHANNEL })).body).toEqual({ acks: { '0': true, '1': false } });
    // Reported once, then forgotten; the lost one never turns true and was never indexed.
    expect((await postTo(ackUrl, JSON.stringify({ acks: [0, 1] }), { 'X-Splunk-Request-Channel': CHANNEL })).body).toEqual({ acks: { '0': false, '1': false } });
    expect(hec.events.map((e) => e.event)).toEqual(['a']);
  });

  it('acknowledges delayed requests only once their events are indexed', async () => {
    hec = await startSplunkHec({ token: TOKEN, ack: true });
    hec.delayAcks(1, 300);
    const { body } = await postTo(hec.url, ev({ event: 'late' }), { 'X-Splunk-Request-Channel': CHANNEL });
    const ask = () => postTo(hec!.url + '/ack', JSON.stringify({ acks: [body.ackId] }), { 'X-Splunk-Request-Channel': CHANNEL });
    expect((await ask()).body).toEqual({ acks: { '0': false } });
    expect(hec.events).toEqual([]);
    await new Promise((r) => setTimeout(r, 600));
    expect((await ask()).body).toEqual({ acks: { '0': true } });
    expect(hec.events.map((e) => e.event)).toEqual(['late']);
  });

  it('refuses /ack when acknowledgment is off (code 14)', async () => {
    hec = await startSplunkHec({ token: TOKEN });
    expect(await postTo(hec.url + '/ack', JSON.stringify({ acks: [0] }), { 'X-Splunk-Request-Channel': CHANNEL })).toMatchObject({ status: 400, body: { code: 14 } });
  });
});
