/** Opens the state for a read-only command (get, describe, history, exec): never creates, migrates or writes it. */
import {readProjectConfig} from '../../src/manifests/project-config.js'
import {openStateFor} from '../../src/engine/workspace.js'
import type {StateStore} from '../../src/state/types.js'

export async function openStateReadOnly(flags: {dir: string; state?: string}): Promise<StateStore> {
  const config = await readProjectConfig(flags.dir)
  return openStateFor(config.state, {dir: flags.dir, state: flags.state, env: process.env, stateAccess: 'read'})
}
