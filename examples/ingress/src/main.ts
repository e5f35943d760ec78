export const MAIN = 'switchyard-ingress';
