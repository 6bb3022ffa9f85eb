import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { schedulerService } from './service.ts';

const [command, job] = process.argv.slice(2);
if (command === 'run') {
  // CronJobs call `scheduler run <job>`. No job is registered yet, so say so and fail the run
  // visibly rather than pretend it worked.
  process.stderr.write(`scheduler: cannot run job ${JSON.stringify(job ?? '')}: no jobs are registered yet\n`);
  process.exit(2);
}

runMain(schedulerService.name, async () => {
  const { platform } = await bootService(schedulerService, process.env);
  exitOnSignals(platform.shutdown);
});
