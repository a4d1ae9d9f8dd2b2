import { Worker } from 'node:worker_threads';

/**
 * A worker thread running one of this directory's modules: the built .js entry, or under the test
 * runner (which runs the .ts sources) the .ts entry through tsx, a dev dependency.
 */
export function spawnQueueWorker(name: string, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const entry = JSON.stringify(new URL(`./${name}.ts`, import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true, workerData });
}
