// Errors as a real kube-apiserver writes them: a `Status` object with the
// reason and code client libraries branch on (client-go's apierrors, the
// informers' 410 check), and the message format of the apiserver's
// `k8s.io/apimachinery/pkg/api/errors` constructors.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** What a resource is called in error messages: `services`, `leases.coordination.k8s.io`. */
export interface Qualified {
  group: string;
  plural: string;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): Record<string, unknown> {
    return statusFailure(this.code, this.reason, this.message, this.details);
  }
}

export function statusFailure(code: number, reason: string, message: string, details?: StatusDetails): Record<string, unknown> {
  const status: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
  if (reason) status.reason = reason;
  if (details) status.details = details;
  status.code = code;
  return status;
}

export function statusSuccess(details: StatusDetails): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

export function qualifiedName(r: Qualified): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

function detailsFor(r: Qualified, name: string): StatusDetails {
  const d: StatusDetails = { name };
  if (r.group) d.group = r.group;
  d.kind = r.plural;
  return d;
}

export const errors = {
  notFound(r: Qualified, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedName(r)} "${name}" not found`, detailsFor(r, name));
  },
  pathNotFound(): ApiError {
    return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
  },
  alreadyExists(r: Qualified, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualifiedName(r)} "${name}" already exists`, detailsFor(r, name));
  },
  conflict(r: Qualified, name: string, why: string): ApiError {
    return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(r)} "${name}": ${why}`, detailsFor(r, name));
  },
  staleUpdate(r: Qualified, name: string): ApiError {
    return errors.conflict(r, name, 'the object has been modified; please apply your changes to the latest version and try again');
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  invalid(kind: string, group: string, name: string, causes: { field: string; type: string; detail?: string; value?: unknown }[]): ApiError {
    const parts = causes.map((c) => `${c.field}: ${c.type}${c.value !== undefined ? `: ${JSON.stringify(c.value)}` : ''}${c.detail ? `: ${c.detail}` : ''}`);
    const what = group ? `${kind}.${group}` : kind;
    const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    const details: StatusDetails = { name };
    if (group) details.group = group;
    details.kind = kind;
    details.causes = causes.map((c) => ({
      reason: `Field${c.type.replace(/ /g, '')}`,
      message: `${c.type}${c.value !== undefined ? `: ${JSON.stringify(c.value)}` : ''}${c.detail ? `: ${c.detail}` : ''}`,
      field: c.field,
    }));
    return new ApiError(422, 'Invalid', `${what} "${name}" is invalid: ${list}`, details);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  forbidden(message: string, r?: Qualified, name?: string): ApiError {
    return new ApiError(403, 'Forbidden', message, r ? detailsFor(r, name ?? '') : undefined);
  },
  methodNotAllowed(): ApiError {
    return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  },
  notAcceptable(accepted: string[]): ApiError {
    return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
  },
  unsupportedMediaType(type: string, accepted: string[]): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`, {
      causes: [{ reason: 'UnsupportedMediaType', message: `the media type ${JSON.stringify(type)} is not supported` }],
    });
  },
  tooLargeResourceVersion(wanted: number, current: number): ApiError {
    return new ApiError(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  },
  serviceUnavailable(message: string): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message);
  },
  tooManyRequests(retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
};
