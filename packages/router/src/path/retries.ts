/**
 * Service policy of the path stack: forwarding headers, body buffering for re-sends, the total
 * deadline, classifier-driven retries from the service budget, requeues, and service stats.
 * The retry loop, its classifier and its budget live here: each attempt of the client stack
 * below returns its response head with the body held back, and this layer relays it to the
 * client or discards it and tries again. The client stack never calls back up.
 */

import type { ResponseClassifier } from '@switchyard/balancers';
import { assertNever } from '@switchyard/core';
import { Path } from '@switchyard/dtab';
import { classifierInput } from '../classifier-input.js';
import { showCtxDeadline } from '../ctx-deadline.js';
import { clientDeadlineOf, earliestDeadline } from '../deadline.js';
import type { RetriesEntry } from '../entry.js';
import { BodyTooLargeError, ClientGoneError, DeadlineExceededError } from '../errors.js';
import { failureOrigin, isRequeueable } from '../failure-origin.js';
import {
  addForwardingHeaders,
  type ForwardedHeaderOptions,
  type ForwardingInfo,
  type HeaderMap,
} from '../headers.js';
import { type HeldResponse, RAW_FIELDS } from '../held-response.js';
import { rawFieldValue } from '../raw-fields.js';
import { forwardRequestFields, type RouterFields } from '../raw-request-fields.js';
import { fieldsView, rawFieldsOf } from '../request-head.js';
import type { RouterRuntime, ServiceEntry } from '../runtime.js';
import type { ClientRequest } from '../stages.js';
import { type Bound, EXCHANGE_STATE, type RequestBody, withHead } from '../stages.js';

const SUCCESS = Object.freeze({ 'l5d-success-class': '1.0' });
const FAILURE = Object.freeze({ 'l5d-success-class': '0.0' });
const RETRYABLE = Object.freeze({ 'l5d-success-class': '0.0', 'l5d-retryable': 'true' });

/** `l5d-success-class` (and `l5d-retryable: true`) of a response head, by the router's classifier. */
function successClass(
  classifier: ResponseClassifier,
  method: string,
  held: HeldResponse,
): Readonly<Record<string, string>> {
  const cls = classifier(heldInput(method, held));
  switch (cls) {
    case 'success':
      return SUCCESS;
    case 'retryableFailure':
      return RETRYABLE;
    case 'failure':
      return FAILURE;
    default:
      return assertNever(cls);
  }
}

/** The classifier input of a held response; `grpc-status` read off the raw fields when there are some. */
function heldInput(method: string, held: HeldResponse): ReturnType<typeof classifierInput> {
  const raw = held[RAW_FIELDS];
  if (raw === undefined) return classifierInput(method, held.status, held.headers);
  const grpcStatus = rawFieldValue(raw, 'grpc-status');
  return grpcStatus === undefined
    ? { method, status: held.status }
    : { method, status: held.status, grpcStatus };
}

/** Whether to discard `held` and retry: the classifier says retryable and the service budget allows. */
function retryStatus(svc: ServiceEntry, method: string, held: HeldResponse): boolean {
  if (svc.policy.classifier(heldInput(method, held)) !== 'retryableFailure') return false;
  if (svc.budget.tryWithdraw()) return true;
  svc.budgetExhausted.incr();
  return false;
}

/** The forwarded header object of a head whose `headers` is not a raw view (a layer's rewrite, HTTP/2). */
function forwardHeaderObject(
  headers: Readonly<Record<string, unknown>>,
  forwarding: ForwardingInfo,
  options: ForwardedHeaderOptions,
  own: RouterFields,
): HeaderMap {
  const h: HeaderMap = { ...(headers as HeaderMap) };
  addForwardingHeaders(h, forwarding, options);
  h['l5d-dst-service'] = own.service;
  h['l5d-dst-client'] = own.client;
  h['l5d-dst-residual'] = own.residual;
  h['l5d-reqid'] = own.requestId;
  if (own.ctxDtab !== undefined) h['l5d-ctx-dtab'] = own.ctxDtab;
  h['l5d-ctx-deadline'] = own.ctxDeadline;
  return h;
}

/** Waits the backoff's next delay, if any. */
async function backoffPause(rt: RouterRuntime, backoff: Iterator<number>): Promise<void> {
  const ms = backoff.next().value;
  if (typeof ms === 'number' && ms > 0) await new Promise<void>((done) => rt.clock.setTimeout(done, ms));
}

