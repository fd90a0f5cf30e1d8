/**
 * One error type with a machine-readable `code`, so the CLI can pick an exit
 * status / hint without parsing messages.
 */
export type ModelErrorCode =
  | 'UNKNOWN_MODEL'
  | 'NOT_DOWNLOADED'
  | 'CHECKPOINT_NOT_FOUND'
  | 'HTTP_ERROR'
  | 'NETWORK_ERROR'
  | 'INCOMPLETE_DOWNLOAD'
  | 'CHECKSUM_MISMATCH'
  | 'BAD_URL'
  | 'COPY_FAILED';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    readonly details: { url?: string; status?: number; expected?: string; actual?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Turns undici's opaque `TypeError: fetch failed` into something a user can act on. */
export function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: string } | undefined)?.code;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by peer',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed (temporary)',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed by server',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  const text = (code && known[code]) ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return code ? `${text} (${code})` : text;
}
