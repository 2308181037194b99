// The shared scenario inside a module Worker, no bundler: Workers get no import map, so the
// package is imported by path.
import * as osw from '/dist/index.js';
import { reportFromWorker } from '../browser-report.mjs';

reportFromWorker(osw);
