/**
 * Codes shared by the C glue and the TypeScript facade, declared once on each side:
 * wasm/glue/codes.h holds the same names and values (test/house.test.ts checks that they agree).
 * The reference trace's ops and sites live with patch 0001 (include/internal/session_ref.h) and
 * src/ledger/sites.ts, checked against each other the same way.
 */

/** Which session-cache callbacks a context asks C to make (osw_ctx_set_session_callbacks). */
export const CALLBACK = { NEW_SESSION: 1, REMOVE_SESSION: 2, GET_SESSION: 4 } as const;

/** Key types of osw_generate_certificate. */
export const KEY_TYPE = { P256: 0, ED25519: 1, RSA2048: 2 } as const;

/** Every group by the prefix its C names carry (OSW_CALLBACK_NEW_SESSION, OSW_KEY_TYPE_P256). */
export const SHARED_CODES = { CALLBACK, KEY_TYPE } as const;
