// Loaded with `node --import` by scripts/write-vendor-caches.js: at the run's exit, writes the code cache of each
// vendor file the run compiled (the same loader instance bin/run.js imports), and compiles those that are only used
// with a cache (exec's CommonJS build) although there is none yet.
import {writeVendorCaches, writingCaches} from '../dist/bundle/vendor/loader.js'

writingCaches()
process.on('exit', writeVendorCaches)
