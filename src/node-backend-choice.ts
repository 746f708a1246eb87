/**
 * Whether Node uses the runtime-neutral Web modules instead of its node-specific siblings
 * (`signature-node.ts`, `base64url-node.ts`). `TOKENWARDEN_SIGNATURE_BACKEND=web` forces them: a test
 * and diagnostic switch (CI runs the whole suite both ways), read once when this module loads.
 */

const forced = process.env.TOKENWARDEN_SIGNATURE_BACKEND;
if (forced !== undefined && forced !== 'web' && forced !== 'node') {
  throw new TypeError("TOKENWARDEN_SIGNATURE_BACKEND must be 'web' or 'node' when set");
}

/** `true` when `TOKENWARDEN_SIGNATURE_BACKEND=web` asks Node for the Web modules. */
export const useWebModules = forced === 'web';
