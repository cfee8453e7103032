#!/usr/bin/env node
// Development entry: same as run.js, but oclif ignores the manifest so new commands show up without a rebuild of it.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
