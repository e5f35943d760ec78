/**
 * @packageDocumentation
 * Client-side policies: load balancers, failure accrual, retry budgets, response classifiers.
 */
export type { Balancer, BalancerEndpoint, BalancerFactory, Lease, LeaseOutcome } from './balancer.js';
