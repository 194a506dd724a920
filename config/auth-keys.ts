import crypto from 'node:crypto';

/** The algorithms a public key may verify: RS256 with RSA, ES256 with EC P-256; HS256 only ever with the secret. */
export const asymmetricAlgorithms = ['RS256', 'ES256'] as const;
export type AsymmetricAlgorithm = (typeof asymmetricAlgorithms)[number];

/**
 * The one algorithm a PEM public key (SPKI) verifies: RS256 for RSA, ES256 for EC P-256. Throws an error
 * saying why not for anything else (a private key, another curve, text that is not a key).
 */
export function publicKeyAlgorithm(pem: string): AsymmetricAlgorithm {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('must be a PEM public key ("-----BEGIN PUBLIC KEY-----…")');
  }
  if (/PRIVATE KEY/.test(pem)) throw new Error('must be a public key, not a private one');
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`must be an RSA or EC P-256 public key (got ${key.asymmetricKeyType ?? 'another key type'})`);
}
