/** Self-signed certificates made inside WebAssembly (so a browser needs no files). */
import type { Binding } from '../binding/binding.js';
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

const KEY_TYPES: Record<KeyType, number> = { 'P-256': 0, Ed25519: 1, 'RSA-2048': 2 };

export function generateCertificate(b: Binding, options: CertificateOptions = {}): GeneratedCertificate {
  const keyType = options.keyType ?? 'P-256';
  const commonName = options.commonName ?? 'localhost';
  const days = options.days ?? 30;
  if (!(keyType in KEY_TYPES))
    throw new InvalidArgumentError(`generateCertificate: keyType must be one of ${Object.keys(KEY_TYPES).join(', ')}`);
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new InvalidArgumentError('generateCertificate: days must be 1..36500');
  if (commonName.length === 0 || commonName.length > 255)
    throw new InvalidArgumentError('generateCertificate: commonName must be 1..255 characters');
  const out = b.withString(commonName, (cn) => b.x.osw_generate_certificate(KEY_TYPES[keyType], cn, days, b.out[0], b.out[1]));
  const certLength = b.readU32(b.out[1]);
  const pem = b.takeBuffer(out);
  if (!pem) throw b.error('generateCertificate');
  b.clearErrors();
  const text = new TextDecoder().decode(pem);
  return { certificate: text.slice(0, certLength), privateKey: text.slice(certLength) };
}
