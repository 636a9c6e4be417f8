/// <reference types="vite/client" />
/** Same-origin manifest URL of the served model, or '' when the store runs without one (set in vite.config.ts). */
declare const __PERCH_MODEL_URL__: string;
