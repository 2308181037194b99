// The transport scenario every runtime runs against the peers test/transports/peers.ts starts on
// 127.0.0.1: full handshake then resumption against `openssl s_server` and a Node tls server (TLS
// 1.3 and 1.2), hostname mismatch, unknown CA, a peer closing mid-handshake and mid-record.
// `open(port)` is the runtime's own socket as a { readable, writable } pair. Plain JS: Deno, Bun
// and workerd run it as it is.

const text = (bytes) => new TextDecoder().decode(bytes);

/** Writes `line` and reads until the reply contains `expect` (or the stream ends). */
async function exchange(tls, line, expect) {
  const writer = tls.writable.getWriter();
  const reader = tls.readable.getReader();
  try {
    await writer.write(new TextEncoder().encode(line));
    let got = '';
    while (!got.includes(expect)) {
      const { value, done } = await reader.read();
      if (done) break;
      got += text(value);
    }
    return got.trim();
  } finally {
    writer.releaseLock();
    reader.releaseLock();
  }
}

async function failure(promise) {
  try {
    await promise;
    return { error: null };
  } catch (error) {
    return { error: error.name, verifyResult: error.verifyResult ?? null, message: String(error.message).split('\n')[0] };
  }
}

export async function runTransportScenario({ ossl, web, open, peers }) {
  const { connect } = web;
  const results = { runtime: '', resumption: {}, refused: {}, cut: {} };
  const context = ossl.createContext({ role: 'client', ca: peers.ca });

  for (const [name, peer] of Object.entries(peers.resumption)) {
    const first = await connect({ transport: await open(peer.port), context, servername: 'localhost' });
    const reply1 = await exchange(first, 'ping\n', peer.reply);
    await first.waitForSessions(1);
    const session = first.takeSession();
    const full = { protocol: first.connection.protocol, reused: first.connection.sessionReused, group: first.connection.group };
    await first.close();
    const second = await connect({ transport: await open(peer.port), context, servername: 'localhost', session });
    const reply2 = await exchange(second, 'ping\n', peer.reply);
    const resumed = { protocol: second.connection.protocol, reused: second.connection.sessionReused };
    await second.close();
    session.free();
    results.resumption[name] = { full, resumed, replies: [reply1, reply2] };
  }

  results.refused.hostnameMismatch = await failure(
    connect({ transport: await open(peers.resumption['node-tls1.3'].port), context, servername: 'wrong.example' }),
  );
  const stranger = ossl.createContext({ role: 'client', ca: peers.otherCa });
  results.refused.unknownCA = await failure(
    connect({ transport: await open(peers.resumption['node-tls1.3'].port), context: stranger, servername: 'localhost' }),
  );
  stranger.free();
  results.refused.closedMidHandshake = await failure(
    connect({ transport: await open(peers.closeMidHandshake), context, servername: 'localhost' }),
  );

  const cut = await connect({ transport: await open(peers.cutMidRecord), context, servername: 'localhost' });
  await cut.waitForSessions(1);
  cut.takeSession()?.free();
  results.cut.midRecord = await failure(exchange(cut, 'cut\n', 'never arrives'));
  results.cut.closed = await failure(cut.closed);

  context.free();
  const live = ossl.ledger.live();
  results.leaks = { live: live.length };
  ossl.ledger.assertNoLeaks();
  return results;
}
