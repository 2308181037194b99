// The smallest use: load one instance, print OpenSSL's version and a random sample.
import { loadOpenSSL } from '../dist/index.js';

const ossl = await loadOpenSSL();
console.log(ossl.version);
console.log(`RAND_status() = ${ossl.RAND_status()}`);
console.log(`RAND_bytes(16) = ${Buffer.from(ossl.RAND_bytes(16)).toString('hex')}`);
