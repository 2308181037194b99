// Rollup with the one plugin every Rollup app needs for bare imports; run with the consumer app as
// the working directory: rollup -c <this file> (OSW_OUT: the output directory).
import { nodeResolve } from '@rollup/plugin-node-resolve';

export default {
  input: ['inline/main.js', 'inline/worker.js'],
  output: { dir: process.env.OSW_OUT, format: 'es' },
  plugins: [nodeResolve({ browser: true })],
};
