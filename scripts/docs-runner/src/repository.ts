/**
 * The project's canonical home. Every package.json (`repository`, `homepage`, `bugs`), package
 * README, README.md and docs page links here; `test/repository.test.ts` keeps them from drifting.
 */
export const REPOSITORY_URL = 'https://github.com/switchyard-dev/switchyard';
