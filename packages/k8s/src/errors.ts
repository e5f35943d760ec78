/**
 * Typed errors of the Kubernetes client. Callers switch on `code`: a `SY_ERR_K8S_GONE` means
 * "relist", a `SY_ERR_K8S_API` carries the server's `Status`, configuration errors name the file
 * and field so an operator can fix them without reading our source.
 */
import { SwitchyardError } from '@switchyard/core';
import type { KubeStatus } from './types.js';

/** Every code owned by `@switchyard/k8s`; each is listed in `docs/errors.md`. */
export type K8sErrorCode =
  | 'SY_ERR_K8S_CONFIG'
  | 'SY_ERR_K8S_KUBECONFIG_PARSE'
  | 'SY_ERR_K8S_CREDENTIALS'
  | 'SY_ERR_K8S_API'
  | 'SY_ERR_K8S_GONE'
  | 'SY_ERR_K8S_TRANSPORT'
  | 'SY_ERR_K8S_WATCH_DECODE'
  | 'SY_ERR_K8S_WATCH_IDLE'
  | 'SY_ERR_K8S_LEADER_ELECTION';

/**
 * No usable connection configuration: a missing in-cluster token, an unknown kubeconfig context,
 * an invalid URL. The message names the file, environment variable or field.
 */
export class KubeConfigError extends SwitchyardError<'SY_ERR_K8S_CONFIG'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_K8S_CONFIG', message, options);
  }
}

/** A kubeconfig file is not valid YAML or not a kubeconfig; `file`, `line`, `column` locate it (1-based). */
export class KubeconfigParseError extends SwitchyardError<'SY_ERR_K8S_KUBECONFIG_PARSE'> {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(file: string, line: number | undefined, column: number | undefined, detail: string) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super('SY_ERR_K8S_KUBECONFIG_PARSE', `${where}: ${detail}`);
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Credentials could not be obtained: an unreadable token file or a failing exec credential plugin. */
export class KubeCredentialsError extends SwitchyardError<'SY_ERR_K8S_CREDENTIALS'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_K8S_CREDENTIALS', message, options);
  }
}

/**
 * The API server answered with a non-success HTTP status (or a watch `ERROR` event other than 410).
 * `status` is the HTTP code, `reason` the Kubernetes `Status.reason` (`NotFound`, `Forbidden`, …).
 */
export class KubeApiError extends SwitchyardError<'SY_ERR_K8S_API'> {
  readonly status: number;
  readonly reason: string | undefined;
  readonly body: KubeStatus | undefined;
  constructor(method: string, path: string, status: number, body: KubeStatus | undefined) {
    const reason = body?.reason;
    const detail = body?.message ? `: ${body.message}` : '';
    super('SY_ERR_K8S_API', `${method} ${path} → ${status}${reason ? ` ${reason}` : ''}${detail}`);
    this.status = status;
    this.reason = reason;
    this.body = body;
  }
}

/**
 * The requested resourceVersion or continue token is older than the server keeps (HTTP 410, or a
 * watch `ERROR` event whose Status has code 410, reason `Expired` or `Gone`). The only remedy is a
 * fresh list; informers do that automatically.
 */
export class KubeGoneError extends SwitchyardError<'SY_ERR_K8S_GONE'> {
  readonly body: KubeStatus | undefined;
  constructor(path: string, body: KubeStatus | undefined) {
    super(
      'SY_ERR_K8S_GONE',
      `${path}: 410 ${body?.reason ?? 'Gone'}${body?.message ? `: ${body.message}` : ''}`,
    );
    this.body = body;
  }
}

/** The connection failed, was reset, or the response body ended mid-stream. `cause` has the socket error. */
export class KubeTransportError extends SwitchyardError<'SY_ERR_K8S_TRANSPORT'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SY_ERR_K8S_TRANSPORT', message, options);
  }
}

/** A watch stream carried a line that is not a JSON watch event. */
export class KubeWatchDecodeError extends SwitchyardError<'SY_ERR_K8S_WATCH_DECODE'> {
  constructor(path: string, line: string, options?: { cause?: unknown }) {
    super(
      'SY_ERR_K8S_WATCH_DECODE',
      `${path}: undecodable watch event ${JSON.stringify(line.slice(0, 200))}`,
      options,
    );
  }
}

/** A watch stream sent nothing for longer than the client's idle deadline (a stalled server or network). */
export class KubeWatchIdleError extends SwitchyardError<'SY_ERR_K8S_WATCH_IDLE'> {
  constructor(path: string, idleMs: number) {
    super('SY_ERR_K8S_WATCH_IDLE', `${path}: watch stream idle for ${idleMs} ms`);
  }
}

/** Leader election was configured inconsistently (timings, empty identity); the message names the option. */
export class KubeLeaderElectionError extends SwitchyardError<'SY_ERR_K8S_LEADER_ELECTION'> {
  constructor(message: string) {
    super('SY_ERR_K8S_LEADER_ELECTION', `leader election: ${message}`);
  }
}
