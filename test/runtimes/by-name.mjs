// A command-line runtime importing the package by its name: Node (installed from the packed
// tarball), Deno (through an import map) and Bun (the package's self-reference). Prints the
// scenario's result as one JSON line; a failure rejects, so the process exits non-zero.
import * as osw from 'openssl-session-wasm';
import { runScenario } from './scenario.mjs';

console.log(JSON.stringify(await runScenario(osw)));
