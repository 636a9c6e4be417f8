/** Entry of `dist/perch-consent.js`: the CMP adapters, loaded only when `__tcfapi` or `dataLayer` is in use. */
import { registerChunk } from '../page/chunks.js';
import { watchConsentMode } from '../page/consent/consent-mode.js';
import { watchTcf } from '../page/consent/tcf.js';
import { bridgeDataLayer } from '../page/track/datalayer.js';

registerChunk('consent', { watchTcf, watchConsentMode, bridgeDataLayer });
