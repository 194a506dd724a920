import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { type Config, ConfigError } from '../config';

/**
 * How the API and the worker reach a Temporal cluster that is not the embedded dev server (README "Temporal
 * connection: TLS, mTLS, API keys"): TLS with the system's or a given CA, a client certificate for mTLS, a
 * server name override, an API key (Temporal Cloud; sent only over TLS). The same options go to the
 * client's Connection.connect and the worker's NativeConnection.connect.
 */
export interface TemporalAccess {
  tls?: TLSConfig;
  apiKey?: string;
}

type AccessConfig = Pick<
  Config,
  'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_API_KEY'
>;

/** The connection options from configuration; a file that cannot be read is a ConfigError naming its variable. */
export function temporalAccess(config: AccessConfig): TemporalAccess {
  const explicit = config.TEMPORAL_TLS === undefined ? undefined : ['true', 'on', '1'].includes(config.TEMPORAL_TLS);
  const implying = (['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'] as const).filter((k) => config[k]);
  if (explicit === false && implying.length > 0) {
    throw new ConfigError(`Invalid configuration: TEMPORAL_TLS is false but ${implying.join(', ')} ${implying.length > 1 ? 'need' : 'needs'} TLS (an API key is sent only over TLS)`);
  }
  if (config.TEMPORAL_TLS_CERT && !config.TEMPORAL_TLS_KEY) throw new ConfigError('Invalid configuration: TEMPORAL_TLS_KEY must be set with TEMPORAL_TLS_CERT');
  if (config.TEMPORAL_TLS_KEY && !config.TEMPORAL_TLS_CERT) throw new ConfigError('Invalid configuration: TEMPORAL_TLS_CERT must be set with TEMPORAL_TLS_KEY');
  const access: TemporalAccess = {};
  if (config.TEMPORAL_API_KEY) access.apiKey = config.TEMPORAL_API_KEY;
  if (!(explicit ?? implying.length > 0)) return access;
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  if (config.TEMPORAL_TLS_CA) tls.serverRootCACertificate = readPem('TEMPORAL_TLS_CA', config.TEMPORAL_TLS_CA, 'CERTIFICATE');
  if (config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY) {
    tls.clientCertPair = {
      crt: readPem('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT, 'CERTIFICATE'),
      key: readPem('TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY, 'PRIVATE KEY'),
    };
  }
  access.tls = tls;
  return access;
}

/** A PEM file's bytes; `label` is what its BEGIN line must name (any "… PRIVATE KEY" for keys). */
function readPem(variable: string, file: string, label: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${variable} names ${JSON.stringify(file)}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(bytes.toString('latin1'))) {
    throw new ConfigError(`Invalid configuration: ${variable} names ${JSON.stringify(file)}, which holds no PEM "${label}"`);
  }
  return bytes;
}
