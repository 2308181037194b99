import * as osw from 'openssl-session-wasm';
import { reportFromWorker } from '../browser-report.mjs';

reportFromWorker(osw);
