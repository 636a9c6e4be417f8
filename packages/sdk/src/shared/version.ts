/** SDK version, reported by `audit()` and the snippet handshake. Bump with package.json. */
export const SDK_VERSION = '0.1.0';
/** Version of the script-tag stub format (`window.perch` queue); the loader accepts this and older. */
export const SNIPPET_VERSION = 1;
