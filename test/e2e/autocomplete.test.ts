/**
 * Shell completion through the oclif plugin (issue 11, item 24): the built CLI has
 * `secretctl autocomplete`, builds its completion cache from the commands (ours come from
 * oclif.manifest.json, the plugin's from its own), and the bash function it writes completes
 * commands and flags in a real bash.
 */
import {describe, it, expect} from 'vitest'
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {secretctl, ROOT} from './support/cli.js'

describe('secretctl autocomplete', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'secretctl-ac-'))
  const env = {HOME: home, XDG_CACHE_HOME: path.join(home, '.cache')}
  const bashFunction = path.join(home, '.cache/secretctl/autocomplete/functions/bash/secretctl.bash')

  it('is a command of the built CLI, prints the setup for each shell, and builds the completion cache', async () => {
    const help = await secretctl(['--help'], {cwd: home, env})
    expect(help.stdout).toMatch(/autocomplete\s+Display autocomplete installation instructions/)
    const bash = await secretctl(['autocomplete', 'bash'], {cwd: home, env})
    expect(bash.exitCode, bash.stderr).toBe(0)
    expect(bash.stdout).toContain('secretctl autocomplete script bash')
    const script = await secretctl(['autocomplete', 'script', 'zsh'], {cwd: home, env})
    expect(script.stdout).toContain('SECRETCTL_AC_ZSH_SETUP_PATH')
    const refresh = await secretctl(['autocomplete', '--refresh-cache'], {cwd: home, env})
    expect(refresh.exitCode, refresh.stderr).toBe(0)
    expect(existsSync(bashFunction)).toBe(true)
    expect(readFileSync(path.join(home, '.cache/secretctl/autocomplete/functions/zsh/_secretctl'), 'utf8')).toContain(
      '"rm[Forget secrets, copies or backends in the state',
    )
    // The plugin's command is not ours: oclif.manifest.json (scripts/oclif-manifest.js) lists only secretctl's.
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(Object.keys(manifest.commands)).toContain('state:rm')
    expect(Object.keys(manifest.commands)).not.toContain('autocomplete')
  })

  it('the bash function completes commands below a topic, and their flags', async () => {
    const complete = async (...words: string[]) => {
      const r = await execa(
        'bash',
        [
          '-c',
          `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _secretctl_autocomplete; echo "\${COMPREPLY[@]}"`,
          'bash',
          bashFunction,
        ],
        {env},
      )
      return r.stdout.trim().split(/\s+/)
    }
    expect(await complete('secretctl', 'state', 'r')).toEqual(['rm'])
    expect(await complete('secretctl', 'state', 'rm', '--f')).toEqual(['--force'])
    expect(await complete('secretctl', 'apply', '--auto')).toEqual(['--auto-approve'])
  })
})
