// The transport scenario in Deno (Deno.connect) or Bun (Bun.connect through bunConnect): the
// peers' description is the last argument (JSON); the result is the last line of stdout.
import { loadOpenSSL } from '../../dist/index.js';
import * as web from '../../dist/web/index.js';
import { runTransportScenario } from './scenario.mjs';

const peers = JSON.parse(process.argv.at(-1));
const isDeno = typeof Deno !== 'undefined';
const open = isDeno ? (port) => Deno.connect({ hostname: '127.0.0.1', port }) : (port) => web.bunConnect({ hostname: '127.0.0.1', port });
const ossl = await loadOpenSSL();
const result = await runTransportScenario({ ossl, web, open, peers });
result.runtime = isDeno ? `deno ${Deno.version.deno}` : `bun ${Bun.version}`;
console.log(JSON.stringify(result));
