// A Cloudflare Worker: the package by name, resolved through its "workerd" export condition as
// wrangler does, so openssl.wasm arrives as a compiled WebAssembly.Module.
import * as osw from 'openssl-session-wasm';
import { runScenario } from './scenario.mjs';

export default {
  async fetch() {
    try {
      return Response.json(await runScenario(osw));
    } catch (error) {
      return Response.json({ error: String(error?.stack ?? error) }, { status: 500 });
    }
  },
};
