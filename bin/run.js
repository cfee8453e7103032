#!/usr/bin/env node
// The installed entry: runs the CLI as `npm run build` bundled it (dist/bundle/, scripts/bundle.js), with the
// generated oclif manifest; the commands it loads are dist/bundle/commands/. The vendor loader first: the bundle
// loads @oclif/core, knex and yaml through it (scripts/vendor-loader.js).
import '../dist/bundle/vendor/loader.js'
import '../dist/bundle/run.js'
