// How the browser pages report the shared scenario: the page runs it on the main thread while a
// module Worker runs it too, then writes both results (or the first error) into <pre id="result">
// and window.__result, where the test reads them.
import { runScenario } from './scenario.mjs';

/** On the page: run the scenario here and in `worker` (already started), then show both. */
export async function reportOnPage(osw, worker) {
  const fromWorker = new Promise((resolve, reject) => {
    worker.onmessage = (event) => (event.data.error ? reject(new Error(`worker: ${event.data.error}`)) : resolve(event.data.result));
    worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
  });
  let report;
  try {
    report = { page: await runScenario(osw), worker: await fromWorker };
  } catch (error) {
    report = { error: String(error?.stack ?? error) };
  } finally {
    worker.terminate();
  }
  window.__result = report;
  document.getElementById('result').textContent = JSON.stringify(report, null, 2);
}

/** In the Worker: run the scenario and post the result (or the error) to the page. */
export function reportFromWorker(osw) {
  runScenario(osw).then(
    (result) => postMessage({ result }),
    (error) => postMessage({ error: String(error?.stack ?? error) }),
  );
}
