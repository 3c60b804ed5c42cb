// Footprint variant: nothing loaded (the baseline of the same run).
import { report } from './variant-common.ts';

void report('bare', Date.now(), {}, []).then(() => process.exit(0));
