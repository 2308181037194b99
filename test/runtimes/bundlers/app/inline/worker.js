import * as osw from 'openssl-session-wasm/inline';
import { reportFromWorker } from '../browser-report.mjs';

reportFromWorker(osw);
