import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventTypes } from '../workflows/shared/events';
import { noticeKinds } from '../workflows/shared/notices';

/**
 * The recorded histories (test/histories, real runs of the workflows) only ever write listed timeline
 * event types and send listed notice kinds: read from the inputs of their scheduled activities. No server.
 */
const dir = join(__dirname, 'histories');

interface Scheduled {
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; input?: { payloads?: { data: string }[] } };
}

function scheduledInputs(): { activity: string; input: Record<string, unknown> }[] {
  const inputs = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const { events } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { events: Scheduled[] };
    for (const e of events) {
      const a = e.activityTaskScheduledEventAttributes;
      const payload = a?.input?.payloads?.[0];
      if (!a || !payload) continue;
      inputs.push({ activity: a.activityType.name, input: JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<string, unknown> });
    }
  }
  return inputs;
}

describe('the vocabularies cover what the recorded runs wrote', () => {
  const inputs = scheduledInputs();

  it('every timeline event the histories append has a listed type', () => {
    const written = inputs.filter((i) => i.activity === 'recordCaseEvent' || i.activity === 'recordWhistleEvent').map((i) => i.input.type);
    expect(written.length).toBeGreaterThan(100);
    expect(new Set(written).size).toBeGreaterThan(20);
    expect(written.filter((t) => !(eventTypes as readonly unknown[]).includes(t))).toEqual([]);
  });

  it('every notice the histories send has a listed kind', () => {
    const sent = inputs.filter((i) => i.activity === 'notify').map((i) => i.input.kind);
    expect(new Set(sent).size).toBeGreaterThan(10);
    expect(sent.filter((k) => !(noticeKinds as readonly unknown[]).includes(k))).toEqual([]);
  });
});
