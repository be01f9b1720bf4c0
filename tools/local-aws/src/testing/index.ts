export { clientConfig, type LocalAwsTestContext } from './context.js';