/** RFC 9110 §9.2.2 idempotent methods: repeating them has the same effect as sending once. */
function idempotent(method: string): boolean {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

/** Reads a request body of known, small length in full (so it can be re-sent). */
function readBody(req: ClientRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onClose = () => {
      if (!req.complete) {
        cleanup();
        reject(new ClientGoneError());
      }
    };
    const cleanup = () => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
    };
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

export function retriesLayer(rt: RouterRuntime): RetriesEntry {
  return {
    kind: 'retries',
    role: 'retries',
    description:
      'service policy: totalTimeoutMs, classifier-driven retries from the service budget (bodies ≤ retryBufferBytes are buffered to allow them), requeues of connection failures',
    layer: (next) => async (bound) => {
      // A retired client closes once no request uses it (close-when-idle.ts): counted from here,
      // before a retryable body is read, so a slow upload across a reload keeps its client open.
      const client = bound.client;
      client.beginRequest();
      try {
        const svc = bound.service;
        const policy = svc.policy;
        const request = bound.identified.request;
        const { exchange, head } = request;
        const state = exchange[EXCHANGE_STATE];
        const server = state.server;
        svc.requests.incr();
        if (policy.mayRetry) svc.budget.deposit();

        const forwarding = {
          remoteAddress: head.remoteAddress,
          secure: head.secure,
          host: request.clientHost,
        };
        const residual =
          bound.residual === undefined || bound.residual.length === 0 ? undefined : Path.show(bound.residual);
        const ctxDtab =
          !exchange.server.clearContext && request.local.text !== '' ? request.local.text : undefined;

        const method = head.method;
        // The client's own deadline: gRPC's grpc-timeout (from arrival) or Linkerd's
        // l5d-ctx-deadline (wall clock; stripped before here under clearContext), the earlier.
        // An expired one never leaves the router.
        const clientDeadline = clientDeadlineOf(rt, exchange.startNs, head.headers);
        if (clientDeadline !== undefined && clientDeadline.ns <= rt.clock.nanoTime())
          throw new DeadlineExceededError(clientDeadline.ms, clientDeadline.header);
        const maxBody = server.maxRequestBodyBytes;
        let replayable = true;
        let body: RequestBody = bound.body;
        if (request.bodyLength !== 0) {
          if (maxBody !== undefined && request.bodyLength > maxBody) throw new BodyTooLargeError(maxBody);
          const mayRetry =
            policy.mayRetry && policy.classifier({ method, status: 503 }) === 'retryableFailure';
          if (
            mayRetry &&
            request.bodyLength > 0 &&
            request.bodyLength <= policy.retryBufferBytes &&
            exchange.upgrade === undefined
          ) {
            body = { kind: 'buffered', data: await readBody(exchange.req) };
          } else {
            body = { kind: 'stream', maxBytes: maxBody };
            replayable = false;
          }
        }
        // The earlier of totalTimeoutMs, a deadline set above (the route's request timeout) and the client's.
        const deadlineNs = earliestDeadline(
          earliestDeadline(
            bound.deadlineNs,
            policy.totalTimeoutMs === undefined
              ? 0n
              : exchange.startNs + BigInt(policy.totalTimeoutMs) * 1_000_000n,
          ),
          clientDeadline?.ns ?? 0n,
        );
        // Downstream gets the remaining budget as Linkerd's deadline context (wall clock).
        let ctxDeadline: string | undefined;
        if (deadlineNs !== 0n) {
          const nowMs = rt.clock.now();
          ctxDeadline = showCtxDeadline(nowMs, nowMs + Number(deadlineNs - rt.clock.nanoTime()) / 1e6);
        }
        const own: RouterFields = {
          service: svc.name,
          client: client.id,
          residual,
          requestId: state.record.requestId,
          ctxDtab,
          ctxDeadline,
        };
        // The fields as received stay a raw list (no header object copied) when nobody replaced them.
        const raw = rawFieldsOf(head.headers);
        const headers =
          raw !== undefined
            ? fieldsView(forwardRequestFields(raw, forwarding, server.forwarded, own))
            : forwardHeaderObject(head.headers, forwarding, server.forwarded, own);
        const attempt: Bound = {
          ...withHead(bound, { ...head, headers }),
          body,
          deadlineNs,
          clientDeadline,
        };

        const retryable = replayable && policy.mayRetry;
        let requeues = 0;
        // Made on the first retry only (most requests never retry).
        let backoff: Iterator<number> | undefined;
        const pause = (): Promise<void> => {
          if (policy.newRetryBackoff === undefined) return Promise.resolve();
          backoff ??= policy.newRetryBackoff();
          return backoffPause(rt, backoff);
        };
        try {
          for (;;) {
            try {
              const held = await next(attempt);
              // Discard a response of this status and retry? The classifier says, the service budget allows.
              if (retryable && retryStatus(svc, method, held)) {
                held.discard();
                svc.retries.incr();
                await pause();
                continue;
              }
              // Linkerd 1's ClassifierFilter: the response's class for the hop in front (a Linkerd's
              // io.l5d.header classifier reads it); l5d-* context, so never under clearContext.
              await held.relay(
                exchange.server.clearContext ? undefined : successClass(policy.classifier, method, held),
              );
              break;
            } catch (err) {
              const origin = failureOrigin(err);
              // Only the endpoint's own failures (or a retired pool) are re-sent; a request the
              // router cannot forward or a client that left would fail the same way everywhere.
              const resend =
                isRequeueable(origin) ||
                // An HTTP/2 stream the endpoint refused was not processed (RFC 9113 §8.7): any method.
                (origin.kind === 'endpoint' &&
                  origin.stage === 'refused' &&
                  replayable &&
                  !exchange.res.headersSent) ||
                // nginx's `proxy_next_upstream error`: a pooled connection reset or closed before
                // any response byte, on a request that is safe to repeat and whose body can be sent again.
                (origin.kind === 'endpoint' &&
                  origin.stage === 'before-response' &&
                  !origin.timedOut &&
                  replayable &&
                  idempotent(method) &&
                  !exchange.res.headersSent);
              if (resend) {
                if (bound.client.requeueBudget.tryRequeue(requeues)) {
                  requeues++;
                  continue;
                }
                throw err;
              }
              if (
                replayable &&
                !exchange.res.headersSent &&
                origin.kind === 'endpoint' &&
                origin.stage !== 'connect' &&
                policy.classifier({ method, error: err }) === 'retryableFailure'
              ) {
                if (svc.budget.tryWithdraw()) {
                  svc.retries.incr();
                  await pause();
                  continue;
                }
                svc.budgetExhausted.incr();
              }
              throw err;
            }
          }
          const status = exchange.res.statusCode;
          (policy.classifier({ method, status }) === 'success' ? svc.success : svc.failures).incr();
        } catch (err) {
          svc.failures.incr();
          throw err;
        } finally {
          if (state.endNs === 0n) state.endNs = rt.clock.nanoTime();
          svc.latency.add(Number(state.endNs - exchange.startNs) / 1e6);
        }
      } finally {
        client.endRequest();
      }
    },
  };
}
