// A Vite app using the package as a user would: a bare import by name, no Vite config. Vite
// bundles the Worker too, and emits openssl.wasm as an asset (new URL(..., import.meta.url)).
import * as osw from 'openssl-session-wasm';
import { reportOnPage } from '../browser-report.mjs';

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
await reportOnPage(osw, worker);
