// Type-level tests, compiled by tsc in `npm test`: each @ts-expect-error must be a real error.
import type { OpenSSL, Session, SessionView } from '../../dist/index.js';

declare const ossl: OpenSSL;
declare const view: SessionView;
declare const handle: Session;

// A view has no free(): it is borrowed, the JS side holds no reference through it.
// @ts-expect-error free() does not exist on a view
view.free();

// A raw number (a pointer) is never accepted where a session is expected.
// @ts-expect-error numbers are not sessions
ossl.SSL_SESSION_free(12345);
// @ts-expect-error numbers are not sessions
ossl.SSL_SESSION_up_ref(0x1000);

// What is allowed: free a handle, take a reference from a view, free(null).
handle.free();
const kept: Session = view.upRef();
kept.free();
ossl.SSL_SESSION_free(null);
