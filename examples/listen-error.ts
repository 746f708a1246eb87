/**
 * A clear line for a server that could not listen, instead of a stack trace: which address is taken
 * and which environment variable chooses another. Anything else is rethrown unchanged.
 */
export function exitOnListenError(error: unknown, portVariables: Readonly<Record<number, string>>): never {
  const { code, address, port } = error as { code?: unknown; address?: unknown; port?: unknown };
  if ((code === 'EADDRINUSE' || code === 'EACCES') && typeof port === 'number') {
    const variable = portVariables[port] ?? 'PORT';
    const why =
      code === 'EADDRINUSE' ? 'is already in use (is another demo still running?)' : 'needs privileges';
    console.error(`Cannot listen on ${String(address)}:${port}: the port ${why}.`);
    const args = process.argv.slice(2).join(' ');
    console.error(
      `Choose another port: ${variable}=${port + 1} npm run demo${args === '' ? '' : ` -- ${args}`}`,
    );
    process.exit(1);
  }
  throw error;
}
