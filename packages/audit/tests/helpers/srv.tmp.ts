import { startLocalTrailServer } from './localTrailServer.js';
const server = await startLocalTrailServer({ exportDir: process.argv[2]!, latencyMs: Number(process.argv[3]) });
console.log(server.endpoint);
