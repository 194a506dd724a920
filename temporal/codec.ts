import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type DataConverter, METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { type Config, ConfigError } from '../config';
import { formatPayloadKeys, type PayloadKey, parsePayloadKeys } from '../config/payload-keys';

/**
 * Resident data never reaches Temporal in the clear (README "Resident data in Temporal"): every payload the
 * API and the worker send — workflow and activity inputs and results, signals, updates, queries, memo — is
 * encrypted with AES-256-GCM before it leaves the process. The encrypted payload's metadata says
 * `encoding: binary/encrypted` and `encryption-key-id: <id>`; its data is nonce (12 bytes) ‖ ciphertext ‖
 * tag (16 bytes) of the original payload serialized as a protobuf `Payload` (its own metadata included) —
 * the layout of Temporal's encryption samples, so their codec servers read it too.
 *
 * Keys come from PAYLOAD_KEYS (config/payload-keys.ts), newest first: new payloads use the newest, every
 * listed key decrypts. Payloads without the encrypted encoding pass through decode unchanged: workflows
 * started before encryption, and the recorded histories test/replay.test.ts replays.
 */

export type { PayloadKey } from '../config/payload-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload that cannot be decrypted; the message names the key id, never a key. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/** Whether `payload` is one this codec encrypted (by its metadata). */
export function isEncryptedPayload(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly newest: PayloadKey;

  constructor(keys: PayloadKey[]) {
    if (keys.length === 0) throw new ConfigError('Invalid configuration: PAYLOAD_KEYS must list at least one key');
    this.byId = new Map();
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new ConfigError(`Invalid configuration: payload key "${id}" must be 32 bytes, got ${key.length}`);
      if (this.byId.has(id)) throw new ConfigError(`Invalid configuration: payload key id "${id}" is listed twice`);
      this.byId.set(id, key);
    }
    this.newest = keys[0]!;
  }

  /** The id new payloads are encrypted under. */
  get keyId(): string {
    return this.newest.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncryptedPayload(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.newest.key, nonce);
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA_KEY]: utf8.encode(this.newest.id) },
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  }

  private decrypt(payload: Payload): Payload {
    const rawId = payload.metadata?.[KEY_ID_METADATA_KEY];
    if (!rawId) throw new PayloadDecryptionError(`encrypted payload carries no ${KEY_ID_METADATA_KEY} metadata`);
    const keyId = fromUtf8.decode(rawId);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `payload encrypted with key id ${JSON.stringify(keyId)}, which is not in PAYLOAD_KEYS (known: ${[...this.byId.keys()].join(', ')})`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload under key id ${JSON.stringify(keyId)} is too short`);
    const nonce = data.subarray(0, NONCE_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`encrypted payload under key id ${JSON.stringify(keyId)} failed authentication (altered, or another key under that id)`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

/** The data converter of every Temporal client and worker: the default converters, payloads encrypted. */
export function dataConverterFor(keys: PayloadKey[]): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)] };
}

/**
 * The payload keys: PAYLOAD_KEYS; without it, outside production, one generated key kept in
 * DATA_DIR/payload-keys (0600, created once; processes starting at once agree on it). In production
 * PAYLOAD_KEYS is required: a generated key would differ between the API's and the worker's machines.
 */
export function payloadKeys(config: Pick<Config, 'PAYLOAD_KEYS' | 'NODE_ENV' | 'dataDir'>): PayloadKey[] {
  if (config.PAYLOAD_KEYS) return parsePayloadKeys(config.PAYLOAD_KEYS);
  if (config.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration: PAYLOAD_KEYS must be set in production (README "Resident data in Temporal")');
  }
  const file = path.join(config.dataDir, 'payload-keys');
  const existing = readKeyFile(file);
  if (existing) return existing;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const generated = [{ id: `local-${crypto.randomBytes(4).toString('hex')}`, key: crypto.randomBytes(32) }];
  // Written whole to a temporary file, then linked into place: link fails if another process linked its
  // own first, and a reader never sees a half-written file.
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${formatPayloadKeys(generated)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return generated;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeyFile(file)!; // another process's key
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function readKeyFile(file: string): PayloadKey[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return parsePayloadKeys(text.trim());
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${file}: ${(err as Error).message}`);
  }
}
