// Parts of the repurposer that end-to-end tests elsewhere drive directly (a dead-letter handler
// run against a real task store). Not for service code: services talk over NATS.
export { createCancelRequestDeadLetterHandler } from './handlers/cancel-request.ts';
export { createRunningTasks } from './tasks/running-tasks.ts';
export { createTaskStore } from './tasks/task-store.ts';
