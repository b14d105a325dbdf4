/** Replaced at build time from sdk/package.json; keys caches so an upgrade never reuses old scans. */
declare const __FLOWPORT_VERSION__: string | undefined;
export const SDK_VERSION: string = typeof __FLOWPORT_VERSION__ === 'string' ? __FLOWPORT_VERSION__ : 'dev';
