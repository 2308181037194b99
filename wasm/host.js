// Functions the C side imports from JavaScript (an Emscripten --js-library).
mergeInto(LibraryManager.library, {
  // Entropy comes only from the platform CSPRNG. Emscripten's default getentropy falls back to
  // other sources and fills one byte per call; this one fails closed (OpenSSL then reports
  // RAND_status() == 0 and refuses keys) and fills whole blocks.
  getentropy: function (buffer, size) {
    var c = globalThis.crypto;
    if (!c || typeof c.getRandomValues !== 'function') return -1;
    for (var off = 0; off < size; off += 65536) {
      c.getRandomValues(HEAPU8.subarray(buffer + off, buffer + Math.min(size, off + 65536)));
    }
    return 0;
  },
  osw_host_new_session__deps: ['$oswHostCall'],
  osw_host_new_session: function (ctx, ssl, sess) {
    return oswHostCall('newSession', [ctx, ssl, sess], 0);
  },
  osw_host_remove_session__deps: ['$oswHostCall'],
  osw_host_remove_session: function (ctx, sess) {
    oswHostCall('removeSession', [ctx, sess], 0);
  },
  osw_host_get_session__deps: ['$oswHostCall'],
  osw_host_get_session: function (ctx, ssl, id, len) {
    return oswHostCall('getSession', [ctx, ssl, id, len], 0);
  },
  osw_host_alpn_select__deps: ['$oswHostCall'],
  osw_host_alpn_select: function (ssl, list, len) {
    return oswHostCall('alpnSelect', [ssl, list, len], -1);
  },
  osw_host_keylog__deps: ['$oswHostCall'],
  osw_host_keylog: function (ssl, line) {
    oswHostCall('keylog', [ssl, line], 0);
  },
  $oswHostCall: oswHostCall,
});

// Session-cache and ALPN callbacks: C calls these from inside a handshake. They forward to the
// instance's host object (set by the TypeScript loader) and never let an exception unwind through
// C frames: an exception is stored by the host and turned into the caller's error after C returns.
function oswHostCall(name, args, fallback) {
  try {
    var host = Module['oswHost'];
    return host && host[name] ? host[name].apply(null, args) : fallback;
  } catch (e) {
    try {
      Module['oswHost'].fault(e);
    } catch (ignored) {}
    return fallback;
  }
}
