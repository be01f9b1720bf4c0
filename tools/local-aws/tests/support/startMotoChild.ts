// Started as a child process by lifecycle.test.ts: starts moto, reports its pid, then waits to be killed.
import path from 'node:path';
import { startMoto } from '../../src/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: startMotoChild.ts <dir>');
const moto = await startMoto({ logFile: path.join(dir, 'moto.log') });
process.stdout.write(`${JSON.stringify({ pid: moto.pid, port: moto.port })}\n`);
setInterval(() => {}, 60_000);
