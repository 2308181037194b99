# OpenSSL Configure options for the WebAssembly build, one per line with its reason.
# Kept: TLS 1.2/1.3, tickets, PSK, session caching, X25519/X25519MLKEM768/P-256/Ed25519/RSA,
# AES-GCM/ChaCha20-Poly1305, PEM/DER. Sourced by build.sh; part of the build cache key.
# shellcheck disable=SC2034
OPENSSL_TARGET=wasm32-osw               # openssl-src/conf/wasm32.conf: linux-generic32 with 64-bit bignum limbs
OPENSSL_OPTIONS=(
  no-asm                    # no assembly exists for wasm; the portable C paths are used
  enable-ec_nistp_64_gcc_128  # 64-bit limb P-256/P-384/P-521 code with __int128 (about 1.5x faster handshakes)
  no-threads                # one thread: no SharedArrayBuffer or cross-origin isolation needed
  no-shared                 # one static link into one .wasm
  no-dso                    # no dlopen in wasm
  no-module                 # providers are built in, never loaded from files
  no-engine                 # engines are deprecated and need dlopen
  no-async                  # needs makecontext/swapcontext
  no-afalgeng               # Linux kernel crypto offload
  no-ktls                   # Linux kernel TLS offload
  no-ui-console             # no terminal to prompt for passphrases
  no-sock                   # bytes move through memory BIOs; transports live in JS (also drops DTLS and QUIC)
  no-stdio                  # no FILE* I/O; every input and output goes through memory
  no-autoload-config        # never look for openssl.cnf on a filesystem that does not exist
  no-secure-memory          # mmap/mlock-based secure heap means nothing inside linear memory
  no-atexit                 # an instance is torn down with its memory, not at process exit
  no-apps                   # library only
  no-tests                  # library only
  no-docs                   # library only
  no-filenames              # no source file names in error records: smaller, same error codes
  no-comp                   # TLS compression is insecure (CRIME)
  no-ssl3                   # obsolete protocol
  no-weak-ssl-ciphers       # obsolete ciphers
  no-srp                    # SRP key exchange: unused by our users
  no-srtp                   # DTLS-SRTP: no DTLS here
  no-ct                     # certificate transparency: a browser/server policy, not session handling
  no-ocsp                   # OCSP: needs an HTTP client we do not have
  no-http                   # OCSP/CMP HTTP client
  no-cms                    # S/MIME containers
  no-cmp                    # certificate management protocol
  no-ts                     # time-stamping protocol
  no-legacy                 # the legacy provider (MD2, old ciphers)
  no-idea no-seed no-camellia no-aria no-bf no-cast no-rc2 no-rc4 no-rc5 no-md4 no-mdc2 no-whirlpool no-rmd160  # legacy algorithms no TLS 1.2/1.3 peer needs
  no-sm2 no-sm3 no-sm4 no-gost  # national algorithms outside our cipher suites
  no-dsa                    # DSA certificates are long obsolete
  no-ec2m                   # binary-field curves: unused by TLS 1.3 and modern TLS 1.2
  no-slh-dsa                # large post-quantum signatures, not used in TLS handshakes here
  no-ml-dsa                 # post-quantum signatures, not used in TLS handshakes here (ML-KEM stays: default groups)
  no-scrypt no-argon2       # password KDFs, not used by TLS
  no-des                    # 3DES: no TLS 1.2/1.3 suite we keep uses it
  no-ocb no-siv no-cmac     # AEAD/MAC modes outside TLS
  no-siphash no-blake2      # hashes outside TLS
  no-rfc3779                # IP/AS certificate extensions
  no-ssl-trace              # protocol message tracing (SSL_trace) for debugging
  no-nextprotoneg           # NPN, superseded by ALPN
  no-deprecated             # deprecated APIs (our glue uses none); about 4% of the module
  --with-rand-seed=getrandom  # seed only from getentropy() = crypto.getRandomValues (patch 0002); no weaker fallback
)
OPENSSL_CFLAGS="-O3 -msimd128"  # speed first (-Oz: 16% smaller, 31% slower); wasm SIMD is in every target runtime
