import net from 'node:net';

/** A port `npm start` needs is taken by another process; the message is the one line the user sees. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly variable: string,
    what: string,
  ) {
    super(
      `port ${port} (${variable}, ${what}) is already in use by another process — stop that process (an earlier npm start still running?) or set ${variable} to a free port`,
    );
  }
}

export interface NeededPort {
  port: number;
  host: string;
  /** The environment variable that sets it. */
  variable: string;
  /** What listens there, for the message. */
  what: string;
}

/**
 * Fails with a PortInUseError when something already listens on the port: binding it, then letting it go
 * at once. Checked before anything is started, so nothing attaches to whatever listens there.
 */
export async function assertPortFree(needed: NeededPort): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(needed.port, needed.variable, needed.what) : err),
    );
    probe.listen({ port: needed.port, host: needed.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
