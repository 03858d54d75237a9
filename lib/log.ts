// Structured logs (bunyan JSON lines on stderr). Lines about a Service carry its namespace/name
// in the "service" field: use serviceLogger().
import bunyan from 'bunyan';

export type Logger = bunyan;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export function createLogger(level: LogLevel = 'info', stream: NodeJS.WritableStream = process.stderr): Logger {
  return bunyan.createLogger({ name: 'ipvs-proxy', level, streams: [{ level, stream }] });
}

/** A child logger for one Service; every line it writes names the Service. */
export function serviceLogger(log: Logger, namespace: string, name: string): Logger {
  return log.child({ service: `${namespace}/${name}` }, true);
}
