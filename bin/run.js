#!/usr/bin/env node
// The installed entry: runs the compiled commands from dist/ using the generated oclif manifest.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
