// The shared scenario inside a module Worker, bundled by Vite with the package.
import * as osw from 'openssl-session-wasm';
import { reportFromWorker } from '../browser-report.mjs';

reportFromWorker(osw);
