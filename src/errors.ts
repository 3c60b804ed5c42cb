// One error module for the whole agent: every error the agent raises on purpose
// carries a stable literal `code` that callers branch on, and the `cause` that
// led to it. Messages are for people; codes are for code.

export type ErrorCode =
  | 'CONFIG_READ'
  | 'CONFIG_SYNTAX'
  | 'CONFIG_INVALID'
  | 'NETLINK'
  | 'ADDON_LOAD'
  | 'STATE'
  | 'USAGE'
  | 'KUBECONFIG'
  | 'API'
  | 'OBJECTS_FILE'
  | 'DBUS'
  | 'HTTP';

export class AgentError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
  }
}

export function isAgentError(e: unknown, code?: ErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}
