/** The session engine (issue 14): templates, sandboxed session workers, warm pools, the manager. */
export { CreateSessionSchema, ExecRequestSchema, LANGUAGES, type CreateSessionRequest, type ExecRequest, type ExecResult, type Language } from './api-schema.ts';
export { recoverSessions, type RecoverReport } from './recover.ts';
export { END_REASONS, transition, type EndReason, type SessionPersistence, type SessionRecord, type SessionState } from './session-lifecycle.ts';
export { SESSION_ERROR_STATUS, SessionManager, type CreateOutcome, type EndOutcome, type ExecOutcome, type SessionError, type SessionErrorKind, type SessionManagerOptions } from './session-manager.ts';
export { AGENT_SCRIPT, detectSessionSandbox } from './session-worker.ts';
export { parseTemplates, pythonAvailable, RUNTIMES, TemplateError, TemplateSchema, type Runtime, type Template } from './template.ts';
