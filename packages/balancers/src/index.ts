/** @packageDocumentation Client-side policies: p2c, peak-EWMA, aperture, heap, round-robin balancers, failure accrual, retry budgets, response classifiers. */
export const PACKAGE_NAME = '@switchyard/balancers';
