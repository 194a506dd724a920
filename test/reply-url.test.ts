import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config';
import { deliveryConfig, noReplyUrlWarning } from '../config/boot';
import { addPartner, caseWithTask, pushedNotice } from './helpers/partners';
import { freePort } from './helpers/ports';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Partners reply to the address a notice names (`reply.url`). Without PUBLIC_URL, development derives it
 * from where the API listens (HOST, PORT); production has none and says so once at boot.
 */
const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-reply-'));

describe('the reply address in partner notices', () => {
  it('production without PUBLIC_URL: no reply address, and one warning line at boot', () => {
    const warnings: string[] = [];
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir() });
    expect(deliveryConfig(config, { warn: (msg: string) => warnings.push(msg) } as never).publicUrl).toBeUndefined();
    expect(warnings).toEqual([noReplyUrlWarning]);
    expect(noReplyUrlWarning).toMatch(/partners cannot reply .* until it is/);
    // With PUBLIC_URL (or in development) nothing is said.
    warnings.length = 0;
    expect(deliveryConfig(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://sf.example', DATA_DIR: dataDir() }), { warn: (m: string) => warnings.push(m) } as never).publicUrl).toBe(
      'https://sf.example',
    );
    expect(deliveryConfig(loadConfig({ HOST: '0.0.0.0', PORT: '8080', DATA_DIR: dataDir() }), { warn: (m: string) => warnings.push(m) } as never).publicUrl).toBe('http://localhost:8080');
    expect(deliveryConfig(loadConfig({ HOST: '::1', PORT: '8080', DATA_DIR: dataDir() })).publicUrl).toBe('http://[::1]:8080');
    expect(warnings).toEqual([]);
  });

  describe('development without PUBLIC_URL, on the real stack', () => {
    let receiver: Receiver;
    let port: number;
    const { stack } = useStack(
      async () => {
        receiver = await startReceiver();
        port = await freePort();
        // The worker's channel settings exactly as `npm start` builds them from the environment.
        const config = loadConfig({ NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir() });
        expect(config.PUBLIC_URL).toBeUndefined();
        return { delivery: deliveryConfig(config), port };
      },
      { timeout: 120_000 },
    );
    // After the stack's own afterAll (hooks run in the order they are declared): the stack stops first.
    afterAll(async () => {
      await receiver?.close();
    });

    it('a webhook notice carries a reply.url derived from HOST and PORT, and a partner replying there gets 200', async () => {
      const partner = 'reply-hook';
      const hookPath = `/hooks/${partner}`;
      receiver.secret(hookPath, `secret-of-${partner}`);
      await addPartner(stack, partner, [{ type: 'webhook', url: receiver.url(hookPath) }]);
      const caseId = 'QG-20261123-0901';
      await caseWithTask(stack, caseId, { kind: 'partner', id: partner });
      const n = await pushedNotice(stack, caseId);
      const [req] = await eventually(async () => receiver.forPath(hookPath).length > 0 && receiver.forPath(hookPath), 20_000, 'the webhook');
      const event = req!.body as { id: string; reply?: { url?: string; caseId: string; taskId: string } };
      expect(event.id).toBe(n.notificationId);
      expect(event.reply).toMatchObject({ url: `http://127.0.0.1:${port}/api/partner-replies`, caseId, taskId: 'T1' });

      // The address works: the partner accepts the task there with its own token.
      const token = await stack.token({ role: 'partner', partner, sub: `${partner}-dispatcher` });
      const res = await fetch(event.reply!.url!, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ caseId: event.reply!.caseId, taskId: event.reply!.taskId, status: 'accepted' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ task: { id: 'T1', acceptedAt: expect.any(String) } });
      expect(new URL(event.reply!.url!).origin).toBe(stack.url);
      const view = await api(stack, 'GET', `/api/cases/${caseId}`, { token: await stack.token({ role: 'staff', station: 'qianggen', sub: 'wang' }) });
      expect(view.body.timeline.map((e: { type: string }) => e.type)).toContain('task.accepted');
    });
  });
});
