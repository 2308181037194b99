// A Node script bundled into one file: the /inline entry needs no openssl.wasm beside the bundle.
import * as osw from 'openssl-session-wasm/inline';
import { runScenario } from './scenario.mjs';

console.log(JSON.stringify(await runScenario(osw)));
