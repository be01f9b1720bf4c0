export { CLIS, type CommandResult, runCli, runCommand } from './commands.js';
export { type DemoReporter, type DemoResult, runDemo } from './scenario.js';
