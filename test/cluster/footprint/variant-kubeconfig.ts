// Footprint variant: only KubeConfig loaded (the cost of the import itself).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { report } from './variant-common.ts';

const kc = new KubeConfig();
kc.loadFromFile(process.argv[2]!);
const opts = {};
void kc
  .applyToHTTPSOptions(opts)
  .then(() => report('kubeconfig', Date.now(), {}, [kc, opts]))
  .then(() => process.exit(0));
