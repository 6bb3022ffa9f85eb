/** Subject builders: the one place subject shapes are spelled. The account id is the last token so
 *  per-account filtering and sharding stay possible without parsing bodies. */
export const subjects = {
  renderJob: (accountId: string) => `render.jobs.${accountId}`,
  taskProgress: (accountId: string) => `task.progress.${accountId}`,
  taskStatus: (accountId: string) => `task.status.${accountId}`,
  generation: (accountId: string) => `content.generation.${accountId}`,
  cancelRequest: (accountId: string) => `content.cancel.${accountId}`,
  /** Core NATS broadcast to every repurposer instance: kill this task's ffmpeg if you run it. */
  killTask: (taskId: string) => `repurposer.kill.${taskId}`,
  deadLetter: (stream: string, consumer: string) => `dlq.${stream}.${consumer}`,
  schedulerRun: (job: string) => `scheduler.runs.${job}`,
  /** A backlog item moved to a user's account (the orchestrator's fact). */
  backlogTransferred: (accountId: string) => `content.backlog.${accountId}`,
  /** A user claimed a backlog item (the backlog-keeper's fact, for notifications). */
  backlogClaimed: (accountId: string) => `backlog.claimed.${accountId}`,
} as const;

/** Filters for consumers (one filter subject each: the NATS 2.9 server refuses several). */
export const filters = {
  renderJobs: 'render.jobs.>',
  taskStatus: 'task.status.>',
  allTasks: 'task.>',
  generations: 'content.generation.>',
  cancelRequests: 'content.cancel.>',
  killTasks: 'repurposer.kill.>',
  backlogTransfers: 'content.backlog.>',
  backlogClaims: 'backlog.claimed.>',
} as const;
