/**
 * The shipped policies, registered by name. Importing this module registers them once.
 * A user policy registers itself the same way (see README, "Writing a policy").
 */
import { registerPlacementPolicy, registerQueuePolicy } from '../src/scheduler/registry.ts';
import { bestFit } from './placement/best-fit.ts';
import { firstFit } from './placement/first-fit.ts';
import { bestFitStudy } from './placement/best-fit-study.ts';
import { dotProduct } from './placement/dot-product.ts';
import { fgdFactory } from './placement/fgd.ts';
import { gpuClustering } from './placement/gpu-clustering.ts';
import { gpuPacking } from './placement/gpu-packing.ts';
import { random } from './placement/random.ts';
import { worstFit } from './placement/worst-fit.ts';
import { fifo } from './queue/fifo.ts';

registerQueuePolicy('fifo', () => fifo);
registerPlacementPolicy('first-fit', () => firstFit);
registerPlacementPolicy('random', () => random);
registerPlacementPolicy('worst-fit', () => worstFit);
registerPlacementPolicy('dot-product', () => dotProduct);
registerPlacementPolicy('gpu-packing', () => gpuPacking);
registerPlacementPolicy('gpu-clustering', () => gpuClustering);
registerPlacementPolicy('best-fit-study', () => bestFitStudy);
registerPlacementPolicy('fgd', fgdFactory);
registerPlacementPolicy('best-fit', () => bestFit);
