// A command-line runtime importing the built package by path (dist/index.js), as Deno and Bun
// users can without any configuration. Prints the scenario's result as one JSON line.
import * as osw from '../../dist/index.js';
import { runScenario } from './scenario.mjs';

console.log(JSON.stringify(await runScenario(osw)));
