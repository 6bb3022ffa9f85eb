import { bootService, exitOnSignals, runMain } from '@reelforge/service-kit';
import { runJobCommand } from './cli/run-job.ts';
import { schedulerService } from './service.ts';

const [command, job] = process.argv.slice(2);
// `-job <name>` / `--job <name>`: the replaced Butter scheduler's flag, kept for its crontabs.
if (command === 'run' || command === '-job' || command === '--job') {
  // CronJobs call `scheduler run <job>`: one slot, the run printed as JSON, the exit code says how it went.
  runMain(`${schedulerService.name} run`, async () => {
    process.exitCode = await runJobCommand(job ?? '', process.env);
  });
} else {
  runMain(schedulerService.name, async () => {
    const { platform } = await bootService(schedulerService, process.env);
    exitOnSignals(platform.shutdown);
  });
}
