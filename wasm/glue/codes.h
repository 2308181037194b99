/*
 * Codes shared by the C glue and the TypeScript facade, declared once on each side:
 * src/core/codes.ts holds the same names and values (test/house.test.ts checks that they agree).
 * The reference trace's ops and sites live with patch 0001 (include/internal/session_ref.h).
 */
#ifndef OSW_CODES_H
#define OSW_CODES_H

/* Which session-cache callbacks a context asks for (osw_ctx_set_session_callbacks). */
#define OSW_CALLBACK_NEW_SESSION 1
#define OSW_CALLBACK_REMOVE_SESSION 2
#define OSW_CALLBACK_GET_SESSION 4

/* Key types of osw_generate_certificate. */
#define OSW_KEY_TYPE_P256 0
#define OSW_KEY_TYPE_ED25519 1
#define OSW_KEY_TYPE_RSA2048 2

#endif
