import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { dataConverterFor, type PayloadKey } from './codec';
import type { TemporalAccess } from './connection';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Base URL of the Temporal web UI, for links to a case's workflow. */
  uiUrl?: string;
  /** The keys every payload is encrypted with (temporal/codec.ts), newest first. */
  payloadKeys: PayloadKey[];
  /** TLS, mTLS, API key (temporal/connection.ts); absent: plain gRPC, as to the embedded dev server. */
  access?: TemporalAccess;
}

export { caseWorkflowId, whistleWorkflowId } from './workflow-ids';

export function workflowUiUrl(settings: TemporalSettings, workflowId: string): string | undefined {
  if (!settings.uiUrl) return undefined;
  return `${settings.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** A client whose payloads are encrypted: every Client of the service is made here. */
export async function connectClient(settings: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address, ...settings.access });
  return clientOn(connection, settings);
}

export function clientOn(connection: Connection, settings: Pick<TemporalSettings, 'namespace' | 'payloadKeys'>): Client {
  return new Client({ connection, namespace: settings.namespace, dataConverter: dataConverterFor(settings.payloadKeys) });
}

export function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address: settings.address, ...settings.access });
}
