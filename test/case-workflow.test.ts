import { eq } from 'drizzle-orm';
import { caseEvents, cases } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { allSearchAttributeKeys, searchAttributes } from '../temporal/search-attribute-keys';
import { registerSearchAttributes } from '../temporal/search-attributes';
import { caseWorkflow } from '../workflows/case/workflow';
import { caseStateQuery } from '../workflows/case/messages';
import { caseInput } from './helpers/fixtures';
import { eventually, useStack } from './helpers/stack';

const input = (caseId: string) =>
  caseInput(caseId, {
    serviceCode: 'home-plumbing-repair',
    deadlineClass: 'utilities',
    demand: 'Kitchen pipe leaking',
    resident: { name: 'Li', phone: '13800000000' },
    openedAt: new Date().toISOString(),
  });

describe('case workflow on the Temporal dev server', () => {
  const { stack } = useStack();

  it('registers search attributes idempotently', async () => {
    // startStack registered them already: a second registration adds nothing and does not fail.
    expect(await registerSearchAttributes(stack.env.connection, stack.temporal.namespace)).toEqual([]);
    const { customAttributes } = await stack.env.connection.operatorService.listSearchAttributes({ namespace: stack.temporal.namespace });
    for (const key of allSearchAttributeKeys) expect(Object.keys(customAttributes ?? {})).toContain(key.name);
  });

  it('writes the case to the read model and serves its live state through a query', async () => {
    const handle = await stack.client.workflow.start(caseWorkflow, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: caseWorkflowId('QG-20261123-0101'),
      args: [input('QG-20261123-0101')],
      typedSearchAttributes: [
        { key: searchAttributes.stationId, value: 'qianggen' },
        { key: searchAttributes.stage, value: 'accept' },
      ],
    });
    const state = await eventually(async () => {
      const s = await handle.query(caseStateQuery);
      return s.recorded && s;
    }, 20_000, 'the case to be recorded');
    expect(state.stage).toBe('accept');
    expect(state.caseId).toBe('QG-20261123-0101');

    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, 'QG-20261123-0101'));
    expect(row).toMatchObject({ stationId: 'qianggen', stage: 'accept', workflowId: handle.workflowId });
    const events = await eventually(async () => {
      const e = await stack.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, 'QG-20261123-0101')).orderBy(caseEvents.seq);
      return e.length >= 2 && e;
    }, 10_000, 'the commitments to be recorded');
    expect(events.map((e) => e.type)).toEqual(['case.opened', 'commitments.set']);

    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(searchAttributes.stationId)).toBe('qianggen');
    expect(description.typedSearchAttributes.get(searchAttributes.lastProgressAt)).toBeInstanceOf(Date);
  });

  it('keeps personal data out of search attributes', async () => {
    const handle = stack.client.workflow.getHandle(caseWorkflowId('QG-20261123-0101'));
    const description = await handle.describe();
    const indexed = JSON.stringify(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]));
    expect(indexed).toContain('qianggen'); // the check sees the decoded values
    expect(indexed).not.toContain('13800000000');
    expect(indexed).not.toContain('"Li"');
    expect(indexed).not.toContain('Kitchen pipe');
  });

  it('finds cases by search attribute through visibility', async () => {
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of stack.client.workflow.list({ query: `StationId = 'qianggen' AND CaseStage = 'accept'` })) ids.push(wf.workflowId);
      return ids.includes(caseWorkflowId('QG-20261123-0101')) && ids;
    }, 20_000, 'visibility to list the case');
    expect(found).toContain(caseWorkflowId('QG-20261123-0101'));
  });

  it('finishes opening a case started while no worker was running', async () => {
    await stack.stopWorker();
    const handle = await stack.client.workflow.start(caseWorkflow, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: caseWorkflowId('QG-20261123-0102'),
      args: [input('QG-20261123-0102')],
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(await stack.database.db.select().from(cases).where(eq(cases.id, 'QG-20261123-0102'))).toHaveLength(0);
    await stack.startWorker();
    await eventually(async () => (await handle.query(caseStateQuery)).recorded, 20_000, 'the case to be recorded after the restart');
    const events = await stack.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, 'QG-20261123-0102'));
    expect(events.filter((e) => e.type === 'case.opened')).toHaveLength(1);
  });
});
