// Types of serve.mjs, for test/playground.test.ts.
export declare const DEFAULT_ROOT: string;
export declare const DEFAULT_PORT: number;
export interface PlaygroundServer {
  url: string;
  port: number;
  close(): Promise<void>;
}
/** Serves `root` (default playground/dist) on 127.0.0.1; port 0 takes any free port. */
export declare function startServer(options?: { root?: string; port?: number; strictPort?: boolean }): Promise<PlaygroundServer>;
