// A consumer app, zero configuration: the package by name; its Worker by new URL(..., import.meta.url).
import * as osw from 'openssl-session-wasm';
import { reportOnPage } from '../browser-report.mjs';

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
await reportOnPage(osw, worker);
