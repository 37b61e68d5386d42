// Worker bootstrap: registers tsx so the TypeScript worker body can be imported (the CLI runs
// under tsx; workers start without its loader).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
