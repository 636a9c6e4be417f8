/** Entry of `dist/perch-consent.js`: the CMP adapters, loaded only when `__tcfapi` or `dataLayer` is in use. */
import { registerChunk } from './chunks.js';
import { watchConsentMode } from './consent/consent-mode.js';
import { watchTcf } from './consent/tcf.js';
import { bridgeDataLayer } from './datalayer.js';

registerChunk('consent', { watchTcf, watchConsentMode, bridgeDataLayer });
