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
});
