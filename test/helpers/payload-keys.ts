import crypto from 'node:crypto';
import type { PayloadKey } from '../../temporal/codec';

/**
 * The payload key of every test's clients and workers (temporal/codec.ts), in-process and in child
 * workers alike, as the service's would be. Fixed, so that histories recorded with RECORD_HISTORIES=1
 * stay readable by test/replay.test.ts.
 */
export const testPayloadKeys: PayloadKey[] = [{ id: 'test-key-1', key: crypto.createHash('sha256').update('stationflow test payload key 1').digest() }];
