/**
 * The keys that encrypt Temporal payloads (temporal/codec.ts), as PAYLOAD_KEYS writes them:
 * comma-separated `id:base64(32 bytes)`, newest first. Parsed here, apart from the codec, so that
 * config/index.ts can validate the variable at boot without depending on Temporal code.
 */
export interface PayloadKey {
  /** Stored in every payload's metadata (`encryption-key-id`): public, names the key, never is it. */
  id: string;
  /** 32 bytes of AES-256 key. */
  key: Buffer;
}

export const payloadKeyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The keys in `text`, newest first; throws an Error whose message names the faulty entry by position
 * and id — never a key's bytes.
 */
export function parsePayloadKeys(text: string): PayloadKey[] {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new Error('must list at least one key as id:base64(32 bytes)');
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    const encoded = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const which = `entry ${i + 1}${payloadKeyIdPattern.test(id) ? ` ("${id}")` : ''}`;
    if (colon < 0) throw new Error(`${which} must look like id:base64(32 bytes)`);
    if (!payloadKeyIdPattern.test(id)) throw new Error(`${which}: the key id must be 1–64 of A–Z, a–z, 0–9, ".", "_", "-"`);
    if (seen.has(id)) throw new Error(`${which}: key id "${id}" is listed twice`);
    seen.add(id);
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) throw new Error(`${which}: the key must be base64`);
    const key = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) throw new Error(`${which}: the key must be 32 bytes (base64 of 32 random bytes, e.g. "openssl rand -base64 32"), got ${key.length}`);
    return { id, key };
  });
}

/** PAYLOAD_KEYS's form of `keys`. */
export function formatPayloadKeys(keys: PayloadKey[]): string {
  return keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
}
