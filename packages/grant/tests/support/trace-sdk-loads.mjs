// Preload for one test: prints every @aws-sdk/client-* module the program resolves, so a test can
// check that a command which needs no AWS call loads none (the SDK clients are lazy).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      'export async function resolve(specifier, context, next) {' +
        ' if (specifier.startsWith("@aws-sdk/client-")) console.error("loaded " + specifier);' +
        ' return next(specifier, context); }',
    ),
);
