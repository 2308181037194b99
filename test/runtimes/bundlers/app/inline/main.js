// The same app for bundlers that do not follow new URL(..., import.meta.url): the /inline entry; its Worker by new URL(..., import.meta.url).
import * as osw from 'openssl-session-wasm/inline';
import { reportOnPage } from '../browser-report.mjs';

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
await reportOnPage(osw, worker);
