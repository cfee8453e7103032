// Loaded with `node --import` by scripts/write-vendor-caches.js: at the run's exit, writes the code cache of each
// vendor file the run compiled (the same loader instance bin/run.js imports).
import {writeVendorCaches} from '../dist/bundle/vendor/loader.js'

process.on('exit', writeVendorCaches)
