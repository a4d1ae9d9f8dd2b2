import { MemoryQueue } from '../../src/queue/memory-queue.js';
import { runQueueContract } from './queue.contract.js';

runQueueContract('MemoryQueue', async (limits) => new MemoryQueue(limits));
