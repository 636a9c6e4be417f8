/**
 * @perch/learn: the learning flow, train → privatise → upload → aggregate → publish. Import the part you need:
 * `@perch/learn/client` (the device), `@perch/learn/privacy` (policy and accountant), `@perch/learn/update` (the
 * layout and wire format both sides share), `@perch/learn/server` (aggregation and the server step).
 */
export * as client from './client/index.js';
export * as privacy from './privacy/index.js';
export * as update from './update/index.js';
export * as server from './server/index.js';
