// The transport scenario inside workerd: connect() from cloudflare:sockets gives the byte pair.
// POST the peers' description (JSON); the response is the scenario's result.
import { connect } from 'cloudflare:sockets';
import { loadOpenSSL } from '../../dist/index.js';
import wasmModule from '../../dist/openssl.wasm';
import * as web from '../../dist/web/index.js';
import { runTransportScenario } from './scenario.mjs';

export default {
  async fetch(request) {
    try {
      const peers = await request.json();
      const ossl = await loadOpenSSL({ wasmModule });
      const open = async (port) => {
        const socket = connect({ hostname: '127.0.0.1', port });
        await socket.opened;
        return socket;
      };
      const result = await runTransportScenario({ ossl, web, open, peers });
      result.runtime = 'workerd';
      return Response.json(result);
    } catch (error) {
      return new Response(String(error?.stack ?? error), { status: 500 });
    }
  },
};
