# workerd serving the bundled Worker on 127.0.0.1 (the port is filled in by the test).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:PORT", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "openssl.wasm", wasm = embed "openssl.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
