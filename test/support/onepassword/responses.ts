/**
 * Connect's error replies: every error is JSON `{"status": <code>, "message": "<text>"}` (the
 * spec's ErrorResponse), the status repeated in the body. The texts are Connect's where a real
 * server's reply is on record (the spec's examples, SDK tests and issue reports run against real
 * servers; see docs/onepassword-test-server.md) and ours, marked so, where none is.
 */

/** An error the API answers with; thrown anywhere in request handling and rendered by the router. */
export class ConnectError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }

  get body(): {status: number; message: string} {
    return {status: this.status, message: this.message}
  }
}

export const errors = {
  /** No Authorization header, not `Bearer …`, a token that is not a JWT, or one no longer valid (Connect logs "401: Invalid bearer token"). */
  invalidBearer: () => new ConnectError(401, 'Invalid bearer token'),
  /** A JWT this server did not sign (the spec's 401 example). */
  invalidSignature: () => new ConnectError(401, 'Invalid token signature'),
  /** A token without access to the vault — also for a vault that does not exist (a real server answers `vault fake` so). */
  noVaultAccess: (vaultId: string) => new ConnectError(403, `Authorization: token does not have access to vault ${vaultId}`),
  /** A read-only token asked to write ("token does not have permission to perform create on vault", from a client's test against a real server). */
  noPermission: (action: 'create' | 'update' | 'delete', vaultId: string) =>
    new ConnectError(403, `Authorization: token does not have permission to perform ${action} on vault ${vaultId}`),
  /** A vault the token may access but that does not exist (any more): the spec's 404 example. */
  vaultNotFound: (vaultId: string) => new ConnectError(404, `vault ${vaultId} not found`),
  itemNotFound: (itemId: string) => new ConnectError(404, `item ${itemId} not found`),
  fileNotFound: (fileId: string) => new ConnectError(404, `file ${fileId} not found`),
  /** The spec's 413 example, for `inline_files=true` on a file larger than the inline limit. */
  fileTooLarge: () =>
    new ConnectError(
      413,
      'File is too large to inline in request. Use the /v1/vaults/{vaultUUID}/items/{itemUUID}/files/{fileUUID}/content endpoint instead.',
    ),
  /** The spec's 400 example for a create with an unknown category. */
  invalidCategory: () => new ConnectError(400, 'Invalid item category'),
  /** Ours: no recorded text for other invalid input. */
  badRequest: (message: string) => new ConnectError(400, message),
  /** Ours. */
  routeNotFound: () => new ConnectError(404, 'Not Found'),
  /** Ours. */
  methodNotAllowed: () => new ConnectError(405, 'Method Not Allowed'),
  /** Ours. */
  bodyTooLarge: () => new ConnectError(413, 'Request body too large'),
}

/** The default body of an injected failure with `status` (Connect's error shape). */
export function faultBody(status: number): {status: number; message: string} {
  const text: Record<number, string> = {
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  }
  return {status, message: text[status] ?? 'Error'}
}
