/**
 * The shipped policies, registered by name. Importing this module registers them once.
 * A user policy registers itself the same way (see README, "Writing a policy").
 */
import { registerPlacementPolicy, registerQueuePolicy } from '../src/scheduler/registry.ts';
import { bestFit } from './placement/best-fit.ts';
import { firstFit } from './placement/first-fit.ts';
import { fifo } from './queue/fifo.ts';

registerQueuePolicy('fifo', () => fifo);
registerPlacementPolicy('first-fit', () => firstFit);
registerPlacementPolicy('best-fit', () => bestFit);
