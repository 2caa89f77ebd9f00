/** Replaced at build time by tsup (`define`); `dev` when run from source. */
declare const __LIFECYCLED_VERSION__: string | undefined;
export const VERSION = typeof __LIFECYCLED_VERSION__ === 'string' ? __LIFECYCLED_VERSION__ : 'dev';
