/**
 * Service policy of the path stack: forwarding headers, body buffering for re-sends, the total
 * deadline, classifier-driven retries from the service budget, requeues, and service stats.
 * The retry loop, its classifier and its budget live here; the attempt below only reports.
 */
import type { IncomingMessage } from 'node:http';
import type { RouterLayer } from '../context.js';
import { BodyTooLargeError } from '../errors.js';
import { failureOrigin, isRequeueable } from '../failure-origin.js';
import { ClientGoneError, RetryableStatus } from '../forward.js';
import { addForwardingHeaders } from '../headers.js';
import { ctxOf } from '../request-ctx.js';
import type { RouterRuntime } from '../runtime.js';

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
function readBody(req: IncomingMessage): Promise<Buffer> {
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

export function retriesLayer(rt: RouterRuntime): RouterLayer {
  return {
    role: 'retries',
    description:
      'service policy: totalTimeoutMs, classifier-driven retries from the service budget (bodies ≤ retryBufferBytes are buffered to allow them), requeues of connection failures',
    layer: (next) => async (ctx) => {
      const c = ctxOf(ctx);
      const svc = c.service!;
      const server = c.runtime;
      svc.requests.incr();
      if (rt.mayRetry) svc.budget.deposit();

      const h = c.headers;
      addForwardingHeaders(
        h,
        { remoteAddress: c.head.remoteAddress, secure: c.head.secure, host: c.clientHost },
        server.forwarded,
      );
      h['l5d-dst-service'] = svc.name;
      h['l5d-dst-client'] = c.boundId;
      if (!c.server.clearContext && c.dtabLocalText !== '') h['l5d-ctx-dtab'] = c.dtabLocalText;

      const method = c.method;
      const maxBody = server.maxRequestBodyBytes;
      let replayable = true;
      if (c.bodyLength !== 0) {
        if (maxBody !== undefined && c.bodyLength > maxBody) throw new BodyTooLargeError(maxBody);
        const mayRetry = rt.mayRetry && rt.classifier({ method, status: 503 }) === 'retryableFailure';
        if (mayRetry && c.bodyLength > 0 && c.bodyLength <= rt.retryBufferBytes && c.upgrade === undefined) {
          c.body = { kind: 'buffered', data: await readBody(c.req) };
        } else {
          c.body = { kind: 'stream', maxBytes: maxBody };
          replayable = false;
        }
      }
      if (rt.totalTimeoutMs !== undefined) c.deadlineNs = c.startNs + BigInt(rt.totalTimeoutMs) * 1_000_000n;
      if (replayable && rt.mayRetry) c.retryPolicy = rt;

      let requeues = 0;
      let backoff: Iterator<number> | undefined;
      const pause = async (): Promise<void> => {
        if (rt.newRetryBackoff === undefined) return;
        backoff ??= rt.newRetryBackoff();
        const ms = backoff.next().value;
        if (typeof ms === 'number' && ms > 0)
          await new Promise<void>((done) => rt.clock.setTimeout(done, ms));
      };
      try {
        for (;;) {
          try {
            await next(ctx);
            break;
          } catch (err) {
            if (err instanceof RetryableStatus) {
              svc.retries.incr();
              await pause();
              continue;
            }
            const origin = failureOrigin(err);
            // Only the endpoint's own failures (or a retired pool) are re-sent; a request the
            // router cannot forward or a client that left would fail the same way everywhere.
            const resend =
              isRequeueable(origin) ||
              // nginx's `proxy_next_upstream error`: a pooled connection reset or closed before
              // any response byte, on a request that is safe to repeat and whose body can be sent again.
              (origin.kind === 'endpoint' &&
                origin.stage === 'before-response' &&
                !origin.timedOut &&
                replayable &&
                idempotent(method) &&
                !ctx.res.headersSent);
            if (resend && c.client !== undefined) {
              if (rt.requeueBudgetOf(c.client).tryRequeue(requeues)) {
                requeues++;
                continue;
              }
              throw err;
            }
            if (
              replayable &&
              !ctx.res.headersSent &&
              origin.kind === 'endpoint' &&
              origin.stage !== 'connect' &&
              rt.classifier({ method, error: err }) === 'retryableFailure'
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
        const status = ctx.res.statusCode;
        (rt.classifier({ method, status }) === 'success' ? svc.success : svc.failures).incr();
      } catch (err) {
        svc.failures.incr();
        throw err;
      } finally {
        if (c.endNs === 0n) c.endNs = rt.clock.nanoTime();
        svc.latency.add(Number(c.endNs - c.startNs) / 1e6);
      }
    },
  };
}
