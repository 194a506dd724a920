import net from 'node:net';

/**
 * Ports the kernel hands out on its own (listen(0), the local end of every outgoing connection) come from its
 * ephemeral range, 32768–60999 on Linux: a port picked there and given to a server that binds it later — or binds
 * it again after a restart — can be taken in between by any connection on a busy machine (a second CI run beside
 * this one took an npm start's gRPC port between its kill -9 and its restart: "bind: address already in use").
 * So tests pick below it, where only explicit binds go, as the service's own defaults (3000, 7233, 8233) do. The
 * top leaves room for the dev server's HTTP port (its gRPC port + 1000) below the range too.
 */
const lowest = 10_000;
const highest = 30_000;
const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A loopback port nothing listens on right now, outside the kernel's ephemeral range, never the same one twice. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = lowest + Math.floor(Math.random() * (highest - lowest));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${lowest} and ${highest} after 200 tries`);
}
