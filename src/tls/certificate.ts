/** Self-signed certificates made inside WebAssembly (so a browser needs no files). */

import { KEY_TYPE } from '../core/codes.js';
import { cString, describe, integer, NUMBER_KINDS, record } from '../core/convert.js';
import { declare, type Param } from '../core/gate.js';
import type { Core } from '../core/instance.js';
import { InvalidArgumentError } from '../errors.js';

export type KeyType = 'P-256' | 'Ed25519' | 'RSA-2048';

export interface CertificateOptions {
  /** Subject CN, also the DNS subjectAltName (default "localhost"). */
  commonName?: string;
  keyType?: KeyType;
  /** Validity in days (default 30). */
  days?: number;
}

export interface GeneratedCertificate {
  /** PEM certificate (self-signed, CA:TRUE, so peers can trust it directly). */
  certificate: string;
  /** PEM private key (PKCS#8). A secret. */
  privateKey: string;
}

const KEY_TYPES: Record<KeyType, number> = { 'P-256': KEY_TYPE.P256, Ed25519: KEY_TYPE.ED25519, 'RSA-2048': KEY_TYPE.RSA2048 };

const OPTIONS: Param<{ keyType: number; commonName: Uint8Array; days: number }> = {
  name: 'options',
  convert: (v, what) => {
    const o = record(v, what, ['commonName', 'keyType', 'days'], { exact: true });
    const keyType = o.keyType === undefined ? 'P-256' : o.keyType;
    if (typeof keyType !== 'string' || !Object.hasOwn(KEY_TYPES, keyType)) {
      throw new InvalidArgumentError(
        `generateCertificate: keyType must be one of ${Object.keys(KEY_TYPES).join(', ')}, got ${describe(keyType)}`,
      );
    }
    const commonName = cString(o.commonName === undefined ? 'localhost' : o.commonName, `${what}.commonName`, 255);
    if (commonName.length === 0) throw new InvalidArgumentError('generateCertificate: commonName must be 1..255 bytes');
    // The name is also the DNS subjectAltName, which OpenSSL reads as a list ("DNS:<name>"): a
    // comma would start another entry (",DNS:attacker.example", ",IP:127.0.0.1") and a line break
    // would end the list early, so the certificate would name other hosts than the one asked for.
    if (commonName.some((c) => c === 0x2c || c === 0x0a || c === 0x0d)) {
      throw new InvalidArgumentError(
        'generateCertificate: commonName is also the DNS subjectAltName, and a comma or line break there would add or cut subjectAltName entries',
      );
    }
    // A dNSName is an IA5String (ASCII): UTF-8 bytes there make an invalid name (an internationalised
    // name is written as its A-label, xn--...). OpenSSL trims a leading or trailing space from the
    // subjectAltName only, so ' a.example' would be certified as 'a.example'.
    const last = commonName.length - 1;
    if (commonName.some((c) => c < 0x20 || c >= 0x7f) || commonName[0] === 0x20 || commonName[last] === 0x20) {
      throw new InvalidArgumentError(
        'generateCertificate: commonName is also the DNS subjectAltName: printable ASCII only (an internationalised name as its A-label, xn--...), with no leading or trailing space',
      );
    }
    return {
      keyType: KEY_TYPES[keyType as KeyType],
      commonName,
      days: integer(o.days === undefined ? 30 : o.days, NUMBER_KINDS.days, `${what}.days`),
    };
  },
};

const generate = declare('generateCertificate', [OPTIONS], (core, o): GeneratedCertificate => {
  const b = core.b;
  const out = b.withBytes(o.commonName, (cn) => b.x.osw_generate_certificate(o.keyType, cn, o.days, b.out[0], b.out[1]), true);
  const certLength = b.readU32(b.out[1]);
  const pem = b.takeBuffer(out);
  if (!pem) throw b.error('generateCertificate');
  const text = new TextDecoder().decode(pem);
  return { certificate: text.slice(0, certLength), privateKey: text.slice(certLength) };
});

export function generateCertificate(core: Core, options: CertificateOptions = {}): GeneratedCertificate {
  return generate(core, options);
}
