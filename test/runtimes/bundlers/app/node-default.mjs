// A Node script bundled into one file from the default entry: the bundle has no openssl.wasm beside it.
import { loadOpenSSL } from 'openssl-session-wasm';

try {
  await loadOpenSSL();
  console.log('loaded');
} catch (error) {
  console.log(JSON.stringify({ name: error.name, message: error.message }));
}
