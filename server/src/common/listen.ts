import type { Server } from 'node:net';

/** A port problem at start-up, phrased for the person starting the server. */
export class ListenError extends Error {}

/** Listens, turning EADDRINUSE/EACCES into a message that names the port and the setting that changes it. */
export function listenOrExplain(server: Server, port: number, host: string, setting: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new ListenError(`${what} port ${port} on ${host} is already in use: stop the other program or set ${setting} to a free port (0 picks one)`));
      } else if (err.code === 'EACCES') {
        reject(new ListenError(`${what} port ${port} needs privileges: set ${setting} to a port above 1023`));
      } else {
        reject(new ListenError(`${what} cannot listen on ${host}:${port} (${setting}): ${err.message}`));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
