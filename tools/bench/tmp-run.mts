import { runSynthBenchmark } from './src/synth.js';
await runSynthBenchmark({ sizes: (process.argv[2] ?? '10').split(',').map(Number), onProgress: (n) => console.error(`running ${n}...`) });
