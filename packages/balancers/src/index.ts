/**
 * @packageDocumentation
 * Client-side policies: load balancers, failure accrual, retry budgets, response classifiers.
 */
export type { ApertureOptions, ApertureState } from './aperture.js';
export { aperture, apertureState } from './aperture.js';
export type { Backoff, BackoffStream } from './backoff.js';
export {
  accrualBackoff,
  backoff,
  constantStream,
  decorrelatedJittered,
  equalJittered,
  retryBackoff,
} from './backoff.js';
export type {
  Balancer,
  BalancerEndpoint,
  BalancerFactory,
  BalancerParams,
  EndpointHealth,
  Lease,
  LeaseOutcome,
} from './balancer.js';
export { IGNORED_OUTCOME } from './balancer.js';
export type { ClockedBalancerOptions, CommonBalancerOptions } from './base.js';
export type {
  ClassifierInput,
  ResponseClass,
  ResponseClassifier,
  ResponseClassifierKind,
} from './classifiers.js';
export { classifiers, responseClassifiers } from './classifiers.js';
export type { BalancerErrorCode } from './errors.js';
export { BalancerError } from './errors.js';
export type {
  AccrualState,
  BalancerWrapper,
  EndpointEvent,
  FailureAccrualOptions,
  FailureAccrualPolicy,
  MarkedDeadEvent,
} from './failure-accrual.js';
export {
  consecutiveFailures,
  failureAccrual,
  failureAccrualChannels,
  none,
  successRate,
  successRateWindowed,
  withFailureAccrual,
} from './failure-accrual.js';
export type {
  GrpcClassifierInput,
  GrpcResponseClassifier,
  GrpcResponseClassifierKind,
  GrpcResponseClassifierOptions,
} from './grpc-classifiers.js';
export { grpcResponseClassifier } from './grpc-classifiers.js';
export type { HeapOptions } from './heap.js';
export { heap } from './heap.js';
export type { P2cOptions } from './p2c.js';
export { p2c } from './p2c.js';
export type { PeakEwmaOptions } from './peak-ewma.js';
export { ewma, p2cPeakEwma } from './peak-ewma.js';
export { mulberry32 } from './random.js';
export type { RequeueBudget, RequeueBudgetOptions, RetryBudget, RetryBudgetOptions } from './retry-budget.js';
export { requeueBudget, retryBudget } from './retry-budget.js';
export type { RoundRobinOptions } from './round-robin.js';
export { roundRobin } from './round-robin.js';
